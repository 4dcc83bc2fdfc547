"""Every journal action the livrables app writes has a French label in the histories
(`formations.history.ACTION_LABELS`): never an internal code such as « livrables :
attestation issued » on a page."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

import livrables
from formations.history import ACTION_LABELS, action_label
from livrables.services import CERTIFICATE_FILES, issue_certificate
from tests.factories import ProviderIdentityFactory

SOURCE = Path(livrables.__file__).parent
# The actions written through an f-string, per file, with the values they can take: a new
# one fails `test_every_dynamic_action_is_known` until its values are listed here.
DYNAMIC = {
    "services.py": {f"livrables.{action}" for _prefix, action in CERTIFICATE_FILES.values()},
}


def _modules():
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text())


def _model_labels() -> set[str]:
    return {model._meta.label_lower for model in apps.get_app_config("livrables").get_models()}


def written_actions() -> set[str]:
    """The `livrables.…` codes in the app's source (string constants that are not model
    labels), and the values of its f-string ones."""
    found = set()
    for _path, tree in _modules():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"livrables\.[a-z_]+", node.value)
            ):
                found.add(node.value)
    return (found - _model_labels()) | set().union(*DYNAMIC.values())


def test_every_dynamic_action_is_known():
    dynamic = {}
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and str(head.value).startswith("livrables."):
                    dynamic[path.name] = dynamic.get(path.name, 0) + 1

    assert dynamic == dict.fromkeys(DYNAMIC, 1)


def test_every_action_the_app_writes_has_a_french_label():
    actions = written_actions()
    assert {"livrables.sheet_issued", "livrables.attestation_issued"} <= actions

    assert sorted(actions - set(ACTION_LABELS)) == []
    assert [a for a in actions if action_label(a).startswith("livrables")] == []


@pytest.mark.parametrize(
    ("action", "label"),
    [
        ("livrables.certificate_issued", "Certificat de réalisation émis"),
        ("livrables.attestation_issued", "Attestation d'assiduité émise"),
        ("livrables.structure_certificate_issued", "Certificat d'assiduité de la structure émis"),
        ("livrables.certificates_bulk_started", "Émission groupée des certificats lancée"),
    ],
)
def test_certificate_actions_read_in_french(action, label):
    assert action_label(action) == label


def test_the_participant_history_shows_no_internal_code(client, sheet_world):
    ProviderIdentityFactory()
    participant = sheet_world.enrolments["nguyen"].participant
    for kind in CERTIFICATE_FILES:
        issue_certificate(
            kind=kind,
            participant=participant,
            formation=sheet_world.session.formation,
            actor=sheet_world.coordinator,
        )
    client.force_login(sheet_world.coordinator)

    content = client.get(reverse("formations:participant_detail", args=[participant.pk]))

    text = content.content.decode()
    assert "Attestation d&#x27;assiduité AA-" in text or "Attestation d'assiduité AA-" in text
    assert "livrables :" not in text and "issued" not in text
