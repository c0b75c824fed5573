"""Every write of the runner: endpoints (with their write-only key), starting a run (its items
are what is missing at that moment) and resuming one (its failed items go back to pending).
One transaction each; every change is in the audit trail (never the key)."""

from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from curation.audit import audit_record
from curation.models import Benchmark, CaseVersion, Criterion
from grading.judge_prompt import PROMPT_TEMPLATE
from grading.models import Label, ModelUnderTest, Rater, Response
from runner.models import Endpoint, ItemStatus, JudgeItem, ResponseItem, Run
from runner.runs import endpoint_snapshot, run_items, settings_hash
from runner.secrets import encrypt_key

CHUNK = 2000
ENDPOINT_FIELDS = (
    "name",
    "base_url",
    "model",
    "temperature",
    "top_p",
    "max_tokens",
    "seed",
    "concurrency",
    "requests_per_minute",
    "timeout_seconds",
    "max_retries",
    "price_input",
    "price_output",
    "api_key_env",
)


class RunRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _audit_fields(endpoint: Endpoint) -> dict:
    data = {name: str(getattr(endpoint, name)) for name in ENDPOINT_FIELDS}
    data["api_key_stored"] = endpoint.has_stored_key
    return data


def _save_endpoint(endpoint: Endpoint, data: dict, api_key: str | None, clear_key: bool) -> None:
    for name in ENDPOINT_FIELDS:
        if name in data:
            setattr(endpoint, name, data[name])
    if api_key:
        endpoint.api_key_encrypted = encrypt_key(api_key.strip())
    elif clear_key:
        endpoint.api_key_encrypted = ""
    endpoint.full_clean(exclude=["benchmark", "created_by"])
    endpoint.save()


def endpoint_create(
    *, benchmark: Benchmark, by, data: dict, api_key: str | None = None
) -> Endpoint:
    """A new endpoint; `api_key` (if given) is stored encrypted."""
    with transaction.atomic():
        endpoint = Endpoint(benchmark=benchmark, created_by=by)
        if Endpoint.objects.filter(benchmark=benchmark, name=data.get("name")).exists():
            raise ValidationError({"name": gettext("An endpoint of this name exists already.")})
        _save_endpoint(endpoint, data, api_key, clear_key=False)
        audit_record(
            actor=by,
            action="endpoint_created",
            obj=endpoint,
            benchmark=benchmark,
            data=_audit_fields(endpoint),
        )
    return endpoint


def endpoint_update(
    *, endpoint: Endpoint, by, data: dict, api_key: str | None = None, clear_key: bool = False
) -> Endpoint:
    """Change an endpoint; a new `api_key` replaces the stored one, `clear_key` removes it."""
    with transaction.atomic():
        if (
            Endpoint.objects.filter(benchmark_id=endpoint.benchmark_id, name=data.get("name"))
            .exclude(pk=endpoint.pk)
            .exists()
        ):
            raise ValidationError({"name": gettext("An endpoint of this name exists already.")})
        _save_endpoint(endpoint, data, api_key, clear_key)
        audit_record(
            actor=by,
            action="endpoint_changed",
            obj=endpoint,
            benchmark=endpoint.benchmark,
            data=_audit_fields(endpoint) | {"api_key_replaced": bool(api_key)},
        )
    return endpoint


def _new_run(*, endpoint: Endpoint, by, kind: str, selection: dict, **fields) -> Run:
    return Run.objects.create(
        benchmark=endpoint.benchmark,
        endpoint=endpoint,
        kind=kind,
        selection=selection,
        endpoint_settings=endpoint_snapshot(endpoint),
        created_by=by,
        **fields,
    )


def _chunked(rows: Iterable) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _bulk(model, rows: Iterable) -> int:
    return sum(len(model.objects.bulk_create(batch)) for batch in _chunked(rows))


def _started(run: Run, by, count: int) -> Run:
    if count == 0:
        raise RunRefused(gettext("Nothing is missing: every selected item is already done."))
    audit_record(
        actor=by,
        action=f"run_{run.kind}_started",
        obj=run,
        benchmark=run.benchmark,
        data={"endpoint": run.endpoint.name, "items": count, "selection": run.selection},
    )
    return run


