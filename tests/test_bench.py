"""The benchmark generator writes what the importers take, deterministically, at realistic sizes."""

import json
import re
import types
from functools import partial

import pytest
from django.http import HttpResponse

from bench import floors, generate, load, server
from curation.importing.service import cases_import
from curation.models import Case, CaseStatus
from grading.importing import responses_import
from grading.label_import import labels_import
from grading.models import Label, Response


def test_a_case_depends_only_on_the_seed_and_its_index():
    assert generate.make_case(7, 41) == next(generate.cases(7, 41, 1))
    assert generate.make_case(7, 41) != generate.make_case(8, 41)


def test_text_lengths_are_those_of_clinconsensus():
    cases = list(generate.cases(7, 0, 200))

    assert all(300 <= len(c.clinical_context) <= 800 for c in cases)
    assert all(50 <= len(c.user_request) <= 150 for c in cases)
    assert all(len(c.criteria) == 30 for c in cases)
    assert all(20 <= len(text) <= 60 for c in cases for text in c.criteria)
    assert len({c.specialty for c in cases}) == 36


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["clinconsensus", "native"])
def test_generated_files_import(fmt, tmp_path, manager, benchmark):
    cases_file = tmp_path / "cases.jsonl"
    responses_file = tmp_path / "responses.jsonl"
    generate.write_cases(cases_file, fmt=fmt, seed=7, start=0, count=12)
    generate.write_responses(responses_file, seed=7, start=0, count=12)

    report = cases_import(
        benchmark=benchmark, file=cases_file, fmt=fmt, actor=manager, approved=True
    )
    responses = responses_import(benchmark=benchmark, file=responses_file, actor=manager)

    assert report.counts == {"created": 12, "revised": 0, "unchanged": 0, "criteria": 360}
    assert responses.created == 12 * 11
    case = Case.objects.get(benchmark=benchmark, external_id="CC-00001")
    assert case.status == CaseStatus.APPROVED
    first = json.loads(cases_file.read_text(encoding="utf-8").splitlines()[0])
    assert case.current_version.criteria.count() == len(first.get("rubrics") or first["criteria"])
    assert Response.objects.filter(case_version=case.current_version).count() == 11


def test_judges_label_every_cell_and_physicians_a_tenth():
    labels = [label for index in range(40) for label in generate.label_records(7, index)]

    cells = {(lb["case"], lb["model"], lb["criterion"]) for lb in labels}
    judged = [lb for lb in labels if lb["rater_kind"] == "judge"]
    human = [lb for lb in labels if lb["rater_kind"] == "human"]
    assert len(cells) == 40 * 11 * 30
    assert len(judged) == 2 * len(cells)
    assert 0.08 < len(human) / 3 / len(cells) < 0.12
    assert {lb["rater"] for lb in human} == set(generate.PHYSICIANS)


@pytest.mark.django_db
def test_generated_labels_import(tmp_path, manager, benchmark):
    for name, write in [
        ("cases", partial(generate.write_cases, fmt="clinconsensus")),
        ("responses", generate.write_responses),
        ("labels", generate.write_labels),
    ]:
        write(tmp_path / name, seed=7, start=0, count=2)
    cases_import(
        benchmark=benchmark,
        file=tmp_path / "cases",
        fmt="clinconsensus",
        actor=manager,
        approved=True,
    )
    responses_import(benchmark=benchmark, file=tmp_path / "responses", actor=manager)

    report = labels_import(benchmark=benchmark, file=tmp_path / "labels", actor=manager)

    lines = (tmp_path / "labels").read_text(encoding="utf-8").splitlines()
    assert report.created == len(lines) == Label.objects.count()
    assert Label.objects.filter(rater__kind="judge").count() == 2 * 2 * 11 * 30


def test_replay_gives_the_recorded_answers_without_calling_again():
    calls = []
    module = types.ModuleType("answers")

    def answer(n):
        calls.append(n)
        return n * 2

    answer.__module__ = module.__name__
    module.answer = answer

    with floors.preloaded(module) as replay:
        first = [module.answer(1), module.answer(2)]
        replay()
        again = [module.answer(7), module.answer(7)]

    assert first == again == [2, 4]
    assert calls == [1, 2]
    assert module.answer is answer


def test_server_timing_header_says_the_time_in_django(rf):
    middleware = server.server_timing(lambda request: HttpResponse("ok"))

    response = middleware(rf.get("/"))

    assert re.fullmatch(r"app;dur=\d+\.\d\d", response["Server-Timing"])


def test_percentiles_are_nearest_rank():
    figures = load.percentiles([float(n) for n in range(1, 101)])

    assert (figures["p50_ms"], figures["p95_ms"], figures["max_ms"]) == (50.5, 95.0, 100.0)
