"""Blind grading, enforced on the server: nothing a grader receives names a model, or shows another
grader's or a judge's labels.

The campaign's models carry distinctive names and primary keys, another grader and a judge label
the very responses our grader is given (with distinctive notes), and then every page, htmx
fragment and API answer a grader can get is searched for any of them.
"""

import json
from itertools import cycle

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from curation.models import Role
from grading.models import (
    AdjudicationItem,
    Assignment,
    Campaign,
    Label,
    ModelUnderTest,
    Rater,
    Response,
)
from grading.services.adjudication import adjudication_decide
from grading.services.assignment import assignment_next, assignment_submit
from tests.factories import MembershipFactory, UserFactory
from tests.grading_support import approved_version, campaign_over, mark_all
from tests.matrix_support import build_world, site_routes
from tests.test_permission_matrix import row_of

pytestmark = pytest.mark.django_db

MODEL_NAMES = ["ZEBRA-SECRET-7b", "Quokka Hidden Ultra", "narwhal_confidential_v3"]
MODEL_PKS = [900001, 900002, 900003]
RESPONSE_PKS = [800001, 800002, 800003]
OTHER_GRADER = "okapi_other_grader"
OTHER_GRADER_NAME = "Dr. Okapi Elsewhere"
OTHER_NOTE = "AXOLOTL other grader's note"
JUDGE = "ocelot-judge"
JUDGE_VERSION = "v9.9-pangolin"
JUDGE_NOTE = "PANGOLIN judge explanation"
SECRETS = [
    *MODEL_NAMES,
    *(str(pk) for pk in MODEL_PKS + RESPONSE_PKS),
    OTHER_GRADER,
    OTHER_GRADER_NAME,
    OTHER_NOTE,
    JUDGE,
    JUDGE_VERSION,
    JUDGE_NOTE,
]


@pytest.fixture
def setting(benchmark, manager, grader, author):
    """Two cases, each with one response per distinctive model; another grader has graded and
    submitted the first item our grader will get, and a judge has labelled every response."""
    versions = [
        approved_version(benchmark, f"CC-{n:04d}", author=author, models=()) for n in (1, 2)
    ]
    for model_pk, name in zip(MODEL_PKS, MODEL_NAMES, strict=True):
        ModelUnderTest.objects.create(pk=model_pk, name=name)
    for version, offset in zip(versions, (0, 10), strict=True):
        for response_pk, model_pk in zip(RESPONSE_PKS, MODEL_PKS, strict=True):
            Response.objects.create(
                pk=response_pk + offset,
                case_version=version,
                model_id=model_pk,
                text="Call 120 now; chew 300 mg aspirin unless allergic.",
            )
    other = UserFactory(username=OTHER_GRADER, display_name=OTHER_GRADER_NAME)
    MembershipFactory(benchmark=benchmark, user=other, role=Role.GRADER)
    campaign = campaign_over(
        benchmark, versions, by=manager, graders=[grader, other], models=MODEL_NAMES
    )
    theirs = assignment_next(grader=other, campaign=campaign)
    mark_all(theirs, by=other, met=False)
    Label.objects.filter(assignment=theirs).update(note=OTHER_NOTE)
    assignment_submit(assignment=theirs, by=other)
    judge = Rater.objects.create(kind=Rater.Kind.JUDGE, name=JUDGE, version=JUDGE_VERSION)
    for version in versions:
        for response in version.responses.all():
            for criterion in version.criteria.all():
                Label.objects.create(
                    rater=judge, response=response, criterion=criterion, met=True, note=JUDGE_NOTE
                )
    return campaign


def assert_blind(content, where: str) -> None:
    text = content if isinstance(content, str) else content.decode()
    if text.startswith(("{", "[")):
        text += json.dumps(json.loads(text), ensure_ascii=False)  # and unescaped
    found = [secret for secret in SECRETS if secret.lower() in text.lower()]
    assert not found, f"{where} shows {found}"


