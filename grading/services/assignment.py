"""Handing items out to graders, and submitting them.

`assignment_next` gives a grader their unfinished item first; otherwise an item of an open
campaign of theirs that still needs graders, never a case they wrote (any version) or reviewed,
never one sharing a response with an item they already have. No item ever gets more graders
than its campaign asks for, however many graders ask at once:

- the grader's rater row is locked first, so one person's concurrent "next" clicks queue up
  (and the second one resumes the item the first one got);
- on PostgreSQL the candidate item is taken with `SELECT ... FOR UPDATE SKIP LOCKED`, so graders
  racing for work each lock a different item instead of queueing on the same one; PostgreSQL
  re-checks `slots_open > 0` on the latest version of the row it locks; when every candidate is
  locked by others, it looks again a few milliseconds later;
- on SQLite the transaction takes the database's write lock when it begins (IMMEDIATE, see
  settings), so claims run one after the other;
- in both, `slots_open` is decremented in the same transaction and cannot go below zero.
"""

import secrets
import time

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from curation.audit import audit_record
from curation.models import Benchmark, CaseVersion, Criterion, Review
from grading.models import (
    Assignment,
    Campaign,
    CampaignItem,
    CampaignItemResponse,
    GraderState,
    Label,
    Rater,
)
from grading.services import GradingError
from grading.services.calibration import calibration_screen_new, calibration_take_due
from grading.services.consensus import consensus_refresh

MAX_SECONDS_PER_STEP = 600  # a client's "seconds since the last action" is clamped to this
CLAIM_ATTEMPTS = 20  # looks for an item while every candidate is locked by other claims


class IncompleteAssignment(GradingError):
    """Submitting with cells unmarked; `missing` holds (response id, criterion id) pairs."""

    def __init__(self, message: str, *, missing: list[tuple[int, int]]):
        super().__init__(message)
        self.missing = missing


def clamp_seconds(seconds) -> int:
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        return 0
    return max(0, min(value, MAX_SECONDS_PER_STEP))


def rater_for(user) -> Rater:
    """The human rater of a user, created on first use."""
    rater, _ = Rater.objects.get_or_create(
        user=user, defaults={"kind": Rater.Kind.HUMAN, "name": user.get_username()}
    )
    return rater


def available_items(*, grader) -> Q:
    """The condition on CampaignItem for "this grader may take it" (besides open slots)."""
    case = OuterRef("case_version__case_id")
    response = OuterRef("response_id")
    overlap = Q(
        Exists(
            CampaignItemResponse.objects.filter(
                response_id=response, item__assignments__grader=grader
            )
        )
    ) | Q(Exists(Label.objects.filter(rater__user=grader, response_id=response)))
    return ~Q(
        Exists(CaseVersion.objects.filter(case_id=case, author=grader))
        | Exists(Review.objects.filter(round__version__case_id=case, reviewer=grader))
        | Exists(Assignment.objects.filter(item_id=OuterRef("pk"), grader=grader))
        | Exists(
            CampaignItemResponse.objects.filter(item_id=OuterRef("pk")).filter(overlap),
        )
    )


def unfinished_assignments(*, grader, benchmark: Benchmark) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        grader=grader, submitted_at__isnull=True, item__campaign__benchmark=benchmark
    ).order_by("claimed_at", "pk")


def grader_campaigns(*, grader, benchmark: Benchmark) -> QuerySet[Campaign]:
    """Open campaigns of the benchmark whose pool holds the grader, the most urgent first."""
    return Campaign.objects.filter(
        benchmark=benchmark, status=Campaign.Status.OPEN, graders=grader
    ).order_by(F("due").asc(nulls_last=True), "created_at", "pk")


def assignment_next(
    *, grader, benchmark: Benchmark | None = None, campaign: Campaign | None = None
) -> Assignment | None:
    """The grader's next item in `campaign` (or in any campaign of `benchmark`), or None."""
    if campaign is not None:
        benchmark = campaign.benchmark
    if benchmark is None:
        raise TypeError("assignment_next needs a benchmark or a campaign")
    with transaction.atomic():
        rater = rater_for(grader)
        Rater.objects.select_for_update().get(pk=rater.pk)
        unfinished = unfinished_assignments(grader=grader, benchmark=benchmark)
        if campaign is not None:
            unfinished = unfinished.filter(item__campaign=campaign)
        found = unfinished.first()
        if found is not None:
            return found
        state = GraderState.objects.filter(benchmark=benchmark, grader=grader).first()
        if state is not None and state.paused:
            return None  # a manager paused them: no new screens
        campaigns = grader_campaigns(grader=grader, benchmark=benchmark)
        if campaign is not None:
            campaigns = campaigns.filter(pk=campaign.pk)
        condition = available_items(grader=grader)
        calibration_due = state is not None and state.calibration_due > 0
        for candidate_campaign in campaigns:
            item = None
            if calibration_due:  # a calibration set was sent: calibration screens first
                item = _claim_item(candidate_campaign, condition & Q(calibration=True))
                item = item or calibration_screen_new(
                    campaign=candidate_campaign, grader=grader, condition=condition
                )
                if item is not None:
                    calibration_take_due(benchmark=benchmark, grader=grader)
            item = item or _claim_item(candidate_campaign, condition)
            if item is not None:
                return _assign(item, grader, benchmark)
    return None


