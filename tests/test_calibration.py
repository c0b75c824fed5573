"""Calibration items, calibration screens in campaigns, and a manager's actions on a grader:
what is refused changes nothing; labels on calibration screens never reach consensus or the
agreement statistics; excluding a grader recomputes consensus and is audited."""

import pytest

from curation.models import AuditEvent
from grading.models import (
    AdjudicationItem,
    CalibrationGold,
    CalibrationItem,
    Campaign,
    CampaignItem,
    Consensus,
    GraderState,
    Label,
)
from grading.services import GradingError
from grading.services.assignment import assignment_next, assignment_submit
from grading.services.calibration import (
    calibration_item_mark,
    calibration_item_retire,
    campaign_calibration_set,
    grader_exclude,
    grader_pause,
    grader_send_calibration,
)
from grading.stats_selectors import human_labels
from tests.calibration_support import mark, settled_setting
from tests.grading_support import approved_version, campaign_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(benchmark, manager, adjudicator, author):
    return settled_setting(benchmark, manager=manager, adjudicator=adjudicator, author=author)


def gold_of(response) -> dict[str, bool]:
    return dict(
        CalibrationGold.objects.filter(item__response=response).values_list("criterion__key", "met")
    )


def consensus_state():
    return sorted(
        Consensus.objects.values_list("response_id", "criterion_id", "met", "method", "rationale")
    )


def test_marking_a_settled_response_copies_its_consensus_as_the_answer_key(setting):
    disputed = AdjudicationItem.objects.get()
    item = CalibrationItem.objects.get(response=disputed.response)
    gold = CalibrationGold.objects.get(item=item, criterion=disputed.criterion)
    assert (gold.met, gold.rationale) == (False, "Aspirin dose missing.")
    assert gold_of(disputed.response) == {
        "c01": disputed.criterion.key != "c01",
        "c02": True,
        "c03": True,
    }
    assert AuditEvent.objects.filter(action="calibration.mark").count() == 3


def test_a_response_without_a_complete_gold_label_is_refused_and_nothing_changes(
    benchmark, manager, author
):
    version = approved_version(benchmark, "CC-0009", author=author)
    response = version.responses.first()
    Consensus.objects.create(
        benchmark=benchmark,
        response=response,
        criterion=version.criteria.get(key="c01"),
        met=True,
        method=Consensus.Method.UNANIMOUS,
        decided_at="2026-01-01T00:00Z",
    )
    with pytest.raises(GradingError, match="c02, c03"):
        calibration_item_mark(benchmark=benchmark, response=response, by=manager)
    with pytest.raises(GradingError, match=r"incomplete.*c03"):
        calibration_item_mark(
            benchmark=benchmark, response=response, by=manager, gold={"c01": True, "c02": False}
        )
    with pytest.raises(GradingError, match="c99"):
        calibration_item_mark(
            benchmark=benchmark,
            response=response,
            by=manager,
            gold={"c01": True, "c02": True, "c03": True, "c99": True},
        )
    assert not CalibrationItem.objects.exists()
    assert not CalibrationGold.objects.exists()
    assert not AuditEvent.objects.filter(action="calibration.mark").exists()


def test_a_manager_can_give_the_whole_gold_label_of_a_graded_response(benchmark, manager, author):
    version = approved_version(benchmark, "CC-0009", author=author)
    response = version.responses.first()
    calibration_item_mark(
        benchmark=benchmark,
        response=response,
        by=manager,
        gold={"c01": True, "c02": False, "c03": True},
    )
    assert gold_of(response) == {"c01": True, "c02": False, "c03": True}
    with pytest.raises(GradingError, match="already"):
        calibration_item_mark(
            benchmark=benchmark, response=response, by=manager, gold=gold_of(response)
        )


def test_a_rate_outside_0_to_50_percent_is_refused_and_nothing_changes(setting, manager):
    before = list(CampaignItem.objects.values_list("pk", "position", "calibration"))
    for rate in (-0.01, 0.51, 1, "lots", None):
        with pytest.raises(GradingError, match="between 0% and 50%"):
            campaign_calibration_set(
                campaign=setting.first, by=manager, rate=rate, show_feedback=True
            )
    setting.first.refresh_from_db()
    assert (setting.first.calibration_rate, setting.first.show_feedback) == (0, False)
    assert list(CampaignItem.objects.values_list("pk", "position", "calibration")) == before


def test_the_rate_sets_the_share_of_calibration_screens_among_unclaimed_ones(
    benchmark, setting, manager, author
):
    versions = [approved_version(benchmark, f"CC-01{n}", author=author) for n in range(4)]
    campaign = campaign_over(
        benchmark,
        versions,
        by=manager,
        graders=[setting.g3],
        name="Second",
        models=("model-a",),
        graders_per_item=1,
    )
    # one response a case: four ordinary screens; 20% -> one calibration screen of 3 responses
    campaign_calibration_set(campaign=campaign, by=manager, rate=0.2, show_feedback=True)
    screens = CampaignItem.objects.filter(campaign=campaign, calibration=True)
    assert screens.count() == 1
    assert screens.get().responses.count() == 3
    assert screens.get().slots_open == campaign.graders_per_item
    positions = list(
        CampaignItem.objects.filter(campaign=campaign).values_list("position", flat=True)
    )
    assert len(set(positions)) == 5
    campaign.refresh_from_db()
    assert (campaign.calibration_rate, campaign.show_feedback) == (0.2, True)
    campaign_calibration_set(campaign=campaign, by=manager, rate=0.5, show_feedback=True)
    assert CampaignItem.objects.filter(campaign=campaign, calibration=True).count() == 4
    campaign_calibration_set(campaign=campaign, by=manager, rate=0, show_feedback=False)
    assert not CampaignItem.objects.filter(campaign=campaign, calibration=True).exists()
    assert AuditEvent.objects.filter(action="campaign.calibration").count() == 3


