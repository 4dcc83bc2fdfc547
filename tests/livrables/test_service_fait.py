import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from formations.models import Formation, Funder, User
from livrables.exceptions import LivrablesError
from livrables.service_fait import DAY_DELIVERED, DAY_PARTIAL, DAY_PENDING, service_fait_statement
from livrables.services_claims import record_claim, record_payment
from sessions.models import Seal
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend, make_slot

OCTOBER = (dt.date(2021, 10, 1), dt.date(2021, 10, 31))
_sequence = iter(range(1, 10_000))


def seal(slot, user):
    Seal.objects.create(
        slot=slot,
        session=slot.session,
        sequence=next(_sequence),
        previous_digest="",
        digest=f"{next(_sequence):064x}",
        record_digests={},
        sealed_at=slot.ends_at + dt.timedelta(minutes=5),
        sealed_by=user,
    )


@dataclass
class World:
    formation: Formation
    coordinator: User
    funder: Funder
    session: object


def build_world(**formation_fields) -> World:
    """One session of two participants in October 2021:

    * 4 Oct, 09:00–12:30 and 13:30–17:00 (7 h), sealed: A present twice (420 min), B present
      then late with 150 min attended (360 min) → delivered day, 780 trainee-minutes;
    * 5 Oct, 09:00–12:00 (3 h), sealed: A present (180), B absent → partial day (6 h minimum);
    * 6 Oct, 09:00–12:30 countersigned but not sealed, A present → pending, counts 0;
    * 7 Oct, 09:00–12:30 sealed without countersignature, A present and signed → counts 0.
    """
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    funder = FunderFactory(name="FEDER", kind=Funder.Kind.FEDER)
    programme = ProgrammeFactory()
    programme.funders.add(funder)
    fields = {"amount": Decimal("25000"), "min_hours_per_day": Decimal("6"), **formation_fields}
    formation = FormationFactory(programme=programme, **fields)
    session = TrainingSessionFactory(formation=formation, code="S1")
    a = EnrolmentFactory(session=session)
    b = EnrolmentFactory(session=session)
    t = dt.time
    d4m = make_slot(session, dt.date(2021, 10, 4), t(9), t(12, 30))
    d4a = make_slot(session, dt.date(2021, 10, 4), t(13, 30), t(17))
    d5m = make_slot(session, dt.date(2021, 10, 5), t(9), t(12))
    d6m = make_slot(session, dt.date(2021, 10, 6), t(9), t(12, 30))
    d7m = make_slot(session, dt.date(2021, 10, 7), t(9), t(12, 30), countersigned=False)
    attend(a, d4m)
    attend(a, d4a)
    attend(b, d4m)
    attend(b, d4a, "late", minutes=150)
    attend(a, d5m)
    attend(b, d5m, "absent", signed=False)
    attend(a, d6m)
    attend(a, d7m)
    for slot in (d4m, d4a, d5m, d7m):
        seal(slot, coordinator)
    return World(formation, coordinator, funder, session)


def statement(world, period=OCTOBER):
    return service_fait_statement(
        formation=world.formation, period_start=period[0], period_end=period[1]
    )


@pytest.mark.django_db
def test_per_day_counts_delivered_days_only_and_derives_ht_from_ttc():
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount_includes_vat=True,
        vat_rate=Decimal("20"),
    )
    result = statement(world)
    states = {d.date.day: d.state for d in result.days}
    assert states == {4: DAY_DELIVERED, 5: DAY_PARTIAL, 6: DAY_PENDING, 7: DAY_PARTIAL}
    partial = next(d for d in result.days if d.date.day == 5)
    assert partial.planned_minutes == 180
    assert result.units == 1
    assert result.gross.ttc == Decimal("1250.00")
    assert result.gross.ht == Decimal("1041.67")  # 1250 / 1.2, rounded half-up
    assert result.claimable.ttc == Decimal("1250.00")
    assert [h.date.day for h in result.pending_half_days] == [6]


@pytest.mark.django_db
def test_per_day_is_capped_by_the_contract_amount():
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount=Decimal("1000"),
        min_hours_per_day=None,
    )
    result = statement(world)
    # Without a minimum, 4, 5 and 7 October are delivered (all sealed): 3 × 1250 > 1000.
    assert result.units == 3
    assert result.gross.ht == Decimal("1000.00")
    assert result.gross.ttc == Decimal("1200.00")


