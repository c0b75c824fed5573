"""Grade QC API: queue, one grade (blind), verdict; refusals as 400/409 with nothing changed,
permissions for every persona, pinned query counts."""

import pytest
from django.urls import reverse

from grading.models import GradeCheck, Label
from tests.factories import MembershipFactory
from tests.test_grade_qc import MODEL_NAME
from tests.test_grade_qc_views import open_checks, verdict_data


@pytest.fixture
def checks(benchmark, manager, grader):
    return open_checks(benchmark, manager, grader)


def url(name, benchmark, *args):
    return reverse(f"api-grade-qc-{name}", args=[benchmark.slug, *args])


def test_the_queue_lists_the_open_checks(
    client, benchmark, adjudicator, checks, django_assert_max_num_queries
):
    client.force_login(adjudicator)
    with django_assert_max_num_queries(5):
        answer = client.get(url("queue", benchmark))
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 6
    assert [row["id"] for row in data["results"]] == [c.pk for c in checks]
    assert MODEL_NAME not in answer.content.decode()


def test_a_check_reads_blind_with_its_state(
    client, benchmark, adjudicator, grader, checks, django_assert_max_num_queries
):
    check = checks[0]
    client.force_login(adjudicator)
    with django_assert_max_num_queries(5):
        answer = client.get(url("check", benchmark, check.pk))
    data = answer.json()
    assert answer.status_code == 200
    assert data["response"] == "Take aspirin and call 120."
    assert (data["grader_met"], data["verdict"], data["refusal"]) == (True, "", "")
    assert data["state"]
    text = answer.content.decode()
    assert MODEL_NAME not in text
    assert grader.username not in text
    assert "model" not in data


def test_a_correction_is_stored_and_returned(client, benchmark, adjudicator, checks):
    check = checks[0]
    client.force_login(adjudicator)
    answer = client.post(
        url("verdict", benchmark, check.pk),
        verdict_data(check, "corrected", "Never mentions 120."),
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert (answer.json()["verdict"], answer.json()["corrected_met"]) == ("corrected", False)
    check.refresh_from_db()
    assert (check.verdict, check.reviewer, check.reason) == (
        "corrected",
        adjudicator,
        "Never mentions 120.",
    )


def test_a_correction_without_a_reason_is_a_400(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    answer = client.post(
        url("verdict", benchmark, checks[0].pk),
        verdict_data(checks[0], "corrected", ""),
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "reason"
    assert not checks.exclude(verdict="").exists()


def test_a_stale_grade_is_a_409(client, benchmark, adjudicator, checks):
    check = checks[0]
    data = verdict_data(check)
    Label.objects.filter(pk=check.label_id).update(note="edited")
    client.force_login(adjudicator)
    answer = client.post(url("verdict", benchmark, check.pk), data, content_type="application/json")
    assert answer.status_code == 409
    assert "changed after you opened it" in answer.json()["detail"]
    check.refresh_from_db()
    assert check.verdict == ""


def test_ones_own_grade_is_a_409(client, benchmark, grader, checks):
    MembershipFactory(benchmark=benchmark, user=grader, role="adjudicator")
    check = checks.filter(grader=grader).first()
    client.force_login(grader)
    queue = client.get(url("queue", benchmark)).json()
    assert check.pk not in [row["id"] for row in queue["results"]]
    answer = client.post(
        url("verdict", benchmark, check.pk), verdict_data(check), content_type="application/json"
    )
    assert answer.status_code == 409
    check.refresh_from_db()
    assert check.verdict == ""


def test_a_check_not_in_the_benchmark_is_a_404(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    missing = GradeCheck.objects.order_by("-pk").first().pk + 1
    assert client.get(url("check", benchmark, missing)).status_code == 404
    answer = client.post(
        url("verdict", benchmark, missing),
        {"verdict": "confirmed", "state": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"), [("manager", 403), ("grader", 403), ("outsider", 404)]
)
def test_only_adjudicators_use_the_qc_api(client, benchmark, request, checks, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("queue", benchmark)).status_code == status
    assert client.get(url("check", benchmark, checks[0].pk)).status_code == status
    answer = client.post(
        url("verdict", benchmark, checks[0].pk),
        verdict_data(checks[0]),
        content_type="application/json",
    )
    assert answer.status_code == status
    assert not checks.exclude(verdict="").exists()


def test_anonymous_requests_are_401(client, benchmark):
    assert client.get(url("queue", benchmark)).status_code == 401


def test_the_verdict_refuses_get(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    assert client.get(url("verdict", benchmark, checks[0].pk)).status_code == 405
