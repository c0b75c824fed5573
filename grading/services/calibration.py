"""Grader quality control: calibration items, calibration screens in campaigns, and what a
manager decides about a grader (pause, send a calibration set, exclude from consensus).

Why calibration labels are flagged rows of `Label` rather than a table of their own: a grader
must not be able to tell a calibration screen from an ordinary one, so both go through exactly
the same screen, services, queries and answers (`grading.selectors`, `label_set`,
`assignment_submit`). The difference lives only on the server: the screen's `CampaignItem` is
marked `calibration`, and submitting it marks its labels `calibration` in the same UPDATE every
submission runs. The consensus rule (`consensus.counted_labels`) and the agreement statistics
(`stats_selectors.counted_human`) skip flagged labels with a plain column test, so the real
item's gold set and the inter-rater figures stay what they were; the labels are scored against
the calibration item's own answer key (`CalibrationGold`), copied when it was marked.

Calibration screens are ordinary campaign items: they hold open slots, count in the grader's
queue, are handed out by the same claim in the same order (their positions interleaved at
random with the unclaimed items) so counts and order give nothing away either.
"""

import random
import secrets
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from curation.audit import audit_record
from curation.models import Benchmark, Criterion, Membership, Role
from grading.models import (
    Assignment,
    CalibrationGold,
    CalibrationItem,
    Campaign,
    CampaignItem,
    CampaignItemResponse,
    Consensus,
    GraderQualitySettings,
    GraderState,
    Label,
    Response,
)
from grading.services import GradingError
from grading.services.campaigns import screens
from grading.services.consensus import consensus_refresh, counted_labels

MAX_RATE = 0.5
MAX_CALIBRATION_SET = 20


# --- calibration items -------------------------------------------------------------------------


def calibration_item_mark(
    *, benchmark: Benchmark, response: Response, by, gold: dict[str, bool] | None = None
) -> CalibrationItem:
    """Make `response` a calibration item. Its answer key is its consensus (`gold` None: every
    criterion of its rubric must have a consensus label), or the `gold` labels given by criterion
    key for a whole graded response (every criterion, no other key). Refused, nothing changed,
    if incomplete."""
    if response.case_version.case.benchmark_id != benchmark.pk:
        raise GradingError(gettext("This response is not part of this benchmark."))
    criteria = list(Criterion.objects.filter(version_id=response.case_version_id))
    if not criteria:
        raise GradingError(gettext("This response's rubric has no criteria."))
    consensus = {
        c.criterion_id: c
        for c in Consensus.objects.filter(response=response, criterion__in=criteria)
    }
    if gold is None:
        missing = [c.key for c in criteria if c.pk not in consensus]
        answers = {
            c.pk: (consensus[c.pk].met, consensus[c.pk].rationale)
            for c in criteria
            if c.pk in consensus
        }
    else:
        keys = {c.key for c in criteria}
        unknown = sorted(set(gold) - keys)
        if unknown:
            raise GradingError(
                gettext("Not criteria of this rubric: %(keys)s.") % {"keys": ", ".join(unknown)}
            )
        missing = [c.key for c in criteria if not isinstance(gold.get(c.key), bool)]
        answers = {
            c.pk: (gold.get(c.key), consensus[c.pk].rationale if c.pk in consensus else "")
            for c in criteria
        }
    if missing:
        raise GradingError(
            ngettext(
                "The gold label is incomplete: criterion %(keys)s has no gold label.",
                "The gold label is incomplete: criteria %(keys)s have no gold label.",
                len(missing),
            )
            % {"keys": ", ".join(missing)}
        )
    with transaction.atomic():
        existing = CalibrationItem.objects.select_for_update().filter(response=response).first()
        if existing is not None and existing.retired_at is None:
            raise GradingError(gettext("This response is already a calibration item."))
        if existing is not None:
            existing.delete()  # marked again: the new answer key replaces the retired one
        item = CalibrationItem.objects.create(benchmark=benchmark, response=response, created_by=by)
        CalibrationGold.objects.bulk_create(
            CalibrationGold(item=item, criterion_id=pk, met=met, rationale=rationale)
            for pk, (met, rationale) in answers.items()
        )
        audit_record(
            actor=by,
            action="calibration.mark",
            obj=item,
            benchmark=benchmark,
            data={
                "response": response.pk,
                "source": "consensus" if gold is None else "manager",
                "gold": {c.key: answers[c.pk][0] for c in criteria},
            },
        )
    return item