@pytest.mark.django_db
def test_per_trainee_hour_counts_signed_and_countersigned_sealed_hours():
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR,
        unit_price=Decimal("30"),
        amount_includes_vat=False,
        vat_rate=Decimal("20"),
    )
    result = statement(world)
    # 780 (4 Oct) + 180 (5 Oct); the pending 6 Oct and the uncountersigned 7 Oct count 0.
    assert result.realised_minutes == 960
    assert result.gross.ht == Decimal("480.00")
    assert result.gross.ttc == Decimal("576.00")


@pytest.mark.django_db
def test_half_day_without_countersignature_counts_zero():
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR, unit_price=Decimal("30")
    )
    result = statement(world, (dt.date(2021, 10, 7), dt.date(2021, 10, 7)))
    (half_day,) = result.half_days
    assert half_day.sealed and not half_day.countersigned
    assert half_day.realised_minutes == 0
    assert result.gross.ht == Decimal("0.00")


@pytest.mark.django_db
def test_global_counts_fully_sealed_sessions_by_their_last_day():
    world = build_world(
        pricing_mode=Formation.PricingMode.GLOBAL,
        amount=Decimal("6082"),
        planned_units=Decimal("2"),
        amount_includes_vat=True,
        vat_rate=Decimal("0"),
    )
    assert statement(world).units == 0  # S1 still has a half-day to seal
    done = TrainingSessionFactory(formation=world.formation, code="S2")
    slot = make_slot(done, dt.date(2021, 10, 12), dt.time(9), dt.time(12))
    seal(slot, world.coordinator)
    result = statement(world)
    assert result.sessions_completed == ("S2",)
    assert result.gross.ttc == Decimal("3041.00")
    assert result.gross.ht == Decimal("3041.00")  # VAT 0 %: HT = TTC


@pytest.mark.django_db
def test_already_claimed_periods_are_subtracted():
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR, unit_price=Decimal("30")
    )
    record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 4),
        amount=Decimal("390"),
        sent_on=dt.date(2021, 11, 2),
        actor=world.coordinator,
    )
    result = statement(world)
    assert result.already_claimed_in_period.ht == Decimal("390.00")
    assert result.claimable.ht == Decimal("90.00")
    assert result.claims.claimed.ttc == Decimal("468.00")


@pytest.mark.django_db
def test_statement_queries_do_not_grow_with_half_days(django_assert_max_num_queries):
    world = build_world(pricing_mode=Formation.PricingMode.PER_DAY, unit_price=Decimal("100"))
    with django_assert_max_num_queries(25) as small:
        statement(world)
    for day in range(11, 25):
        slot = make_slot(world.session, dt.date(2021, 10, day), dt.time(9), dt.time(17))
        seal(slot, world.coordinator)
    with django_assert_max_num_queries(len(small.captured_queries)):
        statement(world)


@pytest.mark.django_db
def test_claim_refuses_overlap_reversed_period_negative_amount_and_non_coordinators():
    world = build_world(pricing_mode=Formation.PricingMode.PER_DAY, unit_price=Decimal("100"))
    base = {
        "formation": world.formation,
        "sent_on": dt.date(2021, 11, 2),
        "actor": world.coordinator,
    }
    record_claim(
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 15),
        amount=Decimal("100"),
        **base,
    )
    cases = [
        (
            {"period_start": dt.date(2021, 10, 15), "period_end": dt.date(2021, 10, 31)},
            "period_overlap",
        ),
        (
            {"period_start": dt.date(2021, 10, 31), "period_end": dt.date(2021, 10, 16)},
            "period_reversed",
        ),
        (
            {
                "period_start": dt.date(2021, 10, 16),
                "period_end": dt.date(2021, 10, 31),
                "amount": Decimal("-5"),
            },
            "invalid_amount",
        ),
    ]
    for fields, code in cases:
        with pytest.raises(LivrablesError) as error:
            record_claim(**{"amount": Decimal("100"), **base, **fields})
        assert error.value.code == code
    with pytest.raises(LivrablesError) as error:
        record_claim(
            **{**base, "actor": UserFactory(role=User.Role.FUNDER_AUDITOR)},
            period_start=dt.date(2021, 10, 16),
            period_end=dt.date(2021, 10, 31),
            amount=Decimal("100"),
        )
    assert error.value.code == "not_allowed"


