"""A grader grades a whole item with the keyboard alone; a failed save is shown and retried."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Route, expect

from curation.models import Role
from grading.models import Assignment, Label
from grading.selectors import letters
from grading.services.assignment import assignment_next
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory
from tests.grading_support import approved_version, campaign_over

CHINESE_CASE = [
    {
        "role": "user",
        "content": "我爸今年58岁，有高血压。今天早上突然胸口像压了块大石头，出了一身冷汗，"
        "已经快半小时了。我们现在该怎么办？",
    }
]


@pytest.fixture
def grading(transactional_db):
    """A benchmark with one approved case (3 criteria, 3 responses), a campaign over it graded
    once, its grader and their assignment."""
    benchmark = BenchmarkFactory(slug="cardio", name="Cardiology consults")
    grader = UserFactory(username="gao_grader")
    manager = UserFactory(username="mei_manager")
    MembershipFactory(benchmark=benchmark, user=grader, role=Role.GRADER)
    MembershipFactory(benchmark=benchmark, user=manager, role=Role.MANAGER)
    version = approved_version(
        benchmark,
        "CC-0001",
        criteria=3,
        messages=CHINESE_CASE,
        response_text="**立即拨打120**，让他停止活动、坐下休息。\n\n- 不要自行开车\n- 嚼服阿司匹林",
    )
    campaign = campaign_over(benchmark, [version], by=manager, graders=[grader], graders_per_item=1)
    assignment = assignment_next(grader=grader, campaign=campaign)
    return benchmark, grader, assignment


def grade_url(benchmark, assignment) -> str:
    return reverse("grading:grade", args=[benchmark.slug, assignment.pk])


def cell(page, key: str, letter: str):
    return page.locator(f"#cell-{key}-{letter}")


def open_grading(page, benchmark, assignment, saves=None) -> None:
    """Opens the grading screen and waits for its script to take the keyboard (the first cell is
    focused). `saves`, a route handler, sees every save from the start: it is in place before
    the page loads, so no save can leave before it."""
    if saves:
        page.route("**/cells/**", saves)
    page.goto(grade_url(benchmark, assignment))
    expect(cell(page, "c01", "A")).to_be_focused()


def labels_by_cell(assignment) -> dict[tuple[str, str], tuple[bool, str]]:
    letter_of = {response: letter for letter, response in letters(assignment).items()}
    return {
        (label.criterion.key, letter_of[label.response_id]): (label.met, label.note)
        for label in Label.objects.filter(assignment=assignment).select_related("criterion")
    }


def test_grader_grades_a_whole_item_with_the_keyboard_alone(page, login, grading, screenshot):
    benchmark, grader, assignment = grading
    login(page, grader)
    open_grading(page, benchmark, assignment)
    expect(cell(page, "c01", "A")).to_have_class(re.compile(r"\bis-active\b"))

    # Row c01: met, not met, met (each mark moves to the next cell on the right).
    for key in ("1", "0", "y"):
        page.keyboard.press(key)
    expect(cell(page, "c01", "C")).to_have_class(re.compile(r"\bis-met\b"))
    # Row c02: all not met, with "n".
    for _ in range(3):
        page.keyboard.press("n")
    # Row c03: met everywhere; then back up to c02 · B to change it and write a note.
    for _ in range(3):
        page.keyboard.press("1")
    page.keyboard.press("k")
    page.keyboard.press("h")
    expect(cell(page, "c02", "B")).to_have_class(re.compile(r"\bis-active\b"))
    page.keyboard.press("y")  # c02 · B becomes met; the cursor moves on to c02 · C
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("e")
    page.keyboard.type("提到了嚼服阿司匹林")
    page.keyboard.press("Enter")
    expect(cell(page, "c02", "B").locator(".note-preview")).to_contain_text("提到了嚼服阿司匹林")
    expect(page.locator("[data-marked-count]")).to_have_text("9")
    screenshot(page, "grading-keyboard-done")

    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator(".message.success")).to_contain_text("Submitted")
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert assignment.seconds_spent >= 0
    assert labels_by_cell(assignment) == {
        ("c01", "A"): (True, ""),
        ("c01", "B"): (False, ""),
        ("c01", "C"): (True, ""),
        ("c02", "A"): (False, ""),
        ("c02", "B"): (True, "提到了嚼服阿司匹林"),
        ("c02", "C"): (False, ""),
        ("c03", "A"): (True, ""),
        ("c03", "B"): (True, ""),
        ("c03", "C"): (True, ""),
    }


def test_submit_with_unmarked_cells_lists_them(page, login, grading):
    benchmark, grader, assignment = grading
    login(page, grader)
    open_grading(page, benchmark, assignment)
    page.keyboard.press("1")
    expect(cell(page, "c01", "A")).to_have_class(re.compile(r"\bis-met\b"))

    with page.expect_navigation():
        page.keyboard.press("Control+Enter")

    expect(page.locator("#missing-summary")).to_contain_text("8 cells are not marked yet")
    expect(page.locator("#missing-summary a")).to_have_count(8)
    expect(cell(page, "c01", "B")).to_have_class(re.compile(r"\bis-missing\b"))
    expect(cell(page, "c01", "B")).to_have_class(re.compile(r"\bis-active\b"))
    assert Assignment.objects.get(pk=assignment.pk).submitted_at is None


def saved_cell(route: Route) -> str:
    """The cell a save is for, as "c01-A" (its URL ends in .../<letter>/<criterion key>/)."""
    letter, key = route.request.url.rstrip("/").split("/")[-2:]
    return f"{key}-{letter}"


def held_routes(page, held: dict[str, Route], *names: str) -> None:
    """Waits until the page's saves of the cells `names` (such as "c01-B") are held by the test's
    route: Playwright hands requests to routes while the test waits on the page."""
    for _ in range(500):
        if all(name in held for name in names):
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"the page never sent {names}: held {sorted(held)}")


def test_a_mark_answered_while_its_note_is_written_loses_no_key(page, login, grading):
    benchmark, grader, assignment = grading
    held: dict[str, Route] = {}

    def hold_the_first_mark(route: Route) -> None:
        if route.request.method == "POST" and not held:
            held[saved_cell(route)] = route  # answered once the grader is writing the cell's note
        else:
            route.continue_()

    login(page, grader)
    open_grading(page, benchmark, assignment, saves=hold_the_first_mark)
    page.keyboard.press("1")  # c01 · A met, its save held; the cursor moves on to c01 · B
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("e")
    page.keyboard.type("提到了")
    held_routes(page, held, "c01-A")  # the save may leave only now, on a loaded machine
    held["c01-A"].continue_()

    marked = cell(page, "c01", "A")
    expect(marked).to_have_class(re.compile(r"\bis-met\b"))
    expect(marked).not_to_have_class(re.compile(r"\bis-pending\b"))
    page.keyboard.type("嚼服阿司匹林")
    page.keyboard.press("Enter")
    expect(marked.locator(".note-preview")).to_contain_text("提到了嚼服阿司匹林")
    assert labels_by_cell(assignment) == {("c01", "A"): (True, "提到了嚼服阿司匹林")}


def test_a_note_finished_as_its_cells_first_mark_is_saved_is_saved_whole(page, login, grading):
    """CI, loaded machine: a cell's first mark, queued behind slow saves, was sent while the
    grader wrote its note ("提到了" so far) and answered just before Enter. Until htmx settles the
    swapped-in cell (a 20 ms timer, late on a loaded machine) it wears the old cell's classes, so
    the cell looked unmarked and the note's save was refused ("mark it first"): the rest of the
    note never reached the server. The page's clock is paused to hold htmx in that moment."""
    benchmark, grader, assignment = grading
    held: dict[str, Route] = {}

    def hold_the_first_saves(route: Route) -> None:
        name = saved_cell(route)
        if route.request.method == "POST" and name in ("c01-A", "c01-B") and name not in held:
            held[name] = route
        else:
            route.continue_()

    page.clock.install()
    login(page, grader)
    open_grading(page, benchmark, assignment, saves=hold_the_first_saves)
    page.keyboard.press("1")  # c01 · A met: its save is held, the queue waits behind it
    page.keyboard.press("n")  # c01 · B not met, its first mark: queued
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("e")
    page.keyboard.type("提到了")
    held_routes(page, held, "c01-A")
    held["c01-A"].continue_()
    held_routes(page, held, "c01-B")  # sent now, with the note as far as it is written
    page.keyboard.type("嚼服阿司匹林")
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)  # the page's timers stop firing
    held["c01-B"].continue_()

    written = cell(page, "c01", "B")
    expect(written.locator(".note-preview")).to_have_text(re.compile("提到了$"))  # swapped in
    page.keyboard.press("Enter")
    page.clock.resume()

    expect(written).to_have_class(re.compile(r"\bis-not-met\b"))
    expect(written).not_to_have_class(re.compile(r"\bis-pending\b"))
    expect(written.locator(".note-preview")).to_contain_text("提到了嚼服阿司匹林")
    assert labels_by_cell(assignment) == {
        ("c01", "A"): (True, ""),
        ("c01", "B"): (False, "提到了嚼服阿司匹林"),
    }


