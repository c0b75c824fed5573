"""Writing cases: drafts and their criteria, submission, new versions, retirement.

A version is a draft until it is submitted; from then on it is frozen and no function here
changes it. Every write to a draft checks the revision the writer last saw (optimistic locking)
and bumps it, so two people editing the same draft cannot silently overwrite each other.

Case status follows DESIGN: draft -> in_review -> changes_requested | approved -> retired. Review
decisions (in_review -> changes_requested | approved) belong to the review services.
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from curation.audit import audit_record
from curation.deid import case_version_identifier_hits
from curation.models import (
    Benchmark,
    Case,
    CaseStatus,
    CaseVersion,
    Criterion,
    MessageRole,
    Term,
)

# A case whose current version is frozen and in one of these states can get a new draft.
REVISABLE_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.CHANGES_REQUESTED})

_KEY_NUMBER = re.compile(r"^c(\d+)$")

# Stored in English and translated when shown (curation.change_notes), so each reader sees it in
# their own language.
RESTORE_NOTE = gettext_noop("Restored from version %(number)d.")


class AuthoringError(Exception):
    """An authoring action that the rules refuse; `message` is written for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EditConflict(AuthoringError):
    """The draft changed (or was submitted) since the writer loaded it.

    Carries the stored content so the caller can show it beside what the writer typed.
    """

    def __init__(self, *, stored: CaseVersion):
        self.frozen = stored.is_frozen
        self.revision = stored.revision
        self.stored = version_content(stored)
        super().__init__(
            _("This version was submitted while you were editing it.")
            if self.frozen
            else _("Someone else saved this draft while you were editing it.")
        )


class SubmissionBlocked(AuthoringError):
    """The version is not ready for review: `problems` (sentences) and identifier `hits`."""

    def __init__(self, *, problems: list[str], hits: list):
        self.problems = problems
        self.hits = hits
        super().__init__(" ".join(problems))


def version_content(version: CaseVersion) -> dict[str, Any]:
    """The editable content of a version, as plain data (for conflicts and copies)."""
    return {
        "title": version.title,
        "messages": [dict(m) for m in version.messages],
        "reference_answer": version.reference_answer,
        "change_note": version.change_note,
        "term_ids": sorted(t.pk for t in version.terms.all()),
        "criteria": [
            {"key": c.key, "text": c.text, "points": c.points, "tags": list(c.tags)}
            for c in version.criteria.order_by("position")
        ],
    }


# --- creating and editing drafts ---


def case_create(
    *,
    benchmark: Benchmark,
    external_id: str,
    by,
    title: str,
    messages: list[dict],
    reference_answer: str,
    terms: Iterable[Term] = (),
    criteria: Sequence[dict] = (),
) -> Case:
    """A new case with version 1 as a draft written by `by`."""
    with transaction.atomic():
        external_id = external_id.strip()
        if Case.objects.filter(benchmark=benchmark, external_id=external_id).exists():
            raise ValidationError(
                {"external_id": _("A case with this id already exists in this benchmark.")}
            )
        case = Case(benchmark=benchmark, external_id=external_id, status=CaseStatus.DRAFT)
        case.full_clean(exclude=["benchmark", "current_version"])
        case.save()
        version = CaseVersion(
            case=case,
            number=1,
            title=title,
            messages=messages,
            reference_answer=reference_answer,
            author=by,
        )
        version.full_clean(exclude=["case", "terms"])
        version.save()
        version.terms.set(_benchmark_terms(benchmark, terms))
        _write_criteria(version, criteria)
        case.current_version = version
        case.save(update_fields=["current_version", "updated_at"])
        audit_record(
            actor=by,
            action="case.create",
            obj=case,
            benchmark=benchmark,
            data={"version": 1, "criteria": len(criteria)},
        )
    return case


def case_version_save_draft(
    *,
    version: CaseVersion,
    by,
    expected_revision: int,
    title: str,
    messages: list[dict],
    reference_answer: str,
    terms: Iterable[Term],
    change_note: str,
    criteria: Sequence[dict] | None = None,
) -> CaseVersion:
    """Save the content of a draft; `criteria`, when given, replaces the rubric (keys kept)."""
    with transaction.atomic():
        draft = _lock_draft(version.pk, expected_revision)
        draft.title = title
        draft.messages = messages
        draft.reference_answer = reference_answer
        draft.change_note = change_note
        draft.full_clean(exclude=["case", "terms", "author", "parent"])
        draft.terms.set(_benchmark_terms(draft.case.benchmark, terms))
        if criteria is not None:
            draft.criteria.all().delete()
            _write_criteria(draft, criteria)
        _bump(
            draft,
            by,
            "case_version.save_draft",
            ["title", "messages", "reference_answer", "change_note"],
        )
    return draft


