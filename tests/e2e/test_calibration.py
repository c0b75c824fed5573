"""Browser test of grader quality control, in English and Chinese: a manager reads the graders
page, pauses a grader and mixes calibration items into a campaign with feedback; the grader then
finds the pause notice and their feedback (with the adjudicator's rationale) in their queue."""

import pytest
from playwright.sync_api import Page, expect

from curation.models import Role
from grading.models import Campaign, GraderState
from tests.calibration_support import calibration_with_two_misses, settled_setting
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory


@pytest.fixture
def world(transactional_db):
    benchmark = BenchmarkFactory(slug="cc", name="ClinConsensus")
    people = {}
    for role in (Role.MANAGER, Role.ADJUDICATOR, Role.AUTHOR):
        people[role] = UserFactory(username=f"dr_{role}")
        MembershipFactory(benchmark=benchmark, user=people[role], role=role)
    setting = settled_setting(
        benchmark,
        manager=people[Role.MANAGER],
        adjudicator=people[Role.ADJUDICATOR],
        author=people[Role.AUTHOR],
    )
    calibration_with_two_misses(
        benchmark, setting, manager=people[Role.MANAGER], author=people[Role.AUTHOR]
    )
    return benchmark, people[Role.MANAGER], setting


@pytest.mark.parametrize("browser_locale", ["en-US", "zh-CN"])
def test_manager_pauses_a_grader_and_turns_on_calibration_and_feedback(
    page: Page, login, screenshot, world, browser_locale
):
    _benchmark, manager, setting = world
    lang = browser_locale[:2]
    login(page, manager)
    page.goto("/b/cc/graders/")
    expect(page.locator("#graders-table tbody tr")).to_have_count(3)
    expect(page.locator(f"#grader-{setting.g1.pk}")).to_contain_text("88.9%")
    expect(page.locator(f"#grader-{setting.g3.pk}")).to_contain_text("77.8%")  # flagged
    screenshot(page, f"calibration-graders-{lang}")

    page.click(f"#grader-{setting.g1.pk} a")
    expect(page.locator("h1")).to_contain_text("Dr. One")
    screenshot(page, f"calibration-grader-detail-{lang}")
    page.click(f"form[action$='/graders/{setting.g1.pk}/pause/'] button")
    expect(page.locator(".message.success")).to_be_visible()
    assert GraderState.objects.get(grader=setting.g1).paused

    page.goto("/b/cc/calibration/")
    form = page.locator(f"#campaign-{setting.first.pk} form")
    form.locator("input[name$='-rate']").fill("50")
    form.locator("input[name$='-show_feedback']").check()
    screenshot(page, f"calibration-items-{lang}")
    form.locator("button").click()
    expect(page.locator(".message.success")).to_be_visible()
    campaign = Campaign.objects.get(pk=setting.first.pk)
    assert (campaign.calibration_rate, campaign.show_feedback) == (0.5, True)

    page.context.clear_cookies()
    login(page, setting.g1)
    page.goto("/b/cc/grading/")
    expect(page.locator(".message.info")).to_be_visible()  # paused, politely
    screenshot(page, f"calibration-queue-paused-{lang}")
    page.click("a[href$='/grading/feedback/']")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data")).to_contain_text("Aspirin dose missing.")
    screenshot(page, f"calibration-feedback-{lang}")
