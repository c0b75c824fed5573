"""Grader quality API: calibration items, campaign rate, grader figures and actions, feedback.
Role checks on every endpoint; refusals are 400/409 with nothing changed; query counts pinned."""

import pytest
from rest_framework.test import APIClient

from curation.models import AuditEvent
from grading.models import (
    CalibrationItem,
    Consensus,
    GraderQualitySettings,
    GraderState,
)
from grading.services.calibration import campaign_calibration_set
from tests.calibration_support import quality_state, settled_setting
from tests.grading_support import approved_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(benchmark, manager, adjudicator, author):
    return settled_setting(benchmark, manager=manager, adjudicator=adjudicator, author=author)


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def base(benchmark) -> str:
    return f"/api/v1/benchmarks/{benchmark.slug}/grading/"


def endpoints(setting):
    item = CalibrationItem.objects.first().pk
    g2 = setting.g2.pk
    return [
        ("get", "calibration/items/", None),
        ("post", "calibration/items/", {"response": setting.settled.responses.first().pk}),
        ("post", f"calibration/items/{item}/retire/", None),
        ("put", f"calibration/campaigns/{setting.first.pk}/", {"rate": 0.5, "show_feedback": True}),
        ("get", "graders/", None),
        ("put", "graders/threshold/", {"threshold": 0.5}),
        ("post", f"graders/{g2}/pause/", {"paused": True}),
        ("post", f"graders/{g2}/calibration-set/", {"count": 2}),
        ("post", f"graders/{g2}/exclude/", {"excluded": True}),
    ]


@pytest.mark.parametrize(("who", "status"), [("g1", 403), ("adjudicator", 403), ("outsider", 404)])
def test_grader_quality_endpoints_are_for_managers(request, benchmark, setting, who, status):
    user = setting.g1 if who == "g1" else request.getfixturevalue(who)
    api = api_for(user)
    before = quality_state()
    for method, path, data in endpoints(setting):
        response = getattr(api, method)(base(benchmark) + path, data, format="json")
        assert response.status_code == status, path
    assert quality_state() == before


def test_anonymous_requests_are_refused(benchmark, setting):
    for method, path, data in endpoints(setting):
        response = getattr(APIClient(), method)(base(benchmark) + path, data, format="json")
        assert response.status_code == 401, path
    assert APIClient().get(base(benchmark) + "feedback/").status_code == 401


def test_feedback_endpoint_is_for_graders(benchmark, manager, outsider):
    assert api_for(manager).get(base(benchmark) + "feedback/").status_code == 403
    assert api_for(outsider).get(base(benchmark) + "feedback/").status_code == 404


def test_calibration_items_list_with_answer_keys_in_a_fixed_number_of_queries(
    benchmark, manager, setting, django_assert_max_num_queries
):
    api = api_for(manager)
    with django_assert_max_num_queries(6):
        response = api.get(base(benchmark) + "calibration/items/")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == 3
    gold = [g for item in items for g in item["gold"]]
    assert sorted(g["met"] for g in gold) == [False] + [True] * 8
    assert {g["rationale"] for g in gold if not g["met"]} == {"Aspirin dose missing."}


def test_marking_through_the_api_and_its_refusals(benchmark, manager, author):
    version = approved_version(benchmark, "CC-0009", author=author)
    response = version.responses.first()
    api = api_for(manager)
    url = base(benchmark) + "calibration/items/"
    refused = api.post(url, {"response": response.pk}, format="json")
    assert refused.status_code == 409
    assert "incomplete" in refused.json()["detail"]
    refused = api.post(url, {"response": response.pk, "gold": {"c01": True}}, format="json")
    assert refused.status_code == 409
    assert not CalibrationItem.objects.exists()
    made = api.post(
        url,
        {"response": response.pk, "gold": {"c01": True, "c02": False, "c03": True}},
        format="json",
    )
    assert made.status_code == 201
    assert made.json()["case"] == "CC-0009"
    assert CalibrationItem.objects.get().gold.count() == 3
    assert api.post(url, {"response": 999999}, format="json").status_code == 404


def test_campaign_rate_outside_0_to_half_is_a_400_and_changes_nothing(benchmark, manager, setting):
    api = api_for(manager)
    url = base(benchmark) + f"calibration/campaigns/{setting.first.pk}/"
    before = quality_state()
    for rate in (-0.1, 0.51, 2):
        response = api.put(url, {"rate": rate, "show_feedback": True}, format="json")
        assert response.status_code == 400
    assert quality_state() == before
    response = api.put(url, {"rate": 0.5, "show_feedback": True}, format="json")
    assert response.json() == {"rate": 0.5, "show_feedback": True}
    setting.first.refresh_from_db()
    assert setting.first.calibration_rate == 0.5


def test_grader_figures_endpoint_in_a_fixed_number_of_queries(
    benchmark, manager, setting, django_assert_max_num_queries
):
    api = api_for(manager)
    with django_assert_max_num_queries(11):
        response = api.get(base(benchmark) + "graders/")
    data = response.json()
    assert data["threshold"] == 0.8
    g1 = next(g for g in data["graders"] if g["username"] == "g1_grader")
    assert g1["consensus_n"] == 9
    assert g1["consensus_agreement"] == pytest.approx(8 / 9)
    assert g1["flagged"] is False
    assert g1["weeks"][0]["items_submitted"] == 1


def test_actions_on_a_grader_through_the_api(benchmark, manager, setting):
    api = api_for(manager)
    g2 = setting.g2.pk
    assert api.post(base(benchmark) + f"graders/{g2}/pause/", {"paused": True}).json()["paused"]
    response = api.post(base(benchmark) + f"graders/{g2}/calibration-set/", {"count": 21})
    assert response.status_code == 400
    response = api.post(base(benchmark) + f"graders/{g2}/calibration-set/", {"count": 4})
    assert response.json()["calibration_due"] == 4
    response = api.post(base(benchmark) + f"graders/{g2}/exclude/", {"excluded": True})
    assert response.json()["excluded"] is True
    assert Consensus.objects.count() == 0
    assert AuditEvent.objects.filter(action="grader.exclude").exists()
    last = api.post(base(benchmark) + f"graders/{setting.g1.pk}/exclude/", {"excluded": True})
    assert last.status_code == 409
    assert not GraderState.objects.filter(grader=setting.g1, excluded=True).exists()
    assert (
        api.post(base(benchmark) + f"graders/{manager.pk}/pause/", {"paused": True}).status_code
        == 404
    )
    response = api.put(base(benchmark) + "graders/threshold/", {"threshold": 1.5}, format="json")
    assert response.status_code == 400
    assert not GraderQualitySettings.objects.exists()


def test_feedback_endpoint_shows_differences_blind(
    benchmark, manager, setting, django_assert_max_num_queries
):
    campaign_calibration_set(campaign=setting.first, by=manager, rate=0, show_feedback=True)
    api = api_for(setting.g1)
    with django_assert_max_num_queries(8):
        response = api.get(base(benchmark) + "feedback/")
    [row] = response.json()
    assert (row["your_label"], row["gold_label"], row["rationale"]) == (
        True,
        False,
        "Aspirin dose missing.",
    )
    assert row["response"] in "ABC"
    text = response.content.decode()
    for secret in ("model-", "g2_grader", "Dr. Two", "adam_adjudicator"):
        assert secret not in text
