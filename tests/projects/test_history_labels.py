"""Every journal action the projects app writes reads in French in the histories
(`formations.history.ACTION_LABELS`), never as an internal code."""

import ast
import re
from pathlib import Path

from django.apps import apps

import projects
from formations.history import ACTION_LABELS, action_label

SOURCE = Path(projects.__file__).parent
# Codes in the source that are not journal actions: model labels and the periodic job.
NOT_ACTIONS = {"projects.remind_tasks"}


def written_actions() -> set[str]:
    found = set()
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"projects\.[a-z_.]+", node.value)
            ):
                found.add(node.value)
    models = {model._meta.label_lower for model in apps.get_app_config("projects").get_models()}
    return found - models - NOT_ACTIONS


def test_every_action_the_app_writes_has_a_french_label():
    actions = written_actions()
    assert {"projects.fiche_edit", "projects.task_done"} <= actions
    assert sorted(actions - set(ACTION_LABELS)) == []
    assert [a for a in actions if action_label(a).startswith("projects")] == []
