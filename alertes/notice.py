"""The « notice d'utilisation » of Alertes (seed 002's first deliverable: « une notice
d'utilisation des nouvelles fonctionnalités… détaillée et suffisante », carrying the FEDER
publicity): ONE source of content, structured sections, rendered as the page
(`alertes:notice`, `templates/alertes/notice.html`) and as the PDF (`alertes:notice_pdf`,
drawn by the renderer livrables registers in `PDF_RENDERERS`: alertes never imports
livrables, whose PDF conventions — fonts, EU emblem, page x / y — it uses that way).

The publicity is data: the sentences of the EU-funded programmes the structure is a partner
of (`formations.publicity`), else the sentence seed 002 prescribes for its 2014-2020
FEDER operation (`DEFAULT_SENTENCE`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from formations.models import Structure
from formations.publicity import EuPublicity, structure_eu_publicity

# Seed 002, « Obligations en matière de publicité »: the FEDER 2014-2020 sentence.
DEFAULT_SENTENCE = "Ce projet est cofinancé par l'Union Européenne avec le FEDER"


@dataclass(frozen=True)
class Block:
    """A paragraph (`items` holds one text), a bulleted list or numbered steps."""

    kind: str  # "p", "list", "steps", "note"
    items: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class NoticeData:
    """Everything the PDF prints: no ORM behind it."""

    title: str
    subtitle: str
    structure_name: str
    publicity: tuple[EuPublicity, ...]
    sections: tuple[Section, ...]


# The PDF renderer, `render(data: NoticeData) -> bytes`, registered by livrables.
PDF_RENDERERS: list[Callable[[NoticeData], bytes]] = []


def register_pdf_renderer(render: Callable[[NoticeData], bytes]) -> None:
    if render not in PDF_RENDERERS:
        PDF_RENDERERS.clear()
        PDF_RENDERERS.append(render)


def _p(text: str) -> Block:
    return Block("p", (text,))


def _list(*items: str) -> Block:
    return Block("list", items)


def _steps(*items: str) -> Block:
    return Block("steps", items)


def _note(text: str) -> Block:
    return Block("note", (text,))


def notice_sections() -> tuple[Section, ...]:
    """The guide, in the order a new team discovers the tool."""
    return (
        Section(
            "presentation",
            _("À quoi sert Alertes"),
            (
                _p(
                    _(
                        "Alertes aide les référentes familles, animateur·rices et travailleur·ses "
                        "sociaux d'un centre social à accompagner les adhérent·es dans leurs "
                        "démarches administratives : chaque personne reçoit, par SMS ou par "
                        "e-mail, un rappel des dates qui la concernent (actualisation France "
                        "Travail, rendez-vous CAF, renouvellement d'un titre de séjour…) et, si "
                        "elle l'a accepté, les actualités de la structure qui correspondent à "
                        "ses besoins."
                    )
                ),
                _p(
                    _(
                        "L'outil ne remplace pas le travail social et ne sert pas à des envois "
                        "massifs : une campagne vise toujours des groupes ou des personnes "
                        "choisies, jamais « tous les adhérents »."
                    )
                ),
                _p(
                    _(
                        "Le menu de la structure donne accès à chaque partie : Accueil, "
                        "Adhérent·es, Groupes, Cette semaine (les démarches de la semaine), "
                        "Campagnes, Statistiques, Équipe (administrateur·rice seulement) et "
                        "cette Notice. Le logo en haut de chaque page ramène à l'accueil."
                    )
                ),
            ),
        ),
        Section(
            "comptes",
            _("Comptes et accès de l'équipe"),
            (
                _list(
                    _(
                        "Les coordinateur·rices (administrateurs généraux) voient toutes les "
                        "structures et créent le compte administrateur de chaque structure."
                    ),
                    _(
                        "L'administrateur·rice d'une structure crée, désactive et réactive les "
                        "comptes de son équipe (animateur·rices, travailleur·ses sociaux) dans "
                        "l'onglet « Équipe ». Un compte désactivé ne peut plus se connecter ; "
                        "son historique est conservé."
                    ),
                    _("Les membres de l'équipe voient et agissent uniquement dans leur structure."),
                ),
                _steps(
                    _("Ouvrez l'onglet « Équipe », puis « Créer un compte »."),
                    _(
                        "Saisissez le nom, le prénom et l'adresse e-mail de la personne : elle "
                        "reçoit un lien pour choisir son mot de passe."
                    ),
                    _("Pour retirer l'accès, choisissez « Désactiver » sur sa ligne."),
                ),
            ),
        ),
        Section(
            "inscription",
            _("Inscrire un·e adhérent·e"),
            (
                _p(
                    _(
                        "La fiche d'un·e adhérent·e comprend : nom, prénom, adresse e-mail, "
                        "téléphone, date de naissance (l'âge est affiché et sert aux "
                        "statistiques), adresse, type (habitant·e, bénévole, partenaire), "
                        "groupes et accords de contact."
                    )
                ),
                _steps(
                    _("Ouvrez « Adhérent·es », puis « Inscrire un·e adhérent·e »."),
                    _(
                        "Remplissez la fiche ; le téléphone peut être saisi comme on le dit "
                        "(06 12 34 56 78) : il est enregistré au format international."
                    ),
                    _("Cochez dès l'inscription le ou les groupes de la personne."),
                    _(
                        "Si la personne l'accepte, cochez la case « J'accepte que le centre "
                        "social m'envoie des SMS et des newsletters pour m'informer de "
                        "l'actualité de la structure », canal par canal."
                    ),
                    _(
                        "Validez : vous revenez à la page d'accueil, comme le demande le cahier "
                        "des charges."
                    ),
                ),
                _p(
                    _(
                        "Personne déjà connue : si la structure suit déjà quelqu'un avec la "
                        "même adresse e-mail, le même téléphone, ou les mêmes nom, prénom et "
                        "date de naissance, rien n'est créé et vous êtes conduit·e à sa fiche "
                        "existante."
                    )
                ),
                _p(
                    _(
                        "Les listes sont classées par ordre alphabétique, accents compris (« "
                        "Élodie » entre « Eddy » et « Emma »)."
                    )
                ),
            ),
        ),
        Section(
            "import",
            _("Importer une liste d'adhérent·es (CSV ou Excel)"),
            (
                _p(
                    _(
                        "Pour reprendre un fichier existant, « Importer » accepte un fichier "
                        "CSV ou Excel (.xlsx) : une ligne par personne, avec les colonnes nom, "
                        "prénom, e-mail, téléphone, date de naissance et groupes (plusieurs "
                        "groupes séparés par des virgules)."
                    )
                ),
                _steps(
                    _("Choisissez le fichier : l'application montre un aperçu ligne par ligne."),
                    _(
                        "Les lignes en erreur (date illisible, téléphone invalide) sont "
                        "signalées avec leur motif ; les personnes déjà connues de la "
                        "structure ne sont pas créées une seconde fois."
                    ),
                    _("Confirmez l'import : le compte rendu indique ce qui a été créé."),
                ),
                _note(
                    _(
                        "Un import n'enregistre aucun accord de contact : l'accord se recueille "
                        "auprès de la personne elle-même."
                    )
                ),
            ),
        ),
        Section(
            "groupes",
            _("Les groupes"),
            (
                _p(
                    _(
                        "Chaque structure crée ses propres groupes selon ses projets (petite "
                        "enfance, jeunesse, RSA, culture…). Une personne peut appartenir à "
                        "plusieurs groupes. Une structure ne voit jamais les groupes des "
                        "autres."
                    )
                ),
                _steps(
                    _("Ouvrez « Groupes », puis « Créer un groupe » et donnez-lui un nom."),
                    _("Renommez ou supprimez un groupe depuis sa ligne."),
                    _("Ajoutez des personnes depuis leur fiche ou dès leur inscription."),
                ),
            ),
        ),
        Section(
            "accords",
            _("Accords de contact et retrait"),
            (
                _p(
                    _(
                        "Rien n'est envoyé sans accord. L'accord aux actualités de la structure "
                        "se donne canal par canal (SMS, e-mail). Chaque accord est enregistré "
                        "avec le texte exact accepté et sa version, la date, la personne qui "
                        "l'a recueilli et la façon (papier, oral, en ligne)."
                    )
                ),
                _p(
                    _(
                        "Les rappels de démarches sont un service que la personne demande : "
                        "ils sont enregistrés comme une demande (« rappels demandés »), "
                        "séparément des actualités."
                    )
                ),
                _p(_("La personne peut retirer son accord à tout moment :")),
                _list(
                    _("depuis sa fiche, onglet « Accords », par un membre de l'équipe ;"),
                    _("par le lien de désinscription présent dans chaque e-mail ;"),
                    _("en répondant STOP à un SMS ;"),
                    _("depuis son espace personnel."),
                ),
                _p(
                    _(
                        "Après un retrait, plus rien n'est envoyé sur ce canal, y compris les "
                        "campagnes déjà programmées. L'historique des accords reste visible "
                        "sur la fiche."
                    )
                ),
            ),
        ),
        Section(
            "demarches",
            _("Dates administratives et rappels"),
            (
                _p(
                    _(
                        "Sur la fiche d'un·e adhérent·e, « Ajouter une démarche » enregistre "
                        "une date à ne pas manquer : l'intitulé (actualisation France Travail, "
                        "rendez-vous CAF…), la catégorie, la date, la répétition (une fois, "
                        "chaque mois, chaque année, jusqu'à une date facultative), la personne "
                        "de l'équipe qui la suit, et le rappel : combien de jours avant, par "
                        "SMS et/ou par e-mail."
                    )
                ),
                _p(
                    _(
                        "Les rappels partent automatiquement, une seule fois par échéance et "
                        "par canal, même pour une démarche mensuelle, à partir de 9 h (heure "
                        "de la structure) et jamais entre 20 h et 8 h. Ils ne partent que si "
                        "la personne a demandé des rappels sur ce canal ; chaque e-mail de "
                        "rappel porte un lien pour les arrêter, chaque SMS invite à le "
                        "demander à la structure."
                    )
                ),
                _p(
                    _(
                        "L'onglet « Cette semaine » liste les démarches de la semaine des "
                        "personnes que vous suivez. Une démarche terminée s'arrête par "
                        "« Arrêter » : son historique est conservé."
                    )
                ),
            ),
        ),
        Section(
            "campagnes",
            _("Campagnes de SMS et d'e-mails"),
            (
                _steps(
                    _("Ouvrez « Campagnes », puis « Nouvelle campagne »."),
                    _(
                        "Donnez un titre et une catégorie (actualité, sortie, atelier, accès "
                        "aux droits…)."
                    ),
                    _(
                        "Rédigez le message ; « {prénom} » est remplacé par le prénom de chaque "
                        "destinataire. Pour l'e-mail, ajoutez un objet."
                    ),
                    _("Choisissez les canaux : SMS, e-mail ou les deux."),
                    _("Choisissez un ou plusieurs groupes, ou des personnes précises."),
                    _(
                        "Indiquez la date et l'heure d'envoi (heure de la structure), puis "
                        "vérifiez l'aperçu des destinataires : les personnes sans accord sur "
                        "un canal sont listées à part et ne reçoivent rien sur ce canal."
                    ),
                    _("Enregistrez : la campagne est programmée et part à l'heure dite."),
                ),
                _p(
                    _(
                        "Le compteur de SMS : sous le message, l'éditeur affiche le nombre de "
                        "caractères et de SMS facturés. Un SMS compte 160 caractères de "
                        "l'alphabet GSM ; un seul caractère hors de cet alphabet (ê, œ, ë…) "
                        "fait passer tout le message en Unicode, limité à 70 caractères. Un "
                        "message plus long est découpé en parties de 153 (ou 67) caractères. "
                        "Le compteur nomme les caractères responsables et tient compte du "
                        "prénom le plus coûteux parmi les destinataires (« Zoë » et « Anaïs » "
                        "passent en Unicode, à cause du ë et du ï ; « Hélène » ou « Noémie » "
                        "non) : remplacer ces caractères peut diviser le coût par deux."
                    )
                ),
                _p(
                    _(
                        "Annuler : une campagne programmée peut être annulée tant qu'elle n'est "
                        "pas partie."
                    )
                ),
                _p(
                    _(
                        "Réutiliser : sur une campagne envoyée, « Réutiliser » crée une "
                        "nouvelle campagne programmée avec le même contenu et les mêmes "
                        "destinataires ; il suffit de choisir la nouvelle date et heure. La "
                        "campagne envoyée reste inchangée."
                    )
                ),
            ),
        ),
        Section(
            "statistiques",
            _("Statistiques"),
            (
                _p(
                    _(
                        "L'onglet « Statistiques » présente, pour la structure seulement, en "
                        "tableaux et en graphiques :"
                    )
                ),
                _list(
                    _("les adhérent·es actif·ves par groupe, par type et par tranche d'âge ;"),
                    _("les accords par canal : donnés, retirés, jamais demandés ;"),
                    _(
                        "les messages des douze derniers mois : en attente, envoyés, délivrés "
                        "(quand l'opérateur le confirme), en échec et abandonnés, par mois, "
                        "par catégorie de campagne et par groupe ;"
                    ),
                    _("les rappels de démarches dus et envoyés, par mois."),
                ),
                _p(
                    _(
                        "« Télécharger les tableaux (CSV) » donne les mêmes chiffres pour un "
                        "tableur."
                    )
                ),
            ),
        ),
        Section(
            "confidentialite",
            _("Confidentialité entre structures"),
            (
                _p(
                    _(
                        "Chaque structure ne voit que ses adhérent·es, ses groupes, ses "
                        "campagnes et ses statistiques. Une personne suivie par deux centres "
                        "sociaux a une fiche dans chacun, et aucun des deux n'apprend que "
                        "l'autre la suit : une inscription ne signale jamais une personne "
                        "connue ailleurs. Les accords donnés à une structure ne valent que "
                        "pour elle."
                    )
                ),
                _p(
                    _(
                        "Seul·es les coordinateur·rices voient toutes les structures ; elles et "
                        "ils peuvent fusionner deux fiches d'une même personne, chaque "
                        "structure gardant son propre suivi."
                    )
                ),
            ),
        ),
    )


def notice_publicity(structure: Structure | None) -> tuple[EuPublicity, ...]:
    """The EU blocks printed with the notice: the structure's EU-funded programmes, else
    seed 002's FEDER sentence."""
    blocks = tuple(structure_eu_publicity(structure)) if structure else ()
    if blocks:
        return blocks
    return (
        EuPublicity(
            programme_pk=0,
            title="",
            reference="",
            sentences=(DEFAULT_SENTENCE,),
            funds=("FEDER",),
            operation_sentence="",
        ),
    )


def notice_data(*, structure: Structure | None) -> NoticeData:
    return NoticeData(
        title=_("Notice d'utilisation d'Alertes"),
        subtitle=_("Suivi des adhérent·es, rappels de démarches et campagnes de SMS et d'e-mails"),
        structure_name=structure.name if structure else "",
        publicity=notice_publicity(structure),
        sections=notice_sections(),
    )
