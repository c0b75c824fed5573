"""Background jobs (curation.models.Job): start, run, report progress, notice a dead worker.

- `job_start` creates a job and enqueues `curation.tasks.run_job`; the worker
  (`manage.py db_worker`) calls `job_run`.
- What a job does is registered per kind with `job_type_register`, by the module that knows the
  work (curation.views.importing for imports, grading.stats_jobs for statistics); each app's
  `ready()` imports those modules, so the worker finds them. A runner gets the job and a
  JobProgress and returns the result (a JSON object stored on the job). ImportRejected stores
  every bad line in the result; any other exception stores its text; the runner's own
  transaction has rolled back by then, so a failed job wrote nothing.
- Heartbeat: JobProgress writes the progress and `heartbeat_at` (at most once a second). A job
  (or a release build) running with a heartbeat older than settings.JOB_HEARTBEAT_LIMIT seconds
  has lost its worker (`heartbeat_stopped`): it is shown as failed, "the worker stopped", and can
  be run again. Work done inside one database transaction cannot show its progress to others
  until it commits, so the limit is generous (minutes, not seconds).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from curation.importing.errors import ImportRejected
from curation.models import Benchmark, Job, heartbeat_stopped

__all__ = ["JobProgress", "JobType", "heartbeat_stopped", "job_run", "job_start"]

# Steps a job reports, stored as the key and translated when shown.
STEPS: dict[str, Promise] = {
    "reading": _("reading and checking the file"),
    "writing": _("writing"),
    "statistics": _("computing the statistics"),
    "done": _("done"),
}
BEAT_SECONDS = 1.0
LANGUAGE_KEY = "language"  # in a job's input: the language its messages are written in
WORKER_STOPPED = "worker stopped"  # the error of a job whose worker died (shown translated)


@dataclass(frozen=True)
class JobType:
    kind: str
    run: Callable[[Job, "JobProgress"], dict]
    # Rendered on the job page with `job` and `context(job)` once the job has ended.
    result_template: str
    context: Callable[[Job], dict]
    # Where to go afterwards (a URL name taking the benchmark slug) and the link's text.
    done_url: str
    done_label: Promise
    # A failed job may be run again (same input) by a manager.
    retry: bool = True


_TYPES: dict[str, JobType] = {}


def job_type_register(job_type: JobType) -> JobType:
    _TYPES[job_type.kind] = job_type
    return job_type


def job_type(kind: str) -> JobType:
    return _TYPES[kind]


class JobProgress:
    """progress(done, total) for the services' callbacks, plus `step(key)`; writes the job row
    and its heartbeat at most once every BEAT_SECONDS (and always on a new step)."""

    def __init__(self, job: Job):
        self.job = job
        self.done = 0
        self.total = 0
        self.key = ""
        self.written_at = 0.0

    def step(self, key: str, total: int | None = None) -> None:
        self.key = key
        if total is not None:
            self.total = total
        self.done = 0 if total is not None else self.done
        self._write(force=True)

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self._write()

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.written_at < BEAT_SECONDS:
            return
        self.written_at = now
        Job.objects.filter(pk=self.job.pk).update(
            progress_done=self.done,
            progress_total=self.total,
            step=self.key,
            heartbeat_at=timezone.now(),
        )


def job_start(*, kind: str, benchmark: Benchmark, by, input: dict) -> Job:
    """A queued job of `kind`; the worker picks it up once the transaction commits (the
    database queue's row is written in the same transaction)."""
    from curation.tasks import run_job

    # The worker answers in the language of the person who started the job (its messages are
    # stored in the result and shown later).
    input = {**input, LANGUAGE_KEY: translation.get_language()}
    job = Job.objects.create(benchmark=benchmark, kind=kind, created_by=by, input=input)
    run_job.enqueue(job.pk)
    job.refresh_from_db()  # an immediate backend (tests) has run it already
    return job


def job_retry(*, job: Job) -> Job:
    """Run a failed job (or one whose worker stopped) again with the same input."""
    if not job_can_retry(job):
        raise ValueError("only a failed job can run again")
    if job.status != Job.Status.FAILED:
        _finish(job, Job.Status.FAILED, error=WORKER_STOPPED)
    return job_start(
        kind=job.kind, benchmark=job.benchmark, by=job.created_by, input=dict(job.input)
    )


def job_can_retry(job: Job) -> bool:
    failed = job.status == Job.Status.FAILED or job.worker_stopped
    return failed and job_type(job.kind).retry and not job.result.get("errors")


def job_run(*, job: Job) -> Job:
    """Run a queued job to its end: done with the runner's result, or failed with the reason."""
    started = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    job.refresh_from_db()
    if not started:  # run already (a task delivered twice)
        return job
    progress = JobProgress(job)
    with translation.override(job.input.get(LANGUAGE_KEY)):
        try:
            result = job_type(job.kind).run(job, progress)
        except ImportRejected as exc:
            _finish(job, Job.Status.FAILED, result={"errors": [_line(e) for e in exc.errors]})
        except Exception as exc:  # recorded on the job: the page says why
            _finish(job, Job.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        else:
            _finish(job, Job.Status.DONE, result=result)
    job.refresh_from_db()
    return job


def _line(error) -> dict:
    return {"line": error.line, "field": error.field, "message": str(error.message)}


def _finish(job: Job, status: str, *, result: dict | None = None, error: str = "") -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=status,
        result=result or {},
        error=error,
        step="done" if status == Job.Status.DONE else "",
        finished_at=now,
        heartbeat_at=now,
    )
