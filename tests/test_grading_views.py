"""Grading pages: who may see and do what, what each request changes, and the fixed query count
of the grading screen and of saving a mark."""

import pytest
from django.urls import reverse

from curation.models import AuditEvent, Role
from grading.models import Assignment, Campaign, Label, ModelUnderTest
from grading.selectors import grader_queue, letters
from grading.services.assignment import assignment_next
from grading.services.calibration import grader_pause
from tests.factories import (
    BenchmarkFactory,
    FacetFactory,
    MembershipFactory,
    ModelUnderTestFactory,
    ResponseFactory,
    TermFactory,
    UserFactory,
)
from tests.grading_support import approved_version, campaign_over, mark_all

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def campaign(benchmark, manager, grader, author):
    second = UserFactory(username="second_grader")
    MembershipFactory(benchmark=benchmark, user=second, role=Role.GRADER)
    versions = [approved_version(benchmark, f"CC-{n:04d}", author=author) for n in (1, 2)]
    return campaign_over(benchmark, versions, by=manager, graders=[grader, second])


@pytest.fixture
def assignment(campaign, grader):
    return assignment_next(grader=grader, campaign=campaign)


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def persona(request, name):
    return None if name == "anonymous" else request.getfixturevalue(name)


def grading_urls(benchmark, assignment) -> dict[str, str]:
    slug = benchmark.slug
    return {
        "queue": reverse("grading:queue", args=[slug]),
        "next": reverse("grading:next", args=[slug]),
        "grade": reverse("grading:grade", args=[slug, assignment.pk]),
        "mark": reverse("grading:mark", args=[slug, assignment.pk, "A", "c01"]),
        "submit": reverse("grading:submit", args=[slug, assignment.pk]),
    }


GRADER_PAGES = [
    ("queue", "get"),
    ("next", "post"),
    ("grade", "get"),
    ("mark", "post"),
    ("submit", "post"),
]


# --- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "method"), GRADER_PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [("author", 403), ("manager", 403), ("adjudicator", 403), ("outsider", 404)],
)
def test_grading_pages_are_for_graders(
    request, client, benchmark, assignment, page, method, who, status
):
    login(client, persona(request, who))
    response = getattr(client, method)(grading_urls(benchmark, assignment)[page])
    assert response.status_code == status
    assert Label.objects.count() == 0
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize(("page", "method"), GRADER_PAGES)
def test_grading_pages_send_anonymous_visitors_to_log_in(
    client, benchmark, assignment, page, method
):
    response = getattr(client, method)(grading_urls(benchmark, assignment)[page])
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("page", "method"), GRADER_PAGES)
def test_grading_pages_refuse_the_wrong_method(client, benchmark, assignment, grader, page, method):
    login(client, grader)
    wrong = "post" if method == "get" else "get"
    response = getattr(client, wrong)(grading_urls(benchmark, assignment)[page])
    assert response.status_code == 405


@pytest.mark.parametrize("page", ["grade", "mark", "submit"])
def test_another_graders_item_is_not_found(request, client, benchmark, assignment, page):
    other = UserFactory(username="other_grader")
    MembershipFactory(benchmark=benchmark, user=other, role=Role.GRADER)
    login(client, other)
    method = "get" if page == "grade" else "post"
    response = getattr(client, method)(grading_urls(benchmark, assignment)[page], {"met": "1"})
    assert response.status_code == 404
    assert Label.objects.count() == 0
    assert Assignment.objects.get(pk=assignment.pk).submitted_at is None


# --- the queue and "next" --------------------------------------------------------------------


def test_queue_lists_the_graders_campaigns_with_their_work(client, benchmark, grader, campaign):
    login(client, grader)
    response = client.get(reverse("grading:queue", args=[benchmark.slug]))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row.name, row.available, row.submitted, row.unfinished_id) == ("Round 1", 2, 0, None)
    assert b"Next item" in response.content


def test_queue_does_not_count_cases_the_grader_wrote(client, benchmark, manager, grader):
    mine = approved_version(benchmark, "CC-0500", author=grader)
    theirs = approved_version(benchmark, "CC-0501", author=UserFactory())
    campaign_over(benchmark, [mine, theirs], by=manager, graders=[grader], graders_per_item=1)
    login(client, grader)
    response = client.get(reverse("grading:queue", args=[benchmark.slug]))
    [row] = response.context["rows"]
    assert row.available == 1


