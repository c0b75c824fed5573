"""Reads of adjudication shared by the pages and the API: the queue, one item with everything an
adjudicator needs, and the gold set figures. Each runs a fixed number of queries."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext

from curation.models import Benchmark, CaseVersion, Term
from grading.models import (
    AdjudicationItem,
    AdjudicationSettings,
    CampaignItemResponse,
    Consensus,
    CriterionFlag,
    Label,
    Rater,
)
from grading.services.consensus import counted_labels

QUEUE_ROW_FIELDS = (
    "opened_at",
    "reopened_count",
    "revision",
    "criterion__key",
    "criterion__text",
    "criterion__tags",
    "response__case_version__number",
    "response__case_version__case__external_id",
)
TAGS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class QueueFilters:
    campaign: int | None = None
    term: int | None = None
    tag: str = ""


def _in_campaign(campaign_id: int) -> Exists:
    return Exists(
        CampaignItemResponse.objects.filter(
            response_id=OuterRef("response_id"), item__campaign_id=campaign_id
        )
    )


def adjudication_queue(*, benchmark: Benchmark, filters: QueueFilters, user) -> QuerySet:
    """Open items, the oldest first, narrowed by campaign, facet term and criterion tag; never
    the items `user` labelled (nobody adjudicates their own work). Rows carry what the queue
    shows, not the conversation and response texts."""
    items = AdjudicationItem.objects.filter(
        benchmark=benchmark, status=AdjudicationItem.Status.OPEN
    )
    # The rater by its id, not through a join on the user: the planner then knows how many labels
    # it has (mostly none) instead of guessing that they cover the queue and sorting it whole.
    rater_id = Rater.objects.filter(user=user).values_list("pk", flat=True).first()
    if rater_id is not None:
        items = items.exclude(
            Exists(
                Label.objects.filter(
                    response_id=OuterRef("response_id"),
                    criterion_id=OuterRef("criterion_id"),
                    rater_id=rater_id,
                )
            )
        )
    if filters.campaign:
        items = items.filter(_in_campaign(filters.campaign))
    if filters.term:
        items = items.filter(
            Exists(
                CaseVersion.terms.through.objects.filter(
                    caseversion_id=OuterRef("response__case_version_id"), term_id=filters.term
                )
            )
        )
    if filters.tag:
        # Tags are stored as JSON text with Chinese kept as is: the quoted tag is an exact element.
        items = items.filter(criterion__tags__icontains=json.dumps(filters.tag, ensure_ascii=False))
    return (
        items.select_related("criterion", "response__case_version__case")
        .only(*QUEUE_ROW_FIELDS)
        .order_by("opened_at", "pk")  # the index adjudication_item_open, read from its start
    )


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue page, with its values ready to show."""

    pk: int
    url: str
    case: str
    version_label: str
    key: str
    text: str  # the criterion, cut short
    reopened: bool
    opened_at: str  # ISO 8601, in the current time zone
    opened_label: str
    waiting: str


def adjudication_queue_rows(*, items: QuerySet, url_of: Callable[[int], str]) -> list[QueueRow]:
    """The rows of a page of the queue (`items`, a slice of adjudication_queue); `url_of(pk)` is
    the link of a row. Read as plain values and formatted here, not as four models per row
    through template tags and filters, which took most of the page's time (bench/).

    The page's ids are picked in a subquery on the queue alone, so a later page joins its own 50
    rows only, not every row it skips."""
    version_label = gettext("v%(number)s")
    waiting: dict[datetime, str] = {}  # the items of one import or submission share their time
    rows = []
    page = AdjudicationItem.objects.filter(pk__in=items.values("pk")).order_by("opened_at", "pk")
    for row in page.values(
        "pk",
        "opened_at",
        "reopened_count",
        "criterion__key",
        "criterion__text",
        "response__case_version__number",
        "response__case_version__case__external_id",
    ):
        opened_at = timezone.localtime(row["opened_at"])
        if opened_at not in waiting:
            waiting[opened_at] = timesince(opened_at)
        rows.append(
            QueueRow(
                pk=row["pk"],
                url=url_of(row["pk"]),
                case=row["response__case_version__case__external_id"],
                version_label=version_label % {"number": row["response__case_version__number"]},
                key=row["criterion__key"],
                text=Truncator(row["criterion__text"]).chars(120),
                reopened=bool(row["reopened_count"]),
                opened_at=opened_at.isoformat(),
                opened_label=opened_at.strftime("%Y-%m-%d %H:%M"),
                waiting=waiting[opened_at],
            )
        )
    return rows