def calibration_item_retire(*, item: CalibrationItem, by) -> CalibrationItem:
    """Stop handing the item out in new calibration screens; past scores keep its answer key."""
    with transaction.atomic():
        if item.retired_at is None:
            item.retired_at = timezone.now()
            item.save(update_fields=["retired_at"])
            audit_record(actor=by, action="calibration.retire", obj=item, benchmark=item.benchmark)
    return item


# --- calibration screens in campaigns ----------------------------------------------------------


def _pool_screens(campaign: Campaign) -> list[tuple[int, list[int]]]:
    """The calibration screens the benchmark's active items make: (case version id, response
    ids), the responses of one case version cut as the campaign cuts its own."""
    by_version: dict[int, list[int]] = defaultdict(list)
    for version_id, response_id in (
        CalibrationItem.objects.filter(benchmark_id=campaign.benchmark_id, retired_at__isnull=True)
        .order_by("response__case_version_id", "response_id")
        .values_list("response__case_version_id", "response_id")
    ):
        by_version[version_id].append(response_id)
    return [
        (version_id, screen)
        for version_id, response_ids in by_version.items()
        for screen in screens(response_ids, campaign.responses_per_screen)
    ]


def _untouched(campaign: Campaign):
    """Items nobody has claimed yet: the only ones whose place may still change."""
    return CampaignItem.objects.filter(
        campaign=campaign, slots_open=campaign.graders_per_item
    ).exclude(Exists(Assignment.objects.filter(item_id=OuterRef("pk"))))


def _add_screens(campaign: Campaign, new: list[tuple[int, list[int]]], *, shuffle: bool) -> list:
    """Create calibration items for `new` screens; with `shuffle`, give them and the unclaimed
    items fresh positions, the calibration ones at random places among the others (whose order
    stays), beyond every used position so no two rows ever share one."""
    start = (CampaignItem.objects.filter(campaign=campaign).aggregate(m=Max("position"))["m"]) or 0
    waiting = list(_untouched(campaign).order_by("position")) if shuffle else []
    order: list = [*waiting]
    rng = random.Random(secrets.randbits(64))
    for screen in new:
        order.insert(rng.randint(0, len(order)), screen)
    created, moved = [], []
    for offset, entry in enumerate(order, start=start + 1):
        if isinstance(entry, CampaignItem):
            entry.position = offset
            moved.append(entry)
        else:
            created.append(
                (
                    CampaignItem(
                        campaign=campaign,
                        case_version_id=entry[0],
                        position=offset,
                        slots_open=campaign.graders_per_item,
                        calibration=True,
                    ),
                    entry[1],
                )
            )
    CampaignItem.objects.bulk_create([item for item, _ids in created])
    CampaignItemResponse.objects.bulk_create(
        CampaignItemResponse(item=item, response_id=response_id, position=position)
        for item, ids in created
        for position, response_id in enumerate(ids)
    )
    if moved:
        CampaignItem.objects.bulk_update(moved, ["position"], batch_size=1000)
    return [item for item, _ids in created]


