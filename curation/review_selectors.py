"""Reads of the QC review: who may review what, the queue, the review screen, a case's history.

The rules (see also curation.services.review):
- Nobody reviews a case of which they wrote any version.
- A reviewer takes a case by starting a review. A round needs `approvals_required` reviewers; a
  case leaves the queue of others once that many reviewers approved it or hold a review started
  within the last CLAIM_DAYS days (an older, undecided one no longer holds a place).
- Reviews are blind: while a round is open, each reviewer sees only their own review; once it is
  closed, everybody who reads the case sees every decided review of it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from curation.checklist import checklist_label
from curation.models import (
    AuditEvent,
    Benchmark,
    Case,
    CaseStatus,
    CaseVersion,
    Criterion,
    Review,
    ReviewDecision,
    ReviewRound,
    Term,
)

CLAIM_DAYS = 7


class ReviewRefused(Exception):
    """A review action the rules refuse; `message` is written for the reviewer, `code` for code."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --- the queue rule (also behind the count in the navigation) ---

# The rule is written in SQL on the outer curation_case row: Django takes ~3 ms of CPU to build
# the same subqueries from expressions, and the navigation counts them on every page.
_REVIEWS_OF_CURRENT_VERSION = """
    SELECT 1 FROM curation_review r JOIN curation_reviewround rr ON rr.id = r.round_id
    WHERE rr.version_id = curation_case.current_version_id AND r.reviewer_id = %s"""
# Approvals plus undecided reviews started after the cutoff take the places of an open round.
_FULL_ROUND = """EXISTS (
    SELECT 1 FROM curation_reviewround rr
    WHERE rr.version_id = curation_case.current_version_id AND rr.closed_at IS NULL
    AND rr.approvals_required <= (
        SELECT COUNT(*) FROM curation_review r WHERE r.round_id = rr.id
        AND (r.decided_at IS NOT NULL OR r.created_at >= %s)))"""
_AUTHORED = """EXISTS (
    SELECT 1 FROM curation_caseversion v WHERE v.case_id = curation_case.id AND v.author_id = %s)"""
# The user's reviews of the current version that count: decided, or in the open round (an
# undecided review left in a closed round does not).
_REVIEWED = f"""EXISTS ({_REVIEWS_OF_CURRENT_VERSION}
    AND (r.decided_at IS NOT NULL OR rr.closed_at IS NULL))"""
_IN_PROGRESS = f"""EXISTS ({_REVIEWS_OF_CURRENT_VERSION}
    AND r.decided_at IS NULL AND rr.closed_at IS NULL)"""


def _case_condition(sql: str, *params) -> Q:
    """A condition on a Case row of a query over Case (the table is not aliased there)."""
    return Q(RawSQL(sql, params, output_field=BooleanField()))


def _full_round() -> Q:
    cutoff = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(days=CLAIM_DAYS))
    return _case_condition(_FULL_ROUND, cutoff)


def to_review_by(user) -> Q:
    """Cases (in review) that `user` may start reviewing now."""
    return (
        Q(status=CaseStatus.IN_REVIEW)
        & ~_case_condition(_AUTHORED, user.pk)
        & ~_case_condition(_REVIEWED, user.pk)
        & ~_full_round()
    )


def in_progress_by(user) -> Q:
    """Cases whose current version `user` started reviewing and has not decided on yet."""
    return Q(status=CaseStatus.IN_REVIEW) & _case_condition(_IN_PROGRESS, user.pk)


def review_work_of(user) -> Q:
    """Everything waiting for `user` as a reviewer: the queue and their reviews in progress."""
    return to_review_by(user) | in_progress_by(user)


def _open_round_of_current_version() -> QuerySet[ReviewRound]:
    return ReviewRound.objects.filter(version=OuterRef("current_version"), closed_at__isnull=True)


