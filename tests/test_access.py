"""Who may open which area of a benchmark, and what the navigation offers them."""

from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from consilium.navigation import navigation_for
from grading.models import AdjudicationItem, GradeCheck
from grading.selectors import grader_queue
from tests.factories import (
    BenchmarkFactory,
    CaseFactory,
    CaseVersionFactory,
    LabelFactory,
    MembershipFactory,
    UserFactory,
)
from tests.grading_support import approved_version, campaign_over

pytestmark = pytest.mark.django_db

AREAS = {
    "home": "curation:benchmark_home",
    "authoring": "curation:my_cases",
    "review": "curation:review_queue",
    "grading": "grading:queue",
    "adjudication": "grading:adjudication_queue",
    "members": "curation:manage",
    "taxonomy": "curation:taxonomy",
}

PERSONAS = ["author", "reviewer", "grader", "adjudicator", "manager", "outsider", "anonymous"]

# Expected status of every area (rows) for every persona (columns); "login" is a redirect there.
EXPECTED = {
    #               author   reviewer grader   adjud.   manager  outsider anonymous
    "home":         [200,     200,     200,     200,     200,     404,     "login"],
    "authoring":    [200,     403,     403,     403,     403,     404,     "login"],
    "review":       [403,     200,     403,     403,     403,     404,     "login"],
    "grading":      [403,     403,     200,     403,     403,     404,     "login"],
    "adjudication": [403,     403,     403,     200,     403,     404,     "login"],
    "members":      [403,     403,     403,     403,     200,     404,     "login"],
    "taxonomy":     [403,     403,     403,     403,     200,     404,     "login"],
}  # fmt: skip

CASES = [
    pytest.param(area, persona, expected, id=f"{area}-{persona}")
    for area, row in EXPECTED.items()
    for persona, expected in zip(PERSONAS, row, strict=True)
]


@pytest.fixture
def login_as(client, request):
    def login(persona: str):
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return login


@pytest.mark.parametrize(("area", "persona", "expected"), CASES)
def test_area_access_by_persona(login_as, benchmark, area, persona, expected):
    client = login_as(persona)
    url = reverse(AREAS[area], args=[benchmark.slug])

    response = client.get(url)

    if expected == "login":
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("area", ["home", "authoring", "members"])
def test_unknown_benchmark_is_404_even_for_a_member_elsewhere(client, manager, area):
    client.force_login(manager)

    response = client.get(reverse(AREAS[area], args=["no-such-benchmark"]))

    assert response.status_code == 404


@pytest.mark.parametrize("area", list(AREAS))
def test_area_pages_refuse_post(client, benchmark, area):
    person = UserFactory()
    for role in ["author", "reviewer", "grader", "adjudicator", "manager"]:
        MembershipFactory(benchmark=benchmark, user=person, role=role)
    client.force_login(person)

    response = client.post(reverse(AREAS[area], args=[benchmark.slug]))

    assert response.status_code == 405


def _nav_keys(response) -> list[str]:
    return [entry.key for entry in response.context["nav"].entries]


@pytest.mark.parametrize(
    ("persona", "keys"),
    [
        ("author", ["cases", "authoring"]),
        ("reviewer", ["cases", "review"]),
        ("grader", ["grading"]),
        ("adjudicator", ["adjudication", "grade_qc"]),
        ("manager", ["cases", "statistics", "releases", "runs", "manage"]),
    ],
)
def test_nav_shows_exactly_the_entries_of_the_users_roles(
    client, request, benchmark, persona, keys
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("curation:benchmark_home", args=[benchmark.slug]))

    assert _nav_keys(response) == keys
    html = response.content.decode()
    for key in [
        "cases",
        "authoring",
        "review",
        "grading",
        "adjudication",
        "statistics",
        "releases",
        "manage",
    ]:
        assert (f'data-area="{key}"' in html) == (key in keys)


def test_nav_of_a_person_with_several_roles_follows_role_order(client, benchmark):
    person = UserFactory()
    for role in ["manager", "grader", "author"]:
        MembershipFactory(benchmark=benchmark, user=person, role=role)
    client.force_login(person)

    response = client.get(reverse("curation:benchmark_home", args=[benchmark.slug]))

    assert _nav_keys(response) == [
        "cases",
        "authoring",
        "grading",
        "statistics",
        "releases",
        "runs",
        "manage",
    ]


def test_nav_counts_open_work_and_marks_the_current_area(client, benchmark, author, reviewer):
    mine = CaseVersionFactory(case=CaseFactory(benchmark=benchmark), author=author)
    CaseVersionFactory(case=CaseFactory(benchmark=benchmark, status="approved"), author=author)
    CaseVersionFactory(case=CaseFactory(benchmark=benchmark, status="in_review"), author=author)
    MembershipFactory(benchmark=benchmark, user=author, role="reviewer")
    client.force_login(author)

    response = client.get(reverse("curation:my_cases", args=[benchmark.slug]))

    entries = {entry.key: entry for entry in response.context["nav"].entries}
    assert entries["authoring"].count == 1  # the draft; approved and in-review wait on others
    assert entries["review"].count == 0  # nobody reviews their own case
    assert entries["authoring"].current
    assert not entries["cases"].current  # the deepest matching entry is the current one
    assert not entries["review"].current
    assert 'aria-current="page"' in response.content.decode()
    assert mine.case.external_id in response.content.decode()


