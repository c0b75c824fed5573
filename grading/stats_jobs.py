"""The statistics of a benchmark as a background job (curation.jobs): the report of one set of
options is computed by the worker into the cache, where the statistics pages read it.

At scale the first computation takes seconds (7 s at 825,000 gold labels), too long for a
request; the pages start this job when the report they need is not in the cache, show
"computing" with the job's progress, and the figures once it is done. A manager may recompute
at any time (the cached report is dropped first).
"""

from django.core.cache import cache

from curation.jobs import JobProgress, JobType, job_start, job_type_register
from curation.models import Benchmark, Job
from grading.statistics import report_compute


def _run(job: Job, progress: JobProgress) -> dict:
    progress.step("statistics", total=1)
    options = job.input["options"]
    report_compute(benchmark=job.benchmark, options=options, key=job.input["cache_key"])
    progress(1, 1)
    return {"options": options}


job_type_register(
    JobType(
        kind=Job.Kind.STATISTICS,
        run=_run,
        result_template="grading/stats/_job_result.html",
        context=lambda job: {"options": job.input["options"]},
        done_url="grading:stats",
        done_label=Job.Kind.STATISTICS.label,
    )
)


def stats_job(*, benchmark: Benchmark, options: dict, key: str, by, recompute: bool = False) -> Job:
    """The job computing the report of `options` into the cache under `key` (its
    `report_cache_key`, which the caller has taken): the latest for the same key if it is under
    way or failed (a manager recomputes after a failure), or a new one (after dropping the
    cached report when `recompute`)."""
    if recompute:
        cache.delete(key)
    else:
        latest = (
            Job.objects.filter(benchmark=benchmark, kind=Job.Kind.STATISTICS, input__cache_key=key)
            .select_related("benchmark")
            .order_by("-pk")
            .first()
        )
        if latest is not None and (latest.is_active or latest.status == Job.Status.FAILED):
            return latest
    return job_start(
        kind=Job.Kind.STATISTICS,
        benchmark=benchmark,
        by=by,
        input={"cache_key": key, "options": options},
    )
