"""Browser test of grade QC: a grader's submitted grades are sampled; the QC reviewer (an
adjudicator) confirms one by keyboard, is refused a correction without a reason, corrects the
other with one, and sees the queue count drop to zero and the correction recorded."""

import pytest
from playwright.sync_api import Page, expect

from curation.models import AuditEvent, Role
from grading.grade_qc.services import grade_qc_settings_set
from grading.models import GradeCheck
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory
from tests.test_grade_qc import MODEL_NAME, submitted_grades


@pytest.fixture
def setup(transactional_db):
    benchmark = BenchmarkFactory(slug="cc", name="ClinConsensus")
    people = {}
    for username, role in [
        ("dr_chen", Role.ADJUDICATOR),
        ("gao_grader", Role.GRADER),
        ("mei_manager", Role.MANAGER),
    ]:
        people[role] = UserFactory(username=username)
        MembershipFactory(benchmark=benchmark, user=people[role], role=role)
    submitted_grades(benchmark, people[Role.MANAGER], [people[Role.GRADER]], cases=1, criteria=2)
    grade_qc_settings_set(benchmark=benchmark, by=people[Role.MANAGER], share=1 / 3, seed=5)
    assert GradeCheck.objects.count() == 2
    return benchmark, people[Role.ADJUDICATOR]


def test_reviewer_confirms_one_grade_and_corrects_another(page: Page, login, setup, screenshot):
    benchmark, reviewer = setup
    login(page, reviewer)
    page.goto(f"/b/{benchmark.slug}/grade-qc/")
    count = page.locator(".areas [data-area=grade_qc] .count")
    expect(count).to_contain_text("2 open items")
    expect(page.get_by_text("2 grades for you to check")).to_be_visible()
    screenshot(page, "grade-qc-queue-en")

    page.get_by_role("link", name="Check").first.click()
    expect(page.get_by_role("heading", name="The grader's grade")).to_be_visible()
    expect(page.locator("#grader-mark")).to_have_text("Met")
    expect(page.locator("body")).not_to_contain_text(MODEL_NAME)
    expect(page.locator("body")).not_to_contain_text("gao_grader")
    screenshot(page, "grade-qc-item-en")

    page.locator("main h1").click()  # keys go to the page, not a button
    page.keyboard.press("c")
    expect(page.get_by_text("Confirmed.", exact=True)).to_be_visible()
    screenshot(page, "grade-qc-confirmed-en")
    page.keyboard.press("n")

    expect(page.locator("#verdict-form")).to_be_visible()
    page.get_by_role("button", name="Correct to not met").click()
    expect(page.get_by_text("Say why you correct the grade.")).to_be_visible()
    assert GradeCheck.objects.filter(verdict="").count() == 1
    screenshot(page, "grade-qc-refused-en")

    page.locator("main h1").click()
    page.keyboard.press("x")
    expect(page.get_by_label("Reason")).to_be_focused()
    page.keyboard.type("回答没有提到拨打120。")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("Corrected to not met.")).to_be_visible()
    expect(page.get_by_text("回答没有提到拨打120。")).to_be_visible()

    page.get_by_role("link", name="Back to the queue").click()
    expect(count).to_have_count(0)  # no open work, no count badge
    expect(page.get_by_text("Nothing to check right now.")).to_be_visible()
    expect(page.locator("[data-qc-corrected]")).to_have_text("1")
    screenshot(page, "grade-qc-queue-done-en")

    confirmed = GradeCheck.objects.get(verdict="confirmed")
    corrected = GradeCheck.objects.get(verdict="corrected")
    assert (confirmed.reviewer, corrected.reviewer) == (reviewer, reviewer)
    assert (corrected.grader_met, corrected.corrected_met) == (True, False)
    assert corrected.reason == "回答没有提到拨打120。"
    assert corrected.label.met is True  # the grader's label stays
    assert AuditEvent.objects.filter(action="grade_qc.corrected", actor=reviewer).exists()


@pytest.mark.parametrize("browser_locale", ["zh-CN"])
def test_grade_qc_pages_in_chinese(page: Page, login, setup, screenshot):
    benchmark, reviewer = setup
    login(page, reviewer)
    page.goto(f"/b/{benchmark.slug}/grade-qc/")
    expect(page.locator("h1")).not_to_have_text("Grade QC")
    screenshot(page, "grade-qc-queue-zh-hans")
    page.locator("td.actions a").first.click()
    expect(page.locator("#verdict-form")).to_be_visible()
    screenshot(page, "grade-qc-item-zh-hans")
