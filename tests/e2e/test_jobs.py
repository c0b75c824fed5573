"""Browser tests of background jobs with a real task worker (the database queue): a case import
is checked and imported while the pages show the jobs' progress, and the statistics page shows
the computation, then the figures. In English and in Chinese."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from curation.models import Case, Job
from tests.e2e.test_release import task_worker
from tests.stats_support import build

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def database_queue(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def run_one_task() -> None:
    worker = task_worker()
    worker.start()
    worker.join(timeout=60)


@pytest.mark.parametrize("browser_locale", ["en-US", "zh-CN"])
def test_manager_imports_cases_through_background_jobs(
    page: Page, login, benchmark, manager, screenshot, browser_locale
):
    lang = "en" if browser_locale == "en-US" else "zh"
    login(page, manager)
    page.goto(f"/b/{benchmark.slug}/import/")
    page.locator("input[type=file]").set_input_files(DATA / "native_cases.jsonl")
    page.locator("form.import-form button[type=submit]").click()

    # The check waits for the worker; the page polls.
    check = page.locator("#import-check")
    assert check.get_attribute("hx-trigger") == "every 2s"
    expect(page.locator("[data-status=queued]")).to_be_visible()
    screenshot(page, f"job-import-check-queued-{lang}")
    run_one_task()
    expect(page.locator(".import-report")).to_contain_text("CC-0001", timeout=15_000)
    assert Case.objects.count() == 0
    screenshot(page, f"job-import-preview-{lang}")

    page.locator(".import-confirm form button.primary").click()
    page.wait_for_url(f"**/b/{benchmark.slug}/jobs/*/")
    expect(page.locator("[data-status=queued]")).to_be_visible()
    run_one_task()
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=15_000)
    if lang == "en":
        expect(page.locator(".import-done")).to_contain_text("Cases created: 2, revised: 0")
    assert Case.objects.filter(benchmark=benchmark).count() == 2
    assert Job.objects.filter(status="done").count() == 2
    screenshot(page, f"job-import-done-{lang}")


@pytest.mark.parametrize("browser_locale", ["en-US", "zh-CN"])
def test_statistics_page_shows_the_computation_then_the_figures(
    page: Page, login, benchmark, manager, screenshot, browser_locale
):
    lang = "en" if browser_locale == "en-US" else "zh"
    build(benchmark)
    login(page, manager)
    page.goto(f"/b/{benchmark.slug}/stats/?k=2")

    expect(page.locator("#stats-progress")).to_be_visible()
    assert page.locator("#stats-progress").get_attribute("hx-trigger") == "every 2s"
    screenshot(page, f"job-statistics-computing-{lang}")
    run_one_task()
    expect(page.get_by_text("model-a").first).to_be_visible(timeout=15_000)  # reloaded
    expect(page.locator("form.stats-recompute button")).to_be_visible()
    screenshot(page, f"job-statistics-done-{lang}")
