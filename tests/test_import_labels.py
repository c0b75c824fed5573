"""Label import: the DESIGN label format, whole-file refusal, raters, consensus afterwards, and
the HealthBench meta-evaluation physician labels."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from curation.importing import ImportRejected
from curation.models import AuditEvent, Benchmark
from grading.label_import import labels_import
from grading.models import AdjudicationItem, Consensus, Label, LabelHistory, Rater
from grading.services.assignment import assignment_next
from tests.factories import (
    CaseFactory,
    CaseVersionFactory,
    CriterionFactory,
    ModelUnderTestFactory,
    ResponseFactory,
    UserFactory,
)
from tests.grading_support import approved_version, campaign_over, mark_all

META = Path("../shared/data/healthbench_meta_labels/healthbench_meta_gold.jsonl")


@pytest.fixture
def response(benchmark):
    version = CaseVersionFactory(case=CaseFactory(benchmark=benchmark, external_id="CC-0001"))
    for key in ("c01", "c02"):
        CriterionFactory(version=version, key=key)
    return ResponseFactory(case_version=version, model=ModelUnderTestFactory(name="gpt-5.1"))


def line(**overrides):
    row = {
        "case": "CC-0001",
        "model": "gpt-5.1",
        "sample": 0,
        "criterion": "c01",
        "rater": "dr_wang",
        "rater_kind": "human",
        "met": True,
        "note": "",
    }
    row.update(overrides)
    return row


def jsonl(*rows):
    return io.BytesIO("\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode())


def run(benchmark, *rows, **kwargs):
    return labels_import(benchmark=benchmark, file=jsonl(*rows), actor=None, **kwargs)


def test_import_creates_labels_raters_and_consensus(benchmark, response):
    report = run(
        benchmark,
        line(rater="dr_wang", met=True),
        line(rater="dr_li", met=True, note="剂量正确"),
        line(criterion="c02", rater="dr_wang", met=True),
        line(criterion="c02", rater="dr_li", met=False),
        line(rater="judge-8b", rater_kind="judge", version="2025-06", met=False),
    )
    assert (report.created, report.by_kind) == (5, {"human": 4, "judge": 1})
    assert report.consensus_by_method == {"unanimous": 1}
    assert report.adjudication_open == 1
    judge = Rater.objects.get(kind="judge", name="judge-8b", version="2025-06")
    assert judge.user is None
    assert Label.objects.get(rater__name="dr_li", criterion__key="c01").note == "剂量正确"
    assert Consensus.objects.get(criterion__key="c01").method == Consensus.Method.UNANIMOUS
    assert AdjudicationItem.objects.get(criterion__key="c02").status == "open"
    assert LabelHistory.objects.count() == 4  # humans only
    assert AuditEvent.objects.filter(action="labels_imported").count() == 1


def test_unknown_human_becomes_an_external_rater_and_a_user_is_linked(benchmark, response):
    user = UserFactory(username="dr_zhao")
    run(benchmark, line(rater="dr_zhao"), line(rater="dr_external"))
    assert Rater.objects.get(name="dr_zhao").user == user
    assert Rater.objects.get(name="dr_external").user is None


def test_reimport_with_a_changed_label_reopens_the_decided_item(benchmark, response):
    run(benchmark, line(rater="a", met=True), line(rater="b", met=False))
    item = AdjudicationItem.objects.get()
    AdjudicationItem.objects.filter(pk=item.pk).update(status=AdjudicationItem.Status.DECIDED)
    again = run(benchmark, line(rater="a", met=True), line(rater="b", met=False))
    assert again.unchanged == 2
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.DECIDED
    changed = run(benchmark, line(rater="a", met=False), line(rater="b", met=False))
    assert changed.updated == 1
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.SETTLED
    assert Consensus.objects.get().method == Consensus.Method.UNANIMOUS
    assert LabelHistory.objects.filter(label__rater__name="a").count() == 2


def test_bad_file_refused_whole_with_every_bad_line(benchmark, response):
    with pytest.raises(ImportRejected) as caught:
        run(
            benchmark,
            line(),
            line(case="CC-9999"),
            line(model="unknown-model"),
            line(criterion="c99"),
            line(rater_kind="robot"),
            line(met="yes"),
            line(rater="dr_li", met=1),
        )
    problems = {(e.line, e.field) for e in caught.value.errors}
    assert problems == {
        (2, "case"),
        (3, "model"),
        (4, "criterion"),
        (5, "rater_kind"),
        (6, "met"),
        (7, "met"),
    }
    assert Label.objects.count() == 0
    assert Rater.objects.count() == 0


def test_repeated_label_in_a_file_is_refused(benchmark, response):
    with pytest.raises(ImportRejected) as caught:
        run(benchmark, line(), line(met=False))
    assert [(e.line, e.field) for e in caught.value.errors] == [(2, "rater")]


def test_dry_run_reports_and_writes_nothing(benchmark, response):
    report = run(benchmark, line(rater="a"), line(rater="b"), dry_run=True)
    assert report.created == 2
    assert report.consensus_by_method == {"unanimous": 1}
    assert Label.objects.count() == Consensus.objects.count() == Rater.objects.count() == 0


def test_command_imports_and_reports(benchmark, response, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_bytes(jsonl(line(rater="a"), line(rater="b", met=False)).getvalue())
    out = io.StringIO()
    call_command("import_labels", str(path), "--benchmark", benchmark.slug, stdout=out)
    assert "2 labels created" in out.getvalue()
    assert "1 items to adjudicate" in out.getvalue()


def test_command_refuses_a_bad_file(benchmark, response, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_bytes(jsonl(line(met="true")).getvalue())
    with pytest.raises(CommandError, match="line 1, met"):
        call_command("import_labels", str(path), "--benchmark", benchmark.slug)


def test_healthbench_meta_labels_give_consensus_and_adjudication_by_the_rule(db):
    rows = [json.loads(x) for x in META.read_text(encoding="utf-8").splitlines() if x.strip()]
    unanimous = sum(len(set(r["binary_labels"])) == 1 for r in rows)
    disagreeing = len(rows) - unanimous
    physicians = {p for r in rows for p in r["anonymized_physician_ids"]}
    out = io.StringIO()
    call_command(
        "import_labels",
        str(META),
        "--benchmark",
        "healthbench-meta",
        "--format",
        "healthbench-meta",
        stdout=out,
    )
    benchmark = Benchmark.objects.get(slug="healthbench-meta")
    assert benchmark.cases.count() == len({r["prompt_id"] for r in rows})
    assert Label.objects.count() == sum(len(r["binary_labels"]) for r in rows)
    assert Rater.objects.filter(kind="human").count() == len(physicians)
    assert Consensus.objects.filter(benchmark=benchmark, method="unanimous").count() == unanimous
    assert Consensus.objects.filter(benchmark=benchmark).count() == unanimous
    assert (
        AdjudicationItem.objects.filter(benchmark=benchmark, status="open").count() == disagreeing
    )
    for row in rows[:10]:
        consensus = Consensus.objects.filter(criterion__key=row["item_id"]).first()
        if len(set(row["binary_labels"])) == 1:
            assert consensus.met == row["binary_labels"][0]
        else:
            assert consensus is None
    # Importing the same file again changes nothing.
    call_command(
        "import_labels",
        str(META),
        "--benchmark",
        "healthbench-meta",
        "--format",
        "healthbench-meta",
        stdout=io.StringIO(),
    )
    assert Label.objects.count() == sum(len(r["binary_labels"]) for r in rows)
    assert AdjudicationItem.objects.filter(reopened_count__gt=0).count() == 0


def test_each_new_human_label_gets_its_own_first_history_row(benchmark, response):
    run(
        benchmark,
        line(rater="a", met=True, note="ok"),
        line(rater="b", met=False),
        line(criterion="c02", rater="a", met=False),
        line(rater="judge", rater_kind="judge", met=True),
    )
    humans = Label.objects.filter(rater__kind="human")
    history = {h.label_id: h for h in LabelHistory.objects.all()}
    assert set(history) == set(humans.values_list("pk", flat=True))
    for label in humans:
        first = history[label.pk]
        assert (first.previous_met, first.met, first.note) == (None, label.met, label.note)


def test_a_changed_label_records_when_it_changed(benchmark, response):
    run(benchmark, line(rater="a", met=True))
    before = Label.objects.get().updated_at
    run(benchmark, line(rater="a", met=False))
    label = Label.objects.get()
    assert (label.met, label.updated_at > before) == (False, True)


def test_unusual_but_valid_values_import_as_the_format_says(benchmark, response):
    report = run(
        benchmark,
        line(rater="a"),
        {**line(model=" gpt-5.1 ", criterion=" c01", rater=" b ", sample=0.0), "note": None},
        line(rater="judge-8b", rater_kind="judge", version=" v2 ", note="  why  "),
        {k: v for k, v in line(rater="c", criterion="c02").items() if k not in ("sample", "note")},
    )
    assert report.created == 4
    labels = {
        (lb.rater.name, lb.rater.version, lb.criterion.key, lb.note) for lb in Label.objects.all()
    }
    assert labels == {
        ("a", "", "c01", ""),
        ("b", "", "c01", ""),
        ("judge-8b", "v2", "c01", "why"),
        ("c", "", "c02", ""),
    }


def test_unusual_bad_values_are_each_refused(benchmark, response):
    with pytest.raises(ImportRejected) as caught:
        run(
            benchmark,
            line(rater="a", version=" "),
            line(rater="b", sample=True),
            line(rater="c", model=" "),
            line(rater="d", criterion="c" * 51),
            line(rater="e", case="new"),
            line(rater="f", extra=1),
            line(rater="g", rater_kind=["human"]),
            line(rater="h", sample=-1),
        )
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (1, "version"),
        (2, "sample"),
        (3, "model"),
        (4, "criterion"),
        (5, "case"),
        (6, "extra"),
        (7, "rater_kind"),
        (8, "sample"),
    ]


def test_a_file_does_not_overwrite_a_campaign_label_and_every_bad_line_is_listed(
    benchmark, manager, grader
):
    version = approved_version(benchmark, "CC-0700", criteria=1, models=("model-a",))
    campaign_over(
        benchmark, [version], by=manager, graders=[grader], models=("model-a",), graders_per_item=1
    )
    mark_all(assignment_next(grader=grader, benchmark=benchmark), by=grader, met=True)
    with pytest.raises(ImportRejected) as caught:
        run(
            benchmark,
            line(case="CC-0700", model="model-a", rater=grader.username, met=False),
            line(case="CC-0700", model="model-a", criterion="c99", rater="dr_li"),
        )
    assert [(e.line, e.field) for e in caught.value.errors] == [(1, "rater"), (2, "criterion")]
    assert Label.objects.get().met is True