def test_nothing_a_grader_receives_names_a_model_or_shows_others_labels(
    client, benchmark, grader, adjudicator, setting
):
    slug = benchmark.slug
    client.force_login(grader)
    seen: list[str] = []

    def visit(response, where: str):
        assert response.status_code < 500, where
        assert_blind(response.content, where)
        seen.append(where)
        return response

    # Pages around the work.
    visit(client.get(reverse("dashboard")), "dashboard")
    visit(client.get(reverse("curation:benchmark_home", args=[slug])), "benchmark home")
    visit(client.get(reverse("grading:queue", args=[slug])), "queue")
    # "Next" hands out the item the other grader and the judge labelled.
    response = visit(client.post(reverse("grading:next", args=[slug]), follow=True), "next item")
    assignment = response.context["screen"]
    item_url = reverse("grading:grade", args=[slug, assignment.assignment_id])
    html = visit(client.get(item_url), "grading screen").content.decode()
    assert "Call 120 now" in html  # the responses are there, only anonymous

    # htmx fragments: a saved mark, a refused mark.
    for letter in "ABC":
        for key in ("c01", "c02", "c03"):
            url = reverse("grading:mark", args=[slug, assignment.assignment_id, letter, key])
            visit(
                client.post(url, {"met": "1", "note": "mine"}, HTTP_HX_REQUEST="true"),
                f"mark fragment {key}·{letter}",
            )
    submit_url = reverse("grading:submit", args=[slug, assignment.assignment_id])
    # Submitting with a cell missing (page with the missing cells), then for real.
    Label.objects.filter(rater__user=grader).first().delete()
    visit(client.post(submit_url), "submit with a missing cell")
    for letter in "ABC":
        url = reverse("grading:mark", args=[slug, assignment.assignment_id, letter, "c01"])
        client.post(url, {"met": "0"}, HTTP_HX_REQUEST="true")
    visit(client.post(submit_url, follow=True), "submit, then the next item")
    visit(client.get(item_url), "the submitted item, read only")
    refused = visit(client.post(url, {"met": "1"}, HTTP_HX_REQUEST="true"), "refused mark")
    assert refused.status_code == 422

    # The API, as the same grader.
    api = APIClient()
    api.force_login(grader)
    base = f"/api/v1/benchmarks/{slug}/grading/"
    visit(api.get("/api/v1/benchmarks/"), "API benchmarks")
    visit(api.get(base + "queue/"), "API queue")
    item = visit(api.post(base + "next/", {}, format="json"), "API next").json()
    visit(api.get(base + f"items/{assignment.assignment_id}/"), "API submitted item")
    visit(api.get(base + f"items/{item['id']}/"), "API item")
    visit(
        api.put(base + f"items/{item['id']}/labels/B/c02/", {"met": True}, format="json"),
        "API mark",
    )
    visit(api.post(base + f"items/{item['id']}/submit/", {}, format="json"), "API submit refused")
    for letter in "ABC":
        for key in ("c01", "c02", "c03"):
            api.put(
                base + f"items/{item['id']}/labels/{letter}/{key}/", {"met": False}, format="json"
            )
    visit(api.post(base + f"items/{item['id']}/submit/", {}, format="json"), "API submit")
    visit(api.get("/api/schema/"), "API schema")

    # Feedback, once the campaign gives it and an item of theirs is decided against them.
    Campaign.objects.filter(pk=setting.pk).update(show_feedback=True)
    disputed = AdjudicationItem.objects.filter(status=AdjudicationItem.Status.OPEN).first()
    adjudication_decide(
        item=disputed, by=adjudicator, met=False, rationale="Dose matters.", revision=1
    )
    page = visit(client.get(reverse("grading:grading_feedback", args=[slug])), "feedback")
    assert "Dose matters." in page.content.decode()
    assert adjudicator.username not in page.content.decode()
    visit(api.get(base + "feedback/"), "API feedback")

    assert len(seen) == 29


def test_the_manager_does_see_the_models(client, benchmark, manager, setting):
    """The check above is not vacuous: the same names are there for a manager."""
    client.force_login(manager)
    html = client.get(reverse("grading:campaign", args=[benchmark.slug, setting.pk])).content
    assert all(name in html.decode() for name in MODEL_NAMES)


QC_SECRETS = [s for s in SECRETS if s != OTHER_NOTE]  # the note is part of the grade checked


