from pathlib import Path

import pytest
from django.urls import reverse

from curation.importing import cases_import
from curation.models import AuditEvent, Case, CaseVersion, Job
from grading.models import Response
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory

DATA = Path(__file__).parent / "data"
GAPS = Path(__file__).resolve().parents[1] / "../shared/data/gaps_nsclc/GAPS-NSCLC-preview.xlsx"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list[str]:
    folder = media_root / "imports"
    return sorted(p.suffix for p in folder.iterdir()) if folder.exists() else []


def upload(client, benchmark, path: Path, **data):
    with path.open("rb") as handle:
        return client.post(
            reverse("curation:import_cases", args=[benchmark.slug]), {"file": handle, **data}
        )


def checked(client, uploaded):
    """The preview page an upload redirects to: its checking job has run (immediate backend)."""
    assert uploaded.status_code == 302
    return client.get(uploaded.url)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_manager_sees_the_upload_form(manager_client, benchmark):
    response = manager_client.get(reverse("curation:import_cases", args=[benchmark.slug]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "A1=5, A2=3, A3=1, A4=1" in html  # the points map is visible


@pytest.mark.parametrize("name", ["curation:import_cases", "grading:import_responses"])
def test_import_pages_are_for_managers_only(client, benchmark, author, outsider, name):
    url = reverse(name, args=[benchmark.slug])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(author)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_upload_page_refuses_other_methods(manager_client, benchmark):
    url = reverse("curation:import_cases", args=[benchmark.slug])
    assert manager_client.put(url).status_code == 405


def test_upload_shows_a_preview_and_writes_nothing(manager_client, benchmark, media_root):
    response = upload(manager_client, benchmark, DATA / "native_cases.jsonl")

    assert response.status_code == 302
    assert Case.objects.count() == 0
    assert stored_files(media_root) == [".json", ".upload"]
    preview = manager_client.get(response.url)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "native_cases.jsonl" in html
    assert "CC-0001, CC-0002" in html
    assert "specialty, task, difficulty" in html  # new facets
    assert Case.objects.count() == 0


def test_confirm_imports_the_kept_file_and_deletes_it(
    manager_client, benchmark, manager, media_root
):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl", approved="on").url

    response = manager_client.post(preview_url + "confirm/", follow=True)

    job = Job.objects.get(kind="import_cases", input__dry_run=False)
    assert response.redirect_chain[-1][0] == reverse("curation:job", args=[benchmark.slug, job.pk])
    html = response.content.decode()
    assert "Cases created: 2, revised: 0, unchanged: 0" in html
    assert reverse("curation:case_list", args=[benchmark.slug]) in html
    assert (job.status, job.result["report"]["created"]) == ("done", ["CC-0001", "CC-0002"])
    assert Case.objects.filter(benchmark=benchmark, status="approved").count() == 2
    event = AuditEvent.objects.get(action="cases_imported_approved")
    assert (event.actor, event.data["file"]) == (manager, "native_cases.jsonl")
    assert stored_files(media_root) == []
    assert manager_client.get(preview_url).status_code == 404


def test_preview_and_confirm_refuse_the_wrong_method(manager_client, benchmark):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl").url

    assert manager_client.post(preview_url).status_code == 405
    assert manager_client.get(preview_url + "confirm/").status_code == 405
    assert manager_client.get(preview_url + "discard/").status_code == 405
    assert Case.objects.count() == 0


def test_a_bad_file_lists_every_bad_line_and_keeps_nothing(
    manager_client, benchmark, tmp_path, media_root
):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "A"}\n{oops\n', encoding="utf-8")

    response = checked(manager_client, upload(manager_client, benchmark, bad, format="native"))

    assert response.status_code == 422
    html = response.content.decode()
    assert "The file was refused: 3 problems." in html
    for field in ("messages", "criteria"):
        assert f'<td class="mono">{field}</td>' in html
    assert "bad JSON: Expecting property name enclosed in double quotes" in html
    assert Case.objects.count() == 0
    assert stored_files(media_root) == []


def test_an_upload_is_only_handed_back_to_its_uploader(manager_client, client, benchmark):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl").url
    other_manager = UserFactory(username="other_manager")
    MembershipFactory(benchmark=benchmark, user=other_manager, role="manager")
    client.force_login(other_manager)

    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url + "confirm/").status_code == 404
    assert Case.objects.count() == 0


def test_an_upload_is_not_valid_in_another_benchmark(manager_client, benchmark, manager):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl").url
    other = BenchmarkFactory()
    MembershipFactory(benchmark=other, user=manager, role="manager")

    moved = preview_url.replace(f"/b/{benchmark.slug}/", f"/b/{other.slug}/")

    assert manager_client.post(moved + "confirm/").status_code == 404


def test_discard_deletes_the_file(manager_client, benchmark, media_root):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl").url

    response = manager_client.post(preview_url + "discard/")

    assert response.status_code == 302
    assert stored_files(media_root) == []
    assert Case.objects.count() == 0


def test_confirm_refuses_when_the_benchmark_changed_since_the_preview(
    manager_client, benchmark, media_root
):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl").url
    # Meanwhile the cases arrive another way and an author starts editing one of them.
    cases_import(benchmark=benchmark, file=DATA / "native_cases.jsonl", fmt="native", actor=None)
    version = CaseVersion.objects.get(case__external_id="CC-0001")
    version.title, version.revision = "edited", 2
    version.save()

    response = manager_client.post(preview_url + "confirm/", follow=True)

    html = response.content.decode()
    assert Job.objects.get(input__dry_run=False).status == "failed"
    assert "the benchmark changed since the preview" in html
    assert "is being edited" in html
    version.refresh_from_db()
    assert version.title == "edited"
    assert stored_files(media_root) == []


def test_the_gaps_sheet_through_the_browser(manager_client, benchmark):
    missing_map = checked(manager_client, upload(manager_client, benchmark, GAPS))
    assert missing_map.status_code == 422
    assert "choose a points map" in missing_map.content.decode()

    preview_url = upload(manager_client, benchmark, GAPS, points_map="gaps", approved="on").url
    html = manager_client.get(preview_url).content.decode()
    assert "GAPS: A1=5, A2=3, A3=1, A4=1" in html
    assert "gpt-5, gemini-2.5-pro, claude-opus-4" in html
    manager_client.post(preview_url + "confirm/")
    assert Case.objects.filter(benchmark=benchmark).count() == 92

    with GAPS.open("rb") as handle:
        response = manager_client.post(
            reverse("grading:import_responses", args=[benchmark.slug]), {"file": handle}
        )
    assert response.status_code == 302
    assert "claude-opus-4" in manager_client.get(response.url).content.decode()
    manager_client.post(response.url + "confirm/")
    assert Response.objects.filter(case_version__case__benchmark=benchmark).count() == 276


def test_response_upload_refuses_unknown_cases(manager_client, benchmark):
    with (DATA / "responses.jsonl").open("rb") as handle:
        response = manager_client.post(
            reverse("grading:import_responses", args=[benchmark.slug]), {"file": handle}
        )
    response = checked(manager_client, response)

    assert response.status_code == 422
    assert response.content.decode().count("in this benchmark") == 4
    assert Response.objects.count() == 0


def test_preview_reads_a_fixed_number_of_queries(
    manager_client, benchmark, django_assert_max_num_queries
):
    preview_url = upload(manager_client, benchmark, DATA / "native_cases.jsonl").url

    with django_assert_max_num_queries(8):
        assert manager_client.get(preview_url).status_code == 200