def campaign_calibration_set(
    *, campaign: Campaign, by, rate: float, show_feedback: bool
) -> Campaign:
    """Set the share of the campaign's screens that are calibration screens (0..0.5) and whether
    graders get feedback. Calibration screens are added (or unclaimed ones removed) so that they
    make `rate` of the screens."""
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        rate = -1.0
    if not 0 <= rate <= MAX_RATE:
        raise GradingError(gettext("The calibration rate must be between 0% and 50%."))
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        ordinary = CampaignItem.objects.filter(campaign=campaign, calibration=False).count()
        current = CampaignItem.objects.filter(campaign=campaign, calibration=True)
        target = round(rate * ordinary / (1 - rate)) if rate else 0
        have = current.count()
        if target > have:
            pool = _pool_screens(campaign)
            if not pool:
                raise GradingError(
                    gettext("Mark calibration items first: this benchmark has none to mix in.")
                )
            rng = random.Random(secrets.randbits(64))
            rng.shuffle(pool)
            _add_screens(
                campaign, [pool[n % len(pool)] for n in range(target - have)], shuffle=True
            )
        elif target < have:
            spare = list(
                _untouched(campaign)
                .filter(calibration=True)
                .order_by("-position")
                .values_list("pk", flat=True)[: have - target]
            )
            CampaignItem.objects.filter(pk__in=spare).delete()
        previous = (campaign.calibration_rate, campaign.show_feedback)
        campaign.calibration_rate, campaign.show_feedback = rate, bool(show_feedback)
        campaign.save(update_fields=["calibration_rate", "show_feedback"])
        audit_record(
            actor=by,
            action="campaign.calibration",
            obj=campaign,
            benchmark=campaign.benchmark,
            data={
                "from": {"rate": previous[0], "show_feedback": previous[1]},
                "to": {"rate": rate, "show_feedback": bool(show_feedback)},
                "calibration_screens": CampaignItem.objects.filter(
                    campaign=campaign, calibration=True
                ).count(),
            },
        )
    return campaign


def calibration_screen_new(*, campaign: Campaign, grader, condition: Q) -> CampaignItem | None:
    """A new calibration screen of `campaign` made from the pool, which the grader may take (for
    a calibration set sent to them when none is waiting). Called by `assignment_next` inside its
    transaction."""
    touched = set(
        Label.objects.filter(rater__user=grader).values_list("response_id", flat=True)
    ) | set(
        CampaignItemResponse.objects.filter(item__assignments__grader=grader).values_list(
            "response_id", flat=True
        )
    )
    for version_id, response_ids in _pool_screens(campaign):
        if touched.isdisjoint(response_ids):
            made = _add_screens(campaign, [(version_id, response_ids)], shuffle=False)[0]
            if CampaignItem.objects.filter(condition, pk=made.pk).exists():
                return made
            made.delete()  # a case the grader wrote or reviewed
    return None


# --- what a manager decides about a grader -----------------------------------------------------


def grader_state(*, benchmark: Benchmark, grader) -> GraderState:
    return GraderState.objects.filter(benchmark=benchmark, grader=grader).first() or GraderState(
        benchmark=benchmark, grader=grader
    )


def _locked_state(benchmark: Benchmark, grader) -> GraderState:
    if not Membership.objects.filter(benchmark=benchmark, user=grader, role=Role.GRADER).exists():
        raise GradingError(gettext("Not a grader of this benchmark."))
    state, _created = GraderState.objects.select_for_update().get_or_create(
        benchmark=benchmark, grader=grader
    )
    return state


def grader_pause(*, benchmark: Benchmark, grader, by, paused: bool) -> GraderState:
    """Pause a grader (they get no new screens; an unfinished one can still be submitted) or
    let them go on."""
    with transaction.atomic():
        state = _locked_state(benchmark, grader)
        state.paused = bool(paused)
        state.save(update_fields=["paused", "updated_at"])
        audit_record(
            actor=by,
            action="grader.pause" if paused else "grader.resume",
            obj=state,
            benchmark=benchmark,
            data={"grader": grader.pk},
        )
    return state


