"""Judging responses criterion by criterion against the fake chat server: labels written as the
run's judge rater, unparseable answers kept as missing with their raw output, versions."""

import pytest

from grading.judge_prompt import judge_input, judge_messages, parse_judge_answer
from grading.models import Label, Rater, Response
from runner.models import ItemStatus, JudgeItem, Run
from runner.runs import item_counts, run_execute
from runner.services import (
    RunRefused,
    endpoint_update,
    judge_rater,
    judging_start,
    run_resume,
)
from tests.chat_server import expected_met
from tests.runner_support import approved_cases, chat_server_fixture, make_endpoint  # noqa: F401

pytestmark = pytest.mark.django_db


def _judge(benchmark, manager, endpoint) -> Run:
    responses = Response.objects.filter(case_version__case__benchmark=benchmark)
    return run_execute(run=judging_start(endpoint=endpoint, by=manager, responses=responses))


@pytest.fixture
def judged_cases(benchmark):
    return approved_cases(benchmark, 2, criteria=3, models=("model-a", "model-b"))


def test_a_judge_run_labels_every_criterion_of_every_response(
    benchmark, manager, chat_server, judged_cases
):
    endpoint = make_endpoint(benchmark, manager, chat_server, name="local-judge")

    run = _judge(benchmark, manager, endpoint)

    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    assert chat_server.requests == 12
    labels = Label.objects.filter(rater=run.rater).select_related("criterion")
    assert labels.count() == 12
    for label in labels:
        assert label.met == expected_met(label.criterion.text)
        assert label.note == "Checked against the rubric item."
    assert run.rater.kind == Rater.Kind.JUDGE
    assert run.rater.name == "local-judge"
    assert len(run.rater.version) == 12
    item = run.judgeitems.first()
    assert parse_judge_answer(item.raw) is not None


def test_the_judge_prompt_is_the_fine_tuning_files_row(judged_cases):
    response = Response.objects.filter(case_version=judged_cases[0]).first()
    criterion = judged_cases[0].criteria.first()
    row = judge_input(
        messages=judged_cases[0].messages, response=response.text, rubric_item=criterion.text
    )

    content = judge_messages(row)[0]["content"]

    assert row["user_message"] == "Case CC-0001: chest pain for two hours."
    for value in row.values():
        assert value in content
    assert '"criteria_met"' in content


def test_unparseable_answers_stay_missing_with_their_raw_output(
    benchmark, manager, chat_server, judged_cases
):
    endpoint = make_endpoint(benchmark, manager, chat_server)
    chat_server.faults = {"Criterion 2": "garbage"}

    run = _judge(benchmark, manager, endpoint)

    unparsed = run.judgeitems.filter(status=ItemStatus.UNPARSED)
    assert unparsed.count() == 4
    assert {i.raw for i in unparsed} == {"I think it is probably fine, more or less."}
    assert all(i.met is None for i in unparsed)
    assert not Label.objects.filter(rater=run.rater, criterion__text="Criterion 2").exists()
    assert Label.objects.filter(rater=run.rater).count() == 8
    run.refresh_from_db()
    assert run.status == Run.Status.DONE


def test_a_failed_judge_call_is_resumed_without_asking_again_what_is_done(
    benchmark, manager, chat_server, judged_cases
):
    endpoint = make_endpoint(benchmark, manager, chat_server)
    chat_server.faults = {"Case CC-0002": "500"}
    run = _judge(benchmark, manager, endpoint)
    assert item_counts(run)["failed"] == 6
    chat_server.faults = {}
    asked = chat_server.requests

    run_resume(run=run, by=manager)
    run_execute(run=run)

    assert chat_server.requests - asked == 6
    assert Label.objects.filter(rater=run.rater).count() == 12
    with pytest.raises(RunRefused):
        run_resume(run=run, by=manager)


def test_a_new_run_of_the_same_judge_version_asks_only_for_missing_labels(
    benchmark, manager, chat_server, judged_cases
):
    endpoint = make_endpoint(benchmark, manager, chat_server)
    first = _judge(benchmark, manager, endpoint)
    Label.objects.filter(rater=first.rater, criterion__key="c01").delete()
    asked = chat_server.requests

    second = _judge(benchmark, manager, endpoint)

    assert second.rater == first.rater
    assert chat_server.requests - asked == 4
    assert second.judgeitems.count() == 4


def test_changed_sampling_makes_a_new_judge_version_never_mixed(
    benchmark, manager, chat_server, judged_cases
):
    endpoint = make_endpoint(benchmark, manager, chat_server)
    first = _judge(benchmark, manager, endpoint)
    data = {"name": endpoint.name, "base_url": endpoint.base_url, "model": endpoint.model}
    endpoint_update(endpoint=endpoint, by=manager, data=data | {"temperature": 0.7})

    second = _judge(benchmark, manager, endpoint)

    assert second.rater != first.rater
    assert second.rater.name == first.rater.name
    assert second.rater.version != first.rater.version
    assert judge_rater(endpoint) == second.rater
    assert Label.objects.filter(rater=first.rater).count() == 12
    assert Label.objects.filter(rater=second.rater).count() == 12
    assert JudgeItem.objects.filter(run=second).count() == 12


@pytest.mark.parametrize(
    ("answer", "parsed"),
    [
        ('{"criteria_met": true, "explanation": "ok"}', (True, "ok")),
        ('```json\n{"criteria_met": false, "explanation": "no"}\n```', (False, "no")),
        ('Sure! {"explanation": "x", "criteria_met": true} Hope this helps.', (True, "x")),
        ('{"criteria_met": "yes"}', None),
        ("met", None),
        ("", None),
    ],
)
def test_judge_answers_are_parsed_strictly(answer, parsed):
    assert parse_judge_answer(answer) == parsed
