"""Each grader's figures against values computed by hand on a small benchmark.

CC-0001 (3 responses x 3 criteria) was graded by g1 (every cell met) and g2 (every cell met but
one, which an adjudicator decided "not met"): consensus is 8 x met, 1 x not met, and the three
responses are calibration items. g1 and g2 then grade CC-0002 alike (all met, unanimous); g1's
first screen is moved to the week of Monday 2 November 2026. g3 gets the calibration screen and
misses two cells (the disputed one marked met, one met cell marked not met).
"""

from datetime import UTC, date, datetime

import pytest

from grading.grader_selectors import grader_rows
from grading.models import Assignment
from grading.services.assignment import assignment_next, assignment_submit
from grading.services.calibration import grader_threshold_set
from tests.calibration_support import calibration_with_two_misses, mark, settled_setting
from tests.grading_support import approved_version, campaign_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(benchmark, manager, adjudicator, author):
    setting = settled_setting(benchmark, manager=manager, adjudicator=adjudicator, author=author)
    Assignment.objects.filter(grader=setting.g1).update(
        submitted_at=datetime(2026, 11, 4, 10, tzinfo=UTC)
    )
    other = approved_version(benchmark, "CC-0002", author=author)
    second = campaign_over(
        benchmark, [other], by=manager, graders=[setting.g1, setting.g2], name="Second"
    )
    for user in (setting.g1, setting.g2):
        assignment = assignment_next(grader=user, campaign=second)
        mark(assignment, user)
        assignment_submit(assignment=assignment, by=user, seconds=120)
    calibration_with_two_misses(benchmark, setting, manager=manager, author=author)
    return setting, {row.grader.username: row for row in grader_rows(benchmark=benchmark)}


def test_calibration_accuracy_and_kappa_are_the_hand_computed_ones(rows):
    _setting, by_name = rows
    g3 = by_name["g3_grader"]
    # [gold, label]: gold not met -> marked met 1; gold met -> 7 met, 1 not met.
    # po = 7/9; pe = (8/9)(8/9) + (1/9)(1/9) = 65/81; kappa = (63/81 - 65/81) / (16/81) = -1/8
    assert g3.calibration_n == 9
    assert g3.calibration_accuracy == pytest.approx(7 / 9)
    assert g3.calibration_kappa == pytest.approx(-0.125)
    assert g3.consensus_n == 0
    assert g3.consensus_agreement is None
    assert (g3.items_submitted, g3.seconds_per_item) == (1, 90)


def test_agreement_with_consensus_time_and_the_weekly_trend(rows):
    _setting, by_name = rows
    g1, g2 = by_name["g1_grader"], by_name["g2_grader"]
    assert (g1.consensus_n, g1.consensus_agreement) == (18, pytest.approx(17 / 18))
    assert (g2.consensus_n, g2.consensus_agreement) == (18, 1.0)
    assert g1.calibration_n == 0
    assert g1.calibration_accuracy is None
    assert (g1.items_submitted, g1.seconds_per_item) == (2, 90)  # 60 s and 120 s
    first, latest = g1.weeks
    assert first.week == date(2026, 11, 2)
    assert (first.consensus_n, first.consensus_agreement, first.items_submitted) == (
        9,
        pytest.approx(8 / 9),
        1,
    )
    assert (latest.consensus_n, latest.consensus_agreement, latest.seconds_per_item) == (
        9,
        1.0,
        120,
    )
    assert len(g2.weeks) == 1


def test_graders_under_the_threshold_are_flagged(benchmark, manager, rows):
    _setting, by_name = rows
    # Default threshold 80%: g3's calibration accuracy 77.8% is under it; g1 (94.4% agreement
    # with consensus, no calibration labels) is not.
    assert [n for n, row in sorted(by_name.items()) if row.flagged] == ["g3_grader"]
    grader_threshold_set(benchmark=benchmark, by=manager, threshold=0.95)
    flagged = [row.grader.username for row in grader_rows(benchmark=benchmark) if row.flagged]
    assert flagged == ["g1_grader", "g3_grader"]


def test_without_checked_grades_the_qc_correction_rate_is_undefined(rows):
    _setting, by_name = rows
    assert by_name["g1_grader"].qc_checked == 0
    assert by_name["g1_grader"].qc_correction_rate is None


def test_grader_figures_take_a_fixed_number_of_queries(
    benchmark, rows, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        assert len(grader_rows(benchmark=benchmark)) == 3