def _claim_item(campaign: Campaign, condition: Q) -> CampaignItem | None:
    candidates = (
        CampaignItem.objects.filter(condition, campaign=campaign, slots_open__gt=0)
        .order_by("slots_open", "position")
        .only("pk", "campaign_id", "slots_open")
    )
    if not connection.features.has_select_for_update_skip_locked:
        return candidates.first()  # SQLite: the IMMEDIATE transaction already serialises us
    unlocked = candidates.select_for_update(skip_locked=True, of=("self",))
    for attempt in range(CLAIM_ATTEMPTS):
        item = unlocked.first()
        # None with candidates left: every one is being claimed this instant. Waiting on their
        # locks could deadlock (PostgreSQL keeps the lock of a row that fails its re-check), so
        # look again shortly, when those claims have committed.
        if item is not None or not candidates.exists():
            return item
        time.sleep(0.005 * (attempt + 1))
    return None


def _assign(item: CampaignItem, grader, benchmark: Benchmark) -> Assignment:
    # Under the item's lock; were it ever to go below zero, the database refuses (positive field).
    CampaignItem.objects.filter(pk=item.pk).update(slots_open=F("slots_open") - 1)
    assignment = Assignment.objects.create(
        item=item, grader=grader, seed=secrets.randbelow(2**31), claimed_at=timezone.now()
    )
    audit_record(
        actor=grader,
        action="assignment.claim",
        obj=assignment,
        benchmark=benchmark,
        data={"campaign": item.campaign_id, "item": item.pk},
    )
    return assignment


def lock_for_write(assignment: Assignment, by) -> Assignment:
    """The assignment read again under its row lock, after the checks every write makes."""
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("item__campaign__benchmark")
        .get(pk=assignment.pk)
    )
    if locked.grader_id != by.pk:
        raise GradingError(gettext("This item is assigned to another grader."))
    if locked.is_submitted:
        raise GradingError(
            gettext("This item was already submitted; its labels can no longer change.")
        )
    return locked


def missing_cells(assignment: Assignment) -> list[tuple[int, int]]:
    """(response id, criterion id) of every cell of the item the grader has not marked."""
    response_ids = CampaignItemResponse.objects.filter(item_id=assignment.item_id).values_list(
        "response_id", flat=True
    )
    criterion_ids = Criterion.objects.filter(
        version_id=assignment.item.case_version_id
    ).values_list("pk", flat=True)
    marked = set(assignment.labels.values_list("response_id", "criterion_id"))
    return [
        (response_id, criterion_id)
        for response_id in response_ids
        for criterion_id in criterion_ids
        if (response_id, criterion_id) not in marked
    ]


def assignment_submit(*, assignment: Assignment, by, seconds=0) -> Assignment:
    """Hand in a fully marked item; its labels count from now on and no longer change."""
    with transaction.atomic():
        locked = lock_for_write(assignment, by)
        missing = missing_cells(locked)
        if missing:
            raise IncompleteAssignment(
                ngettext(
                    "%(count)d cell is not marked yet: mark every criterion for every response.",
                    "%(count)d cells are not marked yet: mark every criterion for every response.",
                    len(missing),
                )
                % {"count": len(missing)},
                missing=missing,
            )
        locked.submitted_at = timezone.now()
        locked.seconds_spent += clamp_seconds(seconds)
        locked.save(update_fields=["submitted_at", "seconds_spent"])
        # The same UPDATE for every item, so a calibration screen's submission looks (and takes)
        # the same: its labels are scored, never counted (see grading.services.calibration).
        locked.labels.update(
            calibration=locked.item.calibration,
            excluded=GraderState.objects.filter(
                benchmark_id=locked.item.campaign.benchmark_id, grader=by, excluded=True
            ).exists(),
        )
        audit_record(
            actor=by,
            action="assignment.submit",
            obj=locked,
            benchmark=locked.item.campaign.benchmark,
            data={
                "campaign": locked.item.campaign_id,
                "item": locked.item_id,
                "labels": locked.labels.count(),
                "seconds": locked.seconds_spent,
            },
        )
        consensus_refresh(items=locked.labels.values_list("response_id", "criterion_id"), by=by)
    assignment.submitted_at = locked.submitted_at
    assignment.seconds_spent = locked.seconds_spent
    return assignment
