"""Reads of grade QC shared by the pages, the API and the grader figures; each runs a fixed
number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from curation.models import Benchmark
from grading.models import GradeCheck


@dataclass(frozen=True)
class QcOutcome:
    """One grader's QC figures: grades sampled, checked, confirmed and corrected."""

    grader_id: int
    sampled: int
    checked: int
    confirmed: int
    corrected: int

    @property
    def corrected_share(self) -> float | None:
        """Corrected / checked, 0..1; None when nothing was checked."""
        return self.corrected / self.checked if self.checked else None


def qc_outcomes_by_grader(*, benchmark: Benchmark) -> dict[int, QcOutcome]:
    """{grader user id: QcOutcome} for every grader with a sampled grade. One query."""
    rows = (
        GradeCheck.objects.filter(benchmark=benchmark)
        .values("grader_id")
        .annotate(
            sampled=Count("pk"),
            checked=Count("pk", filter=~Q(verdict="")),
            confirmed=Count("pk", filter=Q(verdict=GradeCheck.Verdict.CONFIRMED)),
            corrected=Count("pk", filter=Q(verdict=GradeCheck.Verdict.CORRECTED)),
        )
        .order_by()
    )
    return {row["grader_id"]: QcOutcome(**row) for row in rows}


def grade_qc_queue(*, benchmark: Benchmark, user) -> QuerySet:
    """Open checks, the oldest sample first, never of the user's own grades; without the
    conversations, which a row does not show."""
    return (
        GradeCheck.objects.filter(benchmark=benchmark, verdict="")
        .exclude(grader=user)
        .select_related("label__criterion", "label__response__case_version__case")
        .defer(
            "label__response__case_version__messages",
            "label__response__case_version__reference_answer",
            "label__response__case_version__source_fields",
        )
        .order_by("sampled_at", "pk")  # the index grade_check_open, read from its start
    )


def grade_qc_open_counts(*, benchmark_ids: Iterable[int], user) -> dict[int, int]:
    """{benchmark id: the open checks `user` may make there} for each of `benchmark_ids` (0 when
    none): never of their own grades, as in `grade_qc_queue`. One query."""
    benchmark_ids = list(benchmark_ids)
    found = dict(
        GradeCheck.objects.filter(benchmark_id__in=benchmark_ids, verdict="")
        .exclude(grader=user)
        .values_list("benchmark_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {benchmark_id: found.get(benchmark_id, 0) for benchmark_id in benchmark_ids}


def grade_qc_open_count(*, benchmark: Benchmark, user) -> int:
    return grade_qc_open_counts(benchmark_ids=[benchmark.pk], user=user)[benchmark.pk]


def grade_qc_summary(*, benchmark: Benchmark) -> dict[str, int]:
    """Open, confirmed and corrected checks of the benchmark. One query."""
    return GradeCheck.objects.filter(benchmark=benchmark).aggregate(
        open=Count("pk", filter=Q(verdict="")),
        confirmed=Count("pk", filter=Q(verdict=GradeCheck.Verdict.CONFIRMED)),
        corrected=Count("pk", filter=Q(verdict=GradeCheck.Verdict.CORRECTED)),
    )


def grade_check_get(*, benchmark: Benchmark, pk: int) -> GradeCheck | None:
    """One check with what the reviewer reads: the case version, the response text, the
    criterion and the grader's label; never the model (not even loaded)."""
    return (
        GradeCheck.objects.filter(benchmark=benchmark, pk=pk)
        .select_related("label__criterion", "label__response__case_version__case")
        .first()
    )


def grade_check_next(*, benchmark: Benchmark, user, after: GradeCheck | None = None):
    """The user's next open check (skipping `after`), or None."""
    queue = grade_qc_queue(benchmark=benchmark, user=user)
    if after is not None:
        queue = queue.exclude(pk=after.pk)
    return queue.first()
