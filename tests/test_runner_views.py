"""Model-run pages: permissions, endpoints with a write-only key, starting and resuming runs,
progress, unparsed answers, two judges side by side; query counts pinned."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grading.models import Label, Response
from runner.models import Endpoint, ItemStatus, Run
from runner.runs import run_execute
from runner.secrets import endpoint_api_key
from runner.services import judging_start
from tests.factories import LabelFactory, RaterFactory
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


@pytest.fixture
def judge_run(benchmark, manager, endpoint, chat_server):
    approved_cases(benchmark, 2, criteria=2, models=("model-a",))
    chat_server.faults = {"Criterion 2": "garbage", "CC-0002": "500"}
    run = judging_start(endpoint=endpoint, by=manager, responses=Response.objects.all())
    run_execute(run=run)
    chat_server.faults = {}
    return run


def _urls(benchmark, endpoint, run) -> dict[str, tuple[str, str]]:
    slug = benchmark.slug
    return {
        "runs": ("get", reverse("runner:runs", args=[slug])),
        "collect": ("get", reverse("runner:run_new", args=[slug, "collect"])),
        "judge": ("get", reverse("runner:run_new", args=[slug, "judge"])),
        "run": ("get", reverse("runner:run", args=[slug, run.pk])),
        "resume": ("post", reverse("runner:run_resume", args=[slug, run.pk])),
        "unparsed": ("get", reverse("runner:run_unparsed", args=[slug, run.pk])),
        "endpoints": ("get", reverse("runner:endpoints", args=[slug])),
        "endpoint_new": ("get", reverse("runner:endpoint_new", args=[slug])),
        "endpoint": ("get", reverse("runner:endpoint", args=[slug, endpoint.pk])),
        "judges": ("get", reverse("runner:dual_judge", args=[slug])),
    }


@pytest.mark.parametrize(
    "page",
    [
        "runs",
        "collect",
        "judge",
        "run",
        "resume",
        "unparsed",
        "endpoints",
        "endpoint_new",
        "endpoint",
        "judges",
    ],
)
def test_only_managers_reach_model_run_pages(
    client, benchmark, endpoint, judge_run, author, grader, outsider, manager, page
):
    method, url = _urls(benchmark, endpoint, judge_run)[page]
    assert getattr(client, method)(url).status_code == 302  # anonymous: to the login page
    for member in (author, grader):
        client.force_login(member)
        assert getattr(client, method)(url).status_code == 403
    client.force_login(outsider)
    assert getattr(client, method)(url).status_code == 404
    client.force_login(manager)
    assert getattr(client, method)(url).status_code in (200, 302)


@pytest.mark.parametrize("page", ["resume"])
def test_state_changes_refuse_get(client, benchmark, endpoint, judge_run, manager, page):
    client.force_login(manager)
    _method, url = _urls(benchmark, endpoint, judge_run)[page]
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("page", ["runs", "endpoints", "run", "unparsed", "judges"])
def test_read_only_pages_refuse_post(client, benchmark, endpoint, judge_run, manager, page):
    client.force_login(manager)
    _method, url = _urls(benchmark, endpoint, judge_run)[page]
    assert client.post(url).status_code == 405


def _endpoint_data(server, **changes) -> dict:
    return {
        "name": "frontier",
        "base_url": server.base_url,
        "model": "fake-gpt-2",
        "temperature": "0",
        "top_p": "",
        "max_tokens": "512",
        "seed": "",
        "concurrency": "4",
        "requests_per_minute": "600",
        "timeout_seconds": "30",
        "max_retries": "2",
        "price_input": "1.25",
        "price_output": "10",
        "api_key_env": "",
        "api_key": "",
    } | changes


def test_a_manager_adds_an_endpoint_whose_key_is_stored_encrypted(
    client, benchmark, manager, chat_server
):
    client.force_login(manager)
    url = reverse("runner:endpoint_new", args=[benchmark.slug])

    response = client.post(url, _endpoint_data(chat_server, api_key=SECRET))

    assert response.status_code == 302
    endpoint = Endpoint.objects.get(name="frontier")
    assert SECRET not in endpoint.api_key_encrypted
    assert endpoint_api_key(endpoint) == SECRET
    assert endpoint.max_tokens == 512


def test_an_empty_key_field_keeps_the_stored_key_and_a_new_one_replaces_it(
    client, benchmark, manager, endpoint, chat_server
):
    client.force_login(manager)
    url = reverse("runner:endpoint", args=[benchmark.slug, endpoint.pk])
    page = client.get(url).content.decode()
    assert "A key is set" in page
    assert SECRET not in page

    client.post(url, _endpoint_data(chat_server, name=endpoint.name))
    endpoint.refresh_from_db()
    assert endpoint_api_key(endpoint) == SECRET

    client.post(url, _endpoint_data(chat_server, name=endpoint.name, api_key="sk-new-key-99"))
    endpoint.refresh_from_db()
    assert endpoint_api_key(endpoint) == "sk-new-key-99"

    client.post(url, _endpoint_data(chat_server, name=endpoint.name, clear_key="on"))
    endpoint.refresh_from_db()
    assert endpoint.api_key_encrypted == ""


def test_an_invalid_endpoint_is_refused_with_the_field_named(client, benchmark, manager):
    client.force_login(manager)
    url = reverse("runner:endpoint_new", args=[benchmark.slug])

    response = client.post(url, {"name": "x", "base_url": "not a url", "model": ""})

    assert response.status_code == 422
    assert not Endpoint.objects.exists()


def test_a_manager_starts_a_collection_and_follows_it(
    client, benchmark, manager, endpoint, django_assert_max_num_queries
):
    approved_cases(benchmark, 2)
    client.force_login(manager)
    url = reverse("runner:run_new", args=[benchmark.slug, "collect"])

    response = client.post(url, {"endpoint": endpoint.pk, "samples": "2"})

    run = Run.objects.get()
    assert response.url == reverse("runner:run", args=[benchmark.slug, run.pk])
    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    assert Response.objects.filter(model__name="fake-gpt-1").count() == 4
    with django_assert_max_num_queries(12):
        page = client.get(response.url, headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert 'data-count="done">4<' in page.content.decode()
    assert "hx-get" not in page.content.decode()


def test_starting_a_run_with_nothing_missing_is_refused(client, benchmark, manager, endpoint):
    client.force_login(manager)
    url = reverse("runner:run_new", args=[benchmark.slug, "collect"])

    response = client.post(url, {"endpoint": endpoint.pk, "samples": "1"})

    assert response.status_code == 422
    assert "Nothing is missing" in response.content.decode()
    assert not Run.objects.exists()


def test_a_run_page_lists_its_problems_and_resumes(
    client, benchmark, manager, judge_run, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("runner:run", args=[benchmark.slug, judge_run.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "HTTP 500" in page
    assert "no JSON object" in page
    assert reverse("runner:run_unparsed", args=[benchmark.slug, judge_run.pk]) in page

    response = client.post(reverse("runner:run_resume", args=[benchmark.slug, judge_run.pk]))

    assert response.status_code == 302
    judge_run.refresh_from_db()
    assert judge_run.status == Run.Status.DONE
    assert not judge_run.judgeitems.filter(status=ItemStatus.FAILED).exists()
    assert Label.objects.filter(rater=judge_run.rater).count() == 2


def test_unparsed_answers_are_listed_with_their_raw_output(
    client, benchmark, manager, judge_run, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("runner:run_unparsed", args=[benchmark.slug, judge_run.pk])
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert page.count("I think it is probably fine, more or less.") == 2
    assert "CC-0001 · model-a · 0 · c02" in page


def test_runs_and_endpoints_lists_have_fixed_query_counts(
    client, benchmark, manager, endpoint, judge_run, django_assert_max_num_queries
):
    client.force_login(manager)
    for name in ("runner:runs", "runner:endpoints"):
        with django_assert_max_num_queries(10):
            assert client.get(reverse(name, args=[benchmark.slug])).status_code == 200


def test_two_judges_side_by_side_against_consensus_and_each_other(
    client, benchmark, manager, judge_run, django_assert_max_num_queries
):
    other = RaterFactory(kind="judge", name="frontier-judge", version="v1")
    for label in Label.objects.filter(rater=judge_run.rater):
        LabelFactory(rater=other, response=label.response, criterion=label.criterion, met=True)
    client.force_login(manager)
    url = reverse("runner:dual_judge", args=[benchmark.slug])

    with django_assert_max_num_queries(12):
        response = client.get(url, {"a": judge_run.rater.pk, "b": other.pk})

    report = response.context["report"]
    assert [side["name"] for side in report["sides"]] == ["fake-gpt", "frontier-judge"]
    assert report["between"]["n"] == 1
    assert "Against consensus" in response.content.decode()


def test_a_run_problem_is_shown_in_the_readers_language(client, benchmark, manager, judge_run):
    client.force_login(manager)
    client.cookies.load({"django_language": "zh-hans"})

    page = client.get(reverse("runner:run", args=[benchmark.slug, judge_run.pk])).content.decode()

    assert "裁判模型的回答中没有 criteria_met 为 true/false 的 JSON 对象。" in page
    assert "The judge&#x27;s answer holds no JSON object" not in page


def test_a_running_run_whose_heartbeat_is_old_is_shown_failed_and_resumes(
    client, benchmark, manager, judge_run, settings
):
    silent = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_LIMIT + 1)
    Run.objects.filter(pk=judge_run.pk).update(
        status=Run.Status.RUNNING, finished_at=None, heartbeat_at=silent
    )
    client.force_login(manager)
    resume = reverse("runner:run_resume", args=[benchmark.slug, judge_run.pk])

    page = client.get(reverse("runner:run", args=[benchmark.slug, judge_run.pk])).content.decode()

    assert 'data-status="failed"' in page
    assert "The worker stopped before the run ended" in page
    assert "hx-get" not in page
    assert resume in page
    assert client.post(resume).status_code == 302
    judge_run.refresh_from_db()
    assert judge_run.status == Run.Status.DONE


def test_a_running_run_with_a_fresh_heartbeat_is_followed_and_not_resumed(
    client, benchmark, manager, judge_run
):
    Run.objects.filter(pk=judge_run.pk).update(
        status=Run.Status.RUNNING, finished_at=None, heartbeat_at=timezone.now()
    )
    client.force_login(manager)
    resume = reverse("runner:run_resume", args=[benchmark.slug, judge_run.pk])

    page = client.get(reverse("runner:run", args=[benchmark.slug, judge_run.pk])).content.decode()

    assert 'data-status="running"' in page
    assert "hx-get" in page
    assert resume not in page
    assert client.post(resume).status_code == 302
    judge_run.refresh_from_db()
    assert judge_run.status == Run.Status.RUNNING