def test_the_grade_qc_reviewer_never_sees_models_or_who_graded(
    client, benchmark, manager, adjudicator, setting
):
    """Grade QC is blind too: the reviewer reads the grader's mark and note, never the model,
    the response's id, the grader's identity or a judge's label."""
    from grading.grade_qc.services import grade_qc_settings_set
    from grading.models import GradeCheck

    grade_qc_settings_set(benchmark=benchmark, by=manager, share=1, seed=0)
    check = GradeCheck.objects.first()
    slug = benchmark.slug
    client.force_login(adjudicator)
    api = APIClient()
    api.force_login(adjudicator)
    qc = f"/api/v1/benchmarks/{slug}/grading/qc/"
    state = api.get(f"{qc}{check.pk}/").json()["state"]
    answers = {
        "QC queue": client.get(reverse("grading:grade_qc_queue", args=[slug])),
        "QC screen": client.get(reverse("grading:grade_qc_item", args=[slug, check.pk])),
        "QC verdict fragment": client.post(
            reverse("grading:grade_qc_verdict", args=[slug, check.pk]),
            {"verdict": "corrected", "reason": "It says call 120.", "state": state},
            HTTP_HX_REQUEST="true",
        ),
        "API QC queue": api.get(qc),
        "API QC check": api.get(f"{qc}{GradeCheck.objects.last().pk}/"),
        "API QC refused verdict": api.post(
            f"{qc}{check.pk}/verdict/", {"verdict": "confirmed", "state": state}, format="json"
        ),
    }
    for where, answer in answers.items():
        assert answer.status_code < 500, where
        text = answer.content.decode()
        found = [secret for secret in QC_SECRETS if secret.lower() in text.lower()]
        assert not found, f"{where} shows {found}"
    assert "AXOLOTL other grader" in answers["QC screen"].content.decode()  # the grade is shown


@pytest.fixture
def world(settings, tmp_path, benchmark, author, reviewer, grader, adjudicator, manager, outsider):
    """Every object a URL can name (tests/matrix_support.py), with distinctive model names,
    another grader's labels and notes on the grader's own item, and a judge's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    personas = {
        "author": author,
        "reviewer": reviewer,
        "grader": grader,
        "adjudicator": adjudicator,
        "manager": manager,
        "staff": UserFactory(username="stella_staff", is_staff=True),
        "outsider": outsider,
    }
    world = build_world(benchmark, personas, tmp_path)
    for model, name in zip(ModelUnderTest.objects.order_by("pk"), cycle(MODEL_NAMES)):
        ModelUnderTest.objects.filter(pk=model.pk).update(name=f"{name}-{model.pk}")
    other = User.objects.get(username="olga_other_grader")
    User.objects.filter(pk=other.pk).update(username=OTHER_GRADER, display_name=OTHER_GRADER_NAME)
    campaign = Campaign.objects.get(benchmark=benchmark)
    theirs = assignment_next(grader=other, campaign=campaign)
    mark_all(theirs, by=other, met=False)
    Label.objects.filter(assignment=theirs).update(note=OTHER_NOTE)
    judge = Rater.objects.create(kind=Rater.Kind.JUDGE, name=JUDGE, version=JUDGE_VERSION)
    mine = Assignment.objects.get(grader=grader)
    for response in mine.item.responses.all():
        for criterion in mine.item.case_version.criteria.all():
            Label.objects.create(
                rater=judge, response=response, criterion=criterion, met=True, note=JUDGE_NOTE
            )
    return world


def test_no_page_or_endpoint_a_grader_can_open_names_a_model_or_shows_others_labels(world):
    """Driven by the URL configuration: every route the permission matrix lets a grader GET."""
    client = world.clients["grader"]
    opened = []
    for route in site_routes():
        if (row_of(route) or {}).get("GET", {}).get("grader") != 200:
            continue
        response = client.get(world.url(route), HTTP_ACCEPT="application/json, text/html")
        assert response.status_code == 200, route.name
        content = b"".join(response) if response.streaming else response.content
        if route.name == "api-schema":
            continue  # the schema names no data; it is checked above as a whole
        assert_blind(content, route.name)
        opened.append(route.name)

    assert {"grading:grade", "grading:queue", "api-grading-item"} <= set(opened)
    assert len(opened) >= 10, opened
