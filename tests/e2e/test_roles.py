"""Each role, logged in through the browser, sees its own work areas and reaches nothing else."""

import pytest
from django.urls import reverse

from curation.models import Role
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory

# Each work area: its navigation key (data-area in base.html), the roles that see it, its URL name.
# Every other role gets 403 there, except the managers of the grade QC queue (they set its share
# from the Manage tabs), in OPENED_WITHOUT_ENTRY.
AREAS = {
    "cases": ({Role.AUTHOR, Role.REVIEWER, Role.MANAGER}, "curation:case_list"),
    "authoring": ({Role.AUTHOR}, "curation:my_cases"),
    "review": ({Role.REVIEWER}, "curation:review_queue"),
    "grading": ({Role.GRADER}, "grading:queue"),
    "adjudication": ({Role.ADJUDICATOR}, "grading:adjudication_queue"),
    "grade_qc": ({Role.ADJUDICATOR}, "grading:grade_qc_queue"),
    "statistics": ({Role.MANAGER}, "grading:stats"),
    "releases": ({Role.MANAGER}, "grading:releases"),
    "runs": ({Role.MANAGER}, "runner:runs"),
    "manage": ({Role.MANAGER}, "curation:manage"),
}
OPENED_WITHOUT_ENTRY = {"grade_qc": {Role.MANAGER}}


@pytest.fixture
def benchmark(transactional_db):
    return BenchmarkFactory(slug="cardio", name="Cardiology consults")


def member(benchmark, *roles: str):
    user = UserFactory(username="_".join(roles))
    for role in roles:
        MembershipFactory(benchmark=benchmark, user=user, role=role)
    return user


def area_keys(page) -> set[str]:
    return set(
        page.locator("nav.areas a[data-area]").evaluate_all("as => as.map(a => a.dataset.area)")
    )


@pytest.mark.parametrize(
    "roles",
    [
        (Role.AUTHOR,),
        (Role.REVIEWER,),
        (Role.GRADER,),
        (Role.ADJUDICATOR,),
        (Role.MANAGER,),
        (Role.GRADER, Role.ADJUDICATOR),
    ],
    ids=lambda roles: "+".join(roles),
)
def test_member_sees_and_reaches_only_the_areas_of_their_roles(page, login, benchmark, roles):
    login(page, member(benchmark, *roles))

    page.goto(reverse("curation:benchmark_home", args=[benchmark.slug]))
    expected = {key for key, (area_roles, _) in AREAS.items() if area_roles.intersection(roles)}
    assert area_keys(page) == expected

    for key, (_, url_name) in AREAS.items():
        response = page.goto(reverse(url_name, args=[benchmark.slug]))
        if key in expected:
            assert response.status == 200, key
            current = page.locator(f'nav.areas a[data-area="{key}"]')
            assert current.get_attribute("aria-current") == "page", key
        elif OPENED_WITHOUT_ENTRY.get(key, set()).intersection(roles):
            assert response.status == 200, key
        else:
            assert response.status == 403, key
            assert page.locator("header.topbar").is_visible(), "the 403 page keeps the layout"


def test_outsider_sees_an_empty_dashboard_and_no_benchmark(page, login, benchmark, screenshot):
    member(benchmark, Role.MANAGER)
    outsider = UserFactory(username="outsider")

    login(page, outsider)

    response = page.goto(reverse("dashboard"))
    assert response.status == 200
    assert page.locator(f'a[href^="/b/{benchmark.slug}/"]').count() == 0
    assert page.locator("nav.areas").count() == 0
    screenshot(page, "dashboard-outsider-en")
    for url in [reverse("curation:benchmark_home", args=[benchmark.slug])] + [
        reverse(url_name, args=[benchmark.slug]) for _, url_name in AREAS.values()
    ]:
        assert page.goto(url).status == 404, url
    screenshot(page, "not-found-en")


def test_anonymous_visitor_is_sent_to_the_login_page(page, live_server, benchmark):
    page.goto(reverse("grading:queue", args=[benchmark.slug]))

    assert page.url.startswith(f"{live_server.url}{reverse('login')}?next=")
    assert page.locator("input[name=password]").is_visible()


@pytest.mark.parametrize("browser_locale", ["zh-CN"])
def test_a_chinese_browser_gets_the_chinese_login_page(page, browser_locale):
    page.goto(reverse("login"))

    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_dashboard_in_english_and_in_chinese(page, login, benchmark, screenshot):
    other = BenchmarkFactory(slug="peds", name="儿科评测基准")
    user = member(benchmark, Role.MANAGER, Role.AUTHOR, Role.GRADER)
    MembershipFactory(benchmark=other, user=user, role=Role.REVIEWER)
    login(page, user)

    page.goto(reverse("dashboard"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(f'a[href^="/b/{benchmark.slug}/"]').count() >= 1
    assert page.locator(f'a[href^="/b/{other.slug}/"]').count() >= 1
    english_heading = page.locator("h1").inner_text()
    screenshot(page, "dashboard-en")

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.url.endswith(reverse("dashboard"))
    assert page.locator("h1").inner_text() != english_heading, "the page is translated"
    screenshot(page, "dashboard-zh-hans")

    page.goto(reverse("curation:benchmark_home", args=[benchmark.slug]))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "benchmark-home-zh-hans")