def test_queue_and_its_header_count_in_a_fixed_number_of_queries(
    client, benchmark, manager, grader, django_assert_max_num_queries
):
    versions = [
        approved_version(benchmark, f"CC-06{n:02d}", author=UserFactory()) for n in range(6)
    ]
    mine = approved_version(benchmark, "CC-0699", author=grader)
    second = UserFactory()
    MembershipFactory(benchmark=benchmark, user=second, role=Role.GRADER)
    campaign = campaign_over(benchmark, [*versions, mine], by=manager, graders=[grader, second])
    held = assignment_next(grader=grader, campaign=campaign)  # still needs a second grader
    login(client, grader)
    # session, user, access, notice (state, feedback); the queue: campaigns, own assignments, open
    # items, own cases, open items of own cases; header: memberships (its counts are the queue's).
    with django_assert_max_num_queries(11):
        response = client.get(reverse("grading:queue", args=[benchmark.slug]))
    [row] = response.context["rows"]
    # 7 items: neither the one the grader holds nor their own case's.
    assert (row.available, row.unfinished_id) == (5, held.pk)
    grading = next(e for e in response.context["nav"].entries if e.key == "grading")
    assert grading.count == 6


def test_queue_is_empty_for_a_grader_in_no_campaign(client, benchmark, grader):
    login(client, grader)
    response = client.get(reverse("grading:queue", args=[benchmark.slug]))
    assert response.status_code == 200
    assert b"No grading work for you yet" in response.content


def test_navigation_counts_the_graders_open_work(client, benchmark, grader, assignment):
    login(client, grader)
    response = client.get(reverse("grading:queue", args=[benchmark.slug]))
    grading = next(e for e in response.context["nav"].entries if e.key == "grading")
    assert grading.count == 2  # the unfinished item and the one still waiting


def test_next_hands_out_an_item_and_opens_it(client, benchmark, grader, campaign):
    login(client, grader)
    response = client.post(reverse("grading:next", args=[benchmark.slug]))
    assignment = Assignment.objects.get(grader=grader)
    assert response.status_code == 302
    assert response.url == reverse("grading:grade", args=[benchmark.slug, assignment.pk])


