"""Reads of grading shared by the pages and the API, each with a fixed number of queries.

What a grader receives is built here from blind data only: responses are known by the letter
(A-D) of their place on the grader's screen, which is shuffled per grader and item by the
assignment's seed; no model, response id or other rater's label ever leaves these functions for
a grader.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from curation.models import Benchmark, CaseStatus, CaseVersion, Criterion, Review, Role
from grading.adjudication_selectors import adjudication_open_counts
from grading.grade_qc.selectors import grade_qc_open_counts
from grading.models import (
    Assignment,
    Campaign,
    CampaignItem,
    CampaignItemResponse,
    Label,
    ModelUnderTest,
)

LETTERS = "ABCD"


# --- the grader's queue ----------------------------------------------------------------------


@dataclass
class QueueRow:
    """One campaign as a grader sees it in their queue."""

    campaign_id: int
    name: str
    due: date | None
    is_open: bool
    submitted: int
    unfinished_id: int | None
    available: int

    @property
    def has_work(self) -> bool:
        return self.unfinished_id is not None or (self.is_open and self.available > 0)


def _aggregate(queryset: QuerySet, function: str, field_name: str) -> Coalesce:
    """COUNT or SUM over a correlated queryset, as a subquery (no GROUP BY needed); 0 if none."""
    value = queryset.order_by().annotate(v=Func(F(field_name), function=function)).values("v")
    return Coalesce(Subquery(value, output_field=IntegerField()), 0)


def _count(queryset: QuerySet) -> Coalesce:
    return _aggregate(queryset, "COUNT", "pk")


def _sum(queryset: QuerySet, field_name: str) -> Coalesce:
    return _aggregate(queryset, "SUM", field_name)


def _touched_cases(*, user) -> QuerySet:
    """The ids of the cases the user wrote (any version) or reviewed: never theirs to grade."""
    authored = CaseVersion.objects.filter(author=user).order_by().values_list("case_id")
    reviewed = (
        Review.objects.filter(reviewer=user).order_by().values_list("round__version__case_id")
    )
    return authored.union(reviewed)


# The queue's rule, in SQL on the outer grading_campaign row (not aliased in a query over
# Campaign): Django takes ~3 ms more CPU to build the same subqueries from expressions, and the
# navigation counts them on every page of a grader. Each reads only indexes: the grader's
# assignments, the pool, and the partial index of open items (slots_open > 0).
_MINE = """SELECT {0} FROM grading_assignment a JOIN grading_campaignitem i ON i.id = a.item_id
    WHERE i.campaign_id = grading_campaign.id AND a.grader_id = %s"""
_UNFINISHED_ID = f"({_MINE.format('MIN(a.id)')} AND a.submitted_at IS NULL)"
_SUBMITTED = f"({_MINE.format('COUNT(*)')} AND a.submitted_at IS NOT NULL)"
_IN_QUEUE = f"""(grading_campaign.status = %s AND EXISTS (
        SELECT 1 FROM grading_campaign_graders p
        WHERE p.campaign_id = grading_campaign.id AND p.user_id = %s))
    OR EXISTS ({_MINE.format(1)} AND a.submitted_at IS NULL)"""
# A grader a manager paused gets no new item: nothing is available to them.
_TAKES_NEW = """grading_campaign.status = %s AND NOT EXISTS (
    SELECT 1 FROM grading_graderstate s WHERE s.benchmark_id = grading_campaign.benchmark_id
    AND s.grader_id = %s AND s.paused = %s)"""
_WAITING = """(SELECT COUNT(*) FROM grading_campaignitem i
    WHERE i.campaign_id = grading_campaign.id AND i.slots_open > 0)"""
_HELD_OPEN = f"({_MINE.format('COUNT(*)')} AND i.slots_open > 0)"
# Open items of the cases the grader wrote or reviewed (`_touched_cases`, a subquery: an author
# who imported the benchmark wrote all of its cases) that they do not hold (counted as held).
# Their versions as a list, not a join: SQLite then tests each open item against it, where the
# join looked up the grader's assignment and the version of every open item (125 -> 11 ms for
# a grader in a 75,000-item campaign).
_THEIRS = """(SELECT COUNT(*) FROM grading_campaignitem i
    WHERE i.campaign_id = grading_campaign.id AND i.slots_open > 0 AND i.case_version_id IN (
        SELECT v.id FROM curation_caseversion v WHERE v.case_id IN ({0}))
    AND NOT EXISTS (
        SELECT 1 FROM grading_assignment a WHERE a.item_id = i.id AND a.grader_id = %s))"""


def _queue_campaigns(*, benchmark_ids: Iterable[int], grader) -> QuerySet[Campaign]:
    """The campaigns in the grader's queue in the benchmarks of `benchmark_ids`: open ones whose
    pool holds them, and any campaign where they have an unfinished item; each with
    `unfinished_id` (their unfinished item there, if any) and `available`.

    `available` counts the items with a grader still needed that the grader does not hold and
    that are not of a case they wrote or reviewed: the campaign's open items (an index-only
    count) less those the grader holds and those of their cases. Unlike "next" it does not look
    for responses the grader already graded in another campaign (rare, and costly to count), so
    it may count a few items too many.
    """
    open_ = Campaign.Status.OPEN
    touched, touched_params = _touched_cases(user=grader).query.sql_with_params()
    available = f"{_WAITING} - {_HELD_OPEN} - {_THEIRS.format(touched)}"
    params = [grader.pk, *touched_params, grader.pk]
    return (
        Campaign.objects.filter(benchmark_id__in=list(benchmark_ids))
        .filter(RawSQL(_IN_QUEUE, (open_, grader.pk, grader.pk), output_field=BooleanField()))
        .annotate(
            unfinished_id=RawSQL(_UNFINISHED_ID, (grader.pk,), output_field=IntegerField()),
            available=RawSQL(
                f"CASE WHEN {_TAKES_NEW} THEN {available} ELSE 0 END",
                (open_, grader.pk, True, *params),
                output_field=IntegerField(),
            ),
        )
    )


def grader_queue(*, benchmark: Benchmark, grader) -> list[QueueRow]:
    """The campaigns with work for the grader (`_queue_campaigns`), the most urgent first. One
    query."""
    campaigns = (
        _queue_campaigns(benchmark_ids=[benchmark.pk], grader=grader)
        .annotate(submitted=RawSQL(_SUBMITTED, (grader.pk,), output_field=IntegerField()))
        .order_by(F("due").asc(nulls_last=True), "created_at", "pk")
    )
    return [
        QueueRow(
            campaign_id=campaign.pk,
            name=campaign.name,
            due=campaign.due,
            is_open=campaign.status == Campaign.Status.OPEN,
            submitted=campaign.submitted,
            unfinished_id=campaign.unfinished_id,
            available=campaign.available,
        )
        for campaign in campaigns
    ]


def _work(figures) -> int:
    """The work in a grader's queue from its (unfinished_id, available) per campaign: an
    unfinished item per campaign plus the items they could still take."""
    return sum((unfinished_id is not None) + available for unfinished_id, available in figures)


def queue_counts_by_benchmark(
    *,
    user,
    roles_by_benchmark: dict[int, frozenset[str]],
    grader_rows: dict[int, list[QueueRow]] | None = None,
) -> dict[int, dict[str, int]]:
    """Open grading work per benchmark id, for the areas the roles give, in at most three queries
    whatever the number of benchmarks (none when no role gives an area).

    For a grader, the work in their queue (`_work` of `_queue_campaigns`; `grader_rows`, the
    queues a page has already by benchmark id, are not read again); for an adjudicator, the open
    disagreements and the grades they may check.
    """
    counts: dict[int, dict[str, int]] = {benchmark_id: {} for benchmark_id in roles_by_benchmark}
    grader_rows = grader_rows or {}
    grading = [pk for pk, roles in roles_by_benchmark.items() if Role.GRADER in roles]
    figures: dict[int, list[tuple[int | None, int]]] = {
        pk: [(row.unfinished_id, row.available) for row in grader_rows[pk]]
        for pk in grading
        if pk in grader_rows
    }
    to_read = [pk for pk in grading if pk not in grader_rows]
    if to_read:
        campaigns = _queue_campaigns(benchmark_ids=to_read, grader=user).order_by()
        for benchmark_id, *figure in campaigns.values_list(
            "benchmark_id", "unfinished_id", "available"
        ):
            figures.setdefault(benchmark_id, []).append(tuple(figure))
    for pk in grading:
        counts[pk]["grading"] = _work(figures.get(pk, []))
    adjudicating = [pk for pk, roles in roles_by_benchmark.items() if Role.ADJUDICATOR in roles]
    if adjudicating:
        open_items = adjudication_open_counts(benchmark_ids=adjudicating)
        open_checks = grade_qc_open_counts(benchmark_ids=adjudicating, user=user)
        for pk in adjudicating:
            counts[pk]["adjudication"] = open_items[pk]
            counts[pk]["grade_qc"] = open_checks[pk]
    return counts


# --- the grading screen ------------------------------------------------------------------------


def assignment_get(*, benchmark: Benchmark, grader, pk: int) -> Assignment | None:
    """The grader's own assignment in this benchmark, with its item, campaign and case."""
    return (
        Assignment.objects.filter(pk=pk, grader=grader, item__campaign__benchmark=benchmark)
        .select_related("item__campaign", "item__case_version__case")
        .first()
    )