def _queue_rows(benchmark: Benchmark) -> QuerySet[Case]:
    """Cases with what a queue row shows, `queued_at` (when the round opened) and `spot_check`."""
    open_round = _open_round_of_current_version()
    criteria = (
        Criterion.objects.filter(version=OuterRef("current_version"))
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Case.objects.filter(benchmark=benchmark)
        .select_related("current_version__author")
        .defer(
            "current_version__messages",
            "current_version__reference_answer",
            "current_version__source_fields",
        )
        .prefetch_related(
            Prefetch(
                "current_version__terms",
                queryset=Term.objects.select_related("facet").order_by(
                    "facet__position", "position", "value"
                ),
            )
        )
        .annotate(
            queued_at=Coalesce(
                Subquery(open_round.values("opened_at")[:1]), F("current_version__submitted_at")
            ),
            spot_check=Exists(open_round.filter(kind=ReviewRound.Kind.SPOT_CHECK)),
            criteria_count=Coalesce(Subquery(criteria), 0),
        )
    )


def review_queue_cases(*, benchmark: Benchmark, user) -> QuerySet[Case]:
    """The cases `user` may review, the longest waiting first."""
    return _queue_rows(benchmark).filter(to_review_by(user)).order_by("queued_at", "pk")


def reviews_in_progress(*, benchmark: Benchmark, user) -> list[Case]:
    """The cases `user` started reviewing, the longest waiting first."""
    return list(_queue_rows(benchmark).filter(in_progress_by(user)).order_by("queued_at", "pk"))


# --- one case under review ---


def review_refusal(*, case: Case, version: CaseVersion, reviewer) -> ReviewRefused | None:
    """Why `reviewer` may not review `version` of `case` now, or None when they may.

    The services call it with the case locked; pages call it to show the form or the reason.
    """
    if case.versions.filter(author=reviewer).exists():
        return ReviewRefused(
            gettext("You wrote a version of this case, and nobody reviews their own case."),
            code="own_case",
        )
    if version.pk != case.current_version_id:
        return ReviewRefused(
            gettext(
                "Version %(number)d is no longer the current version of this case; "
                "nothing was saved. Review the current version instead."
            )
            % {"number": version.number},
            code="not_current",
        )
    if case.status != CaseStatus.IN_REVIEW:
        return ReviewRefused(
            gettext("This case is not in QC review (its status is “%(status)s”).")
            % {"status": CaseStatus(case.status).label},
            code="not_in_review",
        )
    mine = list(
        Review.objects.filter(round__version=version, reviewer=reviewer).select_related("round")
    )
    in_open_round = [r for r in mine if r.round.is_open]
    if any(r.is_decided for r in in_open_round):
        return ReviewRefused(
            gettext("You have already decided on this version; a decision cannot be changed."),
            code="decided",
        )
    if any(r.is_decided and not r.round.is_open for r in mine):
        return ReviewRefused(
            gettext(
                "You reviewed this version in an earlier round; "
                "a spot check needs a reviewer who has not."
            ),
            code="reviewed_before",
        )
    # `version` is the current one (checked above), whose open round _full_round() reads.
    if not in_open_round and Case.objects.filter(_full_round(), pk=case.pk).exists():
        return ReviewRefused(
            gettext("This case already has all the reviewers it needs."), code="full"
        )
    return None


def visible_reviews(review_round: ReviewRound, user) -> list[Review]:
    """The decided reviews of a round that `user` may read (blind while the round is open).

    Uses the round's prefetched `reviews`.
    """
    decided = [r for r in review_round.reviews.all() if r.is_decided]
    if review_round.is_open:
        return [r for r in decided if r.reviewer_id == user.pk]
    return decided


def _reviews_with_comments() -> Prefetch:
    return Prefetch(
        "reviews",
        queryset=Review.objects.select_related("reviewer").prefetch_related("comments"),
    )


@dataclass
class ReviewScreen:
    case: Case
    version: CaseVersion
    round: ReviewRound | None
    own: Review | None
    refusal: ReviewRefused | None
    # What the reviewers asked to change in the version this one revises.
    earlier_requests: "RequestedChanges | None"

    @property
    def own_entry(self) -> "ReviewEntry | None":
        if self.own is None or not self.own.is_decided:
            return None
        return _review_entry(self.own, self.round)