def grader_send_calibration(*, benchmark: Benchmark, grader, by, count: int) -> GraderState:
    """The grader's next `count` screens are calibration screens."""
    if not isinstance(count, int) or not 1 <= count <= MAX_CALIBRATION_SET:
        raise GradingError(
            gettext("Send between 1 and %(max)d calibration screens.")
            % {"max": MAX_CALIBRATION_SET}
        )
    if not CalibrationItem.objects.filter(benchmark=benchmark, retired_at__isnull=True).exists():
        raise GradingError(
            gettext("Mark calibration items first: this benchmark has none to send.")
        )
    with transaction.atomic():
        state = _locked_state(benchmark, grader)
        state.calibration_due = count
        state.save(update_fields=["calibration_due", "updated_at"])
        audit_record(
            actor=by,
            action="grader.calibration_set",
            obj=state,
            benchmark=benchmark,
            data={"grader": grader.pk, "count": count},
        )
    return state


def _grader_labels(benchmark: Benchmark, grader):
    """The grader's submitted (or imported) labels of the benchmark that consensus may count."""
    return Label.objects.filter(
        rater__user=grader,
        response__case_version__case__benchmark=benchmark,
        calibration=False,
    ).filter(Q(assignment__isnull=True) | Q(assignment__submitted_at__isnull=False))


def grader_exclude(*, benchmark: Benchmark, grader, by, excluded: bool = True) -> GraderState:
    """Take the grader's labels out of consensus (or put them back): every item they labelled is
    recomputed by the consensus rule. Refused, nothing changed, when the grader is the last one
    whose label counts on some item."""
    with transaction.atomic():
        state = _locked_state(benchmark, grader)
        labels = _grader_labels(benchmark, grader)
        if excluded:
            others = Label.objects.filter(
                counted_labels(),
                response_id=OuterRef("response_id"),
                criterion_id=OuterRef("criterion_id"),
            ).exclude(rater_id=OuterRef("rater_id"))
            alone = labels.filter(excluded=False).exclude(Exists(others)).count()
            if alone:
                raise GradingError(
                    ngettext(
                        "%(count)d item has no other grader's label: excluding this grader "
                        "would leave it without any.",
                        "%(count)d items have no other grader's label: excluding this grader "
                        "would leave them without any.",
                        alone,
                    )
                    % {"count": alone}
                )
        items = list(labels.values_list("response_id", "criterion_id"))
        changed = labels.filter(excluded=not excluded).update(excluded=excluded)
        state.excluded = excluded
        state.save(update_fields=["excluded", "updated_at"])
        consensus_refresh(items=items)
        audit_record(
            actor=by,
            action="grader.exclude" if excluded else "grader.include",
            obj=state,
            benchmark=benchmark,
            data={"grader": grader.pk, "labels": changed, "items": len(items)},
        )
    return state


def grader_threshold_set(*, benchmark: Benchmark, by, threshold: float) -> GraderQualitySettings:
    """The share (0..1) under which a grader is flagged."""
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        threshold = -1.0
    if not 0 <= threshold <= 1:
        raise GradingError(gettext("The threshold must be between 0% and 100%."))
    with transaction.atomic():
        settings, _created = GraderQualitySettings.objects.update_or_create(
            benchmark=benchmark, defaults={"threshold": threshold}
        )
        audit_record(
            actor=by,
            action="grader.threshold",
            obj=benchmark,
            benchmark=benchmark,
            data={"threshold": threshold},
        )
    return settings


def grader_threshold(*, benchmark: Benchmark) -> float:
    value = (
        GraderQualitySettings.objects.filter(benchmark=benchmark)
        .values_list("threshold", flat=True)
        .first()
    )
    return GraderQualitySettings._meta.get_field("threshold").default if value is None else value


def calibration_take_due(*, benchmark: Benchmark, grader) -> bool:
    """One screen of a sent calibration set is used (inside `assignment_next`)."""
    return bool(
        GraderState.objects.filter(
            benchmark=benchmark, grader=grader, calibration_due__gt=0
        ).update(calibration_due=F("calibration_due") - 1)
    )
