"""The grading API: a grader grades through it (queue, next, item, marks, submit); managers list,
create and follow campaigns. Refusals change nothing."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from curation.models import Role
from grading.models import Assignment, Campaign, Label
from grading.selectors import letters
from grading.services.assignment import assignment_next
from tests.factories import (
    BenchmarkFactory,
    FacetFactory,
    MembershipFactory,
    TermFactory,
    UserFactory,
)
from tests.grading_support import MODELS, approved_version, campaign_over, mark_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(benchmark, manager, grader, author):
    versions = [approved_version(benchmark, f"CC-{n:04d}", author=author) for n in (1, 2)]
    return campaign_over(benchmark, versions, by=manager, graders=[grader], graders_per_item=1)


@pytest.fixture
def api(request):
    def client_for(persona: str) -> APIClient:
        client = APIClient()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return client_for


def base(benchmark) -> str:
    return f"/api/v1/benchmarks/{benchmark.slug}/grading/"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "queue/"),
        ("post", "next/"),
        ("get", "items/{pk}/"),
        ("put", "items/{pk}/labels/A/c01/"),
        ("post", "items/{pk}/submit/"),
    ],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [("author", 403), ("manager", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_grader_endpoints_are_for_graders(
    api, benchmark, campaign, grader, method, path, who, status
):
    assignment = assignment_next(grader=grader, campaign=campaign)
    url = base(benchmark) + path.format(pk=assignment.pk)
    response = getattr(api(who), method)(url, {"met": True}, format="json")
    assert response.status_code == status
    assert set(response.json()) == {"detail", "errors"}
    assert not Label.objects.exists()
    assert Assignment.objects.count() == 1


def test_queue_lists_the_graders_campaigns(api, benchmark, campaign):
    response = api("grader").get(base(benchmark) + "queue/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "campaign": campaign.pk,
            "name": "Round 1",
            "due": None,
            "is_open": True,
            "submitted": 0,
            "available": 2,
            "unfinished_item": None,
        }
    ]


def test_next_gives_the_item_blind(api, benchmark, campaign, grader):
    response = api("grader").post(base(benchmark) + "next/", {}, format="json")
    assert response.status_code == 200
    item = response.json()
    assignment = Assignment.objects.get(grader=grader)
    assert item["id"] == assignment.pk
    assert item["case"] == "CC-0001"
    assert [r["letter"] for r in item["responses"]] == ["A", "B", "C"]
    assert set(item["responses"][0]) == {"letter", "text"}
    assert [c["key"] for c in item["criteria"]] == ["c01", "c02", "c03"]
    assert item["reference_answer"] is None
    assert (item["labels"], item["marked"], item["total"]) == ([], 0, 9)
    # Asking again resumes the same item.
    again = api("grader").post(base(benchmark) + "next/", {"campaign": campaign.pk}, format="json")
    assert again.json()["id"] == assignment.pk


def test_next_without_work_is_204(api, benchmark, grader):
    response = api("grader").post(base(benchmark) + "next/", {}, format="json")
    assert response.status_code == 204
    assert not Assignment.objects.exists()


def test_next_from_another_benchmarks_campaign_is_not_found(api, benchmark, grader, campaign):
    foreign = Campaign.objects.create(benchmark=BenchmarkFactory(), name="X", created_by=grader)
    response = api("grader").post(
        base(benchmark) + "next/", {"campaign": foreign.pk}, format="json"
    )
    assert response.status_code == 404
    assert not Assignment.objects.exists()


@pytest.fixture
def assignment(campaign, grader):
    return assignment_next(grader=grader, campaign=campaign)


def test_another_graders_item_is_not_found(api, benchmark, assignment):
    other = UserFactory(username="other_grader")
    MembershipFactory(benchmark=benchmark, user=other, role=Role.GRADER)
    client = APIClient()
    client.force_login(other)
    url = base(benchmark) + f"items/{assignment.pk}/"
    assert client.get(url).status_code == 404
    put = client.put(f"{url}labels/A/c01/", {"met": True}, format="json")
    assert put.status_code == 404
    assert client.post(f"{url}submit/", {}, format="json").status_code == 404
    assert not Label.objects.exists()


def test_a_grader_grades_a_whole_item_through_the_api_with_a_token(benchmark, grader, assignment):
    client = APIClient()
    _token, key = api_token_create(user=grader, name="script", days=30)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = base(benchmark) + f"items/{assignment.pk}/"
    for key in ("c01", "c02", "c03"):
        for letter in "ABC":
            response = client.put(
                f"{url}labels/{letter}/{key}/",
                {"met": letter != "B", "note": "ok" if key == "c01" else "", "seconds": 4},
                format="json",
            )
            assert response.status_code == 200, response.json()
    assert response.json() == {"response": "C", "criterion": "c03", "met": True, "note": ""}
    item = client.get(url).json()
    assert item["marked"] == 9
    assert {"response": "A", "criterion": "c01", "met": True, "note": "ok"} in item["labels"]

    response = client.post(f"{url}submit/", {"seconds": 10}, format="json")

    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert assignment.seconds_spent == 9 * 4 + 10
    by_letter = letters(assignment)
    assert not Label.objects.filter(response_id=by_letter["B"], met=True).exists()
    assert Label.objects.filter(response_id=by_letter["A"], met=True).count() == 3


def test_a_note_alone_keeps_the_mark(api, benchmark, assignment):
    url = base(benchmark) + f"items/{assignment.pk}/labels/A/c01/"
    client = api("grader")
    client.put(url, {"met": False}, format="json")
    response = client.put(url, {"met": None, "note": "dose missing"}, format="json")
    assert response.json() == {
        "response": "A",
        "criterion": "c01",
        "met": False,
        "note": "dose missing",
    }


def test_a_mark_with_a_bad_value_is_400(api, benchmark, assignment):
    url = base(benchmark) + f"items/{assignment.pk}/labels/A/c01/"
    response = api("grader").put(url, {"met": "perhaps"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "met"
    assert not Label.objects.exists()


@pytest.mark.parametrize("cell", ["D/c01", "A/c99"])
def test_a_mark_for_a_cell_not_in_the_item_is_404(api, benchmark, assignment, cell):
    url = base(benchmark) + f"items/{assignment.pk}/labels/{cell}/"
    assert api("grader").put(url, {"met": True}, format="json").status_code == 404
    assert not Label.objects.exists()


def test_submit_lists_the_cells_not_marked(api, benchmark, assignment):
    client = api("grader")
    url = base(benchmark) + f"items/{assignment.pk}/"
    client.put(f"{url}labels/B/c02/", {"met": True}, format="json")
    response = client.post(f"{url}submit/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "8 cells are not marked yet: mark every criterion for every response."
    assert body["missing"][:3] == [
        {"response": "A", "criterion": "c01"},
        {"response": "B", "criterion": "c01"},
        {"response": "C", "criterion": "c01"},
    ]
    assert {"response": "B", "criterion": "c02"} not in body["missing"]
    assert len(body["missing"]) == 8
    assignment.refresh_from_db()
    assert assignment.submitted_at is None


def test_marks_and_submission_after_submitting_are_refused(api, benchmark, grader, assignment):
    mark_all(assignment, by=grader, met=True)
    client = api("grader")
    url = base(benchmark) + f"items/{assignment.pk}/"
    assert client.post(f"{url}submit/", {}, format="json").status_code == 200
    submitted_at = Assignment.objects.get(pk=assignment.pk).submitted_at

    mark = client.put(f"{url}labels/A/c01/", {"met": False}, format="json")
    again = client.post(f"{url}submit/", {}, format="json")

    assert mark.status_code == 409
    assert "already submitted" in mark.json()["detail"]
    assert again.status_code == 409
    assert set(Label.objects.values_list("met", flat=True)) == {True}
    assert Assignment.objects.get(pk=assignment.pk).submitted_at == submitted_at


# --- managers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "campaigns/"),
        ("post", "campaigns/"),
        ("get", "campaigns/{pk}/"),
        ("get", "campaigns/{pk}/cases/"),
    ],
)
@pytest.mark.parametrize(
    ("who", "status"), [("grader", 403), ("author", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_campaign_endpoints_are_for_managers(api, benchmark, campaign, method, path, who, status):
    url = base(benchmark) + path.format(pk=campaign.pk)
    response = getattr(api(who), method)(url, {"name": "X"}, format="json")
    assert response.status_code == status
    assert Campaign.objects.count() == 1


def test_campaigns_list_and_detail_show_progress(api, benchmark, campaign, grader, assignment):
    mark_all(assignment, by=grader)
    submit = base(benchmark) + f"items/{assignment.pk}/submit/"
    api("grader").post(submit, {"seconds": 90}, format="json")
    client = api("manager")
    [row] = client.get(base(benchmark) + "campaigns/").json()
    assert (row["id"], row["items"], row["needed"], row["claimed"], row["submitted"]) == (
        campaign.pk,
        2,
        2,
        1,
        1,
    )
    detail = client.get(base(benchmark) + f"campaigns/{campaign.pk}/").json()
    assert detail["models"] == list(MODELS)
    assert [
        (g["username"], g["claimed"], g["submitted"], g["minutes_per_item"])
        for g in detail["graders"]
    ] == [("gao_grader", 1, 1, 1.5)]
    cases = client.get(base(benchmark) + f"campaigns/{campaign.pk}/cases/?limit=1").json()
    assert cases["count"] == 2
    assert cases["results"] == [
        {"case": "CC-0001", "version": 1, "items": 1, "needed": 1, "claimed": 1, "submitted": 1}
    ]


def test_manager_creates_a_campaign_by_terms_and_case_ids(api, benchmark, grader, author):
    facet = FacetFactory(benchmark=benchmark, key="specialty", name="Specialty")
    cardio = TermFactory(facet=facet, value="心血管内科")
    for n in (1, 2, 3):
        version = approved_version(benchmark, f"CC-{n:04d}", author=author)
        if n != 3:
            version.terms.set([cardio])
    response = api("manager").post(
        base(benchmark) + "campaigns/",
        {
            "name": "Cardiology",
            "models": ["model-a", "model-b"],
            "graders": ["gao_grader"],
            "terms": {"specialty": ["心血管内科"]},
            "cases": ["CC-0002", "CC-0003"],
            "graders_per_item": 1,
            "responses_per_screen": 2,
            "due": "2030-01-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get()
    assert response.json()["id"] == campaign.pk
    assert list(campaign.items.values_list("case_version__case__external_id", flat=True)) == [
        "CC-0002"
    ]
    assert str(campaign.due) == "2030-01-31"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"models": ["no-such-model"]}, "models"),
        ({"graders": ["nobody"]}, "graders"),
        ({"cases": ["CC-9999"]}, "cases"),
        ({"terms": {"specialty": ["骨科"]}}, "terms.specialty"),
        ({"graders": ["alice_author"]}, "graders"),
        ({"responses_per_screen": 5}, "responses_per_screen"),
        ({"cases": []}, "case_versions"),
    ],
)
def test_campaign_create_refusals_are_400_and_create_nothing(
    api, benchmark, grader, author, change, field
):
    FacetFactory(benchmark=benchmark, key="specialty", name="Specialty")
    approved_version(benchmark, "CC-0001", author=author)
    data = {"name": "R", "models": ["model-a"], "graders": ["gao_grader"], "graders_per_item": 1}
    response = api("manager").post(
        base(benchmark) + "campaigns/", {**data, **change}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Campaign.objects.exists()