def review_screen(*, benchmark: Benchmark, external_id: str, user) -> ReviewScreen | None:
    """The current version of a case as its reviewer sees it, with the reviewer's own review."""
    case = (
        Case.objects.filter(benchmark=benchmark, external_id=external_id)
        .select_related("benchmark")
        .first()
    )
    if case is None or case.current_version_id is None:
        return None
    version = (
        CaseVersion.objects.filter(pk=case.current_version_id)
        .select_related("author")
        .prefetch_related(
            "criteria",
            Prefetch(
                "terms",
                queryset=Term.objects.select_related("facet").order_by(
                    "facet__position", "position", "value"
                ),
            ),
        )
        .get()
    )
    version.case = case
    case.current_version = version
    review_round = (
        ReviewRound.objects.filter(version=version, closed_at__isnull=True)
        .prefetch_related(_reviews_with_comments())
        .first()
    )
    own = None
    if review_round is not None:
        review_round.version = version
        own = next((r for r in review_round.reviews.all() if r.reviewer_id == user.pk), None)
    return ReviewScreen(
        case=case,
        version=version,
        round=review_round,
        own=own,
        refusal=review_refusal(case=case, version=version, reviewer=user),
        earlier_requests=changes_requested_on(version_id=version.parent_id),
    )


# --- a case's history: status changes and reviews ---

# The status each recorded action leaves the case in, for actions whose audit data does not say
# it (the review services record {"from", "to"} themselves).
_STATUS_AFTER = {
    "case.create": CaseStatus.DRAFT,
    "case_version.submit": CaseStatus.IN_REVIEW,
    "case_version.new_draft": CaseStatus.DRAFT,
    "case_version.restore": CaseStatus.DRAFT,
    "case.retire": CaseStatus.RETIRED,
}
_ACTION_LABELS = {
    "case.create": _("Case created"),
    "case_version.submit": _("Submitted for QC review"),
    "case_version.new_draft": _("New version started"),
    "case_version.restore": _("Earlier version restored as a new draft"),
    "case.retire": _("Retired"),
    "review.close": _("QC review decided"),
    "review.spot_check": _("Re-queued for a spot check"),
}


@dataclass
class StatusChange:
    at: datetime
    actor: object
    action: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    version: int | None
    kind: str = "status"


@dataclass
class CriterionNote:
    key: str
    text: str
    reviewer: object


@dataclass
class ReviewEntry:
    at: datetime
    review: Review
    version: int
    round: ReviewRound
    unconfirmed: list[str]
    notes: list[CriterionNote]
    kind: str = "review"


@dataclass
class ReviewHistory:
    entries: list[StatusChange | ReviewEntry]
    # True while a round of the current version is open: its reviews are hidden from others.
    blind_round_open: bool = False


def _review_entry(review: Review, review_round: ReviewRound) -> ReviewEntry:
    return ReviewEntry(
        at=review.decided_at,
        review=review,
        version=review_round.version.number,
        round=review_round,
        unconfirmed=[checklist_label(key) for key, ok in review.checklist.items() if not ok],
        notes=[
            CriterionNote(key=c.criterion_key, text=c.text, reviewer=review.reviewer)
            for c in sorted(review.comments.all(), key=lambda c: c.criterion_key)
        ],
    )