@pytest.mark.django_db
def test_claim_refuses_a_period_outside_execution_and_more_than_the_contract():
    """A funder pays within the contract: a claim outside its execution period or beyond
    its amount (all claims together) is a typing error, refused with the figures."""
    world = build_world(pricing_mode=Formation.PricingMode.PER_DAY, unit_price=Decimal("100"))
    world.formation.start_date = dt.date(2021, 9, 1)
    world.formation.end_date = dt.date(2021, 12, 31)
    world.formation.save()
    base = {
        "formation": world.formation,
        "sent_on": dt.date(2021, 11, 2),
        "actor": world.coordinator,
    }

    with pytest.raises(LivrablesError) as error:
        record_claim(
            period_start=dt.date(2030, 1, 1),
            period_end=dt.date(2030, 2, 1),
            amount=Decimal("100"),
            **base,
        )
    assert error.value.code == "outside_execution"
    assert "01/09/2021 – 31/12/2021" in error.value.message

    record_claim(
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 15),
        amount=Decimal("24000"),
        **base,
    )
    with pytest.raises(LivrablesError) as error:
        record_claim(
            period_start=dt.date(2021, 10, 16),
            period_end=dt.date(2021, 10, 31),
            amount=Decimal("1000.01"),
            **base,
        )
    assert error.value.code == "over_contract"
    assert "25\u202f000,01 €" in error.value.message
    # Exactly what remains is accepted.
    record_claim(
        period_start=dt.date(2021, 10, 16),
        period_end=dt.date(2021, 10, 31),
        amount=Decimal("1000"),
        **base,
    )


@pytest.mark.django_db
def test_payment_recorded_and_still_due():
    world = build_world(pricing_mode=Formation.PricingMode.PER_DAY, unit_price=Decimal("100"))
    claim = record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 31),
        amount=Decimal("1000"),
        sent_on=dt.date(2021, 11, 2),
        actor=world.coordinator,
    )
    record_payment(
        formation=world.formation,
        claim=claim,
        received_on=dt.date(2021, 12, 20),
        amount=Decimal("700"),
        funder=world.funder,
        actor=world.coordinator,
    )
    result = statement(world)
    assert result.claims.paid == Decimal("700")
    assert result.claims.still_due == Decimal("500.00")  # 1200 TTC claimed − 700
    other = FunderFactory(name="Région", kind=Funder.Kind.REGION)
    for fields, code in [
        ({"funder": other}, "wrong_funder"),
        ({"amount": Decimal("0")}, "invalid_amount"),
    ]:
        with pytest.raises(LivrablesError) as error:
            record_payment(
                **{
                    "formation": world.formation,
                    "received_on": dt.date(2021, 12, 21),
                    "amount": Decimal("10"),
                    "funder": world.funder,
                    "actor": world.coordinator,
                    **fields,
                }
            )
        assert error.value.code == code
    assert timezone.now()


@pytest.mark.django_db
def test_issued_statement_is_registered_and_says_the_amounts(documents_dir):
    from livrables.models import IssuedDocument
    from livrables.selectors import issued_file
    from livrables.services_claims import issue_service_fait_statement
    from tests.factories import ProviderIdentityFactory
    from tests.livrables.conftest import pdf_text

    ProviderIdentityFactory()
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount_includes_vat=True,
    )
    record = issue_service_fait_statement(
        formation=world.formation,
        period_start=OCTOBER[0],
        period_end=OCTOBER[1],
        actor=world.coordinator,
    )
    assert record.kind == IssuedDocument.Kind.SERVICE_FAIT_STATEMENT
    assert record.formation == world.formation
    assert (record.covers_from, record.covers_to) == OCTOBER
    content = issued_file(document=record).content
    text = pdf_text(content)
    assert record.number in text
    assert "1 250,00 €" in text and "1 041,67 €" in text
    assert "Demi-journées en attente de scellement" in text
    assert "partielle" in text
    again = issue_service_fait_statement(
        formation=world.formation,
        period_start=OCTOBER[0],
        period_end=OCTOBER[1],
        actor=world.coordinator,
    )
    assert again.number != record.number
    with pytest.raises(LivrablesError) as error:
        issue_service_fait_statement(
            formation=world.formation,
            period_start=OCTOBER[0],
            period_end=OCTOBER[1],
            actor=UserFactory(role=User.Role.TRAINER),
        )
    assert error.value.code == "not_allowed"


@pytest.fixture
def sf_world(db):
    return build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount_includes_vat=True,
    )


def _formation_page(client, world):
    from django.urls import reverse

    return client.get(
        reverse("formations:formation_detail", args=[world.formation.pk]),
        {"sf_du": "2021-10-01", "sf_au": "2021-10-31"},
    )