def criterion_add(
    *,
    version: CaseVersion,
    by,
    expected_revision: int,
    text: str,
    points: int = 1,
    tags: Sequence[str] = (),
) -> Criterion:
    """Append a criterion with a key the case has never used."""
    with transaction.atomic():
        draft = _lock_draft(version.pk, expected_revision)
        position = (draft.criteria.aggregate(last=Max("position"))["last"] or 0) + 1
        criterion = Criterion(
            version=draft,
            key=_next_keys(draft.case, 1)[0],
            position=position,
            text=text,
            points=points,
            tags=_clean_tags(tags),
        )
        criterion.full_clean(exclude=["version"])
        criterion.save()
        _bump(draft, by, "criterion.add", data={"key": criterion.key})
    criterion.version = draft
    return criterion


def criterion_update(
    *,
    criterion: Criterion,
    by,
    expected_revision: int,
    text: str,
    points: int,
    tags: Sequence[str],
) -> Criterion:
    with transaction.atomic():
        draft = _lock_draft(criterion.version_id, expected_revision)
        stored = draft.criteria.get(pk=criterion.pk)
        stored.text = text
        stored.points = points
        stored.tags = _clean_tags(tags)
        stored.full_clean(exclude=["version"])
        stored.save(update_fields=["text", "points", "tags"])
        _bump(draft, by, "criterion.update", data={"key": stored.key})
    stored.version = draft
    return stored


def criterion_delete(*, criterion: Criterion, by, expected_revision: int) -> CaseVersion:
    with transaction.atomic():
        draft = _lock_draft(criterion.version_id, expected_revision)
        stored = draft.criteria.get(pk=criterion.pk)
        stored.delete()
        _bump(draft, by, "criterion.delete", data={"key": stored.key})
    return draft


def criteria_reorder(
    *, version: CaseVersion, by, expected_revision: int, keys: Sequence[str]
) -> CaseVersion:
    """Put the draft's criteria in the order of `keys`, which must name each of them once."""
    with transaction.atomic():
        draft = _lock_draft(version.pk, expected_revision)
        criteria = {c.key: c for c in draft.criteria.all()}
        if sorted(keys) != sorted(criteria):
            raise ValidationError(_("The new order must list every criterion exactly once."))
        for position, key in enumerate(keys, start=1):
            criteria[key].position = position
        Criterion.objects.bulk_update(criteria.values(), ["position"])
        _bump(draft, by, "criteria.reorder", data={"keys": list(keys)})
    return draft


# --- submission, new versions, retirement ---


def case_version_submit(
    *, version: CaseVersion, by, expected_revision: int | None = None
) -> CaseVersion:
    """Freeze the draft and send the case to review.

    Refused while the version has no user message, no criterion with positive points, no change
    note (after the first version) or any identifying information (SubmissionBlocked).
    """
    with transaction.atomic():
        draft = _lock(version.pk)
        case = draft.case
        if draft.is_frozen or case.current_version_id != draft.pk:
            raise AuthoringError(_("Only the current draft of a case can be submitted."))
        if expected_revision is not None and draft.revision != expected_revision:
            raise EditConflict(stored=draft)
        problems = submission_problems(draft)
        hits = case_version_identifier_hits(draft)
        if hits:
            problems.append(_("Remove the identifying information listed below before submitting."))
        if problems:
            raise SubmissionBlocked(problems=problems, hits=hits)
        draft.submitted_at = timezone.now()
        draft.save(update_fields=["submitted_at"])
        case.status = CaseStatus.IN_REVIEW
        case.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=by,
            action="case_version.submit",
            obj=draft,
            benchmark=case.benchmark,
            data={"version": draft.number, "revision": draft.revision},
        )
    return draft


def submission_problems(version: CaseVersion) -> list[str]:
    """What keeps a draft from review, identifying information aside."""
    problems = []
    if not any(m["role"] == MessageRole.USER and m["content"].strip() for m in version.messages):
        problems.append(_("The conversation needs at least one user message."))
    if not any(c.points > 0 for c in version.criteria.all()):
        problems.append(_("The rubric needs at least one criterion with positive points."))
    if version.parent_id and not version.change_note.strip():
        problems.append(_("Describe what changed in this version (change note)."))
    return problems


def case_new_draft(*, case: Case, by) -> CaseVersion:
    """Version n+1 as a draft copying the current (frozen) version, criteria keys included."""
    with transaction.atomic():
        locked = _lock_revisable_case(case.pk)
        return _copy_as_new_draft(
            locked, source=locked.current_version, by=by, change_note="", action="new_draft"
        )


def case_version_restore(*, version: CaseVersion, by) -> CaseVersion:
    """A new draft whose content is an earlier version's; the history runs on from the latest."""
    with transaction.atomic():
        locked = _lock_revisable_case(version.case_id)
        source = locked.versions.get(pk=version.pk)
        return _copy_as_new_draft(
            locked,
            source=source,
            by=by,
            change_note=RESTORE_NOTE % {"number": source.number},
            action="restore",
        )


