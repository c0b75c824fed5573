import gc
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.importing import ImportRejected, cases_import, guess_format
from curation.importing import reading as importing_reading
from curation.models import AuditEvent, Benchmark, Case, CaseStatus, CaseVersion, Criterion, Term
from tests.factories import CaseVersionFactory, FacetFactory

DATA = Path(__file__).parent / "data"
NATIVE = DATA / "native_cases.jsonl"


def native_line(case_id="CC-0100", **overrides) -> dict:
    line = {
        "id": case_id,
        "title": "发热三天",
        "messages": [{"role": "user", "content": "孩子发热三天，体温39℃，怎么办？"}],
        "reference_answer": "及时就医。",
        "facets": {"specialty": ["儿科"]},
        "criteria": [
            {"id": "c01", "text": "建议就医", "points": 1, "tags": []},
            {"id": "c02", "text": "提及退热药剂量", "points": 1, "tags": ["axis:accuracy"]},
        ],
    }
    line.update(overrides)
    return line


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text(
        "\n".join(
            line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
            for line in lines
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        CaseVersion.objects.count(),
        Criterion.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(**kwargs) -> list:
    with pytest.raises(ImportRejected) as info:
        cases_import(actor=None, **kwargs)
    return info.value.errors


@pytest.mark.django_db
def test_native_import_creates_benchmark_taxonomy_cases_and_criteria(manager):
    report = cases_import(benchmark="cardio", file=NATIVE, fmt="native", actor=manager)

    assert report.benchmark_created
    assert report.created == ["CC-0001", "CC-0002"]
    benchmark = Benchmark.objects.get(slug="cardio")
    case = Case.objects.get(benchmark=benchmark, external_id="CC-0002")
    version = case.current_version
    assert case.status == CaseStatus.DRAFT
    assert (version.number, version.is_frozen) == (1, False)
    assert version.author == manager
    assert [m["role"] for m in version.messages] == ["system", "user", "assistant", "user"]
    assert list(version.criteria.values_list("key", "points")) == [("c01", 5), ("c02", 3)]
    assert sorted(version.terms.values_list("facet__key", "value")) == [
        ("difficulty", "medium"),
        ("specialty", "心血管内科"),
        ("task", "用药咨询"),
    ]
    assert Term.objects.filter(facet__benchmark=benchmark, value="心血管内科").count() == 1
    event = AuditEvent.objects.get(benchmark=benchmark)
    assert event.action == "cases_imported"
    assert event.data["file"] == "native_cases.jsonl"
    assert event.data["created"] == 2


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(benchmark):
    cases_import(benchmark=benchmark, file=NATIVE, fmt="native", actor=None)
    before = list(CaseVersion.objects.values_list("pk", "number"))

    report = cases_import(benchmark=benchmark, file=NATIVE, fmt="native", actor=None)

    assert report.unchanged == ["CC-0001", "CC-0002"]
    assert report.created == report.revised == []
    assert list(CaseVersion.objects.values_list("pk", "number")) == before


@pytest.mark.django_db
def test_a_changed_case_gets_a_new_version_with_its_parent(benchmark, tmp_path):
    cases_import(benchmark=benchmark, file=NATIVE, fmt="native", actor=None, approved=True)
    first = Case.objects.get(external_id="CC-0001").current_version
    lines = [json.loads(line) for line in NATIVE.read_text(encoding="utf-8").splitlines()]
    lines[0]["criteria"][1]["text"] = "提及无禁忌证时嚼服阿司匹林300 mg"
    changed = write_jsonl(tmp_path / "changed.jsonl", lines)

    report = cases_import(benchmark=benchmark, file=changed, fmt="native", actor=None)

    assert (report.revised, report.unchanged) == (["CC-0001"], ["CC-0002"])
    case = Case.objects.get(external_id="CC-0001")
    new = case.current_version
    assert (new.number, new.parent_id) == (2, first.pk)
    assert new.change_note == "Imported from changed.jsonl"
    assert (new.is_frozen, case.status) == (False, CaseStatus.DRAFT)
    assert new.criteria.get(key="c02").text.endswith("300 mg")
    first.refresh_from_db()
    assert first.criteria.get(key="c02").text == "提及无禁忌时嚼服阿司匹林"


@pytest.mark.django_db
def test_approved_import_freezes_versions_and_records_it(benchmark):
    cases_import(benchmark=benchmark, file=NATIVE, fmt="native", actor=None, approved=True)

    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.APPROVED}
    assert all(v.is_frozen for v in CaseVersion.objects.all())
    assert AuditEvent.objects.get(benchmark=benchmark).action == "cases_imported_approved"


@pytest.mark.django_db
def test_an_untouched_imported_draft_is_replaced_in_place(benchmark, tmp_path):
    cases_import(
        benchmark=benchmark,
        file=write_jsonl(tmp_path / "a.jsonl", [native_line()]),
        fmt="native",
        actor=None,
    )
    draft = Case.objects.get().current_version
    fixed = native_line(title="发热三天（修订）")

    report = cases_import(
        benchmark=benchmark,
        file=write_jsonl(tmp_path / "b.jsonl", [fixed]),
        fmt="native",
        actor=None,
    )

    assert report.revised == ["CC-0100"]
    draft.refresh_from_db()
    assert (draft.number, draft.title, draft.change_note) == (
        1,
        "发热三天（修订）",
        "Imported from b.jsonl",
    )
    assert CaseVersion.objects.count() == 1
    assert (draft.criteria.count(), draft.terms.count()) == (2, 1)


@pytest.mark.django_db
def test_a_draft_being_edited_is_not_overwritten(benchmark, tmp_path):
    version = CaseVersionFactory(case__benchmark=benchmark, case__external_id="CC-0100")
    before = counts()

    errors = refused(
        benchmark=benchmark,
        file=write_jsonl(tmp_path / "a.jsonl", [native_line()]),
        fmt="native",
    )

    assert [(e.line, e.field) for e in errors] == [(1, "id")]
    assert "draft" in errors[0].message
    assert counts() == before
    version.refresh_from_db()
    assert version.criteria.count() == 0


@pytest.mark.django_db
def test_facets_of_an_existing_taxonomy_are_checked_and_new_terms_added(benchmark, tmp_path):
    FacetFactory(benchmark=benchmark, key="specialty")
    FacetFactory(benchmark=benchmark, key="task")
    before = counts()

    errors = refused(
        benchmark=benchmark,
        file=write_jsonl(
            tmp_path / "a.jsonl",
            [native_line(), native_line("CC-0101", facets={"specialtty": ["儿科"]})],
        ),
        fmt="native",
    )

    assert [(e.line, e.field) for e in errors] == [(2, "facets.specialtty")]
    assert "specialty, task" in errors[0].message
    assert counts() == before

    cases_import(
        benchmark=benchmark,
        file=write_jsonl(tmp_path / "b.jsonl", [native_line()]),
        fmt="native",
        actor=None,
    )
    assert Term.objects.filter(facet__key="specialty", value="儿科").exists()


BAD_LINES = {
    "bad JSON": ('{"id": "CC-1", "messages": [}', "", "bad JSON"),
    "missing field": ({"id": "CC-2", "criteria": []}, "messages", "missing"),
    "wrong type": (
        native_line(criteria=[{"id": "c01", "text": "x", "points": "one"}]),
        "criteria[0].points",
        "wrong type",
    ),
    "empty criterion": (
        native_line(criteria=[{"id": "c01", "text": "  "}]),
        "criteria[0].text",
        "empty",
    ),
    "duplicate criterion": (
        native_line(criteria=[{"id": "c01", "text": "a"}, {"id": "c01", "text": "b"}]),
        "criteria[1]",
        "duplicate",
    ),
    "unknown field": (native_line(refrence_answer="x"), "refrence_answer", "unknown field"),
    "case id with a space": (native_line("CC 9"), "id", "Use letters, digits"),
    "reserved case id": (native_line("new"), "id", "reserved"),
    "bad role": (
        native_line(messages=[{"role": "doctor", "content": "x"}]),
        "messages[0].role",
        "unknown role",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD_LINES)
def test_a_bad_line_refuses_the_whole_file(benchmark, tmp_path, kind):
    bad, field, reason = BAD_LINES[kind]
    path = write_jsonl(tmp_path / "bad.jsonl", [native_line("CC-0001"), bad, native_line("CC-3")])
    before = counts()

    errors = refused(benchmark=benchmark, file=path, fmt="native")

    assert [(e.line, e.field) for e in errors] == [(2, field)]
    assert reason in errors[0].message
    assert counts() == before


@pytest.mark.django_db
def test_every_bad_line_is_listed(benchmark, tmp_path):
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [native_line("CC-1"), "{oops", native_line("CC-1"), native_line("CC-2", criteria=None)],
    )

    errors = refused(benchmark=benchmark, file=path, fmt="native")

    assert [(e.line, e.field) for e in errors] == [(2, ""), (3, "id"), (4, "criteria")]
    assert "first on line 1" in errors[1].message


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused_by_line(benchmark, tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(
        json.dumps(native_line("CC-1"), ensure_ascii=False).encode()
        + b"\n"
        + json.dumps(native_line("CC-2"), ensure_ascii=False).encode("gbk")
        + b"\n"
    )

    errors = refused(benchmark=benchmark, file=path, fmt="native")

    assert [(e.line, e.field) for e in errors] == [(2, "")]
    assert "not UTF-8" in errors[0].message
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(benchmark, monkeypatch):
    monkeypatch.setattr(importing_reading, "MAX_FILE_BYTES", 1000)

    errors = refused(benchmark="new-one", file=NATIVE, fmt="native")

    assert "too large" in errors[0].message
    assert not Benchmark.objects.filter(slug="new-one").exists()


@pytest.mark.django_db
def test_dry_run_reports_without_writing(benchmark):
    before = counts()

    report = cases_import(
        benchmark="brand-new", file=NATIVE, fmt="native", actor=None, dry_run=True
    )

    assert report.benchmark_created
    assert report.created == ["CC-0001", "CC-0002"]
    assert report.new_facets == ["specialty", "task", "difficulty"]
    assert counts() == before
    assert not Benchmark.objects.filter(slug="brand-new").exists()


@pytest.mark.django_db
def test_criterion_tags_are_stored_as_the_fields_json(benchmark, tmp_path):
    # Written by the bulk path's own encoder (Chinese as itself, searchable), not bulk_create.
    line = native_line()
    line["criteria"][1]["tags"] = ["轴:准确", "axis:accuracy"]
    cases_import(
        benchmark=benchmark,
        file=write_jsonl(tmp_path / "c.jsonl", [line]),
        fmt="native",
        actor=None,
    )

    assert list(Criterion.objects.order_by("position").values_list("tags", flat=True)) == [
        [],
        ["轴:准确", "axis:accuracy"],
    ]
    assert list(Criterion.objects.filter(tags__icontains="准确").values_list("key", flat=True)) == [
        "c02"
    ]


@pytest.mark.django_db
def test_the_garbage_collector_is_back_on_after_an_import(benchmark, tmp_path):
    cases_import(benchmark=benchmark, file=NATIVE, fmt="native", actor=None)
    assert gc.isenabled()
    refused(benchmark=benchmark, file=write_jsonl(tmp_path / "bad.jsonl", ["{"]), fmt="native")
    assert gc.isenabled()


@pytest.mark.django_db
def test_progress_is_reported(benchmark):
    calls = []

    cases_import(
        benchmark=benchmark,
        file=NATIVE,
        fmt="native",
        actor=None,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(2, 2)]


def test_format_is_guessed_from_the_first_line(tmp_path):
    assert guess_format(NATIVE) == "native"
    hb = write_jsonl(tmp_path / "hb.jsonl", [{"prompt_id": "x", "prompt": [], "rubrics": []}])
    assert guess_format(hb) == "healthbench"
    cc = write_jsonl(tmp_path / "cc.jsonl", [{"case_id": "x", "rubrics": []}])
    assert guess_format(cc) == "clinconsensus"


@pytest.mark.django_db
def test_import_cases_command_imports_and_reports(capsys):
    call_command("import_cases", str(NATIVE), "--benchmark", "cli-bench", "--approved")

    out = capsys.readouterr().out
    assert "2 cases created, 0 revised, 0 unchanged" in out
    assert Case.objects.filter(benchmark__slug="cli-bench", status="approved").count() == 2


@pytest.mark.django_db
def test_import_cases_command_lists_every_bad_line(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", ["{", native_line("CC-1", criteria=[{"id": "c"}])])

    with pytest.raises(CommandError) as info:
        call_command("import_cases", str(path), "--benchmark", "cli-bench", "--format", "native")

    message = str(info.value)
    assert "line 1" in message
    assert "line 2, criteria[0].text: missing field" in message
    assert not Benchmark.objects.filter(slug="cli-bench").exists()


def import_queries(tmp_path, n: int, slug: str) -> int:
    lines = [
        native_line(f"Q-{i:04d}", facets={"specialty": [f"专科{i % 7}"], "task": ["诊断"]})
        for i in range(n)
    ]
    path = write_jsonl(tmp_path / f"{slug}.jsonl", lines)
    with CaptureQueriesContext(connection) as queries:
        cases_import(benchmark=slug, file=path, fmt="native", actor=None)
    return len(queries)


@pytest.mark.django_db
def test_import_query_count_does_not_grow_with_the_number_of_cases(tmp_path):
    fifty = import_queries(tmp_path, 50, "fifty")
    hundred = import_queries(tmp_path, 100, "hundred")

    assert fifty <= 16
    if connection.features.max_query_params is None:
        assert hundred == fifty
    else:
        # SQLite caps a statement at 999 parameters, so the bulk inserts of versions (~80 a
        # statement) and criteria (~160) split into batches: a few more, never one per case.
        assert hundred - fifty <= 3


def csv_file(path: Path, rows: list[list], encoding="utf-8") -> Path:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


SHEET_HEADER = [
    "case_id",
    "title",
    "prompt",
    "facet:specialty",
    "criterion_id",
    "criterion",
    "points",
    "tags",
]


@pytest.mark.django_db
def test_case_sheet_rows_group_into_cases(tmp_path):
    path = csv_file(
        tmp_path / "cases.csv",
        [
            SHEET_HEADER,
            ["S-1", "胸痛", "胸痛怎么办？", "心内科; 急诊", "c01", "建议急诊", "", "axis:accuracy"],
            ["S-1", "", "", "", "c02", "建议观察", "-3", "axis:safety; level:cluster"],
            ["S-2", "头痛", "头痛", "神经内科", "c01", "询问起病", "2", ""],
        ],
    )

    report = cases_import(benchmark="sheet", file=path, fmt="csv", actor=None)

    assert report.created == ["S-1", "S-2"]
    version = Case.objects.get(external_id="S-1").current_version
    assert version.messages == [{"role": "user", "content": "胸痛怎么办？"}]
    assert list(version.criteria.values_list("key", "points", "tags")) == [
        ("c01", 1, ["axis:accuracy"]),
        ("c02", -3, ["axis:safety", "level:cluster"]),
    ]
    assert sorted(version.terms.values_list("value", flat=True)) == ["心内科", "急诊"]


@pytest.mark.django_db
def test_bad_sheet_rows_are_listed_by_row_number(tmp_path):
    path = csv_file(
        tmp_path / "cases.csv",
        [
            SHEET_HEADER,
            ["S-1", "胸痛", "胸痛怎么办？", "", "c01", "建议急诊", "", ""],
            ["S-1", "胸闷", "", "", "c02", "", "1", ""],
            ["S-2", "头痛", "", "", "c01", "询问起病", "many", ""],
            ["", "无编号", "x", "", "c01", "y", "", ""],
            ["S-3", "零分", "x", "", "c01", "y", "0", ""],
        ],
    )

    errors = refused(benchmark="sheet", file=path, fmt="csv")

    assert [(e.line, e.field) for e in errors] == [
        (3, "criterion"),
        (3, "title"),
        (4, "points"),
        (4, "prompt"),
        (5, "case_id"),
        (6, "points"),
    ]
    assert "differs from the value of this case on row 2" in errors[1].message
    assert not Benchmark.objects.filter(slug="sheet").exists()


@pytest.mark.django_db
def test_a_sheet_of_unknown_layout_or_bytes_is_refused(tmp_path):
    unknown = csv_file(tmp_path / "other.csv", [["name", "age"], ["x", "1"]])
    assert "missing column" in refused(benchmark="s", file=unknown, fmt="csv")[0].message

    gbk = csv_file(
        tmp_path / "gbk.csv", [SHEET_HEADER, ["S-1", "胸痛", "x", "", "c01", "y"]], encoding="gbk"
    )
    assert [(e.line, e.message) for e in refused(benchmark="s", file=gbk, fmt="csv")] == [
        (2, "not UTF-8 text")
    ]

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert "not a readable XLSX" in refused(benchmark="s", file=broken, fmt="xlsx")[0].message


CC_LINE = {
    "case_id": "CC-1",
    "difficulty": "低",
    "task": "咨询",
    "task_labels": ["咨询"],
    "subject": "儿科",
    "subject_labels": ["儿科"],
    "user_role": "大众",
    "clinical_context": "",
    "user_request": "发烧怎么办？",
    "rubrics": [{"criterion_id": "c01", "criterion": "建议测体温"}],
}
HB_LINE = {
    "prompt_id": "hb-1",
    "prompt": [{"role": "user", "content": "Fever?"}],
    "rubrics": [{"criterion": "Asks about duration", "points": 5, "tags": ["axis:accuracy"]}],
    "example_tags": [],
    "ideal_completions_data": None,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "bad", "field", "reason"),
    [
        ("clinconsensus", CC_LINE | {"user_request": None}, "user_request", "missing"),
        (
            "clinconsensus",
            CC_LINE | {"rubrics": [{"criterion_id": "c01", "criterion": ""}]},
            "rubrics[0].criterion",
            "empty",
        ),
        ("clinconsensus", CC_LINE | {"task_labels": [1]}, "task_labels[0]", "wrong type"),
        (
            "clinconsensus",
            CC_LINE
            | {
                "rubrics": [
                    {"criterion_id": "c1", "criterion": "a"},
                    {"criterion_id": "c1", "criterion": "b"},
                ]
            },
            "rubrics[1]",
            "duplicate",
        ),
        (
            "healthbench",
            HB_LINE | {"rubrics": [{"criterion": "x", "points": 11, "tags": []}]},
            "rubrics[0].points",
            "10",
        ),
        (
            "healthbench",
            HB_LINE | {"rubrics": [{"criterion": "x", "points": 2.5, "tags": []}]},
            "rubrics[0].points",
            "wrong type",
        ),
        ("healthbench", HB_LINE | {"prompt": "Fever?"}, "prompt", "wrong type"),
        (
            "healthbench",
            {k: v for k, v in HB_LINE.items() if k != "prompt_id"},
            "prompt_id",
            "missing",
        ),
    ],
)
def test_bad_lines_of_other_formats_are_refused(tmp_path, fmt, bad, field, reason):
    good = CC_LINE if fmt == "clinconsensus" else HB_LINE
    other_id = {"case_id": "CC-0"} if fmt == "clinconsensus" else {"prompt_id": "hb-0"}
    path = write_jsonl(tmp_path / "f.jsonl", [good | other_id, bad])

    errors = refused(benchmark="other", file=path, fmt=fmt)

    assert [(e.line, e.field) for e in errors] == [(2, field)]
    assert reason in errors[0].message
    assert counts() == (0, 0, 0, 0)
