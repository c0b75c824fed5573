"""Running a run: its pending items in batches, each batch sent at once through the client and
then written in one transaction, so a stopped job keeps everything finished before it.

The ORM is not used while the calls are in flight (`client.chat_many` runs an event loop); each
worker (`collection`, `judging`) prepares a batch's messages from the database, then saves the
results.
"""

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone, translation

from curation.jobs import BEAT_SECONDS
from runner.client import CallSettings, ChatResult, chat_many
from runner.models import Endpoint, ItemStatus, Run
from runner.pricing import call_cost
from runner.secrets import KeyUnavailable, endpoint_api_key

BATCH = 256

Progress = Callable[[int], None]


def endpoint_snapshot(endpoint: Endpoint) -> dict:
    """The endpoint's settings as a run keeps them (never the key)."""
    sampling = {
        name: getattr(endpoint, name)
        for name in ("temperature", "top_p", "max_tokens", "seed")
        if getattr(endpoint, name) is not None
    }
    return {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "model": endpoint.model,
        "sampling": sampling,
        "concurrency": endpoint.concurrency,
        "requests_per_minute": endpoint.requests_per_minute,
        "timeout_seconds": endpoint.timeout_seconds,
        "max_retries": endpoint.max_retries,
        "prices": {"input": str(endpoint.price_input), "output": str(endpoint.price_output)},
    }


def settings_hash(snapshot: dict, prompt: str) -> str:
    """What makes two judge runs comparable: base URL, model, sampling and prompt template."""
    identity = {key: snapshot[key] for key in ("base_url", "model", "sampling")}
    identity["prompt"] = prompt
    encoded = json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:12]


def call_settings(run: Run, api_key: str) -> CallSettings:
    snapshot = run.endpoint_settings
    return CallSettings(
        base_url=snapshot["base_url"],
        model=snapshot["model"],
        api_key=api_key,
        sampling=snapshot["sampling"],
        concurrency=snapshot["concurrency"],
        requests_per_minute=snapshot["requests_per_minute"],
        timeout_seconds=snapshot["timeout_seconds"],
        max_retries=snapshot["max_retries"],
    )


def record_result(item, result: ChatResult, prices: dict) -> None:
    """Tokens, cost, the raw answer and the error of one call onto its item (not saved)."""
    item.attempts += 1
    item.raw = result.raw
    item.error = result.error
    item.prompt_tokens = result.prompt_tokens
    item.completion_tokens = result.completion_tokens
    item.cost = call_cost(
        prices=prices,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
    )
    item.finished_at = timezone.now()
    if not result.ok:
        item.status = ItemStatus.FAILED


ITEM_FIELDS = [
    "status",
    "error",
    "raw",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "attempts",
    "finished_at",
]


class Worker(Protocol):
    def items(self, run: Run) -> QuerySet: ...

    def messages(self, run: Run, batch: list) -> dict[int, list[dict]]:
        """{item pk: messages to send}; items left out are already settled (saved by save)."""

    def save(self, run: Run, batch: list, results: dict[int, ChatResult]) -> None: ...


def run_items(run: Run) -> QuerySet:
    from runner import collection, judging

    return (collection if run.kind == Run.Kind.COLLECT else judging).WORKER.items(run)


def item_counts(run: Run) -> dict[str, int]:
    """{status: items} and "total", tokens and cost (one query)."""
    totals = run_items(run).aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in ItemStatus.values},
        prompt_tokens=Sum("prompt_tokens", default=0),
        completion_tokens=Sum("completion_tokens", default=0),
        cost=Sum("cost", default=0),
    )
    totals["finished"] = totals["total"] - totals[ItemStatus.PENDING]
    return totals


def _finish(run: Run, status: str, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


class _Heartbeat:
    """Writes the run's heartbeat, at most once every BEAT_SECONDS."""

    def __init__(self, run: Run):
        self.run = run
        self.written_at = time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.written_at < BEAT_SECONDS:
            return
        self.written_at = now
        Run.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())


def _chat_beating(
    call: CallSettings,
    jobs: Iterable[tuple[Any, list[dict]]],
    each: Callable[[], None] | None,
    beat: _Heartbeat,
) -> dict:
    """chat_many in a thread of its own, while this thread (which holds the database
    connection) keeps the heartbeat going: one batch may take longer than the limit."""
    language = translation.get_language()

    def send() -> dict:
        with translation.override(language):
            return chat_many(call, jobs, each)

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(send)
        while True:
            try:
                return future.result(timeout=BEAT_SECONDS)
            except TimeoutError:
                beat()


def run_execute(*, run: Run, progress: Progress | None = None) -> Run:
    """Work through every pending item of `run`; a failed item is recorded and the run goes on."""
    from runner import collection, judging

    worker: Worker = (collection if run.kind == Run.Kind.COLLECT else judging).WORKER
    run.status, run.error = Run.Status.RUNNING, ""
    run.started_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "started_at", "error", "heartbeat_at"])
    beat = _Heartbeat(run)
    try:
        call = call_settings(run, endpoint_api_key(run.endpoint))
    except KeyUnavailable as unavailable:
        _finish(run, Run.Status.FAILED, str(unavailable))
        return run
    pending = worker.items(run).filter(status=ItemStatus.PENDING).order_by("pk")
    while batch := list(pending[:BATCH]):
        jobs = worker.messages(run, batch)
        each = (lambda: progress(1)) if progress else None
        results = _chat_beating(call, jobs.items(), each, beat)
        worker.save(run, batch, results)
        beat()
        if progress:
            progress(len(batch) - len(jobs))
    failed = worker.items(run).filter(status=ItemStatus.FAILED).exists()
    _finish(run, Run.Status.INCOMPLETE if failed else Run.Status.DONE)
    return run
