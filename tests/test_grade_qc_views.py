"""Grade QC pages: the queue, the screen of one sampled grade, the verdict (with and without
htmx), the managers' settings and the draw — happy paths, refusals, every persona, queries."""

import pytest
from django.urls import reverse

from curation.models import AuditEvent
from grading.grade_qc.services import grade_qc_settings_set, label_state
from grading.models import GradeCheck, GradeQcSettings, Label
from tests.factories import MembershipFactory
from tests.test_grade_qc import MODEL_NAME, second_grader, submitted_grades

HTMX = {"HTTP_HX_REQUEST": "true"}


def open_checks(benchmark, manager, grader):
    """Six open checks: a third of two graders' nine grades each."""
    submitted_grades(benchmark, manager, [grader, second_grader(benchmark)], cases=1)
    grade_qc_settings_set(benchmark=benchmark, by=manager, share=1 / 3, seed=3)
    return GradeCheck.objects.filter(benchmark=benchmark).order_by("pk")


@pytest.fixture
def checks(benchmark, manager, grader):
    return open_checks(benchmark, manager, grader)


def url(name, benchmark, *args):
    return reverse(f"grading:grade_qc_{name}", args=[benchmark.slug, *args])


def verdict_data(check, verdict="confirmed", reason=""):
    return {"verdict": verdict, "reason": reason, "state": label_state(check.label)}


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_the_open_checks_with_counts_and_links(
    client, benchmark, adjudicator, checks, django_assert_max_num_queries
):
    client.force_login(adjudicator)
    # session, user, access, navigation (memberships, disagreements, grades to check),
    # queue count, page, summary, messages
    with django_assert_max_num_queries(10):
        page = client.get(url("queue", benchmark))
    assert page.status_code == 200
    content = page.content.decode()
    assert "6 grades for you to check" in content
    assert url("item", benchmark, checks[0].pk) in content
    assert MODEL_NAME not in content
    assert "Sampling" not in content  # the settings are the managers'