def test_labels_on_a_calibration_screen_change_neither_consensus_nor_agreement(
    benchmark, setting, manager, author
):
    other = approved_version(benchmark, "CC-0002", author=author)
    second = campaign_over(
        benchmark, [other], by=manager, graders=[setting.g3], name="Second", graders_per_item=1
    )
    grader_send_calibration(benchmark=benchmark, grader=setting.g3, by=manager, count=1)
    before = consensus_state()
    counted_before = len(human_labels(benchmark))
    adjudication_before = list(AdjudicationItem.objects.values_list("pk", "status", "revision"))
    assignment = assignment_next(grader=setting.g3, campaign=second)
    assert assignment.item.calibration
    mark(assignment, setting.g3, met=False)  # every cell against the gold set
    assignment_submit(assignment=assignment, by=setting.g3, seconds=30)
    assert Label.objects.filter(rater__user=setting.g3, calibration=True).count() == 9
    assert consensus_state() == before
    assert len(human_labels(benchmark)) == counted_before
    assert list(AdjudicationItem.objects.values_list("pk", "status", "revision")) == (
        adjudication_before
    )
    assert GraderState.objects.get(grader=setting.g3).calibration_due == 0
    # The set is used up: the next screen is an ordinary one.
    assert not assignment_next(grader=setting.g3, campaign=second).item.calibration


def test_a_paused_grader_gets_no_new_screen_but_can_finish_the_open_one(
    benchmark, setting, manager, author
):
    other = approved_version(benchmark, "CC-0002", author=author)
    second = campaign_over(
        benchmark, [other], by=manager, graders=[setting.g3], name="Second", graders_per_item=1
    )
    grader_pause(benchmark=benchmark, grader=setting.g3, by=manager, paused=True)
    assert assignment_next(grader=setting.g3, campaign=second) is None
    grader_pause(benchmark=benchmark, grader=setting.g3, by=manager, paused=False)
    started = assignment_next(grader=setting.g3, campaign=second)
    grader_pause(benchmark=benchmark, grader=setting.g3, by=manager, paused=True)
    assert assignment_next(grader=setting.g3, campaign=second) == started
    assert list(
        AuditEvent.objects.filter(action__startswith="grader.").values_list("action", flat=True)
    ) == ["grader.pause", "grader.resume", "grader.pause"]


def test_a_calibration_set_needs_calibration_items_and_a_sane_count(benchmark, manager, grader):
    for count in (0, 21):
        with pytest.raises(GradingError, match="between 1 and 20"):
            grader_send_calibration(benchmark=benchmark, grader=grader, by=manager, count=count)
    with pytest.raises(GradingError, match="Mark calibration items first"):
        grader_send_calibration(benchmark=benchmark, grader=grader, by=manager, count=2)
    assert not GraderState.objects.exists()


def test_excluding_a_grader_recomputes_consensus_writes_an_audit_row_and_can_be_undone(
    benchmark, setting, manager
):
    assert Consensus.objects.count() == 9
    state = grader_exclude(benchmark=benchmark, grader=setting.g2, by=manager)
    assert state.excluded
    assert Label.objects.filter(rater__user=setting.g2, excluded=True).count() == 9
    # Only g1's label counts on each item now: fewer than two, no consensus.
    assert Consensus.objects.count() == 0
    event = AuditEvent.objects.get(action="grader.exclude")
    assert event.data == {"grader": setting.g2.pk, "labels": 9, "items": 9}
    # g1 is now the last grader of every item: refused, nothing changed.
    with pytest.raises(GradingError, match="9 items have no other grader"):
        grader_exclude(benchmark=benchmark, grader=setting.g1, by=manager)
    assert not Label.objects.filter(rater__user=setting.g1, excluded=True).exists()
    assert not GraderState.objects.filter(grader=setting.g1, excluded=True).exists()
    grader_exclude(benchmark=benchmark, grader=setting.g2, by=manager, excluded=False)
    assert not Label.objects.filter(excluded=True).exists()
    # The agreeing cells are unanimous again; the disagreement waits for a new decision.
    assert Consensus.objects.count() == 8
    assert AdjudicationItem.objects.get().status == AdjudicationItem.Status.OPEN
    assert AuditEvent.objects.filter(action="grader.include").exists()


def test_an_excluded_graders_later_submissions_stay_out_of_consensus(
    benchmark, setting, manager, author
):
    other = approved_version(benchmark, "CC-0002", author=author)
    second = campaign_over(
        benchmark, [other], by=manager, graders=[setting.g1, setting.g2], name="Second"
    )
    grader_exclude(benchmark=benchmark, grader=setting.g2, by=manager)
    for user in (setting.g1, setting.g2):
        assignment = assignment_next(grader=user, campaign=second)
        mark(assignment, user)
        assignment_submit(assignment=assignment, by=user)
    assert Label.objects.filter(rater__user=setting.g2, excluded=False).count() == 0
    assert not Consensus.objects.filter(response__case_version=other).exists()


def test_a_retired_calibration_item_is_no_longer_mixed_in(benchmark, setting, manager):
    for item in CalibrationItem.objects.all():
        calibration_item_retire(item=item, by=manager)
    with pytest.raises(GradingError, match="Mark calibration items first"):
        campaign_calibration_set(campaign=setting.first, by=manager, rate=0.5, show_feedback=False)
    assert Campaign.objects.get(pk=setting.first.pk).calibration_rate == 0
