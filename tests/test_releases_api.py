"""Release API: permissions, create (starts the build), refusals as 409, publish, downloads."""

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from grading.models import Release
from grading.releases.services import release_build, release_publish
from tests.release_support import cut, gold, media, sha256  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def api():
    return APIClient()


def _base(benchmark) -> str:
    return f"/api/v1/benchmarks/{benchmark.slug}/releases/"


@pytest.fixture
def built(benchmark, manager, adjudicator):
    gold(benchmark, adjudicator)
    return release_build(release=cut(benchmark, manager))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "1.0.0/"),
        ("post", "1.0.0/publish/"),
        ("get", "1.0.0/files/manifest.json"),
    ],
)
def test_only_managers_use_the_release_api(api, benchmark, built, author, outsider, method, path):
    url = _base(benchmark) + path
    assert getattr(api, method)(url, {}, format="json").status_code == 401
    api.force_authenticate(author)
    assert getattr(api, method)(url, {}, format="json").status_code == 403
    api.force_authenticate(outsider)
    assert getattr(api, method)(url, {}, format="json").status_code == 404
    built.refresh_from_db()
    assert built.status == Release.Status.BUILT


def test_create_builds_and_publish_freezes(api, benchmark, manager, adjudicator):
    gold(benchmark, adjudicator)
    api.force_authenticate(manager)
    created = api.post(
        _base(benchmark),
        {"version": "1.0.0", "notes": "First", "include_statistics": False},
        format="json",
    )
    assert created.status_code == 202, created.data
    assert created.data["status"] == "built"
    assert created.data["worker_stopped"] is False
    assert {f["name"] for f in created.data["files"]} >= {"manifest.json", "gold_labels.jsonl"}
    listed = api.get(_base(benchmark))
    assert [r["version"] for r in listed.data] == ["1.0.0"]
    published = api.post(_base(benchmark) + "1.0.0/publish/")
    assert published.status_code == 200
    assert published.data["status"] == "published"
    again = api.post(_base(benchmark) + "1.0.0/publish/")
    assert again.status_code == 409
    assert "can no longer change" in again.data["errors"][0]["message"]


def test_refusals_are_listed(api, benchmark, manager, built):
    release_publish(release=built, by=manager)
    api.force_authenticate(manager)
    refused = api.post(
        _base(benchmark),
        {"version": "0.1.0", "terms": {"specialty": ["nope"]}, "campaign": "Nope"},
        format="json",
    )
    assert refused.status_code == 409
    messages = [e["message"] for e in refused.data["errors"]]
    assert messages == ["Unknown terms of facet “specialty”.", "No campaign “Nope”."]
    backwards = api.post(_base(benchmark), {"version": "0.1.0"}, format="json")
    assert "goes backwards" in backwards.data["errors"][0]["message"]
    assert Release.objects.count() == 1


def test_download_is_checked_against_the_manifest(api, benchmark, manager, built):
    api.force_authenticate(manager)
    stored = built.files.get(name="manifest.json")
    response = api.get(_base(benchmark) + "1.0.0/files/manifest.json")
    assert response.status_code == 200
    assert sha256(b"".join(response.streaming_content)) == stored.sha256
    with default_storage.open(stored.path, "wb") as f:
        f.write(b"{}")
    assert api.get(_base(benchmark) + "1.0.0/files/manifest.json").status_code == 409
    assert api.get(_base(benchmark) + "1.0.0/files/nope.json").status_code == 404