def shuffled(assignment: Assignment, response_ids: list[int]) -> list[int]:
    """The item's responses (in item order) in the order this grader sees them."""
    order = list(response_ids)
    random.Random(assignment.seed).shuffle(order)
    return order


def letters(assignment: Assignment) -> dict[str, int]:
    """{letter: response id} of the assignment's screen. One query."""
    ids = list(
        CampaignItemResponse.objects.filter(item_id=assignment.item_id)
        .order_by("position")
        .values_list("response_id", flat=True)
    )
    return dict(zip(LETTERS, shuffled(assignment, ids), strict=False))


@dataclass(frozen=True)
class BlindResponse:
    letter: str
    text: str


@dataclass
class Cell:
    key: str
    letter: str
    met: bool | None = None
    note: str = ""
    missing: bool = False

    @property
    def marked(self) -> bool:
        return self.met is not None


@dataclass
class Row:
    criterion: Criterion
    cells: list[Cell] = field(default_factory=list)


@dataclass
class GradingScreen:
    assignment_id: int
    campaign_name: str
    case_id: str
    title: str
    messages: list[dict]
    reference_answer: str | None
    responses: list[BlindResponse]
    rows: list[Row]
    submitted_at: datetime | None

    @property
    def total(self) -> int:
        return len(self.rows) * len(self.responses)

    @property
    def marked(self) -> int:
        return sum(cell.marked for row in self.rows for cell in row.cells)

    def cell(self, key: str, letter: str) -> Cell | None:
        for row in self.rows:
            if row.criterion.key == key:
                return next((c for c in row.cells if c.letter == letter), None)
        return None