def test_the_navigation_counts_the_grades_to_check(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    page = client.get(url("queue", benchmark))
    entry = next(e for e in page.context["nav"].entries if e.key == "grade_qc")
    assert (entry.count, entry.current) == (6, True)


def test_managers_read_the_queue_and_the_settings_but_get_no_check_links(
    client, benchmark, manager, checks
):
    client.force_login(manager)
    content = client.get(url("queue", benchmark)).content.decode()
    assert "Sampling" in content
    assert 'value="33.33' in content or 'value="33.3333' in content
    assert url("item", benchmark, checks[0].pk) not in content


@pytest.mark.parametrize(
    ("persona", "status"), [("grader", 403), ("reviewer", 403), ("author", 403), ("outsider", 404)]
)
def test_the_queue_is_for_adjudicators_and_managers(client, benchmark, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("queue", benchmark)).status_code == status


def test_the_queue_refuses_post(client, benchmark, adjudicator):
    client.force_login(adjudicator)
    assert client.post(url("queue", benchmark)).status_code == 405


# --- the screen of one grade -------------------------------------------------------------------


def test_the_screen_shows_case_response_criterion_and_mark_blind(
    client, benchmark, adjudicator, grader, checks, django_assert_max_num_queries
):
    check = checks.filter(grader=grader).first()
    Label.objects.filter(pk=check.label_id).update(note="它说了拨打120")
    client.force_login(adjudicator)
    with django_assert_max_num_queries(8):
        page = client.get(url("item", benchmark, check.pk))
    content = page.content.decode()
    assert page.status_code == 200
    assert check.label.criterion.text in content
    assert "胸痛两小时" in content
    assert "Take aspirin and call 120." in content
    assert "它说了拨打120" in content
    assert MODEL_NAME not in content
    assert grader.username not in content
    assert url("verdict", benchmark, check.pk) in content


def test_ones_own_grade_shows_the_refusal_instead_of_the_form(client, benchmark, grader, checks):
    MembershipFactory(benchmark=benchmark, user=grader, role="adjudicator")
    check = checks.filter(grader=grader).first()
    client.force_login(grader)
    content = client.get(url("item", benchmark, check.pk)).content.decode()
    assert "your own grade" in content
    assert url("verdict", benchmark, check.pk) not in content


def test_a_check_of_another_benchmark_is_not_found(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    assert client.get(url("item", benchmark, checks.last().pk + 1000)).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"), [("manager", 403), ("grader", 403), ("outsider", 404)]
)
def test_only_adjudicators_open_a_grade(client, benchmark, request, checks, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("item", benchmark, checks[0].pk)).status_code == status


# --- verdicts ----------------------------------------------------------------------------------


def test_confirming_without_javascript_goes_to_the_next_grade(
    client, benchmark, adjudicator, checks
):
    check = checks[0]
    client.force_login(adjudicator)
    answer = client.post(url("verdict", benchmark, check.pk), verdict_data(check))
    assert answer.status_code == 302
    assert answer.url == url("item", benchmark, checks[1].pk)
    check.refresh_from_db()
    assert (check.verdict, check.reviewer) == ("confirmed", adjudicator)


def test_correcting_with_htmx_swaps_the_verdict_panel(
    client, benchmark, adjudicator, checks, django_assert_max_num_queries
):
    check = checks[0]
    client.force_login(adjudicator)
    with django_assert_max_num_queries(14):
        answer = client.post(
            url("verdict", benchmark, check.pk),
            verdict_data(check, "corrected", "The response never says to call 120."),
            **HTMX,
        )
    assert answer.status_code == 200
    content = answer.content.decode()
    assert content.lstrip().startswith('<section class="card" id="verdict"')
    assert "Corrected to not met." in content
    assert url("item", benchmark, checks[1].pk) in content
    check.refresh_from_db()
    assert (check.verdict, check.corrected_met) == ("corrected", False)
    assert check.reason == "The response never says to call 120."
    assert AuditEvent.objects.filter(action="grade_qc.corrected", actor=adjudicator).exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_correction_without_a_reason_is_refused_with_422(
    client, benchmark, adjudicator, checks, htmx
):
    check = checks[0]
    client.force_login(adjudicator)
    answer = client.post(
        url("verdict", benchmark, check.pk),
        verdict_data(check, "corrected", "  "),
        **(HTMX if htmx else {}),
    )
    assert answer.status_code == 422
    assert "Say why you correct the grade." in answer.content.decode()
    check.refresh_from_db()
    assert check.verdict == ""


def test_a_stale_grade_is_refused(client, benchmark, adjudicator, checks):
    check = checks[0]
    data = verdict_data(check)
    Label.objects.filter(pk=check.label_id).update(met=False)
    client.force_login(adjudicator)
    answer = client.post(url("verdict", benchmark, check.pk), data, **HTMX)
    assert answer.status_code == 422
    assert "changed after you opened it" in answer.content.decode()
    check.refresh_from_db()
    assert check.verdict == ""


def test_a_grade_already_checked_is_refused(client, benchmark, adjudicator, checks):
    check = checks[0]
    client.force_login(adjudicator)
    client.post(url("verdict", benchmark, check.pk), verdict_data(check))
    answer = client.post(
        url("verdict", benchmark, check.pk), verdict_data(check, "corrected", "no"), **HTMX
    )
    assert answer.status_code == 422
    check.refresh_from_db()
    assert check.verdict == "confirmed"


def test_a_verdict_without_a_verdict_is_refused(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    answer = client.post(url("verdict", benchmark, checks[0].pk), {"state": "x"})
    assert answer.status_code == 422
    assert "Confirm or correct the grade." in answer.content.decode()


def test_a_verdict_on_ones_own_grade_is_refused(client, benchmark, grader, checks):
    MembershipFactory(benchmark=benchmark, user=grader, role="adjudicator")
    check = checks.filter(grader=grader).first()
    client.force_login(grader)
    answer = client.post(url("verdict", benchmark, check.pk), verdict_data(check))
    assert answer.status_code == 422
    check.refresh_from_db()
    assert check.verdict == ""


@pytest.mark.parametrize(
    ("persona", "status"), [("manager", 403), ("grader", 403), ("outsider", 404)]
)
def test_only_adjudicators_give_verdicts(client, benchmark, request, checks, persona, status):
    client.force_login(request.getfixturevalue(persona))
    answer = client.post(url("verdict", benchmark, checks[0].pk), verdict_data(checks[0]))
    assert answer.status_code == status
    assert not checks.exclude(verdict="").exists()


def test_a_verdict_refuses_get(client, benchmark, adjudicator, checks):
    client.force_login(adjudicator)
    assert client.get(url("verdict", benchmark, checks[0].pk)).status_code == 405


# --- settings and draw -------------------------------------------------------------------------


def test_a_manager_sets_the_share_and_draws(client, benchmark, manager, grader):
    submitted_grades(benchmark, manager, [grader], cases=1)
    client.force_login(manager)
    answer = client.post(url("settings", benchmark), {"share": "50", "seed": "2"})
    assert answer.status_code == 302
    settings = GradeQcSettings.objects.get(benchmark=benchmark)
    assert (settings.share, settings.seed) == (0.5, 2)
    assert GradeCheck.objects.count() == 5  # ceil(50% of 9)


@pytest.mark.parametrize("share", ["-1", "100.5", "abc"])
def test_a_share_outside_0_to_100_is_refused(client, benchmark, manager, share):
    client.force_login(manager)
    answer = client.post(url("settings", benchmark), {"share": share, "seed": "1"})
    assert answer.status_code == 422
    assert not GradeQcSettings.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("adjudicator", 403), ("outsider", 404)])
def test_only_managers_change_the_settings(client, benchmark, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    answer = client.post(url("settings", benchmark), {"share": "10", "seed": "1"})
    assert answer.status_code == status
    assert not GradeQcSettings.objects.exists()


def test_drawing_adds_grades_submitted_since(client, benchmark, manager, adjudicator, grader):
    grade_qc_settings_set(benchmark=benchmark, by=manager, share=0.5, seed=0)
    submitted_grades(benchmark, manager, [grader], cases=1)
    client.force_login(adjudicator)
    assert client.post(url("draw", benchmark)).status_code == 302
    assert GradeCheck.objects.count() == 5


@pytest.mark.parametrize(("persona", "status"), [("grader", 403), ("outsider", 404)])
def test_graders_cannot_draw(client, benchmark, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url("draw", benchmark)).status_code == status


def test_drawing_refuses_get(client, benchmark, manager):
    client.force_login(manager)
    assert client.get(url("draw", benchmark)).status_code == 405
