import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.importing import ImportRejected, cases_import
from curation.models import AuditEvent, Case, CaseStatus
from grading.importing import responses_import
from grading.models import ModelUnderTest, Response
from tests.factories import CaseVersionFactory, ModelUnderTestFactory, ResponseFactory

DATA = Path(__file__).parent / "data"
RESPONSES = DATA / "responses.jsonl"


@pytest.fixture
def approved_cases(benchmark):
    cases_import(
        benchmark=benchmark,
        file=DATA / "native_cases.jsonl",
        fmt="native",
        actor=None,
        approved=True,
    )
    return benchmark


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines),
        encoding="utf-8",
    )
    return path


def refused(benchmark, path) -> list:
    with pytest.raises(ImportRejected) as info:
        responses_import(benchmark=benchmark, file=path, actor=None)
    return info.value.errors


@pytest.mark.django_db
def test_responses_are_tied_to_the_current_approved_version(approved_cases, manager):
    report = responses_import(benchmark=approved_cases, file=RESPONSES, actor=manager)

    assert (report.created, report.cases) == (4, 2)
    assert report.by_model == {"gpt-5.1": 3, "qwen3-max": 1}
    assert sorted(report.new_models) == ["gpt-5.1", "qwen3-max"]
    case = Case.objects.get(external_id="CC-0001")
    assert sorted(
        Response.objects.filter(case_version=case.current_version).values_list(
            "model__name", "sample"
        )
    ) == [("gpt-5.1", 0), ("gpt-5.1", 1), ("qwen3-max", 0)]
    assert Response.objects.get(case_version__case__external_id="CC-0002").sample == 0
    event = AuditEvent.objects.get(action="responses_imported")
    assert (event.actor, event.data["created"]) == (manager, 4)


@pytest.mark.django_db
def test_existing_models_are_reused(approved_cases):
    model = ModelUnderTestFactory(name="gpt-5.1")

    responses_import(benchmark=approved_cases.slug, file=RESPONSES, actor=None)

    assert ModelUnderTest.objects.count() == 2
    assert model.responses.count() == 3


@pytest.mark.django_db
def test_dry_run_writes_nothing(approved_cases):
    report = responses_import(benchmark=approved_cases, file=RESPONSES, actor=None, dry_run=True)

    assert report.created == 4
    assert Response.objects.count() == ModelUnderTest.objects.count() == 0


@pytest.mark.django_db
def test_unknown_and_unapproved_cases_are_refused_with_every_line(approved_cases, tmp_path):
    CaseVersionFactory(case__benchmark=approved_cases, case__external_id="CC-DRAFT")
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"case": "CC-0001", "model": "m", "sample": 0, "text": "ok"},
            {"case": "CC-9999", "model": "m", "sample": 0, "text": "unknown"},
            {"case": "CC-DRAFT", "model": "m", "sample": 0, "text": "draft"},
        ],
    )

    errors = refused(approved_cases, path)

    assert [(e.line, e.field) for e in errors] == [(2, "case"), (3, "case")]
    assert "unknown case" in errors[0].message
    assert "not approved" in errors[1].message
    assert Response.objects.count() == 0
    assert Case.objects.get(external_id="CC-DRAFT").status == CaseStatus.DRAFT


@pytest.mark.django_db
def test_duplicates_in_the_file_and_in_the_database_are_refused(approved_cases, tmp_path):
    version = Case.objects.get(external_id="CC-0002").current_version
    ResponseFactory(case_version=version, model__name="m", sample=0)
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"case": "CC-0001", "model": "m", "sample": 0, "text": "a"},
            {"case": "CC-0001", "model": "m", "sample": 0, "text": "again"},
            {"case": "CC-0002", "model": "m", "text": "already there"},
        ],
    )

    errors = refused(approved_cases, path)

    assert [(e.line, e.field) for e in errors] == [(2, "sample"), (3, "sample")]
    assert "first on line 1" in errors[0].message
    assert "already imported" in errors[1].message
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ({"case": "CC-0001", "model": "m", "text": "  "}, "text", "empty"),
        ({"case": "CC-0001", "model": "m"}, "text", "missing"),
        ({"case": "CC-0001", "model": "m", "sample": "0", "text": "x"}, "sample", "wrong type"),
        ({"case": "CC-0001", "model": "m", "sample": -1, "text": "x"}, "sample", "0 or more"),
        ({"case": "CC-0001", "model": "", "text": "x"}, "model", "empty"),
        ({"case": "CC-0001", "model": "m", "txt": "x"}, "txt", "unknown field"),
        ("not json", "", "bad JSON"),
    ],
)
@pytest.mark.django_db
def test_malformed_lines_are_refused(approved_cases, tmp_path, line, field, reason):
    good = {"case": "CC-0002", "model": "m", "text": "fine"}
    errors = refused(approved_cases, write_jsonl(tmp_path / "r.jsonl", [good, line]))

    assert {e.line for e in errors} == {2}
    assert any(e.field == field and reason in e.message for e in errors)
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_import_responses_command(approved_cases, capsys):
    call_command("import_responses", str(RESPONSES), "--benchmark", approved_cases.slug)

    assert "4 responses imported for 2 cases" in capsys.readouterr().out
    assert Response.objects.count() == 4


@pytest.mark.django_db
def test_import_responses_command_refuses_an_unknown_benchmark():
    with pytest.raises(CommandError, match="no benchmark 'nope'"):
        call_command("import_responses", str(RESPONSES), "--benchmark", "nope")


@pytest.mark.django_db
def test_a_response_sheet_with_one_response_per_row(approved_cases, tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(
        "case,model,sample,text\n"
        'CC-0001,gpt-5.1,0,"请立即拨打120。\n并嚼服阿司匹林。"\n'
        "CC-0001,gpt-5.1,1,建议就医\n"
        "CC-0002,qwen3-max,,Do not stop.\n",
        encoding="utf-8",
    )

    report = responses_import(benchmark=approved_cases, file=path, actor=None)

    assert report.by_model == {"gpt-5.1": 2, "qwen3-max": 1}
    assert Response.objects.get(model__name="gpt-5.1", sample=0).text.endswith("并嚼服阿司匹林。")


@pytest.mark.django_db
def test_bad_rows_of_a_response_sheet_are_listed(approved_cases, tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(
        "case,model,sample,text\nCC-0001,m,x,a\nCC-0001,m,0,\nCC-0404,m,0,b\n", encoding="utf-8"
    )

    errors = refused(approved_cases, path)

    assert [(e.line, e.field) for e in errors] == [(2, "sample"), (3, "text"), (4, "case")]
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_file(approved_cases, tmp_path):
    def queries(samples: int) -> int:
        lines = [
            {"case": case, "model": "gpt-5.1", "sample": n, "text": "答"}
            for case in ("CC-0001", "CC-0002")
            for n in range(samples)
        ]
        path = write_jsonl(tmp_path / f"{samples}.jsonl", lines)
        with CaptureQueriesContext(connection) as captured:
            responses_import(benchmark=approved_cases, file=path, actor=None, dry_run=True)
        return len(captured)

    assert queries(600) == queries(1)
