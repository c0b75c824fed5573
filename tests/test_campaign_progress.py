"""A campaign's progress page: figures per grader and per case, a page of cases at a time, in a
fixed number of queries whatever the size of the campaign."""

import pytest
from django.urls import reverse

from curation.models import Role
from grading.services.assignment import assignment_next, assignment_submit
from tests.factories import MembershipFactory, UserFactory
from tests.grading_support import approved_version, campaign_over, mark_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def graders(benchmark):
    people = [UserFactory(username=f"grader_{n}") for n in range(3)]
    for person in people:
        MembershipFactory(benchmark=benchmark, user=person, role=Role.GRADER)
    return people


def round_over(benchmark, manager, graders, cases: int):
    """A campaign over `cases` cases (two screens each), each grader holding one item and
    having submitted another."""
    versions = [approved_version(benchmark, f"CC-{n:04d}") for n in range(cases, 0, -1)]
    campaign = campaign_over(
        benchmark, versions, by=manager, graders=graders, responses_per_screen=2
    )
    for grader in graders:
        done = assignment_next(grader=grader, campaign=campaign)
        mark_all(done, by=grader)
        assignment_submit(assignment=done, by=grader, seconds=60)
        assignment_next(grader=grader, campaign=campaign)
    return campaign


def page(client, campaign, number: int = 1):
    url = reverse("grading:campaign", args=[campaign.benchmark.slug, campaign.pk])
    return client.get(url, {"page": number})


@pytest.mark.parametrize("cases", [2, 9])
def test_campaign_page_takes_the_same_queries_whatever_its_size(
    client, benchmark, manager, graders, cases, django_assert_max_num_queries
):
    campaign = round_over(benchmark, manager, graders, cases)
    client.force_login(manager)

    with django_assert_max_num_queries(11):
        response = page(client, campaign)

    assert response.status_code == 200
    assert len(response.context["cases"]) == cases


def test_cases_are_shown_a_page_at_a_time_in_case_order_with_their_figures(
    client, benchmark, manager, graders, monkeypatch
):
    monkeypatch.setattr("grading.views.CASES_PER_PAGE", 2)
    campaign = round_over(benchmark, manager, graders, 3)
    client.force_login(manager)

    first, second = page(client, campaign, 1), page(client, campaign, 2)

    def rows(response):
        return [
            (v.case.external_id, v.items, v.needed, v.claimed, v.submitted)
            for v in response.context["cases"]
        ]

    # Six items (two per case), two graders each: the three graders took the first three
    # items in campaign order, then the next three.
    assert rows(first) == [("CC-0001", 2, 4, 4, 2), ("CC-0002", 2, 4, 2, 1)]
    assert rows(second) == [("CC-0003", 2, 4, 0, 0)]
    assert response_row(first) == (6, 12, 6, 3)


def response_row(response):
    row = response.context["row"]
    return row.items, row.needed, row.claimed, row.submitted
