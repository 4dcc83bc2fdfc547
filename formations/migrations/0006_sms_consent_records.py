# Consent records per channel and purpose (formations.consent) and SMS provider events.
# The single box « accepte d'être recontacté·e » becomes, where it was ticked, an e-mail
# consent for evaluation follow-up with wording version « v0 (case à cocher d'origine) »,
# dated the participant's last change (the latest date the box can have been ticked),
# method « migration ». The box itself is removed by 0007.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LEGACY_WORDING_VERSION = "v0 (case à cocher d'origine)"
LEGACY_NOTE = (
    "Case « accepte d'être recontacté·e » cochée (« pour les évaluations à froid et le "
    "suivi après la formation »)."
)


def consents_from_box(apps, schema_editor):
    Participant = apps.get_model("formations", "Participant")
    ContactConsent = apps.get_model("formations", "ContactConsent")
    batch = []
    for participant in (
        Participant.objects.filter(contact_consent=True).only("pk", "updated_at").iterator()
    ):
        batch.append(
            ContactConsent(
                participant_id=participant.pk,
                channel="email",
                purpose="evaluation_follow_up",
                action="given",
                wording_version=LEGACY_WORDING_VERSION,
                at=participant.updated_at,
                method="migration",
                note=LEGACY_NOTE,
            )
        )
        if len(batch) >= 1000:
            ContactConsent.objects.bulk_create(batch)
            batch = []
    ContactConsent.objects.bulk_create(batch)


def box_from_consents(apps, schema_editor):
    Participant = apps.get_model("formations", "Participant")
    ContactConsent = apps.get_model("formations", "ContactConsent")
    latest = {}
    for participant_id, action in (
        ContactConsent.objects.filter(channel="email", purpose="evaluation_follow_up")
        .order_by("participant_id", "at", "pk")
        .values_list("participant_id", "action")
    ):
        latest[participant_id] = action
    given = [pk for pk, action in latest.items() if action == "given"]
    Participant.objects.filter(pk__in=given).update(contact_consent=True)


class Migration(migrations.Migration):
    dependencies = [
        ("formations", "0005_outbox"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SmsEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("provider", models.CharField(max_length=30, verbose_name="fournisseur")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("sent", "remis à l'opérateur"),
                            ("delivered", "délivré"),
                            ("failed", "échec"),
                            ("reply", "réponse reçue"),
                            ("unsubscribed", "désinscription (STOP)"),
                            ("other", "autre"),
                        ],
                        max_length=20,
                        verbose_name="statut",
                    ),
                ),
                (
                    "provider_status",
                    models.CharField(
                        blank=True, max_length=40, verbose_name="statut du fournisseur"
                    ),
                ),
                (
                    "message_id",
                    models.CharField(
                        blank=True,
                        db_index=True,
                        max_length=64,
                        verbose_name="identifiant chez le fournisseur",
                    ),
                ),
                ("phone", models.CharField(blank=True, max_length=30, verbose_name="téléphone")),
                ("text", models.TextField(blank=True, verbose_name="texte")),
                (
                    "occurred_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="survenu le"),
                ),
                ("received_at", models.DateTimeField(auto_now_add=True, verbose_name="reçu le")),
                ("payload", models.JSONField(default=dict, verbose_name="données reçues")),
                ("dedupe_key", models.CharField(editable=False, max_length=64, unique=True)),
            ],
            options={
                "verbose_name": "événement SMS",
                "verbose_name_plural": "événements SMS",
                "ordering": ["-received_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ContactConsent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("email", "e-mail"), ("sms", "SMS")],
                        max_length=10,
                        verbose_name="canal",
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        choices=[
                            ("evaluation_follow_up", "suivi des évaluations"),
                            ("news_campaigns", "actualités et campagnes"),
                        ],
                        max_length=30,
                        verbose_name="finalité",
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[("given", "accordé"), ("withdrawn", "retiré")],
                        max_length=10,
                        verbose_name="action",
                    ),
                ),
                (
                    "wording_version",
                    models.CharField(
                        blank=True,
                        help_text="Le texte accepté par la personne (voir formations.consent.WORDINGS).",
                        max_length=80,
                        verbose_name="version du texte",
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="date"
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="enregistré le"),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("paper", "bulletin papier signé"),
                            ("written", "demande écrite de la personne (e-mail, courrier)"),
                            ("oral", "accord ou refus oral, noté par l'équipe"),
                            ("import", "fichier importé (recueilli par la structure)"),
                            ("web_link", "lien personnel envoyé à la personne"),
                            ("sms_stop", "réponse STOP à un SMS"),
                            (
                                "migration",
                                "reprise de l'ancienne case « accepte d'être recontacté·e »",
                            ),
                        ],
                        max_length=20,
                        verbose_name="comment",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=255, verbose_name="précision")),
                (
                    "collected_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recueilli par",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consents",
                        to="formations.participant",
                        verbose_name="participant·e",
                    ),
                ),
            ],
            options={
                "verbose_name": "consentement",
                "verbose_name_plural": "consentements",
                "ordering": ["participant", "channel", "purpose", "at", "pk"],
                "indexes": [
                    models.Index(
                        fields=["participant", "channel", "purpose", "at"],
                        name="formations__partici_e46503_idx",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("action", "withdrawn"),
                            models.Q(("wording_version", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="consent_given_names_its_wording",
                        violation_error_message="Un consentement donné indique la version du texte.",
                    )
                ],
            },
        ),
        migrations.RunPython(consents_from_box, box_from_consents),
    ]