def case_retire(*, case: Case, by) -> Case:
    """Take an approved case out of use; its versions stay as they are."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != CaseStatus.APPROVED:
            raise AuthoringError(_("Only an approved case can be retired."))
        locked.status = CaseStatus.RETIRED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(actor=by, action="case.retire", obj=locked, benchmark=locked.benchmark)
    return locked


# --- helpers ---


def _lock(version_id: int) -> CaseVersion:
    return (
        CaseVersion.objects.select_for_update(of=("self",))
        .select_related("case__benchmark")
        .get(pk=version_id)
    )


def _lock_draft(version_id: int, expected_revision: int) -> CaseVersion:
    draft = _lock(version_id)
    if draft.is_frozen or draft.revision != expected_revision:
        raise EditConflict(stored=draft)
    return draft


def _bump(
    draft: CaseVersion, by, action: str, fields: Sequence[str] = (), data: dict | None = None
) -> None:
    draft.revision += 1
    draft.save(update_fields=[*fields, "revision"])
    Case.objects.filter(pk=draft.case_id).update(updated_at=timezone.now())
    audit_record(
        actor=by,
        action=action,
        obj=draft,
        benchmark=draft.case.benchmark,
        data={"revision": draft.revision, **(data or {})},
    )


def _lock_revisable_case(case_id: int) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("benchmark", "current_version")
        .get(pk=case_id)
    )
    if locked.status not in REVISABLE_STATUSES or not locked.current_version.is_frozen:
        raise AuthoringError(
            _("A new version can be started only when the case is approved or sent back.")
        )
    return locked


def _copy_as_new_draft(
    case: Case, *, source: CaseVersion, by, change_note: str, action: str
) -> CaseVersion:
    number = case.versions.aggregate(last=Max("number"))["last"] + 1
    draft = CaseVersion.objects.create(
        case=case,
        number=number,
        title=source.title,
        messages=[dict(m) for m in source.messages],
        reference_answer=source.reference_answer,
        source_fields=dict(source.source_fields),
        author=by,
        parent=case.current_version,
        change_note=change_note,
    )
    draft.terms.set(source.terms.all())
    Criterion.objects.bulk_create(
        Criterion(
            version=draft,
            key=c.key,
            position=c.position,
            text=c.text,
            points=c.points,
            tags=list(c.tags),
        )
        for c in source.criteria.all()
    )
    case.current_version = draft
    case.status = CaseStatus.DRAFT
    case.save(update_fields=["current_version", "status", "updated_at"])
    audit_record(
        actor=by,
        action=f"case_version.{action}",
        obj=draft,
        benchmark=case.benchmark,
        data={"version": number, "from_version": source.number},
    )
    return draft


def _benchmark_terms(benchmark: Benchmark, terms: Iterable[Term]) -> list[Term]:
    terms = list(terms)
    wanted = {t.pk for t in terms}
    found = set(
        Term.objects.filter(pk__in=wanted, facet__benchmark=benchmark).values_list("pk", flat=True)
    )
    if found != wanted:
        raise ValidationError({"terms": _("Choose terms of this benchmark's facets only.")})
    return terms


def _write_criteria(version: CaseVersion, criteria: Sequence[dict]) -> None:
    """Create the rubric of a draft from plain data; criteria without a key get a new one."""
    given = [c["key"] for c in criteria if c.get("key")]
    if len(given) != len(set(given)):
        raise ValidationError({"criteria": _("Two criteria have the same key.")})
    new_keys = iter(_next_keys(version.case, len(criteria) - len(given), taken=set(given)))
    rows = []
    for position, data in enumerate(criteria, start=1):
        criterion = Criterion(
            version=version,
            key=data.get("key") or next(new_keys),
            position=position,
            text=data.get("text", ""),
            points=data.get("points", 1),
            tags=_clean_tags(data.get("tags", ())),
        )
        try:
            # Keys are unique (checked above) and never empty (generated when missing).
            criterion.full_clean(
                exclude=["version"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            raise ValidationError(
                {
                    "criteria": _("Criterion %(number)d: %(errors)s")
                    % {"number": position, "errors": " ".join(error.messages)}
                }
            ) from error
        rows.append(criterion)
    Criterion.objects.bulk_create(rows)


def _next_keys(case: Case, count: int, taken: set[str] = frozenset()) -> list[str]:
    """`count` keys of the form c01, c02... never used in any version of the case.

    Never reusing a key keeps a deleted criterion and a later new one apart in diffs.
    """
    used = set(Criterion.objects.filter(version__case=case).values_list("key", flat=True))
    used |= taken
    numbers = [int(m.group(1)) for k in used if (m := _KEY_NUMBER.match(k))]
    start = max(numbers, default=0) + 1
    return [f"c{n:02d}" for n in range(start, start + count)]


def _clean_tags(tags: Iterable[str]) -> list[str]:
    """Strip, drop empty ones and duplicates, keep the order."""
    return list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
