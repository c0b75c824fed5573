"""Release pages: permissions, cutting a release (preview, refusals, build), progress, publish,
sha256-checked downloads."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from grading.models import Release
from grading.releases.services import release_build, release_publish
from tests.release_support import cut, gold, media  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def built(benchmark, manager, adjudicator):
    gold(benchmark, adjudicator)
    return release_build(release=cut(benchmark, manager))


def _urls(release) -> dict[str, tuple[str, str]]:
    slug, version = release.benchmark.slug, release.version
    return {
        "list": ("get", reverse("grading:releases", args=[slug])),
        "new": ("get", reverse("grading:release_new", args=[slug])),
        "detail": ("get", reverse("grading:release", args=[slug, version])),
        "file": ("get", reverse("grading:release_file", args=[slug, version, "manifest.json"])),
        "publish": ("post", reverse("grading:release_publish", args=[slug, version])),
    }


@pytest.mark.parametrize("page", ["list", "new", "detail", "file", "publish"])
def test_only_managers_reach_release_pages(client, built, author, outsider, page):
    method, url = _urls(built)[page]
    assert getattr(client, method)(url).status_code == 302  # anonymous: to the login page
    client.force_login(author)
    assert getattr(client, method)(url).status_code == 403
    client.force_login(outsider)
    assert getattr(client, method)(url).status_code == 404
    built.refresh_from_db()
    assert built.status == Release.Status.BUILT


@pytest.mark.parametrize("page", ["list", "detail", "file", "publish"])
def test_release_pages_refuse_the_wrong_method(client, built, manager, page):
    method, url = _urls(built)[page]
    client.force_login(manager)
    wrong = client.get if method == "post" else client.post
    assert wrong(url).status_code == 405


def test_manager_cuts_a_release_that_is_built_in_the_background(
    client, benchmark, manager, adjudicator
):
    gold(benchmark, adjudicator)
    client.force_login(manager)
    url = reverse("grading:release_new", args=[benchmark.slug])
    preview = client.post(url, {"version": "1.0.0", "notes": "First", "preview": "1"})
    assert preview.status_code == 200
    assert "This release would hold 3 cases" in preview.content.decode()
    assert not Release.objects.exists()
    data = {"version": "1.0.0", "notes": "First", "include_labels": "on", "create": "1"}
    response = client.post(url, data)
    release = Release.objects.get()
    assert response.url == reverse("grading:release", args=[benchmark.slug, "1.0.0"])
    assert release.status == Release.Status.BUILT  # the immediate backend in tests
    assert release.include_labels
    assert not release.include_responses
    assert release.created_by == manager
    assert release.selection == {"terms": {}, "campaign": None}
    page = client.get(response.url, headers={"HX-Request": "true"})
    assert 'id="release-progress"' in page.content.decode()
    assert "every 2s" not in page.content.decode()
    assert "gold_labels.jsonl" in page.content.decode()


def test_a_refused_release_lists_every_reason_and_keeps_the_form(client, benchmark, manager, built):
    release_publish(release=built, by=manager)
    client.force_login(manager)
    url = reverse("grading:release_new", args=[benchmark.slug])
    response = client.post(url, {"version": "0.9.0", "notes": "Kept", "create": "1"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "goes backwards" in body
    assert "Kept" in body
    bad = client.post(url, {"version": "one", "create": "1"})
    assert bad.status_code == 422
    assert "X.Y.Z" in bad.content.decode()
    assert Release.objects.count() == 1


def test_a_building_release_is_polled_every_two_seconds(client, benchmark, manager, adjudicator):
    gold(benchmark, adjudicator)
    release = cut(benchmark, manager)
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.BUILDING,
        progress_done=2,
        progress_total=6,
        message="rows",
        heartbeat_at=timezone.now(),
    )
    client.force_login(manager)
    page = client.get(reverse("grading:release", args=[benchmark.slug, "1.0.0"]))
    body = page.content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert "2 of 6 steps · writing cases, responses and labels" in body


def test_a_build_whose_worker_stopped_shows_failed_and_builds_again(
    client, benchmark, manager, adjudicator, settings
):
    settings.JOB_HEARTBEAT_LIMIT = 60
    gold(benchmark, adjudicator)
    release = cut(benchmark, manager)
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.BUILDING, heartbeat_at=timezone.now()
    )
    client.force_login(manager)
    url = reverse("grading:release", args=[benchmark.slug, "1.0.0"])
    build = reverse("grading:release_build", args=[benchmark.slug, "1.0.0"])
    assert client.post(build).status_code == 302  # still alive: nothing happens
    release.refresh_from_db()
    assert release.status == Release.Status.BUILDING

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        body = client.get(url).content.decode()
        assert "The worker stopped before the build ended" in body
        assert 'data-status="failed"' in body
        assert "hx-trigger" not in body
        client.post(build)

    release.refresh_from_db()
    assert release.status == Release.Status.BUILT
    assert release.files.count() > 0


def test_build_again_is_for_managers_and_posts_only(client, benchmark, manager, author, built):
    build = reverse("grading:release_build", args=[benchmark.slug, "1.0.0"])
    client.force_login(manager)
    assert client.get(build).status_code == 405
    client.force_login(author)
    assert client.post(build).status_code == 403


def test_manager_publishes_a_built_release(client, benchmark, manager, built):
    client.force_login(manager)
    response = client.post(reverse("grading:release_publish", args=[benchmark.slug, "1.0.0"]))
    assert response.status_code == 302
    built.refresh_from_db()
    assert built.status == Release.Status.PUBLISHED
    again = client.post(
        reverse("grading:release_publish", args=[benchmark.slug, "1.0.0"]), follow=True
    )
    assert "can no longer change" in again.content.decode()


def test_downloads_are_checked_against_the_manifest(client, benchmark, manager, built):
    client.force_login(manager)
    stored = built.files.get(name="gold_labels.jsonl")
    url = reverse("grading:release_file", args=[benchmark.slug, "1.0.0", stored.name])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == default_storage.open(stored.path).read()
    Path(default_storage.path(stored.path)).write_bytes(b"changed\n")
    refused = client.get(url)
    assert refused.status_code == 409
    assert "no longer matches the sha256" in refused.content.decode()
    missing = client.get(reverse("grading:release_file", args=[benchmark.slug, "1.0.0", "x.txt"]))
    assert missing.status_code == 404


def test_release_list_shows_each_release(
    client, benchmark, manager, built, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("grading:releases", args=[benchmark.slug]))
    assert "1.0.0" in response.content.decode()


def test_release_detail_reads_a_fixed_number_of_queries(
    client, benchmark, manager, built, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("grading:release", args=[benchmark.slug, "1.0.0"])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()


def test_the_manifest_counts_are_named_in_the_readers_language(client, benchmark, manager, built):
    client.force_login(manager)
    client.cookies.load({"django_language": "zh-hans"})

    page = client.get(reverse("grading:release", args=[benchmark.slug, "1.0.0"])).content.decode()

    assert "<dt>金标准标记</dt>" in page
    assert "<dt>gold_labels</dt>" not in page