@pytest.mark.django_db
def test_panel_coordinator_writes_auditor_reads_trainer_sees_nothing(client, sf_world):
    client.force_login(sf_world.coordinator)
    page = _formation_page(client, sf_world).content.decode()
    assert "Service fait" in page and "Enregistrer la demande" in page
    assert "1\u202f041,67\u00a0€ HT" in page

    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(sf_world.funder)
    client.force_login(auditor)
    page = _formation_page(client, sf_world).content.decode()
    assert "Montant à demander" in page
    assert "Enregistrer la demande" not in page and "Émettre l'état" not in page

    trainer = UserFactory(role=User.Role.TRAINER)
    sf_world.session.trainers.add(trainer)
    client.force_login(trainer)
    response = _formation_page(client, sf_world)
    assert response.status_code == 200
    assert "Montant à demander" not in response.content.decode()


@pytest.mark.django_db
def test_claim_through_the_page_and_auditor_may_not_post(client, sf_world):
    from django.urls import reverse

    from livrables.models import ServiceFaitClaim

    url = reverse("livrables:service_fait_claim", args=[sf_world.formation.pk])
    data = {
        "period_start": "2021-10-01",
        "period_end": "2021-10-31",
        "amount": "1250",
        "sent_on": "2021-11-02",
    }
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(sf_world.funder)
    client.force_login(auditor)
    assert client.post(url, data).status_code == 403
    client.force_login(sf_world.coordinator)
    client.post(url, data)
    claim = ServiceFaitClaim.objects.get()
    assert (claim.amount_ttc, claim.amount_ht) == (Decimal("1250.00"), Decimal("1041.67"))
    response = client.post(
        url, {**data, "period_start": "2021-10-31", "period_end": "2021-10-01"}, follow=True
    )
    assert "La période est inversée" in response.content.decode()
    response = client.post(url, {**data, "amount": "-3"}, follow=True)
    assert ServiceFaitClaim.objects.count() == 1
    response = client.post(url, data, follow=True)
    assert "chevauche une demande déjà envoyée" in response.content.decode()
    page = _formation_page(client, sf_world).content.decode()
    assert "Reste dû" in page and "1\u202f250,00\u00a0€" in page


