"""Reads of the runner shared by the pages and the API, each with a fixed number of queries."""

from dataclasses import dataclass

import numpy as np
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from curation.models import Benchmark
from grading import stats_selectors
from grading.stats import judge_vs_gold, lookup, pairwise_baseline
from runner.models import Endpoint, ItemStatus, JudgeItem, ResponseItem, Run
from runner.runs import item_counts, run_items

PROBLEMS_SHOWN = 50


def endpoint_list(*, benchmark: Benchmark) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(benchmark=benchmark).annotate(run_count=Count("runs"))


def endpoint_get(*, benchmark: Benchmark, pk: int) -> Endpoint:
    return get_object_or_404(Endpoint, benchmark=benchmark, pk=pk)


def _count(model, **conditions) -> Coalesce:
    counted = (
        model.objects.filter(run=OuterRef("pk"), **conditions)
        .order_by()
        .values("run")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def run_list(*, benchmark: Benchmark) -> QuerySet[Run]:
    """The benchmark's runs, newest first, each with `items`, `pending` and `failed` counts."""
    counts = {}
    for name, conditions in (
        ("items", {}),
        ("pending", {"status": ItemStatus.PENDING}),
        ("failed", {"status": ItemStatus.FAILED}),
    ):
        counts[name] = _count(ResponseItem, **conditions) + _count(JudgeItem, **conditions)
    return (
        Run.objects.filter(benchmark=benchmark)
        .select_related("endpoint", "model", "rater", "created_by")
        .annotate(**counts)
    )


def run_get(*, benchmark: Benchmark, pk: int) -> Run:
    return get_object_or_404(
        Run.objects.select_related("endpoint", "model", "rater", "created_by"),
        benchmark=benchmark,
        pk=pk,
    )


@dataclass
class RunProgress:
    run: Run
    counts: dict
    problems: list  # failed and unparsed items, the first PROBLEMS_SHOWN

    @property
    def percent(self) -> int:
        total = self.counts["total"]
        return round(100 * self.counts["finished"] / total) if total else 100


def run_progress(*, run: Run) -> RunProgress:
    """Counts by status, tokens and cost, and the first failed items (2 queries)."""
    related = (
        ["case_version__case"]
        if run.kind == Run.Kind.COLLECT
        else ["response__case_version__case", "response__model", "criterion"]
    )
    problems = list(
        run_items(run)
        .filter(status__in=[ItemStatus.FAILED, ItemStatus.UNPARSED])
        .select_related(*related)
        .order_by("pk")[:PROBLEMS_SHOWN]
    )
    return RunProgress(run=run, counts=item_counts(run), problems=problems)


def unparsed_items(*, run: Run) -> QuerySet[JudgeItem]:
    """The judge's answers that could not be read, with what they are about."""
    return (
        JudgeItem.objects.filter(run=run, status=ItemStatus.UNPARSED)
        .select_related("response__case_version__case", "response__model", "criterion")
        .order_by("pk")
    )


def judge_choices(*, benchmark: Benchmark) -> dict[int, str]:
    """{rater id: key} of the judges having labels in the benchmark."""
    return stats_selectors.judge_raters(benchmark)


def dual_judge(*, benchmark: Benchmark, first: int, second: int) -> dict:
    """Two judges side by side: each against consensus gold and against the physicians
    (HealthBench's pairwise baseline, with the physicians against each other), and the two
    judges against each other on the items both labelled (the first as the reference)."""
    consensus = stats_selectors.consensus_labels(benchmark)
    humans = stats_selectors.human_labels(benchmark)
    judged = stats_selectors.judge_labels(benchmark, raters=[first, second])
    mine = {pk: judged.rater == pk for pk in (first, second)}
    sides = []
    for pk in (first, second):
        rows = mine[pk]
        baseline = pairwise_baseline(
            item=humans.item,
            rater=humans.rater,
            value=humans.met,
            judge=lookup(humans.item, judged.item[rows], judged.met[rows]),
        )
        sides.append(
            {
                "rater": pk,
                "labels": int(rows.sum()),
                "gold": judge_vs_gold(
                    gold=consensus.met,
                    judge=lookup(consensus.item, judged.item[rows], judged.met[rows]),
                ),
                "baseline": baseline,
            }
        )
    a, b = mine[first], mine[second]
    both = judge_vs_gold(
        gold=judged.met[a], judge=lookup(judged.item[a], judged.item[b], judged.met[b])
    )
    on_gold = np.isin(consensus.item, judged.item[a]) & np.isin(consensus.item, judged.item[b])
    return {"sides": sides, "between": both, "gold_items_both": int(on_gold.sum())}
