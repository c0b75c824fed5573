"""Grade QC: drawing the sample, verdicts and their refusals, the pages (queue, screen, verdict,
settings, draw) for every persona, and their query counts."""

import pytest

from curation.models import AuditEvent
from grading.grade_qc.selectors import grade_qc_open_count, qc_outcomes_by_grader
from grading.grade_qc.services import (
    grade_check_verdict,
    grade_qc_draw,
    grade_qc_settings_set,
    label_state,
)
from grading.models import GradeCheck, GradeQcSettings, Label
from grading.services import GradingError
from grading.services.assignment import assignment_next, assignment_submit
from tests.factories import MembershipFactory, UserFactory
from tests.grading_support import approved_version, campaign_over, mark_all

MODEL_NAME = "secret-model-qc"


def submitted_grades(benchmark, manager, graders, *, cases=2, criteria=3, met=True):
    """Each grader grades and submits every screen of a campaign of `cases` cases with three
    responses each (one screen per case): `cases x 3 x criteria` grades per grader."""
    versions = [
        approved_version(
            benchmark,
            f"QC-{n:03d}",
            criteria=criteria,
            models=(MODEL_NAME, "model-b", "model-c"),
            messages=[{"role": "user", "content": f"胸痛两小时，怎么办？ ({n})"}],
        )
        for n in range(cases)
    ]
    campaign = campaign_over(
        benchmark,
        versions,
        by=manager,
        graders=graders,
        models=(MODEL_NAME, "model-b", "model-c"),
        graders_per_item=len(graders),
    )
    for grader in graders:
        while (assignment := assignment_next(grader=grader, campaign=campaign)) is not None:
            mark_all(assignment, by=grader, met=met)
            assignment_submit(assignment=assignment, by=grader)
    return campaign


def second_grader(benchmark, username="gu_grader2"):
    user = UserFactory(username=username)
    MembershipFactory(benchmark=benchmark, user=user, role="grader")
    return user


@pytest.fixture
def sampled(benchmark, manager, grader):
    """Two graders' submitted grades (18 each), a third of them drawn for QC."""
    other = second_grader(benchmark)
    submitted_grades(benchmark, manager, [grader, other])
    grade_qc_settings_set(benchmark=benchmark, by=manager, share=1 / 3, seed=7)
    return GradeCheck.objects.filter(benchmark=benchmark)


# --- drawing the sample ---------------------------------------------------------------------


def test_the_sample_takes_the_share_of_each_graders_submitted_grades(sampled, grader):
    assert sampled.count() == 12
    assert sampled.filter(grader=grader).count() == 6
    assert all(check.verdict == "" for check in sampled)


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(
    benchmark, manager, grader, sampled
):
    first = set(sampled.values_list("label_id", flat=True))
    sampled.delete()
    grade_qc_draw(benchmark=benchmark)
    assert set(sampled.values_list("label_id", flat=True)) == first
    sampled.delete()
    GradeQcSettings.objects.filter(benchmark=benchmark).update(seed=8)
    grade_qc_draw(benchmark=benchmark)
    assert set(sampled.values_list("label_id", flat=True)) != first


def test_drawing_again_adds_nothing_until_more_grades_are_submitted(benchmark, sampled):
    assert grade_qc_draw(benchmark=benchmark) == 0
    assert sampled.count() == 12


def test_a_share_of_five_percent_of_twenty_grades_checks_exactly_one(benchmark, manager, grader):
    submitted_grades(benchmark, manager, [grader], cases=1, criteria=20)  # 60 grades
    drawn = grade_qc_settings_set(benchmark=benchmark, by=manager, share=0.05, seed=1)
    assert drawn == 3


def test_unsubmitted_and_calibration_grades_are_never_drawn(benchmark, manager, grader):
    submitted_grades(benchmark, manager, [grader], cases=1)
    Label.objects.update(calibration=True)
    version = approved_version(benchmark, "QC-open", models=("model-x", "model-y"))
    campaign = campaign_over(
        benchmark,
        [version],
        by=manager,
        graders=[grader],
        models=("model-x", "model-y"),
        name="Round 2",
        graders_per_item=1,
    )
    mark_all(assignment_next(grader=grader, campaign=campaign), by=grader)
    assert grade_qc_settings_set(benchmark=benchmark, by=manager, share=1, seed=0) == 0
    assert not GradeCheck.objects.exists()


@pytest.mark.parametrize("share", [-0.01, 1.01])
def test_a_share_outside_0_to_100_percent_is_refused(benchmark, manager, share):
    with pytest.raises(GradingError, match="between 0% and 100%"):
        grade_qc_settings_set(benchmark=benchmark, by=manager, share=share, seed=0)
    assert not GradeQcSettings.objects.exists()
    assert not AuditEvent.objects.filter(action="grade_qc.settings").exists()


