"""Migrations 0006/0007 (consent records, phones in E.164) on data written before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _node(graph, suffix):
    return next(
        node for node in graph.nodes if node[0] == "formations" and node[1].endswith(suffix)
    )


@pytest.mark.django_db(transaction=True)
def test_box_ticks_become_consents_and_phones_e164(capsys):
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    records = _node(graph, "_sms_consent_records")
    phones = _node(graph, "_sms_consent_phone_e164")
    [before] = [p for p in graph.node_map[records].parents if p.key[0] == "formations"]
    try:
        executor.migrate([before.key])
        old = executor.loader.project_state([before.key]).apps
        Structure = old.get_model("formations", "Structure")
        Participant = old.get_model("formations", "Participant")
        dembeni = Structure.objects.create(name="CCAS de Dembeni", kind="ccas", territory="Mayotte")
        lille = Structure.objects.create(name="Centre social", kind="centre_social")
        ticked = Participant.objects.create(
            last_name="Madi",
            first_name="A",
            structure=dembeni,
            contact_consent=True,
            phone="06 39 69 12 34",
        )
        unreadable = Participant.objects.create(
            last_name="Martin", first_name="B", structure=lille, phone="à demander"
        )
        plain = Participant.objects.create(
            last_name="Petit", first_name="C", structure=lille, phone="06 12 34 56 78"
        )

        executor = MigrationExecutor(connection)
        executor.migrate([phones])
        new = executor.loader.project_state([phones]).apps
        Participant = new.get_model("formations", "Participant")
        ContactConsent = new.get_model("formations", "ContactConsent")

        phones_now = dict(Participant.objects.values_list("pk", "phone"))
        assert phones_now == {
            ticked.pk: "+262639691234",
            unreadable.pk: "à demander",
            plain.pk: "+33612345678",
        }
        consent = ContactConsent.objects.get()
        assert (consent.participant_id, consent.channel, consent.purpose, consent.action) == (
            ticked.pk,
            "email",
            "evaluation_follow_up",
            "given",
        )
        assert (consent.wording_version, consent.method) == (
            "v0 (case à cocher d'origine)",
            "migration",
        )
        assert consent.at == ticked.updated_at
        report = capsys.readouterr().out
        assert "2 mis au format international, 1 laissés tels quels" in report
        assert f"participant·e n° {unreadable.pk} : « à demander »" in report
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
