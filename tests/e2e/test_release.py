"""Browser test of a release: a manager cuts it, watches the build progress while a task worker
(the database queue, as under bin/serve) builds it, downloads the zip and the manifest, and checks
that every file in the zip has the manifest's sha256."""

import hashlib
import io
import json
import threading
import zipfile

import pytest
from django_tasks_db.management.commands.db_worker import Worker

from grading.models import Release
from tests.release_support import gold, media  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("media")


def task_worker() -> threading.Thread:
    """A database-queue worker (as under bin/serve) that runs one task in a thread."""
    worker = Worker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="e2e-worker",
        excluded_queue_names=[],
    )
    return threading.Thread(target=worker.run, daemon=True)


def test_manager_cuts_watches_downloads_and_verifies_a_release(
    page, login, benchmark, manager, adjudicator, settings, screenshot
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    gold(benchmark, adjudicator)
    login(page, manager)
    page.goto(f"/b/{benchmark.slug}/releases/")
    page.get_by_role("link", name="Cut a release").first.click()
    page.fill("input[name=version]", "1.0.0")
    page.fill("textarea[name=notes]", "First release of the gold set.")
    page.get_by_role("button", name="Preview the changelog").click()
    page.get_by_text("This release would hold 3 cases").wait_for()
    page.get_by_role("button", name="Build the release").click()
    page.wait_for_url(f"**/b/{benchmark.slug}/releases/1.0.0/")

    # Queued: nothing has built it yet, and the page polls for progress.
    progress = page.locator("#release-progress")
    assert progress.get_attribute("hx-trigger") == "every 2s"
    assert page.locator("[data-status=draft]").is_visible()
    screenshot(page, "release-queued")

    worker = task_worker()
    worker.start()
    page.locator("[data-status=built]").wait_for(timeout=30_000)  # swapped in by htmx
    worker.join(timeout=30)
    assert Release.objects.get().status == Release.Status.BUILT
    screenshot(page, "release-built")

    def download(name: str) -> bytes:
        with page.expect_download() as info:
            page.get_by_role("link", name=name, exact=True).click()
        return info.value.path().read_bytes()

    archive = download(f"{benchmark.slug}-1.0.0.zip")
    manifest = json.loads(download("manifest.json"))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        members = {name: opened.read(name) for name in opened.namelist()}
    assert json.loads(members["manifest.json"]) == manifest
    assert set(members) == {*manifest["files"], "manifest.json"}
    for name, listed in manifest["files"].items():
        assert hashlib.sha256(members[name]).hexdigest() == listed["sha256"], name
    assert manifest["counts"]["gold_labels"] == 27

    page.get_by_role("button", name="Publish").click()
    page.locator("[data-status=published]").wait_for()
    assert Release.objects.get().status == Release.Status.PUBLISHED