def collection_start(
    *,
    endpoint: Endpoint,
    by,
    case_versions: QuerySet[CaseVersion],
    samples: int,
    selection: dict | None = None,
) -> Run:
    """A collection run over `case_versions`, `samples` each, of the samples the endpoint's model
    does not have yet. Raises RunRefused when nothing is missing."""
    if not 1 <= samples <= 20:
        raise RunRefused(gettext("Samples per case must be between 1 and 20."))
    with transaction.atomic():
        model, _ = ModelUnderTest.objects.get_or_create(name=endpoint.model)
        run = _new_run(
            endpoint=endpoint,
            by=by,
            kind=Run.Kind.COLLECT,
            selection=selection or {},
            samples=samples,
            model=model,
        )
        have = set(
            Response.objects.filter(model=model, case_version__in=case_versions).values_list(
                "case_version_id", "sample"
            )
        )
        count = _bulk(
            ResponseItem,
            (
                ResponseItem(run=run, case_version_id=version_id, sample=sample)
                for version_id in case_versions.values_list("pk", flat=True).iterator()
                for sample in range(samples)
                if (version_id, sample) not in have
            ),
        )
        return _started(run, by, count)


def judge_rater(endpoint: Endpoint) -> Rater:
    """The judge rater of the endpoint's current settings: its version changes with the base URL,
    model, sampling or prompt, so runs under other settings never mix their labels."""
    version = settings_hash(endpoint_snapshot(endpoint), PROMPT_TEMPLATE)
    rater, _ = Rater.objects.get_or_create(
        kind=Rater.Kind.JUDGE, name=endpoint.name, version=version
    )
    return rater


def _unlabelled(rater: Rater, responses: QuerySet[Response]) -> Iterator[tuple[int, int]]:
    """(response id, criterion id) of every criterion of `responses` that `rater` has not
    labelled, read CHUNK responses at a time."""
    rows = responses.order_by("pk").values_list("pk", "case_version_id")
    for chunk in _chunked(rows.iterator(chunk_size=CHUNK)):
        criteria: dict[int, list[int]] = {}
        for version_id, pk in (
            Criterion.objects.filter(version_id__in={version for _r, version in chunk})
            .order_by("position", "pk")
            .values_list("version_id", "pk")
        ):
            criteria.setdefault(version_id, []).append(pk)
        labelled = set(
            Label.objects.filter(
                rater=rater, response_id__in=[response for response, _v in chunk]
            ).values_list("response_id", "criterion_id")
        )
        for response_id, version_id in chunk:
            for criterion_id in criteria.get(version_id, []):
                if (response_id, criterion_id) not in labelled:
                    yield response_id, criterion_id


def judging_start(
    *, endpoint: Endpoint, by, responses: QuerySet[Response], selection: dict | None = None
) -> Run:
    """A judge run over every criterion of `responses` not yet labelled by this judge version.
    Raises RunRefused when nothing is missing."""
    with transaction.atomic():
        rater = judge_rater(endpoint)
        run = _new_run(
            endpoint=endpoint, by=by, kind=Run.Kind.JUDGE, selection=selection or {}, rater=rater
        )
        count = _bulk(
            JudgeItem,
            (
                JudgeItem(run=run, response_id=response_id, criterion_id=criterion_id)
                for response_id, criterion_id in _unlabelled(rater, responses)
            ),
        )
        return _started(run, by, count)


def run_resume(*, run: Run, by) -> Run:
    """Put a finished run's failed items back to pending, to be run again."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.is_active:
            raise RunRefused(gettext("This run is still going."))
        count = run_items(run).filter(status=ItemStatus.FAILED).update(status=ItemStatus.PENDING)
        pending = count or run_items(run).filter(status=ItemStatus.PENDING).exists()
        if not pending:
            raise RunRefused(gettext("Nothing is missing: every item of this run is done."))
        run.status, run.finished_at = Run.Status.QUEUED, None
        run.save(update_fields=["status", "finished_at"])
        audit_record(
            actor=by, action="run_resumed", obj=run, benchmark=run.benchmark, data={"items": count}
        )
    return run
