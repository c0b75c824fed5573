"""Reads of grader quality control shared by the pages and the API, each in a fixed number of
queries: the figures of every grader of a benchmark, the calibration items, and the feedback a
grader sees on their settled items.

Figures of a grader (fractions 0..1; None when undefined):
- calibration: their labels on calibration screens against the items' answer keys: n, accuracy,
  Cohen's kappa (grader x gold, a 2 x 2 table; None with one category);
- consensus: their labels on ordinary items that have a consensus label: n, share equal to it;
- time: submitted screens and mean seconds per screen;
- QC: of their grades sampled for the grade QC queue, how many a senior reviewer checked and
  how many were corrected (`grading.grade_qc.selectors.qc_outcomes_by_grader`);
- weeks: the same figures per week of submission (Monday), oldest first.
A grader is flagged when their calibration accuracy, or without calibration labels their
agreement with consensus, is under the benchmark's threshold.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncWeek

from curation.models import Benchmark, Criterion, Role
from grading.grade_qc.selectors import qc_outcomes_by_grader
from grading.models import (
    Assignment,
    CalibrationGold,
    CalibrationItem,
    CampaignItemResponse,
    Consensus,
    GraderState,
    Label,
    Rater,
    Response,
)
from grading.selectors import LETTERS
from grading.services.calibration import grader_threshold
from grading.stats.arrays import figure
from grading.stats.confusion import kappa_from_tables


@dataclass
class Figures:
    """Calibration, consensus and time figures over some labels and screens."""

    calibration_n: int = 0
    calibration_accuracy: float | None = None
    calibration_kappa: float | None = None
    consensus_n: int = 0
    consensus_agreement: float | None = None
    items_submitted: int = 0
    seconds_per_item: float | None = None


@dataclass
class Week(Figures):
    week: date | None = None


@dataclass
class GraderRow(Figures):
    grader: object = None
    state: GraderState | None = None
    qc_checked: int = 0
    qc_corrected: int = 0
    flagged: bool = False
    weeks: list[Week] = field(default_factory=list)

    @property
    def qc_correction_rate(self) -> float | None:
        return self.qc_corrected / self.qc_checked if self.qc_checked else None


def figures(
    *, calibration: np.ndarray, consensus: np.ndarray, items: int, seconds: int, into: Figures
) -> Figures:
    """Fill `into` from 2 x 2 tables [reference, label] (0 = not met, 1 = met) of the labels
    against the calibration answer key and against consensus, and the screens submitted."""
    n = int(calibration.sum())
    into.calibration_n = n
    into.calibration_accuracy = float(np.trace(calibration)) / n if n else None
    # The closed form (the statistics' bootstrap twin of scikit-learn's): a page must not pay
    # for importing scikit-learn.
    into.calibration_kappa = figure(kappa_from_tables(calibration)) if n else None
    m = int(consensus.sum())
    into.consensus_n = m
    into.consensus_agreement = float(np.trace(consensus)) / m if m else None
    into.items_submitted = items
    into.seconds_per_item = seconds / items if items else None
    return into


def _week(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def grader_rows(*, benchmark: Benchmark) -> list[GraderRow]:
    """Every grader of the benchmark with their figures, state and weekly trend. Seven queries,
    whatever the number of labels."""
    graders = list(
        get_user_model()
        .objects.filter(memberships__benchmark=benchmark, memberships__role=Role.GRADER)
        .order_by("display_name", "username")
    )
    states = {s.grader_id: s for s in GraderState.objects.filter(benchmark=benchmark)}
    # [grader][week] -> 2 x 2 tables and screen counts
    calibration: dict = defaultdict(lambda: defaultdict(lambda: np.zeros((2, 2), dtype=np.int64)))
    consensus: dict = defaultdict(lambda: defaultdict(lambda: np.zeros((2, 2), dtype=np.int64)))
    screens: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    gold = "response__calibration_item__gold"
    for user_id, week, met, reference, n in (
        Label.objects.filter(
            calibration=True,
            response__case_version__case__benchmark=benchmark,
            **{f"{gold}__criterion_id": F("criterion_id")},
        )
        .annotate(week=TruncWeek("assignment__submitted_at"))
        .values_list("rater__user_id", "week", "met", f"{gold}__met")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        calibration[user_id][_week(week)][int(reference), int(met)] += n
    for user_id, week, met, reference, n in (
        Label.objects.filter(
            Q(assignment__isnull=True) | Q(assignment__submitted_at__isnull=False),
            calibration=False,
            rater__kind=Rater.Kind.HUMAN,
            rater__user__isnull=False,
            response__case_version__case__benchmark=benchmark,
            response__consensus__criterion_id=F("criterion_id"),
        )
        .annotate(week=TruncWeek(Coalesce("assignment__submitted_at", "created_at")))
        .values_list("rater__user_id", "week", "met", "response__consensus__met")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        consensus[user_id][_week(week)][int(reference), int(met)] += n
    for user_id, week, n, seconds in (
        Assignment.objects.filter(item__campaign__benchmark=benchmark, submitted_at__isnull=False)
        .annotate(week=TruncWeek("submitted_at"))
        .values_list("grader_id", "week")
        .annotate(n=Count("pk"), s=Coalesce(Sum("seconds_spent"), 0))
        .order_by()
    ):
        screens[user_id][_week(week)][0] += n
        screens[user_id][_week(week)][1] += seconds
    threshold = grader_threshold(benchmark=benchmark)
    qc = qc_outcomes_by_grader(benchmark=benchmark)
    empty = np.zeros((2, 2), dtype=np.int64)
    rows = []
    for grader in graders:
        weeks = sorted(
            set(calibration[grader.pk]) | set(consensus[grader.pk]) | set(screens[grader.pk]),
            key=lambda w: (w is None, w),
        )
        row = figures(
            calibration=sum(calibration[grader.pk].values(), empty),
            consensus=sum(consensus[grader.pk].values(), empty),
            items=sum(n for n, _s in screens[grader.pk].values()),
            seconds=sum(s for _n, s in screens[grader.pk].values()),
            into=GraderRow(
                grader=grader,
                state=states.get(grader.pk) or GraderState(benchmark=benchmark, grader=grader),
            ),
        )
        row.weeks = [
            figures(
                calibration=calibration[grader.pk].get(week, empty),
                consensus=consensus[grader.pk].get(week, empty),
                items=screens[grader.pk].get(week, [0, 0])[0],
                seconds=screens[grader.pk].get(week, [0, 0])[1],
                into=Week(week=week),
            )
            for week in weeks
        ]
        if grader.pk in qc:
            row.qc_checked, row.qc_corrected = qc[grader.pk].checked, qc[grader.pk].corrected
        score = row.calibration_accuracy if row.calibration_n else row.consensus_agreement
        row.flagged = score is not None and score < threshold
        rows.append(row)
    return rows


def grader_row(*, benchmark: Benchmark, grader_id: int) -> GraderRow | None:
    return next((r for r in grader_rows(benchmark=benchmark) if r.grader.pk == grader_id), None)


@dataclass(frozen=True)
class QueueNotice:
    paused: bool
    feedback: bool


def grader_queue_notice(*, benchmark: Benchmark, grader) -> QueueNotice:
    """For the grader's queue: whether a manager paused them, and whether a campaign of theirs
    gives feedback. Two queries."""
    return QueueNotice(
        paused=GraderState.objects.filter(benchmark=benchmark, grader=grader, paused=True).exists(),
        feedback=Assignment.objects.filter(
            grader=grader, item__campaign__benchmark=benchmark, item__campaign__show_feedback=True
        ).exists(),
    )


# --- calibration items -------------------------------------------------------------------------


def calibration_items(*, benchmark: Benchmark):
    """The benchmark's calibration items with their case, model and answer key. Two queries."""
    return (
        CalibrationItem.objects.filter(benchmark=benchmark)
        .select_related("response__case_version__case", "response__model", "created_by")
        .prefetch_related("gold__criterion")
        .order_by("retired_at", "response__case_version__case__external_id", "response_id")
    )