def test_a_failed_save_is_shown_and_retried_until_it_succeeds(page, login, grading):
    benchmark, grader, assignment = grading
    failures = {"left": 2}

    def flaky(route: Route) -> None:
        if route.request.method == "POST" and failures["left"]:
            failures["left"] -= 1
            route.fulfill(status=503, body="Service unavailable")
        else:
            route.continue_()

    login(page, grader)
    open_grading(page, benchmark, assignment, saves=flaky)

    page.keyboard.press("1")

    failed = cell(page, "c01", "A")
    expect(failed).to_have_class(re.compile(r"\bis-failed\b"))
    expect(failed.locator(".cell-status")).to_contain_text("Not saved")
    assert not Label.objects.exists()
    # Submitting now is refused in the page: a mark is still unsaved.
    page.keyboard.press("Control+Enter")
    expect(page.locator(".submit-notice")).to_contain_text("still being saved")

    # Retried after 1 s, fails again, retried after 2 s more, and saved.
    expect(failed).to_have_class(re.compile(r"\bis-met\b"), timeout=8_000)
    expect(failed).not_to_have_class(re.compile(r"\bis-failed\b"))
    expect(failed.locator(".cell-status")).to_contain_text("Saved")
    assert failures["left"] == 0
    [label] = Label.objects.all()
    assert label.met is True
    assert labels_by_cell(assignment) == {("c01", "A"): (True, "")}
