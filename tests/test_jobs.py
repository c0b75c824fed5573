"""Background jobs (curation.jobs): running, failing, the heartbeat rule, the job page."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from curation.jobs import JobProgress, JobType, job_run, job_start, job_type_register
from curation.models import Case, Job
from tests.factories import BenchmarkFactory, MembershipFactory

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def case_upload(client, benchmark) -> str:
    """Upload the native test file; returns its preview URL (the check has run)."""
    with (DATA / "native_cases.jsonl").open("rb") as handle:
        return client.post(
            reverse("curation:import_cases", args=[benchmark.slug]), {"file": handle}
        ).url


@pytest.fixture
def import_job(client, benchmark, manager) -> Job:
    client.force_login(manager)
    client.post(case_upload(client, benchmark) + "confirm/")
    client.logout()
    return Job.objects.get(kind="import_cases", input__dry_run=False)


def test_an_import_job_records_its_counts(import_job):
    assert import_job.status == Job.Status.DONE
    assert import_job.result["report"]["created"] == ["CC-0001", "CC-0002"]
    assert import_job.finished_at is not None
    assert Case.objects.count() == 2


def test_job_page_shows_the_result(client, manager, import_job, benchmark):
    client.force_login(manager)

    response = client.get(reverse("curation:job", args=[benchmark.slug, import_job.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cases created: 2, revised: 0, unchanged: 0" in html
    assert "hx-trigger" not in html  # ended: no more polling


def test_job_page_is_for_the_benchmarks_managers(client, import_job, benchmark, author, outsider):
    url = reverse("curation:job", args=[benchmark.slug, import_job.pk])
    assert client.get(url).status_code == 302
    client.force_login(author)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_job_is_not_found_through_another_benchmark(client, manager, import_job):
    other = BenchmarkFactory()
    MembershipFactory(benchmark=other, user=manager, role="manager")
    client.force_login(manager)

    assert client.get(reverse("curation:job", args=[other.slug, import_job.pk])).status_code == 404


def test_job_page_refuses_other_methods(client, manager, import_job, benchmark):
    client.force_login(manager)
    assert (
        client.post(reverse("curation:job", args=[benchmark.slug, import_job.pk])).status_code
        == 405
    )
    retry = reverse("curation:job_retry", args=[benchmark.slug, import_job.pk])
    assert client.get(retry).status_code == 405


def test_a_running_job_is_polled_and_shows_its_step(client, manager, benchmark):
    job = Job.objects.create(benchmark=benchmark, kind="import_cases", created_by=manager)
    job.status, job.heartbeat_at = Job.Status.RUNNING, timezone.now()
    job.save()
    progress = JobProgress(job)
    progress.step("writing", total=40)
    progress.written_at = 0  # not throttled
    progress(10, 40)
    client.force_login(manager)

    response = client.get(
        reverse("curation:job", args=[benchmark.slug, job.pk]), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert '<progress max="40" value="10">' in html
    assert "writing" in html
    assert "<html" not in html  # the fragment only


def test_a_job_without_heartbeat_for_too_long_is_shown_failed_and_can_run_again(
    client, manager, benchmark, settings
):
    settings.JOB_HEARTBEAT_LIMIT = 60
    client.force_login(manager)
    preview = case_upload(client, benchmark)
    token = preview.rstrip("/").rsplit("/", 1)[1]
    # An import whose worker died: running, its last heartbeat now, nothing written.
    job = Job.objects.create(
        benchmark=benchmark,
        kind="import_cases",
        created_by=manager,
        input={"token": token, "dry_run": False, "options": {}},
        status=Job.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )
    url = reverse("curation:job", args=[benchmark.slug, job.pk])
    assert job.is_active

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        job.refresh_from_db()
        assert job.worker_stopped
        assert not job.is_active
        html = client.get(url).content.decode()
        assert "The worker stopped before the job ended" in html
        assert 'data-status="failed"' in html
        again = client.post(reverse("curation:job_retry", args=[benchmark.slug, job.pk]))

    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, "worker stopped")
    rerun = Job.objects.get(kind="import_cases", input__dry_run=False, status="done")
    assert again.url == reverse("curation:job", args=[benchmark.slug, rerun.pk])
    assert Case.objects.count() == 2


def test_a_job_that_ended_cannot_run_again(client, manager, import_job, benchmark):
    client.force_login(manager)

    client.post(reverse("curation:job_retry", args=[benchmark.slug, import_job.pk]))

    assert Job.objects.filter(kind="import_cases", input__dry_run=False).count() == 1


def test_a_failing_runner_leaves_the_job_failed_with_the_reason(manager, benchmark):
    job = Job.objects.create(
        benchmark=benchmark, kind="import_cases", created_by=manager, input={"token": "0" * 32}
    )

    job = job_run(job=job)

    assert job.status == Job.Status.FAILED
    assert job.error.startswith("Http404")
    assert job.finished_at is not None


def test_a_job_runs_once_even_if_delivered_twice(import_job):
    finished = import_job.finished_at

    job = job_run(job=import_job)

    assert (job.status, job.finished_at) == (Job.Status.DONE, finished)


def test_job_page_reads_a_fixed_number_of_queries(
    client, manager, import_job, benchmark, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("curation:job", args=[benchmark.slug, import_job.pk]))
    assert response.status_code == 200


def test_the_worker_writes_in_the_language_of_who_started_the_job(settings, manager, benchmark):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job_type_register(
        JobType(
            kind="test_language",
            run=lambda job, progress: {"said": gettext("Cancel")},
            result_template="",
            context=lambda job: {},
            done_url="curation:manage",
            done_label="",
        )
    )
    with translation.override("zh-hans"):
        queued = job_start(kind="test_language", benchmark=benchmark, by=manager, input={})

    job = job_run(job=queued)  # in the worker, where no language is active

    assert job.result == {"said": "取消"}


def test_a_polled_preview_answers_its_fragment_with_the_bad_lines(client, manager, benchmark):
    client.force_login(manager)
    with (DATA / "responses.jsonl").open("rb") as handle:  # not cases: refused
        preview = client.post(
            reverse("curation:import_cases", args=[benchmark.slug]),
            {"file": handle, "format": "native"},
        ).url

    polled = client.get(preview, headers={"HX-Request": "true"})

    html = polled.content.decode()
    assert polled.status_code == 200  # htmx swaps only successful answers
    assert html.lstrip().startswith('<section id="import-check"')
    assert "The file was refused" in html
    assert client.get(preview).status_code == 422
