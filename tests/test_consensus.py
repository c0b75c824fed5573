"""The consensus rule: unanimous, disagreement, strict majority, reopening, judges never count."""

import pytest
from django.utils import timezone

from curation.models import Benchmark
from grading.models import (
    AdjudicationItem,
    Assignment,
    Campaign,
    CampaignItem,
    Consensus,
    Label,
    Rater,
)
from grading.services.assignment import assignment_next, assignment_submit
from grading.services.consensus import consensus_refresh
from tests.factories import (
    CaseFactory,
    CaseVersionFactory,
    CriterionFactory,
    LabelFactory,
    MembershipFactory,
    RaterFactory,
    ResponseFactory,
    UserFactory,
)
from tests.grading_support import approved_version, campaign_over, mark_all


@pytest.fixture
def cell(benchmark):
    version = CaseVersionFactory(case=CaseFactory(benchmark=benchmark))
    return ResponseFactory(case_version=version), CriterionFactory(version=version)


def label(cell, met, **kwargs):
    response, criterion = cell
    return LabelFactory(response=response, criterion=criterion, met=met, **kwargs)


def refresh(cell):
    response, criterion = cell
    consensus_refresh(items=[(response.pk, criterion.pk)])


def gold(cell):
    response, criterion = cell
    return Consensus.objects.filter(response=response, criterion=criterion).first()


def queue_item(cell):
    response, criterion = cell
    return AdjudicationItem.objects.filter(response=response, criterion=criterion).first()


def test_two_agreeing_human_labels_give_unanimous_consensus_at_once(cell):
    label(cell, True)
    label(cell, True)
    refresh(cell)
    consensus = gold(cell)
    assert (consensus.met, consensus.method) == (True, Consensus.Method.UNANIMOUS)
    assert consensus.benchmark_id == cell[0].case_version.case.benchmark_id
    assert queue_item(cell) is None


def test_one_label_gives_nothing(cell):
    label(cell, False)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell) is None


def test_disagreement_goes_to_adjudication(cell):
    label(cell, True)
    label(cell, False)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell).status == AdjudicationItem.Status.OPEN


def test_default_rule_sends_a_two_to_one_split_to_adjudication(cell):
    for met in (True, True, False):
        label(cell, met)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell).status == AdjudicationItem.Status.OPEN


def test_strict_majority_opt_in_settles_two_to_one(benchmark, cell):
    Benchmark.objects.filter(pk=benchmark.pk).update(
        consensus_rule=Benchmark.ConsensusRule.STRICT_MAJORITY
    )
    for met in (False, True, False):
        label(cell, met)
    refresh(cell)
    assert (gold(cell).met, gold(cell).method) == (False, Consensus.Method.MAJORITY)
    assert queue_item(cell) is None


def test_strict_majority_with_two_disagreeing_graders_still_adjudicates(benchmark, cell):
    Benchmark.objects.filter(pk=benchmark.pk).update(
        consensus_rule=Benchmark.ConsensusRule.STRICT_MAJORITY
    )
    label(cell, True)
    label(cell, False)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell).status == AdjudicationItem.Status.OPEN


def test_strict_majority_tie_adjudicates(benchmark, cell):
    Benchmark.objects.filter(pk=benchmark.pk).update(
        consensus_rule=Benchmark.ConsensusRule.STRICT_MAJORITY
    )
    for met in (True, True, False, False):
        label(cell, met)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell) is not None


def test_judge_labels_never_count(cell):
    label(cell, True)
    label(cell, False, rater=RaterFactory(kind=Rater.Kind.JUDGE, name="judge-8b"))
    label(cell, False, rater=RaterFactory(kind=Rater.Kind.JUDGE, name="gpt-judge"))
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell) is None
    label(cell, True)
    refresh(cell)
    assert (gold(cell).met, gold(cell).method) == (True, Consensus.Method.UNANIMOUS)