def _status_changes(case: Case) -> list[StatusChange]:
    version_ids = case.versions.annotate(id_text=Cast("pk", CharField())).values("id_text")
    events = (
        AuditEvent.objects.filter(
            Q(object_type="curation.case", object_id=str(case.pk))
            | Q(object_type="curation.caseversion", object_id__in=Subquery(version_ids))
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    changes = []
    status = None
    for event in events:
        to = event.data.get("to") or _STATUS_AFTER.get(event.action)
        if to is None or event.action not in _ACTION_LABELS:
            continue
        before = event.data.get("from") or status
        status = CaseStatus(to)
        changes.append(
            StatusChange(
                at=event.created_at,
                actor=event.actor,
                action=str(_ACTION_LABELS[event.action]),
                from_status=CaseStatus(before) if before else None,
                to_status=status,
                version=event.data.get("version"),
            )
        )
    return changes


def case_review_history(*, case: Case, user) -> ReviewHistory:
    """Every status change of the case and every review `user` may read, oldest first.

    Five queries whatever the length of the history.
    """
    rounds = list(
        ReviewRound.objects.filter(version__case=case)
        .select_related("version")
        .only("pk", "number", "kind", "closed_at", "outcome", "version__number")
        .prefetch_related(_reviews_with_comments())
    )
    entries: list[StatusChange | ReviewEntry] = list(_status_changes(case))
    for review_round in rounds:
        entries.extend(_review_entry(r, review_round) for r in visible_reviews(review_round, user))
    entries.sort(key=lambda entry: entry.at)
    return ReviewHistory(
        entries=entries,
        blind_round_open=any(r.is_open and r.version_id == case.current_version_id for r in rounds),
    )


# --- what the reviewers asked the author to change ---


@dataclass
class RequestedChanges:
    version: int
    reviews: list[ReviewEntry]
    by_criterion: dict[str, list[CriterionNote]] = field(default_factory=dict)

    def notes_for(self, key: str) -> list[CriterionNote]:
        return self.by_criterion.get(key, [])


def requested_changes(*, case: Case) -> RequestedChanges | None:
    """The reviews that sent the case back, while the author works on them (three queries).

    That is while the case is "changes requested", and while its current draft revises the
    version that was sent back.
    """
    current = case.current_version
    if current is None:
        return None
    if case.status == CaseStatus.CHANGES_REQUESTED:
        return changes_requested_on(version_id=current.pk)
    if case.status == CaseStatus.DRAFT and current.parent_id:
        return changes_requested_on(version_id=current.parent_id)
    return None


def changes_requested_on(*, version_id: int | None) -> RequestedChanges | None:
    """What the last review round of a version asked to change, if it sent the version back."""
    if version_id is None:
        return None
    last = (
        ReviewRound.objects.filter(version_id=version_id, closed_at__isnull=False)
        .select_related("version")
        .only("pk", "number", "kind", "closed_at", "outcome", "version__number")
        .prefetch_related(_reviews_with_comments())
        .order_by("-number")
        .first()
    )
    if last is None or last.outcome != ReviewRound.Outcome.CHANGES_REQUESTED:
        return None
    entries = [
        _review_entry(r, last)
        for r in last.reviews.all()
        if r.is_decided
        and (r.decision == ReviewDecision.REQUEST_CHANGES or r.comment or r.comments.all())
    ]
    changes = RequestedChanges(version=last.version.number, reviews=entries)
    for entry in entries:
        for note in entry.notes:
            changes.by_criterion.setdefault(note.key, []).append(note)
    return changes


# --- spot checks ---


@dataclass
class SpotCheckSummary:
    approved: int
    open: int
    approved_again: int
    sent_back: int
    draws: list[AuditEvent]


def spot_check_summary(*, benchmark: Benchmark, draws: int = 10) -> SpotCheckSummary:
    """Approved cases, spot-check rounds by outcome and the latest draws, in three queries."""
    outcomes = dict(
        ReviewRound.objects.filter(
            version__case__benchmark=benchmark, kind=ReviewRound.Kind.SPOT_CHECK
        )
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return SpotCheckSummary(
        approved=Case.objects.filter(benchmark=benchmark, status=CaseStatus.APPROVED).count(),
        open=outcomes.get("", 0),
        approved_again=outcomes.get(ReviewRound.Outcome.APPROVED, 0),
        sent_back=outcomes.get(ReviewRound.Outcome.CHANGES_REQUESTED, 0),
        draws=list(
            AuditEvent.objects.filter(benchmark=benchmark, action="review.spot_check_sample")
            .select_related("actor")
            .order_by("-created_at", "-pk")[:draws]
        ),
    )
