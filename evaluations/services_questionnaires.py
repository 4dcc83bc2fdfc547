"""Writes of questionnaires: creating one, editing its sections and questions, archiving
or deleting it. Each write checks its actor (coordinators only, `ensure_manager`), runs in
a transaction, `full_clean()`s and is journaled on the questionnaire (`log_action`).

Versioning: a version that people have answered never changes (their answers point at
its questions; the syntheses read them as they were asked). Neither does one somebody has
started to fill in (an invitation opened or with a draft: the draft holds option indices).
Editing such a version first copies it into the next version (same sections and
questions, number + 1) and applies the change to the copy; the campaigns not yet launched
that used the old version move to the new one, the launched ones keep theirs
(`editable_version`). Only the latest version is ever edited.

Codes of `EvaluationsError`: `invalid`, `archived`, `not_latest`, `kind_locked`,
`nominative_locked`, `too_few_choices`, `duplicate_choices`, `no_correct_choice`,
`bad_correct_choice`, `points`, `scale_labels`, `no_objectives`, `last_section`,
`not_same_version`, `has_campaigns`, `bad_direction`."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils.translation import gettext as _

from evaluations.exceptions import EvaluationsError
from evaluations.models import (
    Campaign,
    Invitation,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Section,
)
from evaluations.objectives import formation_objectives
from formations.audit import log_action
from formations.permissions import ensure_manager

Kind = Question.Kind
QUESTION_FIELDS = (
    "kind",
    "text",
    "help_text",
    "required",
    "scale_low_label",
    "scale_high_label",
    "choices",
    "correct_choices",
    "points",
)
UP, DOWN = "up", "down"


def _clean(instance, *, exclude=()) -> None:
    """`full_clean()`, its errors turned into one French refusal `invalid`."""
    try:
        instance.full_clean(exclude=list(exclude) or None)
    except ValidationError as error:
        messages = []
        for name, errors in error.message_dict.items():
            label = str(instance._meta.get_field(name).verbose_name) if name != "__all__" else ""
            messages.extend(f"{label} : {message}" if label else message for message in errors)
        raise EvaluationsError(" ".join(messages), code="invalid") from error


# --- Reading the state of a version --------------------------------------------------------


def latest_version(questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    return questionnaire.versions.order_by("-number").first()


def version_is_frozen(version: QuestionnaireVersion) -> bool:
    """Whether the version may no longer change: it has responses, or someone has opened
    or started to fill it in (see the module's docstring)."""
    if Response.objects.filter(version=version).exists():
        return True
    return Invitation.objects.filter(
        Q(opened_at__isnull=False) | Q(draft_step__gt=0), campaign__version=version
    ).exists()


# --- Versions ------------------------------------------------------------------------------


@dataclass
class EditableVersion:
    """The version to change, and where the rows of the version it was copied from went
    (empty when no copy was needed)."""

    version: QuestionnaireVersion
    copied_from: QuestionnaireVersion | None = None
    sections: dict[int, Section] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)

    def section(self, section: Section) -> Section:
        return self.sections.get(section.pk, section)

    def question(self, question: Question) -> Question:
        return self.questions.get(question.pk, question)


