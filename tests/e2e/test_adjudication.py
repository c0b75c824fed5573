"""Browser test of adjudication: two graders disagree (labels through the import service), the
item is in the queue, an adjudicator decides with a rationale, and the gold set counts it."""

import io
import json

import pytest
from playwright.sync_api import Page, expect

from curation.models import Role
from grading.label_import import labels_import
from grading.models import AdjudicationItem, Consensus
from tests.factories import (
    BenchmarkFactory,
    CaseFactory,
    CaseVersionFactory,
    CriterionFactory,
    MembershipFactory,
    ModelUnderTestFactory,
    ResponseFactory,
    UserFactory,
)


@pytest.fixture
def setup(transactional_db):
    benchmark = BenchmarkFactory(slug="cc", name="ClinConsensus")
    adjudicator = UserFactory(username="dr_chen")
    MembershipFactory(benchmark=benchmark, user=adjudicator, role=Role.ADJUDICATOR)
    version = CaseVersionFactory(
        case=CaseFactory(benchmark=benchmark, external_id="CC-0007"),
        messages=[
            {
                "role": "user",
                "content": "65岁男性，胸痛两小时，伴出汗。\n\n**我现在该怎么办？**",
            }
        ],
    )
    CriterionFactory(
        version=version,
        key="c01",
        text="建议立即拨打急救电话（120）",
        tags=["axis:accuracy"],
    )
    ResponseFactory(
        case_version=version,
        model=ModelUnderTestFactory(name="gpt-secret"),
        text="您的症状可能是**急性冠脉综合征**。请立即拨打 120，并嚼服阿司匹林 300 mg。",
    )
    rows = [
        {"rater": "dr_wang", "met": True, "note": "明确建议拨打120"},
        {"rater": "dr_li", "met": False, "note": "没有说明为什么要立即就医"},
    ]
    lines = [
        json.dumps(
            {
                "case": "CC-0007",
                "model": "gpt-secret",
                "sample": 0,
                "criterion": "c01",
                "rater_kind": "human",
                **row,
            },
            ensure_ascii=False,
        )
        for row in rows
    ]
    labels_import(benchmark=benchmark, file=io.BytesIO("\n".join(lines).encode()), actor=None)
    return benchmark, adjudicator


def test_adjudicator_decides_a_disagreement_and_the_gold_set_shows_it(
    page: Page, login, setup, screenshot
):
    benchmark, adjudicator = setup
    login(page, adjudicator)
    page.goto(f"/b/{benchmark.slug}/adjudication/")
    row = page.locator("tr", has_text="CC-0007")
    expect(row).to_contain_text("c01")
    expect(page.locator(".areas [data-area=adjudication] .count")).to_contain_text("1")
    screenshot(page, "adjudication-queue-en")

    row.get_by_role("link", name="Adjudicate").click()
    expect(page.get_by_role("heading", name="Criterion c01")).to_be_visible()
    expect(page.get_by_text("Grader 1", exact=True)).to_be_visible()
    expect(page.get_by_text("Grader 2", exact=True)).to_be_visible()
    expect(page.get_by_text("没有说明为什么要立即就医")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("gpt-secret")
    expect(page.locator("body")).not_to_contain_text("dr_wang")
    expect(page.locator(".response-text strong")).to_have_text("急性冠脉综合征")
    screenshot(page, "adjudication-item-en")

    # No rationale: refused, nothing decided, the choice kept.
    page.get_by_label("Met", exact=True).check()
    page.locator("#decision-form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Write the rationale for your decision.")).to_be_visible()
    expect(page.get_by_label("Met", exact=True)).to_be_checked()
    assert not Consensus.objects.exists()
    screenshot(page, "adjudication-refused-en")

    page.get_by_label("Rationale").fill("回答明确建议立即拨打120，满足该标准。")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Decided. The consensus label is in the gold set.")).to_be_visible()
    expect(page.get_by_text("No disagreements to adjudicate")).to_be_visible()

    consensus = Consensus.objects.get()
    assert (consensus.met, consensus.method, consensus.adjudicator) == (
        True,
        Consensus.Method.ADJUDICATED,
        adjudicator,
    )
    assert AdjudicationItem.objects.get().status == AdjudicationItem.Status.DECIDED

    page.get_by_role("link", name="Gold set").first.click()
    expect(page.locator("#method-adjudicated dd")).to_have_text("1")
    expect(page.locator("#open-disagreements dd")).to_have_text("0")
    expect(page.locator(".stat.total dd")).to_have_text("100%")
    screenshot(page, "adjudication-gold-set-en")


@pytest.mark.parametrize("browser_locale", ["zh-CN"])
def test_adjudication_pages_in_chinese(page: Page, login, setup, screenshot):
    benchmark, adjudicator = setup
    login(page, adjudicator)
    page.goto(f"/b/{benchmark.slug}/adjudication/")
    expect(page.locator("h1")).not_to_have_text("Adjudication")
    screenshot(page, "adjudication-queue-zh-hans")
    page.locator("tr", has_text="CC-0007").get_by_role("link").click()
    expect(page.locator("#decision-form")).to_be_visible()
    screenshot(page, "adjudication-item-zh-hans")
    page.goto(f"/b/{benchmark.slug}/gold/")
    screenshot(page, "adjudication-gold-set-zh-hans")


def test_adjudicator_flags_an_ambiguous_criterion(page: Page, login, setup, screenshot):
    benchmark, adjudicator = setup
    login(page, adjudicator)
    page.goto(f"/b/{benchmark.slug}/adjudication/")
    page.locator("tr", has_text="CC-0007").get_by_role("link", name="Adjudicate").click()
    page.get_by_text("Flag the criterion as ambiguous").click()
    page.get_by_label("What makes the criterion ambiguous").fill("“立即”没有界定时间范围。")
    page.get_by_role("button", name="Flag criterion").click()
    expect(page.get_by_text("Criterion flagged as ambiguous.")).to_be_visible()
    assert AdjudicationItem.objects.get().status == AdjudicationItem.Status.FLAGGED
    page.goto(f"/b/{benchmark.slug}/gold/")
    expect(page.locator("table.data")).to_contain_text("“立即”没有界定时间范围。")
    screenshot(page, "adjudication-gold-set-flagged-en")


def test_manager_uploads_labels_previews_and_confirms(page: Page, login, setup, screenshot):
    benchmark, _adjudicator = setup
    manager = UserFactory(username="dr_mei")
    MembershipFactory(benchmark=benchmark, user=manager, role=Role.MANAGER)
    login(page, manager)
    page.goto(f"/b/{benchmark.slug}/gold/")
    page.get_by_role("link", name="Import labels").click()
    label = {
        "case": "CC-0007",
        "model": "gpt-secret",
        "sample": 0,
        "criterion": "c01",
        "rater": "dr_zhao",
        "rater_kind": "human",
        "met": True,
    }
    page.get_by_label("File").set_input_files(
        files=[
            {
                "name": "labels.jsonl",
                "mimeType": "application/json",
                "buffer": json.dumps(label).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".import-report")).to_contain_text("1 to adjudicate")
    screenshot(page, "adjudication-label-import-preview-en")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-done")).to_contain_text("1 labels created")
    page.get_by_role("link", name="Go to the gold set").click()
    expect(page.locator("h1")).to_contain_text("Gold set")
