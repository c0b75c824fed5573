"""Label matrices of a benchmark, and its responses and criteria, loaded straight into numpy
arrays for `grading.stats`.

Each loader's columns go straight into numpy (`column_reads.read_columns`): no model instance,
no field converter and no per-row Python object, so 1.65 million judge labels fit in a few tens
of megabytes.

Which labels count:
- human labels ("graders" and imported physicians) count once their assignment is submitted; an
  imported label has no assignment and counts at once. A grader's marks on an item still being
  graded are not labels yet (the grader may change them before submitting).
- judge labels: every label of a rater of kind judge.
- consensus: the benchmark's Consensus rows (the gold set).
An item is a response x criterion, keyed by `stats.item_key(response, criterion)`.
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast

from curation.models import Benchmark, CaseVersion, Criterion, Facet
from grading.column_reads import read_columns
from grading.models import Assignment, Consensus, Label, ModelUnderTest, Rater, Response
from grading.stats.arrays import ItemRows


def _versions(benchmark: Benchmark) -> QuerySet:
    """The ids of the benchmark's case versions, as a subquery."""
    return CaseVersion.objects.filter(case__benchmark=benchmark).values("pk")


def response_columns(benchmark: Benchmark) -> dict[str, np.ndarray]:
    """The benchmark's responses: `response` id, case `version`, `case` and `model` (one query),
    as `stats.rubric_rows` takes them."""
    columns = read_columns(
        Response.objects.filter(case_version__case__benchmark=benchmark),
        ("id", "case_version_id", "case_version__case_id", "model_id"),
        (np.int64,) * 4,
    )
    return dict(zip(("response", "version", "case", "model"), columns, strict=True))


def criterion_columns(benchmark: Benchmark) -> dict[str, np.ndarray]:
    """The criteria of the benchmark's case versions: `criterion` id, `criterion_version` and
    `points` (one query), as `stats.rubric_rows` takes them."""
    columns = read_columns(
        Criterion.objects.filter(version__in=_versions(benchmark)),
        ("id", "version_id", "points"),
        (np.int64, np.int64, float),
    )
    return dict(zip(("criterion", "criterion_version", "points"), columns, strict=True))


@dataclass(frozen=True)
class Labels(ItemRows):
    """Labels in long format: one row per label."""

    rater: np.ndarray  # rater id (0 for consensus)
    response: np.ndarray
    criterion: np.ndarray
    met: np.ndarray  # 1.0 met / 0.0 not met


# `met` as an integer: the boolean's converter would run once per row in Python.
_MET = Cast("met", IntegerField())
_LABEL_FIELDS = ("rater_id", "response_id", "criterion_id", "met_int")
_LABEL_TYPES = (np.int64, np.int64, np.int64, float)


def _labels(queryset: QuerySet) -> Labels:
    return Labels(*read_columns(queryset.annotate(met_int=_MET), _LABEL_FIELDS, _LABEL_TYPES))


def _benchmark_labels(benchmark: Benchmark) -> QuerySet:
    """Labels on the benchmark's responses, found by response id: a semi-join that PostgreSQL
    hashes and SQLite looks up in a list (a join through the response, case version and case
    tables costs a lookup in each per label)."""
    responses = Response.objects.filter(case_version__case__benchmark=benchmark)
    return Label.objects.filter(response__in=responses.values("pk"))


def _rater_ids(kind: str, only=None) -> list[int]:
    """Ids of the raters of `kind` (among `only`, if given), one query.

    The label queries take them as a list, not as a join to Rater: PostgreSQL then estimates
    their labels from the statistics of the label's rater column and reads just those (from the
    `label_rater_item` index), where a join would be estimated from the share of raters of the
    kind (at ClinConsensus scale 23 of 25 raters are human but hold 13% of the labels).
    """
    raters = Rater.objects.filter(kind=kind)
    if only is not None:
        raters = raters.filter(pk__in=[int(pk) for pk in only])
    return list(raters.values_list("pk", flat=True))


def counted_human(prefix: str = "") -> Q:
    """The condition "this human label counts": imported (no assignment), or its assignment is
    submitted; never a label made on a calibration screen (grading.services.calibration)."""
    return Q(**{f"{prefix}calibration": False}) & (
        Q(**{f"{prefix}assignment__isnull": True})
        | Q(**{f"{prefix}assignment__submitted_at__isnull": False})
    )