def adjudication_counts(*, benchmark: Benchmark) -> dict[str, int]:
    """How many items of the benchmark are in each adjudication status."""
    counts = dict.fromkeys(AdjudicationItem.Status.values, 0)
    counts.update(
        AdjudicationItem.objects.filter(benchmark=benchmark)
        .values_list("status")
        .annotate(n=Count("*"))  # not the id: the index adjudication_item_status answers alone
        .order_by()
    )
    return counts


def adjudication_open_counts(*, benchmark_ids: Iterable[int]) -> dict[int, int]:
    """{benchmark id: its open items} for each of `benchmark_ids` (0 when none). One query."""
    benchmark_ids = list(benchmark_ids)
    found = dict(
        AdjudicationItem.objects.filter(
            benchmark_id__in=benchmark_ids, status=AdjudicationItem.Status.OPEN
        )
        .values_list("benchmark_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {benchmark_id: found.get(benchmark_id, 0) for benchmark_id in benchmark_ids}


def queue_choices(*, benchmark: Benchmark) -> dict:
    """The filter menus: campaigns and facet terms as (pk, label), criterion tags of open items."""
    return {
        "campaigns": list(benchmark.campaigns.order_by("name").values_list("pk", "name")),
        "terms": [
            (pk, f"{facet}: {value}")
            for pk, facet, value in Term.objects.filter(facet__benchmark=benchmark)
            .order_by("facet__name", "value")
            .values_list("pk", "facet__name", "value")
        ],
        "tags": _open_tags(benchmark),
    }


def _open_tags(benchmark: Benchmark) -> list[str]:
    """The criterion tags of the open items. Reading them touches every open item, so they are
    kept in the cache under the latest opening: an item entering the queue (new or reopened, both
    opened now) changes the key, while one leaving it at most leaves a tag that matches nothing
    until the entry expires."""
    open_items = AdjudicationItem.objects.filter(
        benchmark=benchmark, status=AdjudicationItem.Status.OPEN
    )
    latest = open_items.aggregate(latest=Max("opened_at"))["latest"]
    key = f"adjudication-tags:{benchmark.pk}:{latest.isoformat() if latest else ''}"
    tags = cache.get(key)
    if tags is None:
        rows = open_items.values_list("criterion__tags", flat=True).distinct().order_by()
        tags = sorted({tag for tags in rows for tag in tags or []})
        cache.set(key, tags, TAGS_CACHE_SECONDS)
    return tags


@dataclass(frozen=True)
class ShownLabel:
    """One label as the adjudicator sees it: `who` is "Grader 1" unless names are shown."""

    who: str
    met: bool
    note: str
    is_judge: bool


def adjudication_item_get(*, benchmark: Benchmark, pk: int) -> AdjudicationItem | None:
    """One item with its criterion, response, case version and case; never the model (not even
    loaded)."""
    return (
        AdjudicationItem.objects.filter(benchmark=benchmark, pk=pk)
        .select_related("criterion", "response__case_version__case")
        .first()
    )


def adjudication_item_labels(
    *, item: AdjudicationItem, settings: AdjudicationSettings, grader_word: str
) -> tuple[list[ShownLabel], list[ShownLabel]]:
    """The counted human labels (blind as "<grader_word> n" unless names are shown, numbered in
    a fixed order) and, if the managers allow, the judges' labels."""
    labels = (
        Label.objects.filter(response_id=item.response_id, criterion_id=item.criterion_id)
        .filter(counted_labels() | Q(rater__kind=Rater.Kind.JUDGE))
        .select_related("rater__user")
        .order_by("rater__kind", "created_at", "pk")
    )
    humans, judges = [], []
    for label in labels:
        if label.rater.kind == Rater.Kind.JUDGE:
            if settings.show_judge_labels:
                judges.append(ShownLabel(str(label.rater), label.met, label.note, True))
            continue
        number = len(humans) + 1
        if settings.show_grader_names:
            user = label.rater.user
            who = (getattr(user, "display_name", "") or str(user)) if user else label.rater.name
        else:
            who = f"{grader_word} {number}"
        humans.append(ShownLabel(who, label.met, label.note, False))
    return humans, judges


@dataclass(frozen=True)
class GoldSet:
    labelled: int  # items with at least 2 counted human labels
    consensus: int
    by_method: dict[str, int]
    open: int
    flagged_criteria: list

    @property
    def coverage(self) -> float | None:
        return self.consensus / self.labelled if self.labelled else None


def _labelled_on_flagged(benchmark: Benchmark, campaign_id: int | None) -> int:
    """Items on flagged criteria with at least 2 counted labels. consensus_refresh gives every
    other such item a consensus or an open adjudication item; these get neither."""
    # Labels picked by criterion in a subquery and the campaign checked afterwards: in one query
    # the planners would rather walk every counted label (SQLite, or PostgreSQL with a campaign).
    on_flagged = Label.objects.filter(criterion__in=CriterionFlag.objects.values("criterion_id"))
    items = list(
        Label.objects.filter(
            counted_labels(),
            response__case_version__case__benchmark=benchmark,
            pk__in=on_flagged.values("pk"),
        )
        .values_list("response_id", "criterion_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .order_by()
    )
    if not campaign_id or not items:
        return len(items)
    in_campaign = set(
        CampaignItemResponse.objects.filter(
            item__campaign_id=campaign_id, response_id__in={r for r, _c, _n in items}
        ).values_list("response_id", flat=True)
    )
    return sum(r in in_campaign for r, _c, _n in items)


def gold_set(*, benchmark: Benchmark, campaign_id: int | None = None) -> GoldSet:
    """Coverage (items with consensus / items with at least 2 counted human labels), consensus
    by method, open disagreements and flagged criteria, for a benchmark or one campaign."""
    consensus = Consensus.objects.filter(benchmark=benchmark)
    open_items = AdjudicationItem.objects.filter(
        benchmark=benchmark, status=AdjudicationItem.Status.OPEN
    )
    flags = CriterionFlag.objects.filter(criterion__version__case__benchmark=benchmark)
    if campaign_id:
        consensus = consensus.filter(_in_campaign(campaign_id))
        open_items = open_items.filter(_in_campaign(campaign_id))
        flags = flags.filter(
            Exists(
                CampaignItemResponse.objects.filter(
                    item__campaign_id=campaign_id,
                    item__case_version_id=OuterRef("criterion__version_id"),
                )
            )
        )
    by_method = dict.fromkeys(Consensus.Method.values, 0)
    # COUNT(*), not of the id: for the whole benchmark the index consensus_benchmark_method answers
    by_method.update(consensus.values_list("method").annotate(n=Count("*")).order_by())
    consensus_count, open_count = sum(by_method.values()), open_items.count()
    return GoldSet(
        labelled=consensus_count + open_count + _labelled_on_flagged(benchmark, campaign_id),
        consensus=consensus_count,
        by_method=by_method,
        open=open_count,
        flagged_criteria=list(
            flags.select_related("criterion__version__case", "flagged_by").order_by("-created_at")
        ),
    )