def grading_screen(*, assignment: Assignment) -> GradingScreen:
    """Everything the grader's screen shows, blind. Three queries (the assignment comes with its
    item, campaign and case version from `assignment_get`)."""
    item = assignment.item
    version = item.case_version
    texts = dict(
        CampaignItemResponse.objects.filter(item_id=item.pk)
        .order_by("position")
        .values_list("response_id", "response__text")
    )
    by_letter = dict(zip(LETTERS, shuffled(assignment, list(texts)), strict=False))
    labels = {
        (label.response_id, label.criterion_id): label
        for label in Label.objects.filter(assignment=assignment).only(
            "response_id", "criterion_id", "met", "note"
        )
    }
    rows = []
    for criterion in Criterion.objects.filter(version_id=version.pk).order_by("position"):
        row = Row(criterion=criterion)
        for letter, response_id in by_letter.items():
            label = labels.get((response_id, criterion.pk))
            row.cells.append(
                Cell(
                    key=criterion.key,
                    letter=letter,
                    met=None if label is None else label.met,
                    note="" if label is None else label.note,
                )
            )
        rows.append(row)
    return GradingScreen(
        assignment_id=assignment.pk,
        campaign_name=item.campaign.name,
        case_id=version.case.external_id,
        title=version.title,
        messages=version.messages,
        reference_answer=version.reference_answer if item.campaign.show_reference_answer else None,
        responses=[BlindResponse(letter=k, text=texts[v]) for k, v in by_letter.items()],
        rows=rows,
        submitted_at=assignment.submitted_at,
    )


# --- managers: building campaigns, following them ----------------------------------------------


def approved_versions(*, benchmark: Benchmark, term_groups=()) -> QuerySet[CaseVersion]:
    """The approved current versions of the benchmark's cases carrying, for each group of term
    ids given, at least one of them (any term of a facet, every facet filtered)."""
    versions = CaseVersion.objects.filter(
        case__benchmark=benchmark,
        case__status=CaseStatus.APPROVED,
        case__current_version=F("pk"),
    )
    tagged = CaseVersion.terms.through.objects
    for term_ids in term_groups:
        if term_ids:
            versions = versions.filter(
                Exists(tagged.filter(caseversion_id=OuterRef("pk"), term_id__in=term_ids))
            )
    return versions.order_by("case__external_id")


def models_with_responses(*, benchmark: Benchmark) -> QuerySet[ModelUnderTest]:
    """Models with responses to approved cases of the benchmark, each with `responses`."""
    return (
        ModelUnderTest.objects.filter(
            responses__case_version__case__benchmark=benchmark,
            responses__case_version__case__status=CaseStatus.APPROVED,
        )
        .annotate(responses_count=Count("responses"))
        .order_by("name")
    )


