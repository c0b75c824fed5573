"""An endpoint's API key never comes out: not in pages, logs, error messages, the API, the admin,
the audit trail, a data dump or a repr. It is stored encrypted and sent only to the endpoint."""

import io
import logging

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from curation.models import AuditEvent
from grading.models import Response
from runner.models import Endpoint, Run
from runner.runs import run_execute
from runner.secrets import KeyUnavailable, endpoint_api_key
from runner.services import collection_start, judging_start
from tests.factories import UserFactory
from tests.runner_support import (  # noqa: F401
    SECRET,
    approved_cases,
    chat_server_fixture,
    make_endpoint,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaky_run(benchmark, manager, chat_server, caplog):
    """A run with every kind of outcome, logged at DEBUG: answers, a server echoing the
    Authorization header, a 401, a judge run."""
    caplog.set_level(logging.DEBUG)
    approved_cases(benchmark, 3, criteria=1)
    endpoint = make_endpoint(benchmark, manager, chat_server, api_key=SECRET)
    chat_server.faults = {"CC-0002": "echo", "CC-0003": "401"}
    run = collection_start(
        endpoint=endpoint, by=manager, case_versions=_versions(benchmark), samples=1
    )
    run_execute(run=run)
    chat_server.faults = {}
    judge = judging_start(endpoint=endpoint, by=manager, responses=Response.objects.all())
    run_execute(run=judge)
    return run


def _versions(benchmark):
    from grading.selectors import approved_versions

    return approved_versions(benchmark=benchmark)


def test_the_key_is_sent_to_the_endpoint_and_stored_only_encrypted(leaky_run, chat_server):
    assert f"Bearer {SECRET}" in chat_server.auth_headers
    endpoint = leaky_run.endpoint
    assert SECRET not in endpoint.api_key_encrypted
    assert endpoint_api_key(endpoint) == SECRET


def test_the_key_is_never_logged(leaky_run, caplog):
    records = caplog.get_records("setup")
    assert any("chat/completions" in r.getMessage() for r in records)
    for record in records:
        assert SECRET not in record.getMessage()
        assert SECRET not in str(record.args)


def test_an_echoing_server_does_not_put_the_key_in_error_messages(leaky_run):
    echoed = leaky_run.responseitems.get(case_version__case__external_id="CC-0002")
    assert "HTTP 400" in echoed.error
    assert "[redacted]" in echoed.error
    for item in leaky_run.responseitems.all():
        assert SECRET not in item.error
        assert SECRET not in item.raw


def test_the_key_is_in_no_page(client, benchmark, manager, leaky_run):
    client.force_login(manager)
    slug = benchmark.slug
    endpoint = leaky_run.endpoint
    pages = [
        reverse("runner:endpoints", args=[slug]),
        reverse("runner:endpoint", args=[slug, endpoint.pk]),
        reverse("runner:runs", args=[slug]),
        reverse("runner:run", args=[slug, leaky_run.pk]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert SECRET not in html
        assert endpoint.api_key_encrypted not in html


def test_a_refused_form_does_not_echo_the_typed_key(client, benchmark, manager):
    client.force_login(manager)
    response = client.post(
        reverse("runner:endpoint_new", args=[benchmark.slug]),
        {"name": "x", "base_url": "not a url", "model": "m", "api_key": SECRET},
    )
    assert response.status_code == 422
    assert SECRET not in response.content.decode()


def test_the_key_is_in_no_api_answer(client, benchmark, manager, leaky_run):
    client.force_login(manager)
    slug = benchmark.slug
    for url in [
        reverse("api-runner-endpoints", args=[slug]),
        reverse("api-runner-endpoint", args=[slug, leaky_run.endpoint.pk]),
        reverse("api-runner-runs", args=[slug]),
        reverse("api-runner-run", args=[slug, leaky_run.pk]),
        reverse("api-runner-run-items", args=[slug, leaky_run.pk]),
    ]:
        body = client.get(url).content.decode()
        assert SECRET not in body
        assert leaky_run.endpoint.api_key_encrypted not in body


def test_the_key_is_in_no_admin_page(client, leaky_run):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    endpoint = leaky_run.endpoint
    for url in [
        reverse("admin:runner_endpoint_changelist"),
        reverse("admin:runner_endpoint_change", args=[endpoint.pk]),
        reverse("admin:runner_run_change", args=[leaky_run.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
        assert endpoint.api_key_encrypted not in response.content.decode()


def test_the_key_is_in_no_audit_row_dump_or_repr(leaky_run):
    events = AuditEvent.objects.filter(action__startswith="endpoint_")
    assert events.exists()
    for event in AuditEvent.objects.all():
        assert SECRET not in str(event.data)
        assert SECRET not in event.object_repr
    dump = io.StringIO()
    call_command("dumpdata", "runner", "curation.auditevent", stdout=dump)
    assert SECRET not in dump.getvalue()
    endpoint = leaky_run.endpoint
    assert SECRET not in repr(endpoint) + str(endpoint) + str(leaky_run.endpoint_settings)


def test_a_key_from_the_environment_is_read_at_run_time(
    benchmark, manager, chat_server, monkeypatch
):
    chat_server.api_key = "env-key-123456"
    endpoint = make_endpoint(benchmark, manager, chat_server, api_key_env="JUDGE_KEY_FOR_TEST")
    approved_cases(benchmark, 1)
    monkeypatch.setenv("JUDGE_KEY_FOR_TEST", "env-key-123456")

    run = run_execute(
        run=collection_start(
            endpoint=endpoint, by=manager, case_versions=_versions(benchmark), samples=1
        )
    )

    assert run.status == Run.Status.DONE
    monkeypatch.delenv("JUDGE_KEY_FOR_TEST")
    with pytest.raises(KeyUnavailable, match="JUDGE_KEY_FOR_TEST is not set"):
        endpoint_api_key(endpoint)


def test_a_key_stored_under_another_secret_key_fails_the_run_clearly(
    benchmark, manager, chat_server
):
    endpoint = make_endpoint(benchmark, manager, chat_server, api_key=SECRET)
    approved_cases(benchmark, 1)
    run = collection_start(
        endpoint=endpoint, by=manager, case_versions=_versions(benchmark), samples=1
    )

    with override_settings(SECRET_KEY="another-secret-key-entirely-" * 2, SECRET_KEY_FALLBACKS=[]):
        run_execute(run=run)

    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert "cannot be decrypted" in run.error
    assert chat_server.requests == 0
    assert Endpoint.objects.get(pk=endpoint.pk).has_stored_key
