"""`python manage.py load_demo`: the demo of every app, idempotent.

It lives in livrables, the top of the dependency chain, because it is the one app
allowed to call every other app's demo loader."""

from django.conf import settings
from django.core.management.base import BaseCommand

from alertes import demo as alertes_demo
from evaluations import demo as evaluations_demo
from formations import demo as formations_demo
from livrables import demo as livrables_demo
from projects import demo as projects_demo
from sessions import demo as sessions_demo
from sessions.models import Attendance


class Command(BaseCommand):
    help = "Charge (ou met à jour) les programmes de démonstration et affiche les comptes."

    def handle(self, *args, **options):
        loaded = formations_demo.load()
        sessions = sessions_demo.load(
            accounts=loaded["accounts"], coordinator=loaded["accounts"]["coordination"]
        )
        evaluated = evaluations_demo.load(coordinator=loaded["accounts"]["coordination"])
        issued = livrables_demo.load(coordinator=loaded["accounts"]["coordination"])
        deliverables = livrables_demo.load_deliverables(
            coordinator=loaded["accounts"]["coordination"]
        )
        projects = projects_demo.load(accounts=loaded["accounts"])
        # The coordinator's password is the demo's (just set): its hash is reused.
        alertes = alertes_demo.load(password_hash=loaded["accounts"]["coordination"].password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Démo chargée : {len(loaded['programmes'])} programmes, "
                f"{len(loaded['formations'])} formations, {len(loaded['structures'])} structures, "
                f"{len(loaded['participants'])} participant·es, "
                f"{len(sessions)} nouvelles sessions ; feuilles d’émargement émises : "
                f"{issued.sheets} ; certificats d’assiduité de structure émis : "
                f"{issued.structure_certificates} ; livrables attendus définis : {deliverables} ; "
                f"campagnes d’évaluation programmées : {evaluated.campaigns}, "
                f"réponses : {evaluated.responses} ; fiches projet à Mayotte : {projects.fiches} "
                f"({projects.revisions} versions), entrées de suivi : {projects.follow_up}, "
                f"travaux d’intersession : {projects.tasks} ; entrées de journal de bord : "
                f"{projects.journal_entries} ; Alertes : {alertes.members} adhérent·es dans "
                f"{alertes.structures} centres sociaux, {alertes.steps} nouvelles démarches, "
                f"{alertes.campaigns} nouvelles campagnes, {alertes.messages} messages envoyés."
            )
        )
        self.stdout.write(
            f"\nComptes de démonstration (mot de passe : {formations_demo.DEMO_PASSWORD}) :"
        )
        for account in [*formations_demo.DEMO_ACCOUNTS, *alertes_demo.DEMO_ACCOUNTS]:
            self.stdout.write(f"  {account.username:<14} {account.description}")
        self.stdout.write(f"\nOuvrez {settings.SUIVI_BASE_URL}/ et connectez-vous.")
        # The participant's space: a person who has signed half-days, reached by the
        # one-time link that the outbox page (« Envois ») shows in the demo.
        signed = Attendance.objects.order_by("enrolment__participant_id").first()
        if signed is not None:
            email = signed.enrolment.participant.email
            self.stdout.write(
                f"\nEspace participant·e : ouvrez {settings.SUIVI_BASE_URL}/mon-espace/connexion/, "
                f"demandez un lien pour {email}, puis ouvrez-le depuis Envois (compte "
                "coordination)."
            )