def test_nav_of_a_member_without_the_role_stays_on_a_403_page(client, benchmark, author):
    client.force_login(author)

    response = client.get(reverse("curation:manage", args=[benchmark.slug]))

    assert response.status_code == 403
    assert _nav_keys(response) == ["cases", "authoring"]


def test_outsider_404_page_does_not_reveal_the_benchmark(client, benchmark, outsider):
    client.force_login(outsider)

    response = client.get(reverse("curation:benchmark_home", args=[benchmark.slug]))

    assert response.status_code == 404
    assert benchmark.name not in response.content.decode()


def test_dashboard_lists_each_benchmark_with_roles_and_areas(client, benchmark, author):
    other = BenchmarkFactory(name="临床共识评测基准")
    MembershipFactory(benchmark=other, user=author, role="grader")
    MembershipFactory(benchmark=other, user=author, role="manager")
    CaseVersionFactory(case=CaseFactory(benchmark=benchmark), author=author)
    client.force_login(author)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    cards = {card.benchmark.slug: card for card in response.context["cards"]}
    assert [role.value for role in cards[benchmark.slug].roles] == ["author"]
    assert [role.value for role in cards[other.slug].roles] == ["grader", "manager"]
    assert [(e.key, e.count) for e in cards[benchmark.slug].entries] == [
        ("cases", None),
        ("authoring", 1),
    ]
    assert [e.key for e in cards[other.slug].entries] == [
        "cases",
        "grading",
        "statistics",
        "releases",
        "runs",
        "manage",
    ]
    html = response.content.decode()
    assert "临床共识评测基准" in html
    assert reverse("curation:my_cases", args=[benchmark.slug]) in html
    assert reverse("curation:manage", args=[other.slug]) in html