@pytest.mark.django_db
def test_xlsx_lists_days_pending_and_amounts(client, sf_world):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(sf_world.funder)
    client.force_login(auditor)
    response = client.get(
        reverse("livrables:service_fait_xlsx", args=[sf_world.formation.pk]),
        {"du": "2021-10-01", "au": "2021-10-31"},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    claimable = next(r for r in rows if r[0] == "Montant à demander")
    assert (claimable[6], claimable[7]) == (1041.67, 1250)
    assert sum(1 for r in rows if r[0] == "Journée") == 4
    assert sum(1 for r in rows if r[0] == "En attente de scellement") == 1
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF", kind="caf"))
    client.force_login(other)
    response = client.get(
        reverse("livrables:service_fait_xlsx", args=[sf_world.formation.pk]),
        {"du": "2021-10-01", "au": "2021-10-31"},
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_issued_statement_is_flagged_to_reissue_when_its_period_moves(client, documents_dir):
    from django.urls import reverse

    from livrables.models import IssuedDocument
    from livrables.selectors import document_state
    from livrables.services_claims import issue_service_fait_statement
    from sessions.models import Attendance, Rectification
    from tests.factories import ProviderIdentityFactory

    ProviderIdentityFactory()
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount_includes_vat=True,
    )
    issued_at = timezone.now() - dt.timedelta(days=2)

    def issue(period, now=issued_at):
        return issue_service_fait_statement(
            formation=world.formation,
            period_start=period[0],
            period_end=period[1],
            actor=world.coordinator,
            now=now,
        )

    october = issue(OCTOBER)
    november = issue((dt.date(2021, 11, 1), dt.date(2021, 11, 30)))
    assert not document_state(document=october).needs_reissue

    # The pending 6 October half-day is sealed after the issue: October's units change.
    pending = world.session.slots.get(starts_at__day=6)
    seal(pending, world.coordinator)
    Seal.objects.filter(slot=pending).update(sealed_at=issued_at + dt.timedelta(hours=1))
    assert document_state(document=october).needs_reissue
    assert not document_state(document=november).needs_reissue

    client.force_login(world.coordinator)
    page = client.get(
        reverse("formations:formation_detail", args=[world.formation.pk])
    ).content.decode()
    assert "à rééditer" in page
    assert "une demi-journée de la période a été scellée ou rectifiée" in page

    # Reissued: the new statement stands and is up to date.
    again = issue(OCTOBER, now=issued_at + dt.timedelta(hours=2))
    assert not document_state(document=again).needs_reissue

    # A rectification of a half-day of the period, after the reissue, flags it again.
    attendance = Attendance.objects.filter(slot__starts_at__day=4).first()
    Rectification.objects.create(
        attendance=attendance,
        old_values={"status": "present"},
        new_values={"status": "absent"},
        reason="Erreur de saisie",
        author=world.coordinator,
        created_at=issued_at + dt.timedelta(hours=3),
    )
    assert document_state(document=again).needs_reissue
    assert (
        IssuedDocument.objects.filter(kind=IssuedDocument.Kind.SERVICE_FAIT_STATEMENT).count() == 3
    )


@pytest.mark.django_db
def test_claim_only_partly_in_the_period_gives_no_amount_and_cannot_be_issued(
    client, documents_dir
):
    from django.urls import reverse

    from livrables.models import IssuedDocument
    from livrables.services_claims import issue_service_fait_statement
    from tests.factories import ProviderIdentityFactory

    ProviderIdentityFactory()
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR, unit_price=Decimal("30")
    )
    # Claimed: 4 October only (780 trainee-minutes = 390 €), then nothing else.
    record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 10, 4),
        period_end=dt.date(2021, 10, 4),
        amount=Decimal("390"),
        sent_on=dt.date(2021, 11, 2),
        actor=world.coordinator,
    )
    # 4–31 October holds the claim whole: subtracted, 5 October's 90 € left to claim.
    whole = statement(world, (dt.date(2021, 10, 4), dt.date(2021, 10, 31)))
    assert (whole.already_claimed_in_period.ht, whole.claimable.ht) == (
        Decimal("390.00"),
        Decimal("90.00"),
    )
    assert whole.claims_problem == ""

    # A claim of 5–10 October lies only partly in 1–7 October: nothing says how much of
    # its amount 5–7 October was worth, so no amount to claim is stated.
    record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 10, 5),
        period_end=dt.date(2021, 10, 10),
        amount=Decimal("90"),
        sent_on=dt.date(2021, 11, 2),
        actor=world.coordinator,
    )
    partial = statement(world, (dt.date(2021, 10, 1), dt.date(2021, 10, 7)))
    assert partial.gross.ht == Decimal("480.00")  # the service fait itself is still shown
    assert partial.claimable is None
    assert "du 05/10/2021 au 10/10/2021" in partial.claims_problem
    assert "par exemple du 01/10/2021 au 10/10/2021" in partial.claims_problem
    assert "commence après le 10/10/2021" in partial.claims_problem

    with pytest.raises(LivrablesError) as refused:
        issue_service_fait_statement(
            formation=world.formation,
            period_start=dt.date(2021, 10, 1),
            period_end=dt.date(2021, 10, 7),
            actor=world.coordinator,
        )
    assert refused.value.code == "claim_straddles_period"
    assert not IssuedDocument.objects.exists()

    client.force_login(world.coordinator)
    page = client.get(
        reverse("formations:formation_detail", args=[world.formation.pk]),
        {"sf_du": "2021-10-01", "sf_au": "2021-10-07"},
    ).content.decode()
    assert "période à revoir" in page
    assert "ne tombe qu" in page and "du 05/10/2021 au 10/10/2021" in page


@pytest.mark.django_db
def test_several_claims_partly_in_the_period_are_told_in_the_plural():
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR, unit_price=Decimal("30")
    )
    for start, end in ((4, 5), (6, 10)):
        record_claim(
            formation=world.formation,
            period_start=dt.date(2021, 10, start),
            period_end=dt.date(2021, 10, end),
            amount=Decimal("10"),
            sent_on=dt.date(2021, 11, 2),
            actor=world.coordinator,
        )
    problem = statement(world, (dt.date(2021, 10, 5), dt.date(2021, 10, 7))).claims_problem
    assert problem.startswith(
        "Des demandes de paiement déjà envoyées (du 04/10/2021 au 05/10/2021, du 06/10/2021 "
        "au 10/10/2021) ne tombent qu'en partie dans cette période"
    )
    assert "une période qui les contient entières (par exemple du 04/10/2021 au 10/10/2021)" in (
        problem
    )
