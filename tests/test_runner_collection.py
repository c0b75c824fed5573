"""Collecting responses from a real chat-completions server on 127.0.0.1 (tests/chat_server.py):
complete runs, resumption, and every fault recorded per item."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from grading.models import Response
from grading.selectors import approved_versions
from runner.models import ItemStatus, ResponseItem, Run
from runner.runs import item_counts, run_execute
from runner.services import RunRefused, collection_start, run_resume
from tests.chat_server import expected_answer
from tests.runner_support import approved_cases, chat_server_fixture, make_endpoint  # noqa: F401

pytestmark = pytest.mark.django_db


def _collect(benchmark, manager, endpoint, samples: int = 2) -> Run:
    run = collection_start(
        endpoint=endpoint,
        by=manager,
        case_versions=approved_versions(benchmark=benchmark),
        samples=samples,
    )
    return run_execute(run=run)


def _items(run: Run) -> dict[str, ResponseItem]:
    return {
        f"{i.case_version.case.external_id}/{i.sample}": i
        for i in run.responseitems.select_related("case_version__case")
    }


def test_a_run_collects_every_sample_exactly_as_returned(benchmark, manager, chat_server):
    versions = approved_cases(benchmark, 3)
    endpoint = make_endpoint(benchmark, manager, chat_server)

    run = _collect(benchmark, manager, endpoint, samples=2)

    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    responses = Response.objects.filter(model__name="fake-gpt-1")
    assert responses.count() == 6
    for version in versions:
        for sample in (0, 1):
            response = responses.get(case_version=version, sample=sample)
            assert response.text == expected_answer("fake-gpt-1", version.messages)
    counts = item_counts(run)
    assert counts["done"] == 6
    assert counts["failed"] == 0
    assert counts["prompt_tokens"] > 0
    assert counts["completion_tokens"] > 0
    item = run.responseitems.first()
    assert item.response is not None
    assert '"object": "chat.completion"' in item.raw
    expected_cost = (
        Decimal("2.5") * item.prompt_tokens + Decimal("10") * item.completion_tokens
    ) / 1_000_000
    assert item.cost == expected_cost
    assert run.endpoint_settings["sampling"] == {"temperature": 0.0}
    assert run.endpoint_settings["base_url"] == chat_server.base_url


def test_a_new_run_asks_only_for_the_missing_samples(benchmark, manager, chat_server):
    approved_cases(benchmark, 2)
    endpoint = make_endpoint(benchmark, manager, chat_server)
    _collect(benchmark, manager, endpoint, samples=1)
    asked = chat_server.requests

    run = _collect(benchmark, manager, endpoint, samples=3)

    assert chat_server.requests - asked == 4
    assert run.responseitems.count() == 4
    assert Response.objects.filter(model__name="fake-gpt-1").count() == 6
    with pytest.raises(RunRefused):
        _collect(benchmark, manager, endpoint, samples=3)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("500", "HTTP 500"),
        ("429", "Rate limited (HTTP 429) on every one of 2 tries"),
        ("slow", "No answer within 1 s"),
        ("malformed", "not a chat completion (malformed JSON)"),
    ],
)
def test_a_fault_is_recorded_on_its_item_and_the_run_goes_on(
    benchmark, manager, chat_server, fault, message
):
    approved_cases(benchmark, 3)
    endpoint = make_endpoint(benchmark, manager, chat_server)
    chat_server.faults = {"CC-0002": fault}

    run = _collect(benchmark, manager, endpoint, samples=1)

    run.refresh_from_db()
    assert run.status == Run.Status.INCOMPLETE
    items = _items(run)
    assert items["CC-0001/0"].status == items["CC-0003/0"].status == ItemStatus.DONE
    failed = items["CC-0002/0"]
    assert failed.status == ItemStatus.FAILED
    assert failed.response is None
    assert message in failed.error
    assert Response.objects.count() == 2

    chat_server.faults = {}
    run_resume(run=run, by=manager)
    run_execute(run=run)

    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    failed.refresh_from_db()
    assert failed.status == ItemStatus.DONE
    assert failed.error == ""
    assert Response.objects.count() == 3


def test_a_wrong_key_fails_every_item_clearly(benchmark, manager, chat_server):
    approved_cases(benchmark, 2)
    chat_server.api_key = "the-right-key"
    endpoint = make_endpoint(benchmark, manager, chat_server, api_key="a-wrong-key")

    run = _collect(benchmark, manager, endpoint, samples=1)

    assert {i.error for i in run.responseitems.all()} == {
        "The endpoint refused the API key (HTTP 401)."
    }
    assert chat_server.auth_headers[0] == "Bearer a-wrong-key"


def test_an_unreachable_endpoint_is_reported_per_item(benchmark, manager, chat_server):
    approved_cases(benchmark, 1)
    endpoint = make_endpoint(benchmark, manager, chat_server)
    chat_server.stop()

    run = _collect(benchmark, manager, endpoint, samples=1)

    item = run.responseitems.get()
    assert item.status == ItemStatus.FAILED
    assert item.error.startswith("Cannot reach the endpoint http://127.0.0.1:")


def test_a_429_storm_that_passes_is_absorbed_by_the_clients_retries(
    benchmark, manager, chat_server
):
    approved_cases(benchmark, 3)
    endpoint = make_endpoint(benchmark, manager, chat_server)
    chat_server.faults = {"": "429-once"}

    run = _collect(benchmark, manager, endpoint, samples=1)

    assert item_counts(run)["done"] == 3
    assert chat_server.requests == 6


def _killed_mid_run(benchmark, manager, chat_server) -> Run:
    """A run as a worker killed mid-run leaves it: running, CC-0001 collected, CC-0002 pending."""
    approved_cases(benchmark, 2)
    chat_server.faults = {"CC-0002": "500"}
    run = _collect(benchmark, manager, make_endpoint(benchmark, manager, chat_server), samples=1)
    chat_server.faults = {}
    run.responseitems.filter(status=ItemStatus.FAILED).update(status=ItemStatus.PENDING)
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.RUNNING, finished_at=None, heartbeat_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def test_a_running_run_with_a_fresh_heartbeat_is_going_and_cannot_be_resumed(
    benchmark, manager, chat_server
):
    run = _killed_mid_run(benchmark, manager, chat_server)

    assert run.is_active
    assert not run.worker_stopped
    assert run.shown_status == Run.Status.RUNNING
    with pytest.raises(RunRefused):
        run_resume(run=run, by=manager)
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING


def test_a_running_run_with_an_old_heartbeat_is_stopped_and_resumes_only_what_is_missing(
    benchmark, manager, chat_server, settings
):
    run = _killed_mid_run(benchmark, manager, chat_server)
    asked = chat_server.requests
    later = timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_LIMIT + 1)

    with time_machine.travel(later):
        run.refresh_from_db()
        assert run.worker_stopped
        assert not run.is_active
        assert run.shown_status == Run.Status.FAILED
        run_resume(run=run, by=manager)
        run_execute(run=run)

    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    assert chat_server.requests - asked == 1
    assert Response.objects.count() == 2


def test_a_run_beats_while_a_batch_is_in_flight(benchmark, manager, chat_server):
    approved_cases(benchmark, 1)
    chat_server.latency = 1.5

    endpoint = make_endpoint(benchmark, manager, chat_server, timeout_seconds=5)

    run = _collect(benchmark, manager, endpoint, samples=1)

    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    assert run.started_at < run.heartbeat_at < run.finished_at