def _lacking_consensus() -> QuerySet[Criterion]:
    """Criteria of the outer response's rubric without a consensus label on it."""
    return Criterion.objects.filter(version_id=OuterRef("case_version_id")).exclude(
        Exists(
            Consensus.objects.filter(
                response_id=OuterRef(OuterRef("pk")), criterion_id=OuterRef("pk")
            )
        )
    )


def _responses(benchmark: Benchmark) -> QuerySet[Response]:
    return (
        Response.objects.filter(case_version__case__benchmark=benchmark)
        .exclude(Exists(CalibrationItem.objects.filter(response_id=OuterRef("pk"))))
        .select_related("case_version__case", "model")
        .order_by("case_version__case__external_id", "model__name", "sample")
    )


def calibration_candidates(*, benchmark: Benchmark) -> QuerySet[Response]:
    """Responses whose every criterion has a consensus label and which are not calibration items
    yet: what a manager can mark as is. One query per page."""
    return _responses(benchmark).filter(
        Exists(Consensus.objects.filter(response_id=OuterRef("pk"))),
        ~Exists(_lacking_consensus()),
    )


def calibration_graded(*, benchmark: Benchmark) -> QuerySet[Response]:
    """Graded responses (a submitted or imported human label) still lacking a consensus label
    somewhere: a manager can give their whole gold label. One query per page."""
    graded = Label.objects.filter(
        Q(assignment__isnull=True) | Q(assignment__submitted_at__isnull=False),
        response_id=OuterRef("pk"),
        rater__kind=Rater.Kind.HUMAN,
        calibration=False,
    )
    return _responses(benchmark).filter(Exists(graded), Exists(_lacking_consensus()))


