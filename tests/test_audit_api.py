"""The audit trail through the API: managers read it, filtered as on the page; nobody writes it."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from curation.audit import audit_record
from curation.models import AuditEvent
from tests.factories import BenchmarkFactory

pytestmark = pytest.mark.django_db


def audit_url(benchmark) -> str:
    return reverse("api-audit", args=[benchmark.slug])


@pytest.fixture
def api(request):
    def client_for(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(request.getfixturevalue(persona))
        return client

    return client_for


@pytest.fixture
def events(benchmark, manager, author):
    audit_record(actor=manager, action="membership.add", obj=author, benchmark=benchmark)
    audit_record(actor=author, action="case.create", obj=benchmark, benchmark=benchmark)
    audit_record(actor=None, action="release.build", obj=benchmark, benchmark=benchmark)
    other = BenchmarkFactory()
    audit_record(actor=manager, action="facet.create", obj=other, benchmark=other)


def test_manager_lists_the_benchmarks_events_newest_first(api, benchmark, events, author):
    response = api("manager").get(audit_url(benchmark))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [e["action"] for e in body["results"]] == [
        "release.build",
        "case.create",
        "membership.add",
    ]
    build, case, member = body["results"]
    assert (build["actor"], build["actor_name"]) == (None, None)
    assert case["actor"] == author.username
    assert member["action_label"] == "Added a member"
    assert member["object_type"] == "accounts.user"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "case.create"}, ["case.create"]),
        ({"actor": "alice_author"}, ["case.create"]),
        ({"actor": "none"}, ["release.build"]),
        ({"object_type": "accounts.user"}, ["membership.add"]),
        ({"limit": 1, "offset": 1}, ["case.create"]),
    ],
)
def test_filters_as_on_the_page(api, benchmark, events, params, expected):
    response = api("manager").get(audit_url(benchmark), params)

    assert [e["action"] for e in response.json()["results"]] == expected


def test_a_bad_filter_is_a_400_naming_it(api, benchmark, events):
    response = api("manager").get(audit_url(benchmark), {"since": "yesterday"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["since"]


def test_listing_takes_a_fixed_number_of_queries(
    api, benchmark, manager, django_assert_max_num_queries
):
    client = api("manager")
    for _ in range(30):
        audit_record(actor=manager, action="term.create", obj=benchmark, benchmark=benchmark)

    with django_assert_max_num_queries(3):  # access, count, page
        response = client.get(audit_url(benchmark))

    assert len(response.json()["results"]) == 30


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nobody_writes_the_audit_trail_through_the_api(api, benchmark, events, method):
    response = getattr(api("manager"), method)(audit_url(benchmark), {"action": "forged"})

    assert response.status_code == 405
    assert AuditEvent.objects.filter(benchmark=benchmark).count() == 3
    assert not AuditEvent.objects.filter(action="forged").exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("author", 403), ("grader", 403), ("adjudicator", 403), ("reviewer", 403), ("outsider", 404)],
)
def test_only_managers_read_it(api, benchmark, events, persona, status):
    response = api(persona).get(audit_url(benchmark))

    assert response.status_code == status


def test_anonymous_requests_get_401(benchmark):
    response = APIClient().get(audit_url(benchmark))

    assert response.status_code == 401
