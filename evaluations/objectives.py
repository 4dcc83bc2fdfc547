"""The teaching objectives of a formation, as the questionnaires read them.

A formation's `objectives` is free text, one objective per line (bullets allowed); an
« objectives » question asks for a before/after self-rating of each of them. Objectives
written on one line separated by semicolons (as tenders list them: « comprendre… ;
connaître… ») count as several."""

import re

# `Answer.objective` keeps at most this many characters: a longer objective is cut there.
OBJECTIVE_MAX_LENGTH = 500

# A list marker typed or pasted in front of an objective (« - », « • », « 1. », « a) »).
_MARKER = re.compile(r"^\s*(?:[-–—•*·]+|\d{1,2}[.)]|[a-z][)])\s*", re.IGNORECASE)


def formation_objectives(formation) -> list[str]:
    """The formation's objectives in order: one per non-empty line (or between
    semicolons), without its list marker, each cut at OBJECTIVE_MAX_LENGTH characters,
    duplicates dropped."""
    objectives = []
    for line in (getattr(formation, "objectives", "") or "").splitlines():
        for piece in line.split(";"):
            text = _MARKER.sub("", piece, count=1).strip().rstrip(".").strip()
            text = text[:OBJECTIVE_MAX_LENGTH].rstrip()
            if text and text not in objectives:
                objectives.append(text)
    return objectives
