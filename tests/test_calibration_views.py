"""Grader quality pages: managers' graders and calibration pages and their actions, a grader's
feedback page and queue notice. Role checks on every route, refusals change nothing, query
counts pinned."""

import pytest
from django.urls import reverse

from curation.models import AuditEvent
from grading.models import (
    AdjudicationItem,
    CalibrationItem,
    CampaignItem,
    Consensus,
    GraderQualitySettings,
    GraderState,
    Label,
)
from grading.services.assignment import assignment_next, assignment_submit
from grading.services.calibration import campaign_calibration_set
from tests.calibration_support import grader_user, mark, quality_state, settled_setting
from tests.grading_support import approved_version, campaign_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(benchmark, manager, adjudicator, author):
    return settled_setting(benchmark, manager=manager, adjudicator=adjudicator, author=author)


def url(name, benchmark, *args):
    return reverse(f"grading:{name}", args=[benchmark.slug, *args])


# (route name, method, needs the grader's id / a calibration item / a campaign / a response)
MANAGER_ROUTES = [
    ("graders", "get", None),
    ("graders_threshold", "post", None),
    ("grader", "get", "grader"),
    ("grader_pause", "post", "grader"),
    ("grader_calibrate", "post", "grader"),
    ("grader_exclude", "post", "grader"),
    ("calibration", "get", None),
    ("calibration_mark", "post", None),
    ("calibration_gold", "get", "response"),
    ("calibration_retire", "post", "item"),
    ("campaign_calibration", "post", "campaign"),
]


def route_args(setting, needs):
    return {
        None: [],
        "grader": [setting.g2.pk],
        "item": [CalibrationItem.objects.first().pk],
        "campaign": [setting.first.pk],
        "response": [setting.settled.responses.first().pk],
    }[needs]


@pytest.mark.parametrize(("name", "method", "needs"), MANAGER_ROUTES)
@pytest.mark.parametrize(("who", "status"), [("g1", 403), ("adjudicator", 403), ("outsider", 404)])
def test_grader_quality_pages_are_for_managers(
    request, client, benchmark, setting, name, method, needs, who, status
):
    user = getattr(setting, who) if who == "g1" else request.getfixturevalue(who)
    client.force_login(user)
    before = quality_state()
    data = {"paused": "1", "excluded": "1", "count": "2", "threshold": "50", "response": "1"}
    response = getattr(client, method)(url(name, benchmark, *route_args(setting, needs)), data)
    assert response.status_code == status
    assert quality_state() == before


@pytest.mark.parametrize(("name", "method", "needs"), MANAGER_ROUTES)
def test_grader_quality_routes_refuse_the_wrong_method(
    client, benchmark, manager, setting, name, method, needs
):
    client.force_login(manager)
    wrong = "post" if method == "get" else "get"
    target = url(name, benchmark, *route_args(setting, needs))
    if name == "calibration_gold":
        wrong = "put"
    assert getattr(client, wrong)(target).status_code == 405


def test_feedback_page_is_for_graders(client, benchmark, manager, outsider):
    client.force_login(manager)
    assert client.get(url("grading_feedback", benchmark)).status_code == 403
    client.force_login(outsider)
    assert client.get(url("grading_feedback", benchmark)).status_code == 404
    assert client.post(url("grading_feedback", benchmark)).status_code == 405


