"""Releases: deterministic files, the manifest, immutability, refusals, the changelog."""

import io
import json
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from curation.models import Case, CaseStatus
from grading.models import Release
from grading.releases.building import build_files, zip_name
from grading.releases.services import (
    ReleaseFileCorrupt,
    ReleaseRefused,
    release_build,
    release_delete,
    release_file_open,
    release_publish,
)
from grading.tasks import build_release
from tests.release_support import (
    cut,
    gold,
    media,  # noqa: F401 (fixture)
    revise,
    sha256,
    zip_members,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def _stored(release) -> dict[str, bytes]:
    return {f.name: default_storage.open(f.path, "rb").read() for f in release.files.all()}


def _built(benchmark, manager, adjudicator, **options):
    gold(benchmark, adjudicator)
    return release_build(release=cut(benchmark, manager, **options))


def test_the_same_inputs_give_byte_identical_files(benchmark, manager, adjudicator):
    release = _built(benchmark, manager, adjudicator, notes="First release")
    assert release.status == Release.Status.BUILT, release.error
    stored = _stored(release)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        build_files(release, Path(a), lambda *_: None)
        build_files(release, Path(b), lambda *_: None)
        for name in stored:
            first, second = (Path(a) / name).read_bytes(), (Path(b) / name).read_bytes()
            assert first == second, name
            assert first == stored[name], name
    assert "benchmark-" not in release.manifest["created"]


def test_every_file_is_listed_in_the_manifest_with_its_sha256(benchmark, manager, adjudicator):
    release = _built(benchmark, manager, adjudicator)
    stored = _stored(release)
    manifest = json.loads(stored["manifest.json"])
    assert manifest == release.manifest
    members = zip_members(stored[f"{benchmark.slug}-1.0.0.zip"])
    assert set(members) == {*manifest["files"], "manifest.json"}
    for name, listed in manifest["files"].items():
        assert sha256(members[name]) == listed["sha256"] == sha256(stored[name]), name
        assert listed["bytes"] == len(members[name])
    assert set(manifest["files"]) == {
        "cases.native.jsonl",
        "cases.clinconsensus.jsonl",
        "cases.healthbench.jsonl",
        "cases.xlsx",
        "responses.jsonl",
        "gold_labels.jsonl",
        "judge_finetune.jsonl",
        "judgements/model-a_judge.json",
        "judgements/model-b_judge.json",
        "judgements/model-c_judge.json",
        "statistics.json",
        "statistics.csv",
    }
    assert manifest["counts"] == {
        "cases": 3,
        "criteria": 9,
        "models": 3,
        "responses": 9,
        "gold_labels": 27,
        "judge_finetune": 27,
    }


def test_files_hold_the_gold_set_in_the_design_formats(benchmark, manager, adjudicator):
    release = _built(benchmark, manager, adjudicator)
    stored = _stored(release)
    public = [json.loads(line) for line in stored["cases.clinconsensus.jsonl"].splitlines()]
    assert [c["case_id"] for c in public] == ["CC-0001", "CC-0002", "CC-0003"]
    assert all("reference_answer" not in c for c in public)
    judged = json.loads(stored["judgements/model-c_judge.json"])
    assert [entry["case_id"] for entry in judged] == ["CC-0001", "CC-0002", "CC-0003"]
    assert judged[0]["criteria_results"] == [
        {"criterion_id": "c01", "criteria_met": True},
        {"criterion_id": "c02", "criteria_met": False},
        {"criterion_id": "c03", "criteria_met": False},
    ]
    labels = [json.loads(line) for line in stored["gold_labels.jsonl"].decode().splitlines()]
    assert labels[0] == {
        "case": "CC-0001",
        "model": "model-a",
        "sample": 0,
        "criterion": "c01",
        "met": True,
        "method": "adjudicated",
        "note": "Names the red flags.",
    }
    tuning = json.loads(stored["judge_finetune.jsonl"].decode().splitlines()[0])
    assert tuning["user_message"] == "胸痛两小时，怎么办？"
    assert tuning["rubric_item"] == "Criterion 1"
    assert tuning["target"] == {"explanation": "Names the red flags.", "criteria_met": True}
    assert b"\r\n" not in stored["gold_labels.jsonl"]


def test_rows_per_gold_label_are_the_bytes_of_json_dumps_with_sorted_keys(
    benchmark, manager, adjudicator
):
    """The build assembles these rows from pieces encoded once; they must stay exactly what
    encoding each row would give, multi-turn conversation and quotes included."""
    from grading.judge_prompt import judge_input

    versions = gold(benchmark, adjudicator)
    versions[0].messages = [
        {"role": "user", "content": '他说"胸痛"\n怎么办？'},
        {"role": "assistant", "content": "多久了？"},
        {"role": "user", "content": "两小时。"},
    ]
    versions[0].save()
    stored = _stored(release_build(release=cut(benchmark, manager)))

    for name in ("gold_labels.jsonl", "judge_finetune.jsonl"):
        lines = stored[name].decode().splitlines(keepends=True)
        assert lines
        for line in lines:
            assert line == json.dumps(json.loads(line), ensure_ascii=False, sort_keys=True) + "\n"
    first = json.loads(stored["judge_finetune.jsonl"].decode().splitlines()[0])
    expected = judge_input(
        messages=versions[0].messages, response=first["response"], rubric_item="Criterion 1"
    )
    assert {key: first[key] for key in expected} == expected


def test_flags_leave_out_responses_labels_and_statistics(benchmark, manager, adjudicator):
    release = _built(
        benchmark,
        manager,
        adjudicator,
        include_responses=False,
        include_labels=False,
        include_statistics=False,
    )
    assert set(release.manifest["files"]) == {
        "cases.native.jsonl",
        "cases.clinconsensus.jsonl",
        "cases.healthbench.jsonl",
        "cases.xlsx",
    }


def test_a_published_release_refuses_every_change_and_keeps_its_files(
    benchmark, manager, adjudicator
):
    release = _built(benchmark, manager, adjudicator)
    release = release_publish(release=release, by=manager)
    before = _stored(release)
    for change in (
        lambda: release_build(release=release),
        lambda: release_publish(release=release, by=manager),
        lambda: release_delete(release=release, by=manager),
    ):
        with pytest.raises(ReleaseRefused, match="published"):
            change()
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert _stored(release) == before


def test_refusals_list_every_reason(benchmark, manager, adjudicator):
    versions = gold(benchmark, adjudicator)
    release_publish(release=release_build(release=cut(benchmark, manager, "1.2.0")), by=manager)
    Case.objects.filter(pk=versions[0].case_id).update(status=CaseStatus.RETIRED)
    Case.objects.filter(pk=versions[1].case_id).update(status=CaseStatus.IN_REVIEW)
    selected = Release.objects.get(version="1.2.0").case_versions.all()
    for version, problem in (("1.2.0", "exists already"), ("1.1.9", "goes backwards")):
        with pytest.raises(ReleaseRefused) as refused:
            cut(benchmark, manager, version, case_versions=selected)
        first, *others = refused.value.problems
        assert problem in first
        assert others == [
            "CC-0001 is retired.",
            "CC-0002 version 1 is not the approved version of the case.",
        ]
    with pytest.raises(ReleaseRefused, match="not a version of the form"):
        cut(benchmark, manager, "2.0", case_versions=selected)
    assert Release.objects.count() == 1


def test_contact_like_strings_refuse_the_release_with_each_hit(benchmark, manager):
    from tests.grading_support import approved_version

    approved_version(
        benchmark,
        "CC-0001",
        messages=[{"role": "user", "content": "患者电话 13812345678，邮箱 wang@example.com"}],
    )
    with pytest.raises(ReleaseRefused) as refused:
        cut(benchmark, manager)
    assert len(refused.value.problems) == 2
    assert "13812345678" in refused.value.problems[1] or "13812345678" in "".join(
        refused.value.problems
    )
    assert "wang@example.com" in "".join(refused.value.problems)
    assert not Release.objects.exists()


def test_publishing_refuses_a_case_retired_since_the_build(benchmark, manager, adjudicator):
    versions = gold(benchmark, adjudicator)
    release = release_build(release=cut(benchmark, manager))
    Case.objects.filter(pk=versions[2].case_id).update(status=CaseStatus.RETIRED)
    with pytest.raises(ReleaseRefused) as refused:
        release_publish(release=release, by=manager)
    assert refused.value.problems == ["CC-0003 is retired."]
    release.refresh_from_db()
    assert release.status == Release.Status.BUILT


def test_the_changelog_lists_cases_and_criteria_changed(benchmark, manager, adjudicator):
    from tests.grading_support import approved_version

    versions = gold(benchmark, adjudicator)
    release_publish(release=release_build(release=cut(benchmark, manager)), by=manager)
    revise(versions[0], criteria_texts=["Criterion 1", "Changed text"])
    Case.objects.filter(pk=versions[1].case_id).update(status=CaseStatus.RETIRED)
    approved_version(benchmark, "CC-0009")
    release = cut(benchmark, manager, "1.1.0")
    assert release.changelog == {
        "previous": "1.0.0",
        "cases_added": ["CC-0009"],
        "cases_removed": ["CC-0002"],
        "cases_revised": [
            {
                "case": "CC-0001",
                "from_version": 1,
                "to_version": 2,
                "criteria_added": [],
                "criteria_removed": ["c03"],
                "criteria_changed": ["c02"],
            }
        ],
    }


def test_a_stored_file_that_no_longer_matches_its_sha256_is_not_served(
    benchmark, manager, adjudicator
):
    release = _built(benchmark, manager, adjudicator)
    stored = release.files.get(name="gold_labels.jsonl")
    with release_file_open(release_file=stored) as f:
        assert f.read()
    Path(default_storage.path(stored.path)).write_bytes(b"tampered\n")
    with pytest.raises(ReleaseFileCorrupt):
        release_file_open(release_file=stored)


def test_a_failed_build_says_why_and_stores_nothing(benchmark, manager, adjudicator, monkeypatch):
    gold(benchmark, adjudicator)
    release = cut(benchmark, manager)

    def broken(release, directory, progress):
        (directory / "half.jsonl").write_text("{")
        raise OSError("disk full")

    monkeypatch.setattr("grading.releases.services.build_files", broken)
    release = release_build(release=release)
    assert release.status == Release.Status.FAILED
    assert release.error == "OSError: disk full"
    assert not release.files.exists()
    assert not default_storage.exists(f"releases/{benchmark.slug}/1.0.0/manifest.json")
    assert not any(Path(default_storage.location).rglob("*.*"))


def test_the_build_task_builds_and_records_progress(benchmark, manager, adjudicator):
    gold(benchmark, adjudicator)
    release = cut(benchmark, manager)
    result = build_release.enqueue(release.pk)
    assert result.return_value == "built"
    release.refresh_from_db()
    assert release.progress_done == release.progress_total > 0


def test_export_release_creates_publishes_and_writes_the_files(
    benchmark, manager, adjudicator, tmp_path
):
    gold(benchmark, adjudicator)
    out = tmp_path / "out"
    call_command(
        "export_release",
        benchmark=benchmark.slug,
        release_version="1.0.0",
        out=str(out),
        by=manager.username,
    )
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED
    manifest = json.loads((out / "manifest.json").read_text())
    for name, listed in manifest["files"].items():
        assert sha256((out / name).read_bytes()) == listed["sha256"]
    assert (out / f"{benchmark.slug}-1.0.0.zip").exists()
    call_command(
        "export_release",
        benchmark=benchmark.slug,
        release_version="1.0.0",
        out=str(tmp_path / "again"),
    )
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (
        out / "manifest.json"
    ).read_bytes()


def test_export_release_refuses_with_every_reason(benchmark, manager, tmp_path):
    with pytest.raises(CommandError, match="no approved case version"):
        call_command(
            "export_release",
            benchmark=benchmark.slug,
            release_version="1.0.0",
            out=str(tmp_path),
            by=manager.username,
        )


def test_the_admin_shows_a_published_release_read_only(client, benchmark, manager, adjudicator):
    from tests.factories import UserFactory

    release = release_publish(release=_built(benchmark, manager, adjudicator), by=manager)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    change = client.get(f"/admin/grading/release/{release.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.post(f"/admin/grading/release/{release.pk}/delete/").status_code == 403
    assert client.post(f"/admin/grading/release/{release.pk}/change/", {}).status_code == 403
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


def test_case_files_equal_the_case_exports(benchmark, manager, adjudicator):
    from curation.exporting import cases_export

    release = _built(benchmark, manager, adjudicator)
    stored = _stored(release)
    for fmt in ("native", "clinconsensus", "healthbench"):
        out = io.StringIO()
        cases_export(benchmark=benchmark, fmt=fmt, out=out)
        assert stored[f"cases.{fmt}.jsonl"].decode() == out.getvalue(), fmt
    rows = list(load_workbook(io.BytesIO(stored["cases.xlsx"])).active.values)
    assert rows[0][0] == "case_id"
    assert len(rows) == 1 + 3 * 3  # a row per criterion


def test_a_conversation_leaves_the_clinconsensus_files_out(benchmark, manager):
    from tests.grading_support import approved_version

    approved_version(
        benchmark,
        "HB-1",
        messages=[
            {"role": "user", "content": "头痛"},
            {"role": "assistant", "content": "多久了？"},
            {"role": "user", "content": "三天"},
        ],
    )
    release = release_build(release=cut(benchmark, manager))
    assert release.status == Release.Status.BUILT, release.error
    assert "cases.clinconsensus.jsonl" not in release.manifest["files"]
    assert not any(name.startswith("judgements/") for name in release.manifest["files"])
    native = json.loads(_stored(release)["cases.native.jsonl"])
    assert len(native["messages"]) == 3


def test_the_spreadsheet_has_no_zip64_header_excel_would_refuse(benchmark, manager, adjudicator):
    """Excel will not open an xlsx whose small entries carry ZIP64 headers."""
    data = _stored(_built(benchmark, manager, adjudicator))["cases.xlsx"]
    with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
        for entry in xlsx.infolist():
            (local_version,) = struct.unpack_from("<H", data, entry.header_offset + 4)
            assert (entry.extract_version, local_version) == (20, 20), entry.filename


def test_files_past_the_zip64_limit_are_zipped_with_their_zip64_headers(
    benchmark, manager, adjudicator, monkeypatch
):
    # The limit is 4 GB (the fine-tuning set and the case sheet pass it at 10x); lowered here to
    # 1,000 bytes, so every file and the sheet inside cases.xlsx pass it.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1_000)

    release = _built(benchmark, manager, adjudicator)

    assert release.status == Release.Status.BUILT, release.error
    stored = _stored(release)
    with zipfile.ZipFile(io.BytesIO(stored[zip_name(release)])) as archive:
        assert archive.read("judge_finetune.jsonl") == stored["judge_finetune.jsonl"]
    sheet = load_workbook(io.BytesIO(stored["cases.xlsx"])).active
    assert sheet.max_row > 1