def test_labels_of_an_unsubmitted_assignment_do_not_count(benchmark, cell):
    response, _criterion = cell
    grader = UserFactory()
    campaign = Campaign.objects.create(benchmark=benchmark, name="Round 1", created_by=grader)
    item = CampaignItem.objects.create(
        campaign=campaign, case_version=response.case_version, position=1, slots_open=0
    )
    assignment = Assignment.objects.create(
        item=item, grader=grader, seed=1, claimed_at=timezone.now()
    )
    label(cell, True)
    label(cell, False, rater=RaterFactory(user=grader), assignment=assignment)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell) is None
    Assignment.objects.filter(pk=assignment.pk).update(submitted_at=timezone.now())
    refresh(cell)
    assert queue_item(cell).status == AdjudicationItem.Status.OPEN


def test_a_label_change_after_adjudication_reopens_the_item(cell, adjudicator):
    first = label(cell, True)
    label(cell, False)
    refresh(cell)
    item = queue_item(cell)
    Consensus.objects.create(
        benchmark_id=item.benchmark_id,
        response=cell[0],
        criterion=cell[1],
        met=True,
        method=Consensus.Method.ADJUDICATED,
        adjudicator=adjudicator,
        rationale="Dose is stated.",
        decided_at=timezone.now(),
    )
    AdjudicationItem.objects.filter(pk=item.pk).update(status=AdjudicationItem.Status.DECIDED)
    refresh(cell)  # same labels: the decision stands
    assert gold(cell).method == Consensus.Method.ADJUDICATED
    label(cell, True)  # a third grader: the label state changed
    refresh(cell)
    item.refresh_from_db()
    assert gold(cell) is None
    assert item.status == AdjudicationItem.Status.OPEN
    assert (item.reopened_count, item.revision) == (1, 2)
    Label.objects.filter(pk=first.pk).update(met=False)
    refresh(cell)
    item.refresh_from_db()
    assert item.revision == 3  # still disagreeing, but a form shown before is now stale


def test_graders_coming_to_agree_settle_an_open_item(cell):
    first = label(cell, True)
    label(cell, False)
    refresh(cell)
    Label.objects.filter(pk=first.pk).update(met=False)
    refresh(cell)
    assert queue_item(cell).status == AdjudicationItem.Status.SETTLED
    assert (gold(cell).met, gold(cell).method) == (False, Consensus.Method.UNANIMOUS)


def test_unanimous_consensus_removed_when_a_new_label_disagrees(cell):
    label(cell, True)
    label(cell, True)
    refresh(cell)
    label(cell, False)
    refresh(cell)
    assert gold(cell) is None
    assert queue_item(cell).status == AdjudicationItem.Status.OPEN


def test_refresh_runs_a_fixed_number_of_queries(benchmark, django_assert_max_num_queries):
    items = []
    for _ in range(30):
        version = CaseVersionFactory(case=CaseFactory(benchmark=benchmark))
        response = ResponseFactory(case_version=version)
        for met_pair in ((True, True), (True, False)):
            criterion = CriterionFactory(version=version)
            for met in met_pair:
                LabelFactory(response=response, criterion=criterion, met=met)
            items.append((response.pk, criterion.pk))
    with django_assert_max_num_queries(10):  # the rule's 8, then its benchmark and audit event
        consensus_refresh(items=items)
    assert Consensus.objects.count() == 30
    assert AdjudicationItem.objects.count() == 30


def test_submitting_assignments_applies_the_rule(benchmark, manager):
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        MembershipFactory(benchmark=benchmark, user=user, role="grader")
    version = approved_version(benchmark, "CC-0100", criteria=2, models=("m-a", "m-b"))
    campaign = campaign_over(
        benchmark, [version], by=manager, graders=[first, second], models=("m-a", "m-b")
    )
    mine = assignment_next(grader=first, campaign=campaign)
    mark_all(mine, by=first, met=True)
    assignment_submit(assignment=mine, by=first)
    assert not Consensus.objects.exists()  # one submitted grader so far
    theirs = assignment_next(grader=second, campaign=campaign)
    mark_all(theirs, by=second, met=True)
    Label.objects.filter(assignment=theirs, criterion__key="c02").update(met=False)
    assignment_submit(assignment=theirs, by=second)
    assert Consensus.objects.filter(method="unanimous", criterion__key="c01").count() == 2
    assert AdjudicationItem.objects.filter(status="open", criterion__key="c02").count() == 2