def test_dashboard_without_membership_says_to_ask_a_manager(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert response.context["cards"] == []
    assert "Ask a manager" in response.content.decode()


def test_dashboard_query_count_does_not_grow_with_benchmarks(client, django_assert_max_num_queries):
    person = UserFactory()
    for _ in range(5):
        bench = BenchmarkFactory()
        for role in ["author", "reviewer", "manager"]:
            MembershipFactory(benchmark=bench, user=person, role=role)
        CaseVersionFactory(case=CaseFactory(benchmark=bench), author=person)
    client.force_login(person)

    # session, user, the user's memberships (read once for the cards and the header), open counts
    with django_assert_max_num_queries(4):
        response = client.get(reverse("dashboard"))

    assert len(response.context["cards"]) == 5


def _grading_and_adjudication_work(benchmark, person, n):
    """`person` grades and adjudicates in `benchmark`, with a campaign of `n` items waiting for
    them, `2n` open disagreements and `3n` grades of another grader to check; besides, work that
    is not theirs or no longer open (a decided item, their own grade, a checked grade)."""
    for role in ["grader", "adjudicator"]:
        MembershipFactory(benchmark=benchmark, user=person, role=role)
    boss = UserFactory()
    MembershipFactory(benchmark=benchmark, user=boss, role="manager")
    other = UserFactory()
    MembershipFactory(benchmark=benchmark, user=other, role="grader")
    versions = [approved_version(benchmark, f"DQ-{k}") for k in range(n)]
    campaign_over(benchmark, versions, by=boss, graders=[person], graders_per_item=1)
    pairs = [
        (response, criterion)
        for version in versions
        for response in version.responses.all()
        for criterion in version.criteria.all()
    ]
    now = timezone.now()
    for k, (response, criterion) in enumerate(pairs[: 2 * n + 1]):
        AdjudicationItem.objects.create(
            benchmark=benchmark,
            response=response,
            criterion=criterion,
            opened_at=now,
            status="decided" if k == 2 * n else "open",
        )
    for k, (response, criterion) in enumerate(pairs[: 3 * n + 2]):
        checked = k == 3 * n + 1
        GradeCheck.objects.create(
            benchmark=benchmark,
            label=LabelFactory(response=response, criterion=criterion),
            grader=person if k == 3 * n else other,
            sampled_at=now,
            **(
                {"verdict": "confirmed", "reviewer": boss, "checked_at": now, "grader_met": True}
                if checked
                else {}
            ),
        )


def test_dashboard_query_count_of_a_grader_and_adjudicator_does_not_grow_with_benchmarks(
    client, django_assert_max_num_queries
):
    person = UserFactory()
    expected = {}
    for n in range(1, 6):
        bench = BenchmarkFactory()
        _grading_and_adjudication_work(bench, person, n)
        expected[bench.slug] = {"grading": n, "adjudication": 2 * n, "grade_qc": 3 * n}
    client.force_login(person)

    # session, user, memberships, then one query per area over all benchmarks: the grader's
    # work, the open disagreements, the grades to check (no curation role: no curation count)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("dashboard"))

    shown = {
        card.benchmark.slug: {entry.key: entry.count for entry in card.entries}
        for card in response.context["cards"]
    }
    assert shown == expected


def test_the_header_counts_the_grading_work_of_its_benchmark_only(
    rf, benchmark, django_assert_num_queries
):
    person = UserFactory()
    _grading_and_adjudication_work(benchmark, person, 2)
    _grading_and_adjudication_work(BenchmarkFactory(), person, 3)
    url = reverse("curation:benchmark_home", args=[benchmark.slug])
    request = rf.get(url)
    request.user, request.resolver_match = person, resolve(url)

    # the memberships, the grader's work, the open disagreements, the grades to check
    with django_assert_num_queries(4):
        nav = navigation_for(request)
    # the grading queue page passes the queue it read: not counted again (and the memberships
    # are kept on the user of the request)
    rows = grader_queue(benchmark=benchmark, grader=person)
    with django_assert_num_queries(2):
        nav_of_queue = navigation_for(request, grader_rows=rows)

    expected = {"grading": 2, "adjudication": 4, "grade_qc": 6}
    assert {entry.key: entry.count for entry in nav.entries} == expected
    assert {entry.key: entry.count for entry in nav_of_queue.entries} == expected


def test_benchmark_home_shows_roles_and_case_counts_by_status(client, benchmark, manager):
    MembershipFactory(benchmark=benchmark, user=manager, role="author")
    for status in ["draft", "draft", "in_review", "approved"]:
        CaseFactory(benchmark=benchmark, status=status)
    CaseFactory(status="approved")  # another benchmark's case does not count
    client.force_login(manager)

    response = client.get(reverse("curation:benchmark_home", args=[benchmark.slug]))

    counts = {row.status.value: row.count for row in response.context["status_counts"]}
    assert counts == {
        "draft": 2,
        "in_review": 1,
        "changes_requested": 0,
        "approved": 1,
        "retired": 0,
    }
    assert response.context["total_cases"] == 4
    assert [role.value for role in response.context["roles"]] == ["author", "manager"]
    html = response.content.decode()
    assert benchmark.name in html
    assert 'class="badge role-manager"' in html


def test_benchmark_home_query_count_is_fixed(
    client, benchmark, manager, django_assert_max_num_queries
):
    for role in ["author", "reviewer", "grader", "adjudicator"]:
        MembershipFactory(benchmark=benchmark, user=manager, role=role)
    for status in ["draft", "in_review", "approved"] * 5:
        CaseFactory(benchmark=benchmark, status=status)
    client.force_login(manager)

    # session, user, memberships (read once for the access check and the header), status counts,
    # open curation counts, grading count (the queue's sums, whether or not the grader has
    # campaigns), adjudication and grade QC counts (header)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("curation:benchmark_home", args=[benchmark.slug]))

    assert response.status_code == 200


def test_review_queue_lists_others_cases_in_review_oldest_first(client, benchmark, reviewer):
    author = UserFactory()
    now = timezone.now()
    newer = CaseVersionFactory(
        case=CaseFactory(benchmark=benchmark, status="in_review"),
        author=author,
        submitted_at=now,
    )
    older = CaseVersionFactory(
        case=CaseFactory(benchmark=benchmark, status="in_review"),
        author=author,
        submitted_at=now - timedelta(days=2),
    )
    CaseVersionFactory(case=CaseFactory(benchmark=benchmark, status="in_review"), author=reviewer)
    CaseVersionFactory(case=CaseFactory(benchmark=benchmark, status="draft"), author=author)
    client.force_login(reviewer)

    response = client.get(reverse("curation:review_queue", args=[benchmark.slug]))

    assert [case.pk for case in response.context["page"]] == [older.case_id, newer.case_id]


def test_my_authoring_lists_only_cases_whose_current_version_i_wrote(client, benchmark, author):
    mine = CaseVersionFactory(case=CaseFactory(benchmark=benchmark), author=author)
    CaseVersionFactory(case=CaseFactory(benchmark=benchmark), author=UserFactory())
    client.force_login(author)

    response = client.get(reverse("curation:my_cases", args=[benchmark.slug]))

    assert [case.pk for case in response.context["page"]] == [mine.case_id]
    assert 'class="badge status-draft"' in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "url_name", "text"),
    [
        ("grader", "grading:queue", "managers create"),
        ("adjudicator", "grading:adjudication_queue", "managers create"),
        ("reviewer", "curation:review_queue", "Nothing to review"),
        ("author", "curation:my_cases", "You have not written any case yet"),
    ],
)
def test_empty_queues_say_so(client, request, benchmark, persona, url_name, text):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(url_name, args=[benchmark.slug]))

    assert text in response.content.decode()


def test_a_disallowed_host_gets_the_400_page_not_a_500(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
