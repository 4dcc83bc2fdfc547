"""Claims, payments and missions corrected or cancelled after they were recorded: money
records are cancelled (kept, with a reason, out of every total and of the overlap check),
never deleted; a mission goes only while no expense refers to it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from formations.models import AuditEntry, Formation, User
from livrables.exceptions import LivrablesError
from livrables.models import Mission, Payment, ServiceFaitClaim
from livrables.service_fait import claims_summary
from livrables.services_claims import (
    claim_cancel,
    claim_update,
    payment_cancel,
    payment_update,
    record_claim,
    record_payment,
)
from livrables.services_expenses import mission_create, mission_delete, mission_update
from tests.factories import FunderFactory, UserFactory
from tests.livrables.test_expenses import add
from tests.livrables.test_service_fait import build_world

D = dt.date


@pytest.fixture
def world(db):
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR,
        unit_price=Decimal("30"),
        amount=Decimal("1000"),
        vat_rate=Decimal("0"),
        start_date=D(2021, 9, 1),
        end_date=D(2022, 6, 30),
    )
    return world


def claim(world, start, end, amount="300"):
    return record_claim(
        formation=world.formation,
        period_start=start,
        period_end=end,
        amount=Decimal(amount),
        sent_on=D(2021, 11, 2),
        actor=world.coordinator,
    )


def test_claim_corrected_with_the_same_checks_and_journaled(world):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31))
    november = claim(world, D(2021, 11, 1), D(2021, 11, 30), "200")

    changed = claim_update(
        claim=october,
        period_start=D(2021, 10, 1),
        period_end=D(2021, 10, 31),
        amount=Decimal("350"),
        sent_on=D(2021, 11, 3),
        note="Montant corrigé",
        actor=world.coordinator,
    )
    assert (changed.amount_ht, changed.sent_on) == (Decimal("350.00"), D(2021, 11, 3))
    entry = AuditEntry.objects.get(action="livrables.service_fait_claim_updated")
    assert entry.data["before"]["amount_ht"] == "300.00"
    assert entry.data["after"]["amount_ht"] == "350.00"
    assert "350,00 € TTC" in entry.summary

    def update(**changes):
        values = {
            "claim": october,
            "period_start": D(2021, 10, 1),
            "period_end": D(2021, 10, 31),
            "amount": Decimal("350"),
            "sent_on": D(2021, 11, 3),
            "actor": world.coordinator,
            **changes,
        }
        with pytest.raises(LivrablesError) as refused:
            claim_update(**values)
        return refused.value.code

    assert update(period_end=D(2021, 11, 5)) == "period_overlap"  # meets November's
    assert update(period_end=D(2021, 9, 1)) == "period_reversed"
    assert update(period_start=D(2021, 8, 31)) == "outside_execution"
    assert update(amount=Decimal("801")) == "over_contract"  # 801 + November's 200
    assert update(actor=UserFactory(role=User.Role.FUNDER_AUDITOR)) == "not_allowed"
    october.refresh_from_db()
    assert october.amount_ht == Decimal("350.00")
    assert november.amount_ht == Decimal("200.00")


def test_cancelled_claim_is_kept_out_of_totals_and_its_period_may_be_claimed_again(world):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31))
    with pytest.raises(LivrablesError) as refused:
        claim_cancel(claim=october, reason="  non ", actor=world.coordinator)
    assert refused.value.code == "reason_required"

    claim_cancel(claim=october, reason="Saisie en double", actor=world.coordinator)

    october.refresh_from_db()
    assert october.is_cancelled and october.cancelled_by == world.coordinator
    assert october.cancellation_reason == "Saisie en double"
    assert ServiceFaitClaim.objects.count() == 1  # kept: a money record is never deleted
    summary = claims_summary(formation=world.formation)
    assert summary.claimed.ttc == 0 and summary.cancelled_claims == (october,)
    # Its period and its amount are free again.
    again = claim(world, D(2021, 10, 1), D(2021, 10, 31), "1000")
    assert again.amount_ht == Decimal("1000.00")
    entry = AuditEntry.objects.get(action="livrables.service_fait_claim_cancelled")
    assert entry.data["reason"] == "Saisie en double"
    assert entry.data["before"]["amount_ttc"] == "300.00"

    for attempt in (
        lambda: claim_cancel(claim=october, reason="Encore une fois", actor=world.coordinator),
        lambda: claim_update(
            claim=october,
            period_start=D(2021, 9, 1),
            period_end=D(2021, 9, 30),
            amount=Decimal("1"),
            sent_on=D(2021, 10, 1),
            actor=world.coordinator,
        ),
    ):
        with pytest.raises(LivrablesError) as refused:
            attempt()
        assert refused.value.code == "cancelled"


def test_paid_claim_is_cancelled_only_once_its_payment_is(world):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31))
    payment = record_payment(
        formation=world.formation,
        received_on=D(2021, 12, 1),
        amount=Decimal("300"),
        funder=world.funder,
        claim=october,
        actor=world.coordinator,
    )
    with pytest.raises(LivrablesError) as refused:
        claim_cancel(claim=october, reason="Demande retirée", actor=world.coordinator)
    assert refused.value.code == "claim_paid"
    assert "01/12/2021" in refused.value.message

    payment_cancel(payment=payment, reason="Virement rejeté par la banque", actor=world.coordinator)
    summary = claims_summary(formation=world.formation)
    assert (summary.paid, summary.still_due) == (0, Decimal("300.00"))
    assert summary.cancelled_payments == (payment,)
    claim_cancel(claim=october, reason="Demande retirée", actor=world.coordinator)
    assert claims_summary(formation=world.formation).still_due == 0
    # A cancelled claim settles nothing.
    with pytest.raises(LivrablesError) as refused:
        record_payment(
            formation=world.formation,
            received_on=D(2021, 12, 2),
            amount=Decimal("300"),
            funder=world.funder,
            claim=october,
            actor=world.coordinator,
        )
    assert refused.value.code == "wrong_claim"


def test_payment_corrected_with_the_same_checks(world):
    payment = record_payment(
        formation=world.formation,
        received_on=D(2021, 12, 1),
        amount=Decimal("300"),
        funder=world.funder,
        actor=world.coordinator,
    )
    payment_update(
        payment=payment,
        received_on=D(2021, 12, 2),
        amount=Decimal("250.50"),
        funder=world.funder,
        actor=world.coordinator,
    )
    assert claims_summary(formation=world.formation).paid == Decimal("250.50")
    entry = AuditEntry.objects.get(action="livrables.payment_updated")
    assert entry.data["before"]["amount"] == "300.00"
    assert entry.data["after"]["amount"] == "250.50"
    for changes, code in (
        ({"amount": Decimal("0")}, "invalid_amount"),
        ({"funder": FunderFactory(name="CAF", kind="caf")}, "wrong_funder"),
        ({"actor": UserFactory(role=User.Role.TRAINER)}, "not_allowed"),
    ):
        values = {
            "payment": payment,
            "received_on": D(2021, 12, 2),
            "amount": Decimal("250.50"),
            "funder": world.funder,
            "actor": world.coordinator,
            **changes,
        }
        with pytest.raises(LivrablesError) as refused:
            payment_update(**values)
        assert refused.value.code == code


def test_cancelling_through_the_page_asks_first_and_auditors_may_not(client, world):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31))
    payment = record_payment(
        formation=world.formation,
        received_on=D(2021, 12, 1),
        amount=Decimal("120"),
        funder=world.funder,
        actor=world.coordinator,
    )
    cancel_url = reverse(
        "livrables:service_fait_claim_cancel", args=[world.formation.pk, october.pk]
    )
    client.force_login(world.coordinator)
    page = client.get(reverse("formations:formation_detail", args=[world.formation.pk])).text
    assert cancel_url in page

    confirm = client.get(cancel_url)
    assert confirm.status_code == 200
    assert "Annuler la demande de paiement du 01/10/2021 au 31/10/2021" in confirm.text
    assert "Motif de l&#x27;annulation" in confirm.text or "Motif de l'annulation" in confirm.text
    assert not ServiceFaitClaim.objects.get().is_cancelled  # asking changes nothing

    refused = client.post(cancel_url, {"reason": ""})
    assert refused.status_code == 200
    assert not ServiceFaitClaim.objects.get().is_cancelled

    done = client.post(cancel_url, {"reason": "Saisie en double"})
    assert done.status_code == 302
    assert ServiceFaitClaim.objects.get().is_cancelled
    page = client.get(reverse("formations:formation_detail", args=[world.formation.pk])).text
    assert "demande annulée" in page and "Saisie en double" in page
    assert "1 annulation (gardée, hors totaux)" in page
    assert client.get(cancel_url).status_code == 404  # nothing left to cancel

    edit_url = reverse("livrables:service_fait_payment_edit", args=[world.formation.pk, payment.pk])
    response = client.post(
        edit_url,
        {"received_on": "2021-12-01", "amount": "130", "funder": world.funder.pk, "claim": ""},
    )
    assert response.status_code == 302
    assert Payment.objects.get().amount == Decimal("130.00")

    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(world.funder)
    client.force_login(auditor)
    pay_cancel = reverse(
        "livrables:service_fait_payment_cancel", args=[world.formation.pk, payment.pk]
    )
    assert client.get(pay_cancel).status_code == 403
    assert client.post(pay_cancel, {"reason": "Je n'en ai pas le droit"}).status_code == 403
    assert client.post(edit_url, {"amount": "1"}).status_code == 403
    assert not Payment.objects.get().is_cancelled
    page = client.get(reverse("formations:formation_detail", args=[world.formation.pk])).text
    assert edit_url not in page and pay_cancel not in page

    # A trainer of the formation never sees its claims and payments: out of reach, 404.
    trainer = UserFactory(role=User.Role.TRAINER)
    world.session.trainers.add(trainer)
    client.force_login(trainer)
    for url in (pay_cancel, edit_url):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "Pas mon rôle du tout"}).status_code == 404, url
    assert not Payment.objects.get().is_cancelled


# --- Missions -------------------------------------------------------------------------------


def test_mission_edited_and_deleted_only_without_expenses(client, world, documents_dir):
    coordinator = world.coordinator
    mission = mission_create(
        actor=coordinator,
        formation=world.formation,
        name="Comité",
        start_date=D(2021, 10, 1),
        end_date=D(2021, 10, 1),
    )
    mission_update(
        actor=coordinator,
        mission=mission,
        name="Comité de pilotage",
        start_date=D(2021, 10, 2),
        end_date=D(2021, 10, 2),
        place="Arras",
    )
    mission.refresh_from_db()
    assert (mission.name, mission.place) == ("Comité de pilotage", "Arras")
    entry = AuditEntry.objects.get(action="livrables.mission_updated")
    assert entry.data["changes"]["name"] == ["Comité", "Comité de pilotage"]
    with pytest.raises(LivrablesError) as refused:
        mission_update(
            actor=coordinator,
            mission=mission,
            name="Comité",
            start_date=D(2022, 6, 30),
            end_date=D(2022, 7, 2),
        )
    assert refused.value.code == "outside_execution"

    expense = add(world.formation, coordinator, mission=mission)
    with pytest.raises(LivrablesError) as refused:
        mission_delete(actor=coordinator, mission=mission)
    assert refused.value.code == "mission_in_use"
    assert "1 dépense est rattachée" in refused.value.message

    client.force_login(coordinator)
    remove_url = reverse("livrables:mission_remove", args=[world.formation.pk, mission.pk])
    page = client.get(remove_url)
    assert "rattachez-la" in page.text and "Supprimer la mission</button>" not in page.text
    assert client.post(remove_url).status_code == 200
    assert Mission.objects.exists()

    expense.mission = None
    expense.save()
    page = client.get(remove_url)
    assert "Supprimer la mission</button>" in page.text
    assert client.post(remove_url).status_code == 302
    assert not Mission.objects.exists()
    assert AuditEntry.objects.filter(action="livrables.mission_deleted").exists()

    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(world.funder)
    other = mission_create(
        actor=coordinator,
        formation=world.formation,
        name="Repérage",
        start_date=D(2021, 10, 1),
        end_date=D(2021, 10, 1),
    )
    trainer = UserFactory(role=User.Role.TRAINER)
    world.session.trainers.add(trainer)
    # The auditor reads the missions (in reach: 403); a trainer of the formation never sees
    # its costs (out of reach: 404).
    for user, code in ((auditor, 403), (trainer, 404)):
        client.force_login(user)
        for name in ("livrables:mission_edit", "livrables:mission_remove"):
            url = reverse(name, args=[world.formation.pk, other.pk])
            assert client.get(url).status_code == code, (user.role, name)
            assert client.post(url).status_code == code, (user.role, name)
    assert Mission.objects.filter(pk=other.pk).exists()


# --- The issued statement printed the claims and payments ---------------------------------


def test_statement_to_reissue_once_a_claim_or_payment_it_printed_is_corrected(world, documents_dir):
    from livrables.selectors import document_state
    from livrables.services_claims import issue_service_fait_statement
    from tests.factories import ProviderIdentityFactory

    ProviderIdentityFactory()
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31), "500")
    payment = record_payment(
        formation=world.formation,
        received_on=D(2021, 12, 1),
        amount=Decimal("500"),
        funder=world.funder,
        claim=october,
        actor=world.coordinator,
    )

    def issue():
        return issue_service_fait_statement(
            formation=world.formation,
            period_start=D(2021, 10, 1),
            period_end=D(2021, 10, 31),
            actor=world.coordinator,
        )

    statement = issue()
    # Claimed and paid after the issue: the usual order, nothing to reissue.
    november = claim(world, D(2021, 11, 1), D(2021, 11, 30), "100")
    claim_cancel(claim=november, reason="Envoyée par erreur", actor=world.coordinator)
    assert not document_state(document=statement).needs_reissue

    # The payment it printed (« reçu : 500,00 € ») corrected.
    payment_update(
        payment=payment,
        received_on=D(2021, 12, 1),
        amount=Decimal("450"),
        funder=world.funder,
        claim=october,
        actor=world.coordinator,
    )
    assert document_state(document=statement).needs_reissue

    # Reissued, then the claim it printed cancelled (its payment first).
    statement = issue()
    assert not document_state(document=statement).needs_reissue
    payment_cancel(
        payment=payment, reason="Saisi sur la mauvaise formation", actor=world.coordinator
    )
    statement = issue()
    claim_cancel(claim=october, reason="Demande retirée par le financeur", actor=world.coordinator)
    assert document_state(document=statement).needs_reissue


def test_statement_to_reissue_once_a_claim_it_printed_is_corrected(world, documents_dir):
    from livrables.selectors import document_state
    from livrables.services_claims import issue_service_fait_statement
    from tests.factories import ProviderIdentityFactory

    ProviderIdentityFactory()
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31), "500")
    statement = issue_service_fait_statement(
        formation=world.formation,
        period_start=D(2021, 10, 1),
        period_end=D(2021, 10, 31),
        actor=world.coordinator,
    )
    claim_update(
        claim=october,
        period_start=D(2021, 10, 1),
        period_end=D(2021, 10, 31),
        amount=Decimal("400"),
        sent_on=D(2021, 11, 2),
        actor=world.coordinator,
    )
    assert document_state(document=statement).needs_reissue


def test_expense_on_a_mission_deleted_meanwhile_is_refused_with_a_clear_error(world, documents_dir):
    from livrables.models import Expense

    mission = mission_create(
        actor=world.coordinator,
        formation=world.formation,
        name="Comité",
        start_date=D(2021, 10, 1),
        end_date=D(2021, 10, 1),
    )
    Mission.objects.filter(pk=mission.pk).delete()  # by another request, after the form
    with pytest.raises(LivrablesError) as refused:
        add(world.formation, world.coordinator, mission=mission)
    assert refused.value.code == "mission_deleted"
    assert "Cette mission vient d'être supprimée" in refused.value.message
    assert not Expense.objects.exists()