def _copy_version(version: QuestionnaireVersion, *, actor) -> EditableVersion:
    questionnaire = version.questionnaire
    number = (questionnaire.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    copy = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire,
        number=number,
        introduction=version.introduction,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    result = EditableVersion(version=copy, copied_from=version)
    old_sections = list(version.sections.order_by("position", "pk"))
    for old in old_sections:
        result.sections[old.pk] = Section.objects.create(
            version=copy, position=old.position, title=old.title, description=old.description
        )
    for old in Question.objects.filter(section__version=version).order_by("position", "pk"):
        new = Question(
            section=result.sections[old.section_id],
            position=old.position,
            **{name: getattr(old, name) for name in QUESTION_FIELDS},
        )
        new.save()
        result.questions[old.pk] = new
    # An unlaunched campaign moves to the copy unless people already answer it: an à
    # chaud campaign stays unlaunched until the last half-day ends, and may hold tablet
    # drafts and responses of the version they were given.
    moved = list(
        Campaign.objects.filter(
            version=version, launched_at__isnull=True, cancelled_at__isnull=True
        )
        .exclude(Exists(Invitation.objects.filter(campaign=OuterRef("pk"))))
        .exclude(Exists(Response.objects.filter(campaign=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    Campaign.objects.filter(pk__in=moved).update(version=copy)
    log_action(
        actor=actor,
        action="questionnaire_version_created",
        obj=questionnaire,
        summary=_("Version %(new)s créée à partir de la version %(old)s, déjà utilisée")
        % {"new": copy.number, "old": version.number},
        data={"version": copy.number, "from": version.number, "campaigns_moved": moved},
    )
    return result


@transaction.atomic
def _locked_for_edit(questionnaire: Questionnaire) -> Questionnaire:
    """The questionnaire locked for the caller's transaction; refused when archived."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire.archived:
        raise EvaluationsError(
            _("Ce questionnaire est archivé : désarchivez-le pour le modifier."),
            code="archived",
        )
    return questionnaire


def editable_version(questionnaire: Questionnaire, *, actor=None) -> EditableVersion:
    """The latest version if it may still change; otherwise a copy of it as the next
    version (unlaunched campaigns move to it). The questionnaire is locked meanwhile, so
    that two edits at once make one copy, not two."""
    ensure_manager(actor)
    questionnaire = _locked_for_edit(questionnaire)
    latest = latest_version(questionnaire)
    if latest is None:
        latest = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1)
        return EditableVersion(version=latest)
    if version_is_frozen(latest):
        return _copy_version(latest, actor=actor)
    return EditableVersion(version=latest)


def _ensure_latest(version: QuestionnaireVersion) -> None:
    top = version.questionnaire.versions.aggregate(top=Max("number"))["top"]
    if version.number != top:
        raise EvaluationsError(
            _(
                "Cet élément appartient à la version %(number)s, remplacée depuis : seule "
                "la dernière version d'un questionnaire se modifie."
            )
            % {"number": version.number},
            code="not_latest",
        )


# --- Questionnaires ------------------------------------------------------------------------


@transaction.atomic
def questionnaire_create(
    *,
    actor,
    title: str,
    kind: str,
    description: str = "",
    nominative: bool = False,
    introduction: str = "",
) -> Questionnaire:
    """A questionnaire with its first version and one empty section to put questions in."""
    ensure_manager(actor)
    questionnaire = Questionnaire(
        title=title, kind=kind, description=description, nominative=nominative
    )
    _clean(questionnaire)
    questionnaire.save()
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=1,
        introduction=introduction,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _clean(version)
    version.save()
    Section.objects.create(version=version, position=1, title=_("Questions"))
    log_action(
        actor=actor,
        action="questionnaire_created",
        obj=questionnaire,
        summary=_("Questionnaire « %(title)s » créé") % {"title": questionnaire.title},
    )
    return questionnaire


def _has_been_used(questionnaire: Questionnaire) -> bool:
    """Answered, or launched to people who were told whether it was anonymous."""
    return (
        Response.objects.filter(version__questionnaire=questionnaire).exists()
        or Campaign.objects.filter(
            version__questionnaire=questionnaire, launched_at__isnull=False
        ).exists()
    )


@transaction.atomic
def questionnaire_update(
    *,
    actor,
    questionnaire: Questionnaire,
    title: str,
    kind: str,
    description: str,
    nominative: bool,
    introduction: str,
) -> Questionnaire:
    """Title, kind, description and the nominative flag are the questionnaire's own; the
    introduction belongs to the version (a used version gets a new one). Once people were
    invited or answered, the kind (results are compared by kind) and the nominative flag
    (people were told whether their answers carry their name) no longer change:
    `kind_locked`, `nominative_locked`."""
    ensure_manager(actor)
    questionnaire = _locked_for_edit(questionnaire)
    used = _has_been_used(questionnaire)
    if used and nominative != questionnaire.nominative:
        raise EvaluationsError(
            _(
                "Des personnes ont déjà été invitées à répondre à ce questionnaire en sachant "
                "s'il était nominatif ou anonyme : ce choix ne change plus. Créez un autre "
                "questionnaire."
            ),
            code="nominative_locked",
        )
    if used and kind != questionnaire.kind:
        raise EvaluationsError(
            _(
                "Ce questionnaire a déjà servi : son type ne change plus, pour que les "
                "résultats restent comparables. Créez un autre questionnaire."
            ),
            code="kind_locked",
        )
    before = {
        "title": questionnaire.title,
        "kind": questionnaire.kind,
        "nominative": questionnaire.nominative,
    }
    questionnaire.title = title
    questionnaire.kind = kind
    questionnaire.description = description
    questionnaire.nominative = nominative
    _clean(questionnaire)
    questionnaire.save()
    latest = latest_version(questionnaire)
    if latest is None or latest.introduction != introduction:
        target = editable_version(questionnaire, actor=actor).version
        target.introduction = introduction
        _clean(target)
        target.save(update_fields=["introduction"])
    log_action(
        actor=actor,
        action="questionnaire_updated",
        obj=questionnaire,
        summary=_("Questionnaire « %(title)s » modifié") % {"title": questionnaire.title},
        data={"before": before},
    )
    return questionnaire


@transaction.atomic
def questionnaire_set_archived(*, actor, questionnaire: Questionnaire, archived: bool):
    """An archived questionnaire is kept with its versions and answers but offered to no
    new campaign; it may be brought back."""
    ensure_manager(actor)
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire.archived == archived:
        return questionnaire
    questionnaire.archived = archived
    questionnaire.save(update_fields=["archived", "updated_at"])
    log_action(
        actor=actor,
        action="questionnaire_archived" if archived else "questionnaire_unarchived",
        obj=questionnaire,
        summary=(
            _("Questionnaire « %(title)s » archivé")
            if archived
            else _("Questionnaire « %(title)s » désarchivé")
        )
        % {"title": questionnaire.title},
    )
    return questionnaire


@transaction.atomic
def questionnaire_delete(*, actor, questionnaire: Questionnaire) -> None:
    """Deletes a questionnaire no campaign ever used (`has_campaigns`: archive it
    instead, its campaigns and answers are evidence)."""
    ensure_manager(actor)
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if Campaign.objects.filter(version__questionnaire=questionnaire).exists():
        raise EvaluationsError(
            _(
                "Ce questionnaire a servi à des campagnes : il ne peut pas être supprimé. "
                "Archivez-le pour ne plus le proposer."
            ),
            code="has_campaigns",
        )
    log_action(
        actor=actor,
        action="questionnaire_deleted",
        obj=questionnaire,
        summary=_("Questionnaire « %(title)s » supprimé") % {"title": questionnaire.title},
        data={"title": questionnaire.title, "code": questionnaire.code},
    )
    questionnaire.delete()


# --- Sections ------------------------------------------------------------------------------


def _locked_section(section: Section) -> Section:
    section = Section.objects.select_related("version__questionnaire").get(pk=section.pk)
    _ensure_latest(section.version)
    return section


@transaction.atomic
def section_add(
    *, actor, questionnaire: Questionnaire, title: str, description: str = ""
) -> Section:
    """A section at the end of the latest version (copied first if used)."""
    target = editable_version(questionnaire, actor=actor).version
    top = target.sections.aggregate(top=Max("position"))["top"] or 0
    section = Section(version=target, position=top + 1, title=title, description=description)
    _clean(section)
    section.save()
    log_action(
        actor=actor,
        action="questionnaire_section_added",
        obj=questionnaire,
        summary=_("Partie « %(title)s » ajoutée (version %(number)s)")
        % {"title": section.title, "number": target.number},
    )
    return section


@transaction.atomic
def section_update(*, actor, section: Section, title: str, description: str = "") -> Section:
    ensure_manager(actor)
    section = _locked_section(section)
    editable = editable_version(section.version.questionnaire, actor=actor)
    section = editable.section(section)
    section.title = title
    section.description = description
    _clean(section)
    section.save()
    log_action(
        actor=actor,
        action="questionnaire_section_updated",
        obj=section.version.questionnaire,
        summary=_("Partie « %(title)s » modifiée (version %(number)s)")
        % {"title": section.title, "number": editable.version.number},
    )
    return section


def _renumber(rows) -> None:
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


@transaction.atomic
def section_delete(*, actor, section: Section) -> None:
    """Deletes a section and its questions from the latest version (copied first if
    used). The last section stays (`last_section`): questions need one."""
    ensure_manager(actor)
    section = _locked_section(section)
    editable = editable_version(section.version.questionnaire, actor=actor)
    section = editable.section(section)
    siblings = list(editable.version.sections.order_by("position", "pk"))
    if len(siblings) <= 1:
        raise EvaluationsError(
            _("Un questionnaire garde au moins une partie : modifiez celle-ci plutôt."),
            code="last_section",
        )
    title = section.title
    section.delete()
    _renumber([row for row in siblings if row.pk != section.pk])
    log_action(
        actor=actor,
        action="questionnaire_section_deleted",
        obj=editable.version.questionnaire,
        summary=_("Partie « %(title)s » supprimée (version %(number)s)")
        % {"title": title, "number": editable.version.number},
    )


def _swap(rows: list, row, direction: str) -> bool:
    if direction not in (UP, DOWN):
        raise EvaluationsError(_("Sens de déplacement inconnu."), code="bad_direction")
    index = next(i for i, other in enumerate(rows) if other.pk == row.pk)
    other = index - 1 if direction == UP else index + 1
    if other < 0 or other >= len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    _renumber(rows)
    return True


@transaction.atomic
def section_move(*, actor, section: Section, direction: str) -> Section:
    """Moves a section one place up or down (nothing at either end)."""
    ensure_manager(actor)
    section = _locked_section(section)
    editable = editable_version(section.version.questionnaire, actor=actor)
    section = editable.section(section)
    rows = list(editable.version.sections.order_by("position", "pk"))
    if _swap(rows, section, direction):
        log_action(
            actor=actor,
            action="questionnaire_section_moved",
            obj=editable.version.questionnaire,
            summary=_("Partie « %(title)s » déplacée (version %(number)s)")
            % {"title": section.title, "number": editable.version.number},
        )
    return section


# --- Questions -----------------------------------------------------------------------------


def _normalise(fields: dict) -> dict:
    """The fields of a question of its kind, the others emptied (options of a question
    turned into free text, scale labels of a yes/no…)."""
    kind = fields["kind"]
    data = {name: fields.get(name) for name in QUESTION_FIELDS}
    data["text"] = (data["text"] or "").strip()
    data["help_text"] = (data["help_text"] or "").strip()
    data["required"] = bool(data["required"]) if data["required"] is not None else True
    if kind == Kind.SCALE:
        data["scale_low_label"] = (data["scale_low_label"] or "").strip()
        data["scale_high_label"] = (data["scale_high_label"] or "").strip()
    else:
        data["scale_low_label"] = data["scale_high_label"] = ""
    if kind in Question.CHOICE_KINDS:
        data["choices"] = [str(choice).strip() for choice in (data["choices"] or [])]
        data["choices"] = [choice for choice in data["choices"] if choice]
    else:
        data["choices"] = []
    if kind == Kind.QUIZ:
        data["correct_choices"] = sorted(set(data["correct_choices"] or []))
        data["points"] = data["points"] if data["points"] is not None else 1
    else:
        data["correct_choices"] = []
        data["points"] = 1
    return data


def check_question(data: dict) -> None:
    """The rules of each kind of question, with a message naming the problem."""
    kind = data["kind"]
    if kind == Kind.SCALE and not (data["scale_low_label"] and data["scale_high_label"]):
        raise EvaluationsError(
            _("Une échelle dit ce que signifient 1 et 5 : indiquez les deux libellés."),
            code="scale_labels",
        )
    if kind in Question.CHOICE_KINDS:
        choices = data["choices"]
        if len(choices) < 2:
            raise EvaluationsError(
                _("Une question à choix propose au moins deux options (une par ligne)."),
                code="too_few_choices",
            )
        if len({choice.casefold() for choice in choices}) != len(choices):
            raise EvaluationsError(
                _("Deux options sont identiques : chaque option doit être différente."),
                code="duplicate_choices",
            )
    if kind == Kind.QUIZ:
        correct = data["correct_choices"]
        if not correct:
            raise EvaluationsError(
                _("Une question de quiz a au moins une bonne réponse parmi ses options."),
                code="no_correct_choice",
            )
        if any(not isinstance(i, int) or i < 0 or i >= len(data["choices"]) for i in correct):
            raise EvaluationsError(
                _(
                    "Une bonne réponse indiquée ne correspond à aucune option : numérotez "
                    "les options de 1 à %(count)s."
                )
                % {"count": len(data["choices"])},
                code="bad_correct_choice",
            )
        if not data["points"] or data["points"] < 1:
            raise EvaluationsError(_("Une bonne réponse rapporte au moins 1 point."), code="points")


def check_version_for_formation(*, version: QuestionnaireVersion, formation) -> None:
    """An « objectives » question needs a formation with objectives (one per line of its
    `objectives`): for a campaign about to use ``version`` on ``formation``
    (`no_objectives`)."""
    has_objectives_question = Question.objects.filter(
        section__version=version, kind=Kind.OBJECTIVES
    ).exists()
    if has_objectives_question and not formation_objectives(formation):
        raise EvaluationsError(
            _(
                "Ce questionnaire demande une auto-évaluation par objectif, mais la formation "
                "« %(formation)s » n'a pas d'objectifs pédagogiques : renseignez-les sur sa "
                "fiche (un par ligne), ou choisissez un autre questionnaire."
            )
            % {"formation": formation},
            code="no_objectives",
        )


def _question_summary(question: Question) -> str:
    return question.text if len(question.text) <= 80 else question.text[:79] + "…"


@transaction.atomic
def question_add(*, actor, section: Section, **fields) -> Question:
    """A question at the end of ``section`` in the latest version (copied first if used).
    ``fields``: `Question` fields (kind and text at least; choices as a list of strings,
    correct_choices as indices into it)."""
    ensure_manager(actor)
    section = _locked_section(section)
    editable = editable_version(section.version.questionnaire, actor=actor)
    section = editable.section(section)
    data = _normalise(fields)
    check_question(data)
    top = section.questions.aggregate(top=Max("position"))["top"] or 0
    question = Question(section=section, position=top + 1, **data)
    _clean(question)
    question.save()
    log_action(
        actor=actor,
        action="questionnaire_question_added",
        obj=editable.version.questionnaire,
        summary=_("Question « %(text)s » ajoutée (version %(number)s)")
        % {"text": _question_summary(question), "number": editable.version.number},
    )
    return question


def _locked_question(question: Question) -> Question:
    question = Question.objects.select_related("section__version__questionnaire").get(
        pk=question.pk
    )
    _ensure_latest(question.section.version)
    return question


@transaction.atomic
def question_update(
    *, actor, question: Question, section: Section | None = None, **fields
) -> Question:
    """Changes a question of the latest version (copied first if used: the change then
    applies to the copy, the answered question stays as it was). ``fields``: the fields
    to change (the others keep their value; the kind never changes: add another
    question). ``section``: move it to the end of another section of the same version."""
    ensure_manager(actor)
    question = _locked_question(question)
    version = question.section.version
    if section is not None and section.version_id != version.pk:
        raise EvaluationsError(
            _("Cette partie n'appartient pas à la même version du questionnaire."),
            code="not_same_version",
        )
    # The fields not given keep their value; the kind is the question's own.
    data = _normalise(
        {name: getattr(question, name) for name in QUESTION_FIELDS}
        | fields
        | {"kind": question.kind}
    )
    check_question(data)
    editable = editable_version(version.questionnaire, actor=actor)
    question = editable.question(question)
    before = {name: getattr(question, name) for name in QUESTION_FIELDS}
    for name, value in data.items():
        setattr(question, name, value)
    if section is not None:
        target = editable.section(section)
        if target.pk != question.section_id:
            old_section = question.section
            top = target.questions.aggregate(top=Max("position"))["top"] or 0
            question.section = target
            question.position = top + 1
            question.save()
            _renumber(list(old_section.questions.order_by("position", "pk")))
    _clean(question)
    question.save()
    log_action(
        actor=actor,
        action="questionnaire_question_updated",
        obj=editable.version.questionnaire,
        summary=_("Question « %(text)s » modifiée (version %(number)s)")
        % {"text": _question_summary(question), "number": editable.version.number},
        data={"before": before},
    )
    return question


@transaction.atomic
def question_delete(*, actor, question: Question) -> None:
    """Removes a question from the latest version (copied first if used: the answered
    version keeps it, with its answers)."""
    ensure_manager(actor)
    question = _locked_question(question)
    editable = editable_version(question.section.version.questionnaire, actor=actor)
    question = editable.question(question)
    section = question.section
    summary = _question_summary(question)
    question.delete()
    _renumber(list(section.questions.order_by("position", "pk")))
    log_action(
        actor=actor,
        action="questionnaire_question_deleted",
        obj=editable.version.questionnaire,
        summary=_("Question « %(text)s » supprimée (version %(number)s)")
        % {"text": summary, "number": editable.version.number},
    )


@transaction.atomic
def question_move(*, actor, question: Question, direction: str) -> Question:
    """Moves a question one place up or down; at the top (bottom) of its section, it goes
    to the end (start) of the previous (next) section."""
    ensure_manager(actor)
    question = _locked_question(question)
    editable = editable_version(question.section.version.questionnaire, actor=actor)
    question = editable.question(question)
    section = question.section
    rows = list(section.questions.order_by("position", "pk"))
    moved = _swap(rows, question, direction)
    if not moved:
        sections = list(editable.version.sections.order_by("position", "pk"))
        index = next(i for i, other in enumerate(sections) if other.pk == section.pk)
        neighbour = index - 1 if direction == UP else index + 1
        if 0 <= neighbour < len(sections):
            target = sections[neighbour]
            others = list(target.questions.order_by("position", "pk"))
            question.section = target
            question.save(update_fields=["section"])
            _renumber(others + [question] if direction == UP else [question] + others)
            _renumber([row for row in rows if row.pk != question.pk])
            moved = True
    if moved:
        log_action(
            actor=actor,
            action="questionnaire_question_moved",
            obj=editable.version.questionnaire,
            summary=_("Question « %(text)s » déplacée (version %(number)s)")
            % {"text": _question_summary(question), "number": editable.version.number},
        )
    return question
