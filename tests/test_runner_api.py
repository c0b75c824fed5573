"""Model-run API and the run_model command: endpoints (key in, never out), start, status,
resume, items; permissions and query counts."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from grading.models import Response
from runner.models import Endpoint, Run
from runner.secrets import endpoint_api_key
from tests.runner_support import (  # noqa: F401
    SECRET,
    approved_cases,
    chat_server_fixture,
    make_endpoint,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(benchmark, manager, chat_server):
    return make_endpoint(benchmark, manager, chat_server, api_key=SECRET)


def _api(name: str, benchmark, *args) -> str:
    return reverse(name, args=[benchmark.slug, *args])


def test_only_managers_use_the_runner_api(client, benchmark, endpoint, author, outsider):
    urls = [
        _api("api-runner-endpoints", benchmark),
        _api("api-runner-endpoint", benchmark, endpoint.pk),
        _api("api-runner-runs", benchmark),
    ]
    for url in urls:
        assert client.get(url).status_code in (401, 403)
        client.force_login(author)
        assert client.get(url).status_code == 403
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        client.logout()


def test_an_endpoint_is_created_with_a_key_that_never_comes_back(
    client, benchmark, manager, chat_server
):
    client.force_login(manager)
    data = {
        "name": "api-judge",
        "base_url": chat_server.base_url,
        "model": "judge-8b",
        "api_key": SECRET,
        "concurrency": 16,
    }

    created = client.post(
        _api("api-runner-endpoints", benchmark), data, content_type="application/json"
    )

    assert created.status_code == 201
    assert created.json()["has_stored_key"] is True
    assert "api_key" not in created.json()
    endpoint = Endpoint.objects.get(name="api-judge")
    assert endpoint_api_key(endpoint) == SECRET
    listed = client.get(_api("api-runner-endpoints", benchmark))
    assert SECRET not in listed.content.decode()
    assert "api_key_encrypted" not in listed.content.decode()


def test_a_bad_endpoint_is_a_400_naming_the_field(client, benchmark, manager):
    client.force_login(manager)

    response = client.post(
        _api("api-runner-endpoints", benchmark),
        {"name": "x", "base_url": "nope", "model": "m"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "base_url" in response.content.decode()


def test_a_run_is_started_followed_and_its_items_read(
    client, benchmark, manager, endpoint, chat_server, django_assert_max_num_queries
):
    approved_cases(benchmark, 3)
    chat_server.faults = {"CC-0003": "500"}
    client.force_login(manager)

    started = client.post(
        _api("api-runner-runs", benchmark),
        {"kind": "collect", "endpoint": endpoint.pk, "samples": 1},
        content_type="application/json",
    )

    assert started.status_code == 202
    run_id = started.json()["id"]
    with django_assert_max_num_queries(8):
        status = client.get(_api("api-runner-run", benchmark, run_id)).json()
    assert status["status"] == "incomplete"
    assert status["counts"]["done"] == 2
    assert status["counts"]["failed"] == 1
    with django_assert_max_num_queries(8):
        failed = client.get(_api("api-runner-run-items", benchmark, run_id), {"status": "failed"})
    assert [(i["case"], i["status"]) for i in failed.json()] == [("CC-0003", "failed")]
    assert "HTTP 500" in failed.json()[0]["error"]

    chat_server.faults = {}
    resumed = client.post(_api("api-runner-run-resume", benchmark, run_id))

    assert resumed.status_code == 202
    assert Run.objects.get(pk=run_id).status == Run.Status.DONE
    again = client.post(_api("api-runner-run-resume", benchmark, run_id))
    assert again.status_code == 409


def test_a_judge_run_through_the_api_only_on_the_chosen_models(
    client, benchmark, manager, endpoint
):
    approved_cases(benchmark, 1, criteria=2, models=("model-a", "model-b"))
    client.force_login(manager)

    started = client.post(
        _api("api-runner-runs", benchmark),
        {"kind": "judge", "endpoint": endpoint.pk, "models": ["model-b"]},
        content_type="application/json",
    )

    assert started.status_code == 202
    assert started.json()["judge"] == endpoint.name
    assert started.json()["counts"]["done"] == 2
    items = client.get(_api("api-runner-run-items", benchmark, started.json()["id"])).json()
    assert {i["model"] for i in items} == {"model-b"}
    assert {i["met"] for i in items} <= {True, False}


def test_an_unknown_kind_is_a_400(client, benchmark, manager, endpoint):
    client.force_login(manager)
    response = client.post(
        _api("api-runner-runs", benchmark),
        {"kind": "dance", "endpoint": endpoint.pk},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_run_model_collects_with_a_progress_bar_and_resumes(
    benchmark, manager, endpoint, chat_server
):
    approved_cases(benchmark, 2)
    chat_server.faults = {"CC-0002": "500"}
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "run_model", "--benchmark", benchmark.slug, "--endpoint", endpoint.name,
        "--samples", "2", stdout=out, stderr=err,
    )  # fmt: skip

    assert "2 done, 2 failed" in out.getvalue()
    assert "call" in err.getvalue()
    run = Run.objects.get()
    chat_server.faults = {}
    call_command("run_model", "--benchmark", benchmark.slug, "--resume", str(run.pk), stdout=out)
    assert Response.objects.count() == 4
    with pytest.raises(CommandError, match="Nothing is missing"):
        call_command("run_model", "--benchmark", benchmark.slug, "--endpoint", endpoint.name)


@pytest.mark.parametrize(
    ("silent_seconds", "shown", "stopped", "resume_status"),
    [(0, "running", False, 409), (301, "failed", True, 202)],
)
def test_a_running_run_is_failed_and_resumable_once_its_heartbeat_is_older_than_the_limit(
    client, benchmark, manager, endpoint, settings, silent_seconds, shown, stopped, resume_status
):
    settings.JOB_HEARTBEAT_LIMIT = 300
    approved_cases(benchmark, 1)
    client.force_login(manager)
    started = client.post(
        _api("api-runner-runs", benchmark),
        {"kind": "collect", "endpoint": endpoint.pk, "samples": 1},
        content_type="application/json",
    )
    run_id = started.json()["id"]
    Response.objects.all().delete()
    Run.objects.filter(pk=run_id).update(
        status=Run.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(seconds=silent_seconds),
    )
    Run.objects.get(pk=run_id).responseitems.update(status="pending", response=None)

    status = client.get(_api("api-runner-run", benchmark, run_id)).json()
    resumed = client.post(_api("api-runner-run-resume", benchmark, run_id))

    assert (status["status"], status["worker_stopped"]) == (shown, stopped)
    assert resumed.status_code == resume_status
    assert Response.objects.count() == int(stopped)