@dataclass
class CampaignRow:
    campaign: Campaign
    items: int
    needed: int
    claimed: int
    submitted: int

    @property
    def percent_done(self) -> int:
        return round(100 * self.submitted / self.needed) if self.needed else 0


def campaign_rows(*, benchmark: Benchmark, pk: int | None = None) -> list[CampaignRow]:
    """The benchmark's campaigns (or the one `pk`) with their progress. One query."""
    items = CampaignItem.objects.filter(campaign=OuterRef("pk"))
    campaigns = (
        Campaign.objects.filter(benchmark=benchmark)
        .select_related("created_by")
        .annotate(
            items_count=_count(items),
            # Over the partial index of open items, which holds both columns: no table read.
            open_slots=_sum(items.filter(slots_open__gt=0), "slots_open"),
            submitted=_count(
                Assignment.objects.filter(item__campaign=OuterRef("pk"), submitted_at__isnull=False)
            ),
        )
    )
    if pk is not None:
        campaigns = campaigns.filter(pk=pk)
    rows = []
    for campaign in campaigns:
        needed = campaign.items_count * campaign.graders_per_item
        rows.append(
            CampaignRow(
                campaign=campaign,
                items=campaign.items_count,
                needed=needed,
                claimed=needed - campaign.open_slots,
                submitted=campaign.submitted,
            )
        )
    return rows


def campaign_graders(*, campaign: Campaign) -> list:
    """The pool, each grader with `claimed`, `submitted`, `seconds_per_item` (submitted items)
    and `last_submitted`. One query."""
    of_campaign = Q(grading_assignments__item__campaign=campaign)
    done = of_campaign & Q(grading_assignments__submitted_at__isnull=False)
    graders = list(
        campaign.graders.annotate(
            claimed=Count("grading_assignments", filter=of_campaign),
            submitted=Count("grading_assignments", filter=done),
            seconds=Coalesce(Sum("grading_assignments__seconds_spent", filter=done), 0),
            last_submitted=Max("grading_assignments__submitted_at", filter=done),
        ).order_by("display_name", "username")
    )
    for grader in graders:
        grader.seconds_per_item = grader.seconds / grader.submitted if grader.submitted else None
    return graders


class CampaignCases:
    """The campaign's case versions in campaign order (it is built in case order), each with
    `items`, `needed`, `claimed` and `submitted` (assignments). Paginators slice it: a page
    takes three queries, one ordering the campaign's items (no other table), two reading the
    page's cases only."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.order = (
            CampaignItem.objects.filter(campaign=campaign)
            .values("case_version_id")
            .annotate(first=Min("position"))
            .order_by("first")
            .values_list("case_version_id", flat=True)
        )

    def count(self) -> int:
        return self.order.count()

    def __getitem__(self, page: slice) -> list[CaseVersion]:
        ids = list(self.order[page])
        versions = (
            CaseVersion.objects.select_related("case")
            .only("pk", "number", "title", "case__external_id")
            .in_bulk(ids)
        )
        figures = (
            CampaignItem.objects.filter(campaign=self.campaign, case_version_id__in=ids)
            .values("case_version_id")
            .annotate(
                items=Count("pk", distinct=True),
                claimed=Count("assignments"),
                submitted=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)),
            )
            .order_by()
        )
        for row in figures:
            version = versions[row["case_version_id"]]
            version.items = row["items"]
            version.claimed = row["claimed"]
            version.submitted = row["submitted"]
            version.needed = version.items * self.campaign.graders_per_item
        return [versions[pk] for pk in ids]


def campaign_cases(*, campaign: Campaign) -> CampaignCases:
    return CampaignCases(campaign)


def cell_target(*, assignment: Assignment, letter: str, key: str) -> tuple[int, Criterion] | None:
    """The response id and criterion of a cell named by its letter and criterion key, or None
    if the item has no such cell. Two queries."""
    response_id = letters(assignment).get(letter)
    if response_id is None:
        return None
    criterion = Criterion.objects.filter(
        version_id=assignment.item.case_version_id, key=key
    ).first()
    return None if criterion is None else (response_id, criterion)


def blind_cells(*, assignment: Assignment, cells: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """(criterion key, letter) of (response id, criterion id) pairs of the assignment's item, in
    grid order. Two queries."""
    letter_of = {response_id: letter for letter, response_id in letters(assignment).items()}
    criteria = {
        pk: (position, key)
        for pk, position, key in Criterion.objects.filter(pk__in={c for _, c in cells}).values_list(
            "pk", "position", "key"
        )
    }
    ordered = sorted(cells, key=lambda cell: (criteria[cell[1]][0], letter_of[cell[0]]))
    return [(criteria[criterion][1], letter_of[response]) for response, criterion in ordered]
