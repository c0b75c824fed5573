"""A small benchmark with settled items, calibration items and graders, for the grader quality
tests (figures computed by hand in tests/test_grader_figures.py)."""

from dataclasses import dataclass

from curation.models import Role
from grading.models import (
    AdjudicationItem,
    CalibrationGold,
    CalibrationItem,
    Campaign,
    CampaignItem,
    CampaignItemResponse,
    Consensus,
    GraderQualitySettings,
    GraderState,
    Label,
)
from grading.services.adjudication import adjudication_decide
from grading.services.assignment import assignment_next, assignment_submit
from grading.services.calibration import calibration_item_mark, grader_send_calibration
from grading.services.labels import label_set
from tests.factories import MembershipFactory, UserFactory
from tests.grading_support import approved_version, campaign_over


def grader_user(benchmark, username: str, display_name: str = ""):
    user = UserFactory(username=username, display_name=display_name)
    MembershipFactory(benchmark=benchmark, user=user, role=Role.GRADER)
    return user


def mark(assignment, by, wrong=frozenset(), *, met=True):
    """Mark every cell of the item: `met` (a bool, or a function of response and criterion),
    turned the other way on the (response position in the item, criterion key) cells in `wrong`."""
    item = assignment.item
    members = CampaignItemResponse.objects.filter(item=item).order_by("position")
    for position, member in enumerate(members.select_related("response")):
        for criterion in item.case_version.criteria.all():
            value = met(member.response, criterion) if callable(met) else met
            value = value != ((position, criterion.key) in wrong)
            label_set(
                assignment=assignment,
                by=by,
                response=member.response,
                criterion=criterion,
                met=value,
            )


@dataclass
class Setting:
    settled: object  # case version whose 3 responses x 3 criteria have consensus
    first: Campaign
    g1: object
    g2: object
    g3: object


def settled_setting(benchmark, *, manager, adjudicator, author) -> Setting:
    """Version CC-0001 graded by g1 (all met) and g2 (all met but response 0 · c01): 8 cells
    unanimous met, 1 adjudicated not met (rationale "Aspirin dose missing."). Its 3 responses
    are calibration items. g3 graded nothing yet."""
    g1 = grader_user(benchmark, "g1_grader", "Dr. One")
    g2 = grader_user(benchmark, "g2_grader", "Dr. Two")
    g3 = grader_user(benchmark, "g3_grader", "Dr. Three")
    settled = approved_version(benchmark, "CC-0001", author=author)
    first = campaign_over(benchmark, [settled], by=manager, graders=[g1, g2], name="First")
    for user, wrong in ((g1, set()), (g2, {(0, "c01")})):
        assignment = assignment_next(grader=user, campaign=first)
        mark(assignment, user, wrong)
        assignment_submit(assignment=assignment, by=user, seconds=60)
    item = AdjudicationItem.objects.get()
    adjudication_decide(
        item=item, by=adjudicator, met=False, rationale="Aspirin dose missing.", revision=1
    )
    for response in settled.responses.all():
        calibration_item_mark(benchmark=benchmark, response=response, by=manager)
    return Setting(settled=settled, first=first, g1=g1, g2=g2, g3=g3)


def calibration_labels():
    return Label.objects.filter(calibration=True)


def calibration_responses() -> set[int]:
    return set(CalibrationItem.objects.values_list("response_id", flat=True))


def calibration_with_two_misses(benchmark, setting: Setting, *, manager, author):
    """g3 is sent one calibration screen (the 3 responses of CC-0001) in a campaign of its own
    and misses two cells: the disputed one marked met (gold: not met) and one met cell marked not
    met. Submitted with 90 seconds."""
    third = approved_version(benchmark, "CC-0003", author=author)
    campaign = campaign_over(
        benchmark, [third], by=manager, graders=[setting.g3], name="Third", graders_per_item=1
    )
    grader_send_calibration(benchmark=benchmark, grader=setting.g3, by=manager, count=1)
    disputed = AdjudicationItem.objects.get()
    gold = {
        (g.item.response_id, g.criterion_id): g.met
        for g in CalibrationGold.objects.select_related("item")
    }
    assignment = assignment_next(grader=setting.g3, campaign=campaign)
    assert assignment.item.calibration
    other = next(r for r in assignment.item.responses.all() if r.pk != disputed.response_id)

    def answer(response, criterion):
        if (response.pk, criterion.pk) == (disputed.response_id, disputed.criterion_id):
            return True
        if response == other and criterion.key == "c03":
            return False
        return gold[(response.pk, criterion.pk)]

    mark(assignment, setting.g3, met=answer)
    assignment_submit(assignment=assignment, by=setting.g3, seconds=90)


def quality_state() -> tuple:
    """What grader quality actions can change, to show that a refusal changed nothing."""
    return (
        list(GraderState.objects.values_list("grader_id", "paused", "calibration_due", "excluded")),
        list(CalibrationItem.objects.values_list("pk", "retired_at")),
        list(Campaign.objects.values_list("pk", "calibration_rate", "show_feedback")),
        CampaignItem.objects.count(),
        GraderQualitySettings.objects.count(),
        Label.objects.filter(excluded=True).count(),
        Consensus.objects.count(),
    )
