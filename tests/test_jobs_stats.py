"""Statistics as a background job (grading.stats_jobs): the page shows the computation's
progress, then the figures; managers recompute (what changes the report's cache key:
tests/test_stats_version.py)."""

import pytest
from django.urls import reverse

from curation.jobs import job_run
from curation.models import Job
from tests.stats_support import build


@pytest.fixture
def example(benchmark):
    return build(benchmark)


@pytest.fixture
def no_worker(settings):
    """Jobs are queued but not run, as when the worker is busy."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def stats_url(benchmark, name: str = "stats") -> str:
    return reverse(f"grading:{name}", args=[benchmark.slug])


def test_first_view_shows_the_computation_then_the_figures(client, manager, example, no_worker):
    client.force_login(manager)

    computing = client.get(stats_url(example.benchmark), {"k": 2})

    html = computing.content.decode()
    assert "Computing the figures" in html
    assert 'hx-trigger="every 2s"' in html
    assert "model-a" not in html
    job = Job.objects.get(kind=Job.Kind.STATISTICS)
    assert job.input["options"] == {"k": 2, "labels": "consensus", "facet": None}
    # Polling while the job waits starts no second job.
    client.get(stats_url(example.benchmark), {"k": 2}, headers={"HX-Request": "true"})
    assert Job.objects.filter(kind=Job.Kind.STATISTICS).count() == 1

    job_run(job=job)

    polled = client.get(stats_url(example.benchmark), {"k": 2}, headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true"
    page = client.get(stats_url(example.benchmark), {"k": 2}).content.decode()
    assert "model-a" in page
    assert "Compute again" in page


def test_figures_come_from_the_cache_without_a_new_job(client, manager, example):
    client.force_login(manager)
    client.get(stats_url(example.benchmark, "stats_agreement"))

    client.get(stats_url(example.benchmark, "stats_agreement"))

    assert Job.objects.filter(kind=Job.Kind.STATISTICS, status="done").count() == 1


def test_manager_recomputes_the_figures(client, manager, example):
    client.force_login(manager)
    client.get(stats_url(example.benchmark), {"k": 2})

    response = client.post(
        reverse("grading:stats_recompute", args=[example.benchmark.slug]),
        {"k": 2, "labels": "consensus", "facet": "", "page": "judges"},
    )

    assert response.status_code == 302
    assert response.url.startswith(stats_url(example.benchmark, "stats_judges"))
    assert Job.objects.filter(kind=Job.Kind.STATISTICS, status="done").count() == 2


def test_recompute_is_for_managers_and_posts_only(client, manager, author, outsider, example):
    url = reverse("grading:stats_recompute", args=[example.benchmark.slug])
    client.force_login(manager)
    assert client.get(url).status_code == 405
    client.force_login(author)
    assert client.post(url).status_code == 403
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    assert not Job.objects.exists()


def test_a_failed_computation_says_why(client, manager, example, no_worker):
    client.force_login(manager)
    client.get(stats_url(example.benchmark))
    job = Job.objects.get(kind=Job.Kind.STATISTICS)
    job.input["options"]["facet"] = "no-such-facet"
    job.save()

    job_run(job=job)

    html = client.get(stats_url(example.benchmark)).content.decode()
    assert "The job failed" in html
    assert "no-such-facet" in html
    assert "hx-trigger" not in html


def test_the_computing_page_reads_a_fixed_number_of_queries(
    client, manager, example, no_worker, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(stats_url(example.benchmark))

    with django_assert_max_num_queries(5):
        page = client.get(stats_url(example.benchmark), headers={"HX-Request": "true"})
    assert "Computing the figures" in page.content.decode()
