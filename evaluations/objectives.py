"""The teaching objectives of a formation, as the before/after self-rating asks about
them: its `objectives` text, one objective per non-empty line, list bullets stripped."""

import re

# « - », « * », « • », « – », « 1. », « 2) »… at the start of a line.
BULLET = re.compile(r"^\s*(?:[-*•–—·]|\d{1,2}[.)])\s*")


def formation_objectives(formation) -> list[str]:
    objectives = []
    for line in (formation.objectives or "").splitlines():
        text = BULLET.sub("", line, count=1).strip()
        if text:
            objectives.append(text[:500])
    return objectives