def human_labels(benchmark: Benchmark) -> Labels:
    """The counted human labels of the benchmark (2 queries)."""
    humans = _rater_ids(Rater.Kind.HUMAN)
    return _labels(_benchmark_labels(benchmark).filter(counted_human(), rater_id__in=humans))


def judge_labels(benchmark: Benchmark, *, raters=None, on_consensus: bool = False) -> Labels:
    """Judge labels of the benchmark (2 queries): of the given judge rater ids (all judges by
    default); with `on_consensus`, only on items that have a consensus label.

    The gold set is joined on the label's criterion and response: both databases walk it and
    find each item's labels in the `label_item` index, which holds the rater and the mark (a
    filter on the labels, EXISTS, made SQLite look up every judge label, and a hash join made
    PostgreSQL read all of them).
    """
    judges = _rater_ids(Rater.Kind.JUDGE, raters)
    if on_consensus:
        on_gold = Label.objects.filter(
            criterion__consensus__benchmark=benchmark,
            criterion__consensus__response_id=F("response_id"),
            rater_id__in=judges,
        )
        return _labels(on_gold)
    return _labels(_benchmark_labels(benchmark).filter(rater_id__in=judges))


def consensus_labels(benchmark: Benchmark) -> Labels:
    """The gold set of the benchmark (one query); rater is 0."""
    response, criterion, met = read_columns(
        Consensus.objects.filter(benchmark=benchmark).annotate(met_int=_MET),
        ("response_id", "criterion_id", "met_int"),
        (np.int64, np.int64, float),
    )
    return Labels(np.zeros(met.size, dtype=np.int64), response, criterion, met)


def judge_raters(benchmark: Benchmark) -> dict[int, str]:
    """{rater id: key} of the judges having labels in the benchmark (one query).

    A judge is keyed by its name; when several versions of one name have labels, the latest
    (created last) keeps the bare name and the older ones are keyed "name@version".
    """
    rows = list(
        Rater.objects.filter(
            Exists(_benchmark_labels(benchmark).filter(rater_id=OuterRef("pk"))),
            kind=Rater.Kind.JUDGE,
        )
        .order_by("name", "-created_at", "-pk")
        .values_list("pk", "name", "version")
    )
    keys: dict[int, str] = {}
    seen: set[str] = set()
    for pk, name, version in rows:
        keys[pk] = f"{name}@{version}" if name in seen else name
        seen.add(name)
    return keys


def rater_names(ids) -> dict[int, str]:
    """{rater id: name} (one query). Humans are named by their rater name, which is the
    username for people with an account and the label file's `rater` for imported physicians;
    "name@version" where a name would repeat."""
    rows = Rater.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", "name", "version")
    counts: dict[str, int] = {}
    rows = list(rows)
    for _, name, _ in rows:
        counts[name] = counts.get(name, 0) + 1
    return {
        pk: (f"{name}@{version}" if counts[name] > 1 and version else name)
        for pk, name, version in rows
    }


def model_names(ids) -> dict[int, str]:
    """{model id: name} (one query)."""
    return dict(
        ModelUnderTest.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", "name")
    )


def facet_terms(facet: Facet) -> tuple[dict[int, str], np.ndarray, np.ndarray]:
    """The facet's terms {term id: value} and (case version id, term id) links (2 queries)."""
    terms = dict(facet.terms.order_by("position", "value").values_list("pk", "value"))
    version, term = read_columns(
        CaseVersion.terms.through.objects.filter(term__facet=facet),
        ("caseversion_id", "term_id"),
        (np.int64, np.int64),
    )
    return terms, version, term


def criterion_tags(benchmark: Benchmark) -> dict[int, list[str]]:
    """{criterion id: tags} of the benchmark's criteria that have tags (one query).

    Found by the benchmark's case versions, not by a list of criterion ids: at 25,000 cases the
    criteria with human labels are hundreds of thousands, past SQLite's limit of variables in
    one statement."""
    criteria = Criterion.objects.filter(version__in=_versions(benchmark)).exclude(tags=[])
    return {pk: tags for pk, tags in criteria.values_list("pk", "tags").order_by() if tags}


def grader_times(benchmark: Benchmark) -> dict[int, tuple[int, int]]:
    """{human rater id: (submitted items, seconds spent on them)} (one query)."""
    rows = (
        Assignment.objects.filter(item__campaign__benchmark=benchmark, submitted_at__isnull=False)
        .values("grader__rater")
        .annotate(items=Count("pk"), seconds=Sum("seconds_spent"))
    )
    return {row["grader__rater"]: (row["items"], row["seconds"]) for row in rows}