def test_next_for_one_campaign_of_another_benchmark_is_not_found(
    client, benchmark, grader, campaign
):
    login(client, grader)
    foreign = Campaign.objects.create(
        benchmark=BenchmarkFactory(), name="Elsewhere", created_by=grader
    )
    response = client.post(reverse("grading:next", args=[benchmark.slug]), {"campaign": foreign.pk})
    assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_next_without_work_says_so(client, benchmark, grader):
    login(client, grader)
    response = client.post(reverse("grading:next", args=[benchmark.slug]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("grading:queue", args=[benchmark.slug])
    assert b"No item is waiting for you right now." in response.content


# --- the grading screen --------------------------------------------------------------------


def test_grading_screen_shows_the_case_and_the_responses_by_letter(
    client, benchmark, grader, assignment
):
    login(client, grader)
    response = client.get(reverse("grading:grade", args=[benchmark.slug, assignment.pk]))
    assert response.status_code == 200
    screen = response.context["screen"]
    assert [r.letter for r in screen.responses] == ["A", "B", "C"]
    assert [row.criterion.key for row in screen.rows] == ["c01", "c02", "c03"]
    assert screen.marked == 0
    assert screen.total == 9
    assert screen.reference_answer is None
    assert b"Call emergency services." not in response.content  # the hidden reference answer


def test_grading_screen_shows_the_reference_answer_when_the_campaign_allows(
    client, benchmark, grader, manager, author
):
    version = approved_version(benchmark, "CC-0100", author=author)
    campaign = campaign_over(
        benchmark,
        [version],
        by=manager,
        graders=[grader],
        graders_per_item=1,
        show_reference_answer=True,
    )
    assignment = assignment_next(grader=grader, campaign=campaign)
    login(client, grader)
    response = client.get(reverse("grading:grade", args=[benchmark.slug, assignment.pk]))
    assert b"Call emergency services." in response.content


def test_the_order_of_responses_is_shuffled_per_grader_and_fixed(benchmark, manager, author):
    versions = [approved_version(benchmark, f"CC-{n:04d}", author=author) for n in range(12)]
    graders = []
    for n in range(2):
        user = UserFactory(username=f"g{n}")
        MembershipFactory(benchmark=benchmark, user=user, role=Role.GRADER)
        graders.append(user)
    campaign = campaign_over(benchmark, versions, by=manager, graders=graders)
    orders = set()
    for item in campaign.items.all():
        per_grader = []
        for grader in graders:
            assignment = Assignment.objects.create(
                item=item,
                grader=grader,
                seed=hash((item.pk, grader.pk)) % 2**31,
                claimed_at=item.campaign.created_at,
            )
            assert letters(assignment) == letters(Assignment.objects.get(pk=assignment.pk))
            per_grader.append(tuple(letters(assignment).values()))
        orders.add(tuple(per_grader))
    # Across 12 items, two graders do not always see the same order.
    assert any(first != second for first, second in orders)


def test_a_mark_is_saved_and_its_cell_comes_back(client, benchmark, grader, assignment):
    login(client, grader)
    url = reverse("grading:mark", args=[benchmark.slug, assignment.pk, "B", "c02"])
    response = client.post(url, {"met": "0", "note": "no dose", "seconds": "7"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="cell-c02-B"' in html
    assert "is-not-met" in html
    assert "Saved" in html
    label = Label.objects.get()
    assert (label.met, label.note, label.seconds_spent) == (False, "no dose", 7)
    assert label.response_id == letters(assignment)["B"]
    assert label.criterion.key == "c02"


def test_a_cell_escapes_its_note_and_works_without_javascript(
    client, benchmark, grader, assignment
):
    login(client, grader)
    mark = reverse("grading:mark", args=[benchmark.slug, assignment.pk, "A", "c01"])
    client.post(mark, {"met": "1", "note": '<b onclick="x()">why</b>'}, **HX)
    response = client.get(reverse("grading:grade", args=[benchmark.slug, assignment.pk]))
    html = response.content.decode()
    assert "&lt;b onclick=&quot;x()&quot;&gt;why&lt;/b&gt;" in html
    assert "<b onclick" not in html
    # Each cell is a form of its own, with its CSRF field, posting to its own URL.
    assert html.count('name="csrfmiddlewaretoken"') >= 1 + 2 * 3
    assert f'action="{mark}"' in html


def test_a_mark_without_javascript_returns_to_the_cell(client, benchmark, grader, assignment):
    login(client, grader)
    url = reverse("grading:mark", args=[benchmark.slug, assignment.pk, "A", "c01"])
    response = client.post(url, {"met": "1"})
    grade = reverse("grading:grade", args=[benchmark.slug, assignment.pk])
    assert response.status_code == 302
    assert response.url == f"{grade}#cell-c01-A"
    assert Label.objects.get().met is True


@pytest.mark.parametrize(("letter", "key"), [("D", "c01"), ("a", "c01"), ("A", "c99")])
def test_a_mark_for_a_cell_not_in_the_item_is_not_found(
    client, benchmark, grader, assignment, letter, key
):
    login(client, grader)
    url = reverse("grading:mark", args=[benchmark.slug, assignment.pk, letter, key])
    assert client.post(url, {"met": "1"}, **HX).status_code == 404
    assert not Label.objects.exists()


def test_a_mark_on_a_submitted_item_is_refused_in_the_cell(client, benchmark, grader, assignment):
    mark_all(assignment, by=grader, met=True)
    login(client, grader)
    client.post(reverse("grading:submit", args=[benchmark.slug, assignment.pk]))
    url = reverse("grading:mark", args=[benchmark.slug, assignment.pk, "A", "c01"])
    response = client.post(url, {"met": "0"}, **HX)
    assert response.status_code == 422
    assert "already submitted" in response.content.decode()
    assert set(Label.objects.values_list("met", flat=True)) == {True}


def test_a_bad_mark_value_is_refused_in_the_cell(client, benchmark, grader, assignment):
    login(client, grader)
    url = reverse("grading:mark", args=[benchmark.slug, assignment.pk, "A", "c01"])
    response = client.post(url, {"met": "maybe"}, **HX)
    assert response.status_code == 422
    assert "cell-error" in response.content.decode()
    assert not Label.objects.exists()


def test_submit_with_cells_missing_lists_them(client, benchmark, grader, assignment):
    login(client, grader)
    client.post(
        reverse("grading:mark", args=[benchmark.slug, assignment.pk, "A", "c01"]), {"met": "1"}
    )
    response = client.post(reverse("grading:submit", args=[benchmark.slug, assignment.pk]))
    assert response.status_code == 422
    missing = {(c.key, c.letter) for c in response.context["missing_cells"]}
    assert len(missing) == 8
    assert ("c01", "A") not in missing
    assert "8 cells are not marked yet" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.submitted_at is None


def test_submit_goes_on_to_the_next_item(client, benchmark, grader, assignment):
    mark_all(assignment, by=grader)
    login(client, grader)
    response = client.post(
        reverse("grading:submit", args=[benchmark.slug, assignment.pk]), {"seconds": "30"}
    )
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert assignment.seconds_spent == 30
    following = Assignment.objects.exclude(pk=assignment.pk).get(grader=grader)
    assert response.url == reverse("grading:grade", args=[benchmark.slug, following.pk])


def test_submitting_twice_is_refused(client, benchmark, grader, assignment):
    mark_all(assignment, by=grader)
    login(client, grader)
    url = reverse("grading:submit", args=[benchmark.slug, assignment.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert b"already submitted" in response.content
    assert AuditEvent.objects.filter(action="assignment.submit").count() == 1


def test_a_submitted_item_is_shown_read_only(client, benchmark, grader, assignment):
    mark_all(assignment, by=grader)
    login(client, grader)
    client.post(reverse("grading:submit", args=[benchmark.slug, assignment.pk]))
    response = client.get(reverse("grading:grade", args=[benchmark.slug, assignment.pk]))
    html = response.content.decode()
    assert "You submitted this item" in html
    assert 'id="submit-form"' not in html
    assert html.count("disabled") >= 18  # both buttons of every cell


def test_responses_render_as_inert_markdown(client, benchmark, grader, manager, author):
    version = approved_version(
        benchmark,
        "CC-0666",
        author=author,
        models=["model-a"],
        response_text=(
            "| Drug | Dose |\n|---|---|\n| aspirin | 300 mg |\n\n"
            '<script>alert("xss")</script>\n\n<img src=x onerror="alert(1)">\n\n'
            '[click](javascript:alert(2)) <a href="#" onclick="alert(3)">here</a>'
        ),
    )
    ResponseFactory(case_version=version, model=ModelUnderTestFactory(name="model-b"))
    campaign = campaign_over(
        benchmark,
        [version],
        by=manager,
        graders=[grader],
        graders_per_item=1,
        models=["model-a", "model-b"],
    )
    assignment = assignment_next(grader=grader, campaign=campaign)
    login(client, grader)
    html = client.get(reverse("grading:grade", args=[benchmark.slug, assignment.pk])).content
    html = html.decode()
    assert "<td>aspirin</td>" in html
    assert '<script>alert("xss")' not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:alert" not in html


# --- query counts ----------------------------------------------------------------------------


@pytest.fixture
def big_item(benchmark, manager, grader, author):
    """An item of 4 responses to a case with 30 criteria, half of its cells marked."""
    models = [f"model-{n}" for n in range(4)]
    version = approved_version(benchmark, "CC-0030", author=author, criteria=30, models=models)
    campaign = campaign_over(
        benchmark,
        [version],
        by=manager,
        graders=[grader],
        graders_per_item=1,
        responses_per_screen=4,
        models=models,
    )
    assignment = assignment_next(grader=grader, campaign=campaign)
    for n, response_id in enumerate(letters(assignment).values()):
        for criterion in version.criteria.all()[: 15 + n]:
            Label.objects.create(
                rater=grader.rater,
                response_id=response_id,
                criterion=criterion,
                assignment=assignment,
                met=True,
            )
    return assignment


def test_grading_screen_of_30_criteria_by_4_responses_takes_a_fixed_number_of_queries(
    client, benchmark, grader, big_item, django_assert_num_queries
):
    login(client, grader)
    url = reverse("grading:grade", args=[benchmark.slug, big_item.pk])
    client.get(url)
    # session, user, access, assignment, responses, labels, criteria; navigation: memberships,
    # grading count (the queue's sums); a grader has no curation counts to read.
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["screen"].total == 120
    assert response.context["screen"].marked == 15 + 16 + 17 + 18


def test_saving_a_mark_takes_a_fixed_number_of_queries(
    client, benchmark, grader, big_item, django_assert_num_queries
):
    login(client, grader)
    url = reverse("grading:mark", args=[benchmark.slug, big_item.pk, "D", "c30"])
    # session, user, access, assignment, letters, criterion, response; in the transaction (and
    # its savepoint in tests): lock, item check, rater, label, insert, history, audit, seconds.
    with django_assert_num_queries(17):
        response = client.post(url, {"met": "1", "note": "ok", "seconds": "3"}, **HX)
    assert response.status_code == 200
    assert Label.objects.filter(criterion__key="c30").count() == 1


# --- managers: campaigns ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "method"),
    [
        ("campaigns", "get"),
        ("campaign_new", "get"),
        ("campaign", "get"),
        ("campaign_status", "post"),
    ],
)
@pytest.mark.parametrize(("who", "status"), [("grader", 403), ("author", 403), ("outsider", 404)])
def test_campaign_pages_are_for_managers(
    request, client, benchmark, campaign, url_name, method, who, status
):
    args = [benchmark.slug] + ([campaign.pk] if url_name in ("campaign", "campaign_status") else [])
    login(client, request.getfixturevalue(who))
    response = getattr(client, method)(
        reverse(f"grading:{url_name}", args=args), {"status": "closed"}
    )
    assert response.status_code == status
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN


def test_campaign_pages_send_anonymous_visitors_to_log_in(client, benchmark):
    response = client.get(reverse("grading:campaigns", args=[benchmark.slug]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_campaign_list_shows_progress(client, benchmark, manager, grader, assignment):
    mark_all(assignment, by=grader)
    login(client, grader)
    client.post(reverse("grading:submit", args=[benchmark.slug, assignment.pk]))
    login(client, manager)
    response = client.get(reverse("grading:campaigns", args=[benchmark.slug]))
    [row] = response.context["rows"]
    assert (row.items, row.needed, row.claimed, row.submitted) == (2, 4, 2, 1)
    assert row.percent_done == 25
    assert client.post(reverse("grading:campaigns", args=[benchmark.slug])).status_code == 405


def test_campaign_page_shows_progress_per_grader_and_case(
    client, benchmark, manager, grader, assignment
):
    mark_all(assignment, by=grader)
    login(client, grader)
    client.post(reverse("grading:submit", args=[benchmark.slug, assignment.pk]), {"seconds": 120})
    login(client, manager)
    response = client.get(
        reverse("grading:campaign", args=[benchmark.slug, assignment.item.campaign_id])
    )
    assert response.status_code == 200
    by_grader = {g.username: (g.claimed, g.submitted) for g in response.context["graders"]}
    assert by_grader == {"gao_grader": (2, 1), "second_grader": (0, 0)}
    cases = {
        v.case.external_id: (v.items, v.claimed, v.submitted) for v in response.context["cases"]
    }
    assert cases == {"CC-0001": (1, 1, 1), "CC-0002": (1, 1, 0)}
    html = response.content.decode()
    assert "model-a" in html  # managers see the models
    assert "Time per item" in html
    assert '<td class="num">2 min 0 s</td>' in html  # gao_grader: 120 s on their one item
    assert '<td class="num">—</td>' in html  # second_grader: nothing submitted


def test_campaign_page_of_another_benchmark_is_not_found(client, benchmark, manager, campaign):
    other = BenchmarkFactory()
    MembershipFactory(benchmark=other, user=manager, role=Role.MANAGER)
    login(client, manager)
    url = reverse("grading:campaign", args=[other.slug, campaign.pk])
    assert client.get(url).status_code == 404


def test_closing_and_reopening_a_campaign(client, benchmark, manager, campaign):
    login(client, manager)
    url = reverse("grading:campaign_status", args=[benchmark.slug, campaign.pk])
    assert client.get(url).status_code == 405
    client.post(url, {"status": "closed"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    client.post(url, {"status": "open"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN
    response = client.post(url, {"status": "paused"}, follow=True)
    assert b"Unknown campaign status." in response.content


@pytest.fixture
def specialty(benchmark):
    facet = FacetFactory(benchmark=benchmark, key="specialty", name="Specialty")
    return TermFactory(facet=facet, value="心血管内科"), TermFactory(facet=facet, value="儿科")


def test_campaign_form_previews_then_creates_from_the_ticked_terms(
    client, benchmark, manager, grader, author, specialty
):
    cardio, paediatrics = specialty
    approved_version(benchmark, "CC-0001", author=author).terms.set([cardio])
    approved_version(benchmark, "CC-0002", author=author).terms.set([paediatrics])
    login(client, manager)
    url = reverse("grading:campaign_new", args=[benchmark.slug])
    assert client.get(url).status_code == 200
    data = {
        "name": "Cardiology round",
        "facet_specialty": [cardio.pk],
        "models": [m.pk for m in ModelUnderTest.objects.all()],
        "graders": [grader.pk],
        "graders_per_item": 1,
        "responses_per_screen": 2,
        "due": "2030-06-30",
    }
    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert preview.context["preview"] == {
        "case_versions": 1,
        "with_responses": 1,
        "responses": 3,
        "items": 2,
    }
    assert not Campaign.objects.exists()

    response = client.post(url, {**data, "create": "1"})
    campaign = Campaign.objects.get()
    assert response.url == reverse("grading:campaign", args=[benchmark.slug, campaign.pk])
    assert campaign.items.count() == 2
    assert set(campaign.items.values_list("case_version__case__external_id", flat=True)) == {
        "CC-0001"
    }
    assert str(campaign.due) == "2030-06-30"
    assert campaign.created_by == manager


def test_campaign_form_keeps_what_was_typed_and_says_what_is_wrong(
    client, benchmark, manager, grader, author
):
    approved_version(benchmark, "CC-0001", author=author)
    login(client, manager)
    url = reverse("grading:campaign_new", args=[benchmark.slug])
    response = client.post(
        url,
        {
            "name": "Round 2",
            "models": [],
            "graders": [grader.pk],
            "graders_per_item": 3,
            "responses_per_screen": 5,
            "create": "1",
        },
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"models", "responses_per_screen"}
    assert form["name"].value() == "Round 2"
    assert not Campaign.objects.exists()


def test_campaign_form_shows_the_services_refusals(client, benchmark, manager, grader, author):
    approved_version(benchmark, "CC-0001", author=author)
    login(client, manager)
    response = client.post(
        reverse("grading:campaign_new", args=[benchmark.slug]),
        {
            "name": "Round 3",
            "models": [m.pk for m in ModelUnderTest.objects.all()],
            "graders": [grader.pk],
            "graders_per_item": 2,
            "responses_per_screen": 3,
            "create": "1",
        },
    )
    assert response.status_code == 422
    assert "graders_per_item" in response.context["form"].errors
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("paused", [False, True])
def test_header_count_is_the_sum_of_the_queue_on_every_kind_of_item(
    client, benchmark, manager, grader, paused, django_assert_max_num_queries
):
    second = UserFactory()
    MembershipFactory(benchmark=benchmark, user=second, role=Role.GRADER)

    def over(name, ids, *, graders, mine=(), **options):
        versions = [
            approved_version(benchmark, f"CC-{n:04d}", author=grader if n in mine else None)
            for n in ids
        ]
        return campaign_over(benchmark, versions, by=manager, name=name, graders=graders, **options)

    # Two graders an item: one item submitted and one held by the grader (both still open), one
    # of a case they wrote, two waiting.
    shared = over("Shared", [1, 2, 3, 4, 5], mine=[5], graders=[grader, second])
    submitted = assignment_next(grader=grader, campaign=shared)
    Assignment.objects.filter(pk=submitted.pk).update(submitted_at=submitted.claimed_at)
    assignment_next(grader=grader, campaign=shared)
    # One grader an item: one full (the other grader's), two waiting.
    single = over("Single", [11, 12, 13], graders=[grader, second], graders_per_item=1)
    assignment_next(grader=second, campaign=single)
    # Closed: the grader's unfinished item still counts; without one, the campaign is not shown.
    closed = over("Closed", [21, 22], graders=[grader], graders_per_item=1)
    assignment_next(grader=grader, campaign=closed)
    over("Closed, nothing held", [31], graders=[grader], graders_per_item=1)
    Campaign.objects.filter(name__startswith="Closed").update(status=Campaign.Status.CLOSED)
    over("Not in the pool", [41], graders=[second], graders_per_item=1)
    if paused:
        grader_pause(benchmark=benchmark, grader=grader, by=manager, paused=True)

    expected = {"Shared": (True, 2), "Single": (False, 2), "Closed": (True, 0)}
    if paused:  # no new item: only the unfinished ones are left
        expected = {name: (unfinished, 0) for name, (unfinished, _) in expected.items()}
    rows = grader_queue(benchmark=benchmark, grader=grader)
    assert {row.name: (row.unfinished_id is not None, row.available) for row in rows} == expected
    login(client, grader)
    # session, user, memberships (access and header), case status counts; grading count: the
    # queue's sums
    with django_assert_max_num_queries(5):
        response = client.get(reverse("curation:benchmark_home", args=[benchmark.slug]))
    grading = next(e for e in response.context["nav"].entries if e.key == "grading")
    assert grading.count == sum(
        unfinished + available for unfinished, available in expected.values()
    )
