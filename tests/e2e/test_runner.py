"""Browser test of model runs with a real task worker and the fake chat server: a manager adds an
endpoint (its key write-only), collects responses (the run page polls until the worker is done),
runs a judge whose unparseable answers are listed, and compares two judges. In English and in
Chinese."""

import pytest
from playwright.sync_api import Page, expect

from grading.models import Label, Response
from runner.models import Endpoint, Run
from tests.e2e.test_jobs import run_one_task
from tests.factories import LabelFactory, RaterFactory
from tests.runner_support import SECRET, approved_cases, chat_server_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def database_queue(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("browser_locale", ["en-US", "zh-CN"])
def test_manager_collects_responses_and_runs_a_judge(
    page: Page, login, benchmark, manager, chat_server, screenshot, browser_locale
):
    lang = "en" if browser_locale == "en-US" else "zh"
    approved_cases(benchmark, 3, criteria=3)
    chat_server.faults = {"CC-0003": "500", "Criterion 3": "garbage"}
    slug = benchmark.slug
    login(page, manager)
    page.goto(f"/b/{slug}/")
    page.locator("header [data-area=runs]").click()
    page.wait_for_url(f"**/b/{slug}/runs/")
    screenshot(page, f"runner-runs-empty-{lang}")

    page.goto(f"/b/{slug}/runs/endpoints/new/")
    page.fill("input[name=name]", "fake-gpt")
    page.fill("input[name=base_url]", chat_server.base_url)
    page.fill("input[name=model]", "fake-gpt-1")
    page.fill("input[name=api_key]", SECRET)
    page.fill("input[name=timeout_seconds]", "2")
    page.fill("input[name=max_retries]", "1")
    page.locator("form button.primary").click()
    page.wait_for_url(f"**/b/{slug}/runs/endpoints/")
    screenshot(page, f"runner-endpoints-{lang}")
    endpoint = Endpoint.objects.get()
    page.goto(f"/b/{slug}/runs/endpoints/{endpoint.pk}/")
    expect(page.locator("[data-key-state=set]")).to_be_visible()
    assert page.locator("input[name=api_key]").input_value() == ""
    assert SECRET not in page.content()
    screenshot(page, f"runner-endpoint-edit-{lang}")

    page.goto(f"/b/{slug}/runs/new/collect/")
    page.select_option("select[name=endpoint]", str(endpoint.pk))
    page.fill("input[name=samples]", "2")
    screenshot(page, f"runner-collect-form-{lang}")
    page.locator("form button.primary").click()
    page.wait_for_url(f"**/b/{slug}/runs/*/")
    assert page.locator("#run-progress").get_attribute("hx-trigger") == "every 2s"
    expect(page.locator("[data-status=queued]")).to_be_visible()
    run_one_task()
    expect(page.locator("[data-status=incomplete]")).to_be_visible(timeout=15_000)
    expect(page.locator(".run-problems")).to_contain_text("HTTP 500")
    assert Response.objects.count() == 4
    screenshot(page, f"runner-collect-done-{lang}")

    chat_server.faults = {"Criterion 3": "garbage"}
    page.locator("#run-progress form button.primary").click()
    run_one_task()
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=15_000)
    assert Response.objects.count() == 6

    page.goto(f"/b/{slug}/runs/new/judge/")
    page.select_option("select[name=endpoint]", str(endpoint.pk))
    page.locator("form button.primary").click()
    page.wait_for_url(f"**/b/{slug}/runs/*/")
    run_one_task()
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-count=unparsed]")).to_have_text("6")
    screenshot(page, f"runner-judge-done-{lang}")
    judge = Run.objects.get(kind=Run.Kind.JUDGE)
    assert Label.objects.filter(rater=judge.rater).count() == 12

    page.goto(f"/b/{slug}/runs/{judge.pk}/unparsed/")
    expect(page.locator(".unparsed-answer")).to_have_count(6)
    screenshot(page, f"runner-unparsed-{lang}")

    other = RaterFactory(kind="judge", name="frontier-judge", version="v1")
    for label in Label.objects.filter(rater=judge.rater):
        LabelFactory(rater=other, response=label.response, criterion=label.criterion, met=True)
    page.goto(f"/b/{slug}/runs/judges/")
    expect(page.locator("table.dual-judge")).to_be_visible()
    screenshot(page, f"runner-two-judges-{lang}")
    page.goto(f"/b/{slug}/runs/")
    expect(page.locator("tbody tr")).to_have_count(2)
    screenshot(page, f"runner-runs-{lang}")