def test_graders_page_shows_every_grader_with_figures_in_a_fixed_number_of_queries(
    client, benchmark, manager, setting, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(url("graders", benchmark))
    # session, user, access, 7 for the figures, navigation (4)
    with django_assert_max_num_queries(16):
        response = client.get(url("graders", benchmark))
    assert response.status_code == 200
    names = [row.grader.username for row in response.context["rows"]]
    assert names == ["g1_grader", "g3_grader", "g2_grader"]  # Dr. One, Dr. Three, Dr. Two
    html = response.content.decode()
    assert "88.9%" in html  # g1: 8 of 9 with consensus


def test_a_manager_pauses_and_resumes_a_grader(client, benchmark, manager, setting):
    client.force_login(manager)
    response = client.post(url("grader_pause", benchmark, setting.g2.pk), {"paused": "1"})
    assert response.status_code == 302
    assert GraderState.objects.get(grader=setting.g2).paused
    client.post(url("grader_pause", benchmark, setting.g2.pk))
    assert not GraderState.objects.get(grader=setting.g2).paused


def test_a_paused_grader_is_told_so_politely_in_their_queue(client, benchmark, manager, setting):
    client.force_login(manager)
    client.post(url("grader_pause", benchmark, setting.g3.pk), {"paused": "1"})
    other = approved_version(benchmark, "CC-0002")
    campaign_over(benchmark, [other], by=manager, graders=[setting.g3], graders_per_item=1)
    client.force_login(setting.g3)
    response = client.get(url("queue", benchmark))
    assert "Your grading is paused for now" in response.content.decode()
    assert "Next item" not in response.content.decode()
    assert response.context["rows"][0].available == 0
    assert [e.count for e in response.context["nav"].entries if e.key == "grading"] == [0]
    response = client.post(url("next", benchmark), follow=True)
    assert "No item is waiting for you right now." in response.content.decode()


def test_a_manager_sends_a_calibration_set(client, benchmark, manager, setting):
    client.force_login(manager)
    client.post(url("grader_calibrate", benchmark, setting.g3.pk), {"count": "3"})
    assert GraderState.objects.get(grader=setting.g3).calibration_due == 3
    response = client.post(
        url("grader_calibrate", benchmark, setting.g3.pk), {"count": "99"}, follow=True
    )
    assert GraderState.objects.get(grader=setting.g3).calibration_due == 3
    assert "less than or equal to 20" in response.content.decode()


def test_excluding_a_grader_from_the_page_recomputes_consensus(client, benchmark, manager, setting):
    client.force_login(manager)
    client.post(url("grader_exclude", benchmark, setting.g2.pk), {"excluded": "1"})
    assert GraderState.objects.get(grader=setting.g2).excluded
    assert Consensus.objects.count() == 0
    assert AuditEvent.objects.filter(action="grader.exclude").count() == 1
    response = client.post(
        url("grader_exclude", benchmark, setting.g1.pk), {"excluded": "1"}, follow=True
    )
    assert "would leave them without any" in response.content.decode()
    assert not GraderState.objects.filter(grader=setting.g1, excluded=True).exists()
    assert not Label.objects.filter(rater__user=setting.g1, excluded=True).exists()
    client.post(url("grader_exclude", benchmark, setting.g2.pk))
    assert not GraderState.objects.get(grader=setting.g2).excluded
    assert Consensus.objects.count() == 8


def test_threshold_is_saved_as_a_fraction_and_bad_values_are_refused(
    client, benchmark, manager, setting
):
    client.force_login(manager)
    client.post(url("graders_threshold", benchmark), {"threshold": "92.5"})
    assert GraderQualitySettings.objects.get().threshold == pytest.approx(0.925)
    client.post(url("graders_threshold", benchmark), {"threshold": "120"})
    assert GraderQualitySettings.objects.get().threshold == pytest.approx(0.925)


def test_grader_detail_page_shows_the_weekly_trend_and_unknown_graders_are_not_found(
    client, benchmark, manager, setting, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(17):
        response = client.get(url("grader", benchmark, setting.g1.pk))
    assert response.status_code == 200
    assert len(response.context["row"].weeks) == 1
    assert client.get(url("grader", benchmark, manager.pk)).status_code == 404


def test_calibration_page_lists_items_candidates_and_campaigns(
    client, benchmark, manager, setting, django_assert_max_num_queries
):
    CalibrationItem.objects.filter(response=setting.settled.responses.first()).delete()
    client.force_login(manager)
    client.get(url("calibration", benchmark))
    with django_assert_max_num_queries(14):
        response = client.get(url("calibration", benchmark))
    assert response.status_code == 200
    assert len(response.context["items"]) == 2
    assert [r.pk for r in response.context["candidates"]] == [setting.settled.responses.first().pk]
    client.post(
        url("calibration_mark", benchmark), {"response": setting.settled.responses.first().pk}
    )
    assert CalibrationItem.objects.count() == 3


def test_marking_a_response_without_complete_consensus_is_refused(
    client, benchmark, manager, author
):
    version = approved_version(benchmark, "CC-0009", author=author)
    response = version.responses.first()
    client.force_login(manager)
    page = client.post(url("calibration_mark", benchmark), {"response": response.pk}, follow=True)
    assert "The gold label is incomplete" in page.content.decode()
    page = client.post(url("calibration_gold", benchmark, response.pk), {"c01": "1", "c02": "0"})
    assert page.status_code == 422
    assert "c03 has no gold label" in page.content.decode()
    assert not CalibrationItem.objects.exists()
    page = client.post(
        url("calibration_gold", benchmark, response.pk), {"c01": "1", "c02": "0", "c03": "1"}
    )
    assert page.status_code == 302
    assert CalibrationItem.objects.get().gold.filter(met=True).count() == 2


def test_campaign_rate_form_takes_percent_and_refuses_over_50(client, benchmark, manager, setting):
    client.force_login(manager)
    prefix = f"c{setting.first.pk}"
    target = url("campaign_calibration", benchmark, setting.first.pk)
    client.post(target, {f"{prefix}-rate": "60", f"{prefix}-show_feedback": "on"})
    setting.first.refresh_from_db()
    assert (setting.first.calibration_rate, setting.first.show_feedback) == (0, False)
    client.post(target, {f"{prefix}-rate": "50", f"{prefix}-show_feedback": "on"})
    setting.first.refresh_from_db()
    assert (setting.first.calibration_rate, setting.first.show_feedback) == (0.5, True)
    assert CampaignItem.objects.filter(campaign=setting.first, calibration=True).count() == 1


def test_retiring_a_calibration_item(client, benchmark, manager, setting):
    item = CalibrationItem.objects.first()
    client.force_login(manager)
    client.post(url("calibration_retire", benchmark, item.pk))
    item.refresh_from_db()
    assert item.retired_at is not None


def test_feedback_shows_where_a_grader_differed_from_gold_with_the_rationale_only_blind(
    client, benchmark, manager, setting, django_assert_max_num_queries
):
    campaign_calibration_set(campaign=setting.first, by=manager, rate=0, show_feedback=True)
    client.force_login(setting.g1)
    with django_assert_max_num_queries(12):
        response = client.get(url("grading_feedback", benchmark))
    [row] = response.context["rows"]
    disputed = AdjudicationItem.objects.get()
    assert (row.criterion_key, row.your_label, row.gold_label) == (
        disputed.criterion.key,
        True,
        False,
    )
    assert row.rationale == "Aspirin dose missing."
    html = response.content.decode()
    assert "Aspirin dose missing." in html
    for secret in ("model-a", "model-b", "model-c", "Dr. Two", "g2_grader", "adam_adjudicator"):
        assert secret not in html
    client.force_login(setting.g2)
    assert client.get(url("grading_feedback", benchmark)).context["rows"] == []
    queue = client.get(url("queue", benchmark)).content.decode()
    assert url("grading_feedback", benchmark) in queue


def test_feedback_on_a_calibration_screen_waits_until_all_its_graders_submitted(
    client, benchmark, manager, setting, author
):
    """As an ordinary screen gets its consensus when its last grader submits (and never with a
    single grader per item)."""
    other = approved_version(benchmark, "CC-0002", author=author)
    g4 = grader_user(benchmark, "g4_grader")
    second = campaign_over(benchmark, [other], by=manager, graders=[setting.g3, g4], name="Second")
    campaign_calibration_set(campaign=second, by=manager, rate=0.5, show_feedback=True)
    CampaignItem.objects.filter(campaign=second, calibration=True).update(position=0)
    mine = assignment_next(grader=setting.g3, campaign=second)
    theirs = assignment_next(grader=g4, campaign=second)
    assert mine.item.calibration
    assert theirs.item == mine.item
    mark(mine, setting.g3)  # all met: the disputed cell differs from gold
    mark(theirs, g4)
    assignment_submit(assignment=mine, by=setting.g3)
    client.force_login(setting.g3)
    assert client.get(url("grading_feedback", benchmark)).context["rows"] == []
    assignment_submit(assignment=theirs, by=g4)
    [row] = client.get(url("grading_feedback", benchmark)).context["rows"]
    assert row.rationale == "Aspirin dose missing."


def test_gold_page_shows_the_response_formatted_and_no_criterion_as_optional(
    client, benchmark, manager, author
):
    version = approved_version(benchmark, "CC-0009", author=author, response_text="**Call 120.**")
    client.force_login(manager)

    page = client.get(url("calibration_gold", benchmark, version.responses.first().pk))

    html = page.content.decode()
    assert "<strong>Call 120.</strong>" in html
    assert "(optional)" not in html