# --- feedback to a grader ----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackRow:
    """One cell where the grader's label differed from the gold label. Blind like the screen:
    the response is known by its letter on the grader's own screen."""

    assignment_id: int
    campaign: str
    case_id: str
    letter: str
    criterion_key: str
    criterion_text: str
    your_label: bool
    gold_label: bool
    rationale: str
    submitted_at: datetime


def grader_feedback(*, benchmark: Benchmark, grader) -> list[FeedbackRow]:
    """Where the grader's submitted labels differ from the gold label, on their settled items of
    campaigns that give feedback, the newest first. An ordinary item is settled once it has a
    consensus label; a calibration screen once all its graders have submitted, which is when an
    ordinary screen graded alike gets its consensus, so the moment feedback appears does not
    tell the two apart (with one grader per item neither ever settles). Four queries."""
    base = Label.objects.filter(
        assignment__grader=grader,
        assignment__submitted_at__isnull=False,
        assignment__item__campaign__benchmark=benchmark,
        assignment__item__campaign__show_feedback=True,
    ).values_list(
        "assignment_id",
        "assignment__seed",
        "assignment__item_id",
        "assignment__item__campaign__name",
        "assignment__item__case_version__case__external_id",
        "response_id",
        "criterion__key",
        "criterion__text",
        "criterion__position",
        "met",
        "assignment__submitted_at",
    )
    fields = base.query.values_select
    consensus = Consensus.objects.filter(
        response_id=OuterRef("response_id"), criterion_id=OuterRef("criterion_id")
    )
    ordinary = (
        base.filter(calibration=False)
        .annotate(
            gold=Subquery(consensus.values("met")[:1]),
            why=Subquery(consensus.values("rationale")[:1]),
        )
        .filter(gold=~F("met"))
        .values_list(*fields, "why")
    )
    unsettled = Assignment.objects.filter(
        item_id=OuterRef("assignment__item_id"), submitted_at__isnull=True
    )
    key = CalibrationGold.objects.filter(
        item__response_id=OuterRef("response_id"), criterion_id=OuterRef("criterion_id")
    )
    calibration = (
        base.filter(
            calibration=True,
            assignment__item__slots_open=0,
            assignment__item__campaign__graders_per_item__gte=2,
        )
        .exclude(Exists(unsettled))
        .annotate(gold=Subquery(key.values("met")[:1]), why=Subquery(key.values("rationale")[:1]))
        .filter(gold=~F("met"))
        .values_list(*fields, "why")
    )
    rows = list(ordinary.order_by()) + list(calibration.order_by())
    item_ids = {row[2] for row in rows}
    in_order: dict[int, list[int]] = defaultdict(list)
    for item_id, response_id in (
        CampaignItemResponse.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "position")
        .values_list("item_id", "response_id")
    ):
        in_order[item_id].append(response_id)
    out = []
    for (
        assignment_id,
        seed,
        item_id,
        campaign,
        case_id,
        response_id,
        key,
        text,
        _position,
        met,
        submitted_at,
        rationale,
    ) in rows:
        order = list(in_order[item_id])
        random.Random(seed).shuffle(order)  # as grading.selectors.shuffled
        letter = dict(zip(order, LETTERS, strict=False))[response_id]
        out.append(
            FeedbackRow(
                assignment_id=assignment_id,
                campaign=campaign,
                case_id=case_id,
                letter=letter,
                criterion_key=key,
                criterion_text=text,
                your_label=met,
                gold_label=not met,
                rationale=rationale or "",
                submitted_at=submitted_at,
            )
        )
    positions = {(row[0], row[6]): row[8] for row in rows}
    out.sort(
        key=lambda r: (
            -r.submitted_at.timestamp(),
            r.assignment_id,
            positions[(r.assignment_id, r.criterion_key)],
            r.letter,
        )
    )
    return out