def test_settings_and_draws_are_audited(benchmark, manager, sampled):
    assert AuditEvent.objects.filter(action="grade_qc.settings", actor=manager).exists()
    draw = AuditEvent.objects.get(action="grade_qc.draw")
    assert draw.data == {"drawn": 12, "share": 1 / 3, "seed": 7}


# --- verdicts -----------------------------------------------------------------------------------


def test_confirming_a_grade_records_the_verdict_and_audits_it(sampled, grader, adjudicator):
    check = sampled.filter(grader=grader).first()
    grade_check_verdict(
        check=check, by=adjudicator, verdict="confirmed", state=label_state(check.label)
    )
    check.refresh_from_db()
    assert (check.verdict, check.reviewer, check.grader_met) == ("confirmed", adjudicator, True)
    assert check.corrected_met is None
    assert check.checked_at is not None
    event = AuditEvent.objects.get(action="grade_qc.confirmed")
    assert event.actor == adjudicator
    assert event.object_id == str(check.pk)


def test_a_correction_stores_the_other_mark_and_reason_but_leaves_the_label(
    sampled, grader, adjudicator
):
    check = sampled.filter(grader=grader).first()
    grade_check_verdict(
        check=check,
        by=adjudicator,
        verdict="corrected",
        reason="  The response never mentions calling 120.  ",
        state=label_state(check.label),
    )
    check.refresh_from_db()
    check.label.refresh_from_db()
    assert check.verdict == "corrected"
    assert check.corrected_met is False
    assert check.reason == "The response never mentions calling 120."
    assert check.label.met is True  # the grader's label is not overwritten
    assert AuditEvent.objects.get(action="grade_qc.corrected").data["corrected_met"] is False


def _refused(check, by, match, **kwargs):
    arguments = {"verdict": "confirmed", "state": label_state(check.label), **kwargs}
    with pytest.raises(GradingError, match=match):
        grade_check_verdict(check=check, by=by, **arguments)
    check.refresh_from_db()
    assert check.verdict == ""
    assert check.reviewer is None
    assert not AuditEvent.objects.filter(action__in=["grade_qc.confirmed", "grade_qc.corrected"])


def test_a_correction_without_a_reason_is_refused(sampled, adjudicator):
    _refused(sampled.first(), adjudicator, "Say why", verdict="corrected", reason="   ")


def test_an_unknown_verdict_is_refused(sampled, adjudicator):
    _refused(sampled.first(), adjudicator, "Confirm or correct", verdict="maybe")


def test_nobody_checks_their_own_grade(sampled, grader):
    _refused(sampled.filter(grader=grader).first(), grader, "your own grade")


def test_a_grade_changed_after_it_was_read_is_refused(sampled, adjudicator):
    check = sampled.first()
    state = label_state(check.label)
    Label.objects.filter(pk=check.label_id).update(note="changed since")
    _refused(check, adjudicator, "changed after you opened it", state=state)


def test_a_grade_checked_twice_is_refused(benchmark, sampled, adjudicator):
    check = sampled.first()
    grade_check_verdict(
        check=check, by=adjudicator, verdict="confirmed", state=label_state(check.label)
    )
    colleague = UserFactory()
    MembershipFactory(benchmark=benchmark, user=colleague, role="adjudicator")
    with pytest.raises(GradingError, match="already checked"):
        grade_check_verdict(
            check=check,
            by=colleague,
            verdict="corrected",
            reason="no",
            state=label_state(check.label),
        )
    check.refresh_from_db()
    assert (check.verdict, check.reviewer) == ("confirmed", adjudicator)


# --- selectors -----------------------------------------------------------------------------------


def test_outcomes_by_grader_count_checked_confirmed_and_corrected(
    benchmark, sampled, grader, adjudicator, django_assert_num_queries
):
    checks = list(sampled.filter(grader=grader)[:3])
    for check, verdict in zip(checks, ["confirmed", "confirmed", "corrected"], strict=True):
        grade_check_verdict(
            check=check,
            by=adjudicator,
            verdict=verdict,
            reason="why",
            state=label_state(check.label),
        )
    with django_assert_num_queries(1):
        outcomes = qc_outcomes_by_grader(benchmark=benchmark)
    mine = outcomes[grader.pk]
    assert (mine.sampled, mine.checked, mine.confirmed, mine.corrected) == (6, 3, 2, 1)
    assert mine.corrected_share == pytest.approx(1 / 3)
    other = next(o for pk, o in outcomes.items() if pk != grader.pk)
    assert (other.checked, other.corrected_share) == (0, None)


def test_the_open_count_leaves_out_the_users_own_grades(benchmark, sampled, grader, adjudicator):
    assert grade_qc_open_count(benchmark=benchmark, user=adjudicator) == 12
    assert grade_qc_open_count(benchmark=benchmark, user=grader) == 6
