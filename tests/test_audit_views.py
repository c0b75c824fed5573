"""The manager's audit page of a benchmark: who did what, when; filters, pages, CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from curation.audit import audit_record
from curation.models import AuditEvent
from tests.factories import BenchmarkFactory, FacetFactory, UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "audit-results"}


def url(benchmark, name: str = "audit") -> str:
    return reverse(f"curation:{name}", args=[benchmark.slug])


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def events(benchmark, manager, author):
    """Four events on three days: the manager's facet and member changes, the author's case,
    a background build; and one event of another benchmark."""
    facet = FacetFactory(benchmark=benchmark, name="Specialty")
    with time_machine.travel(datetime(2026, 11, 1, 9, 0, tzinfo=UTC), tick=False):
        audit_record(actor=manager, action="facet.create", obj=facet, benchmark=benchmark)
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False):
        audit_record(
            actor=manager,
            action="membership.add",
            obj=author,
            benchmark=benchmark,
            data={"roles": ["author"], "approved": True},
        )
        audit_record(actor=author, action="case.create", obj=benchmark, benchmark=benchmark)
    with time_machine.travel(datetime(2026, 11, 3, 9, 0, tzinfo=UTC), tick=False):
        audit_record(
            actor=None,
            action="release.build",
            obj=benchmark,
            benchmark=benchmark,
            data={"version": "1.0.0"},
        )
    other = BenchmarkFactory()
    audit_record(actor=manager, action="facet.create", obj=other, benchmark=other)


def shown(response) -> list[str]:
    return [row.action for row in response.context["page"].object_list]


def test_manager_sees_the_benchmarks_events_newest_first_in_plain_words(
    as_manager, benchmark, events
):
    response = as_manager.get(url(benchmark))

    assert response.status_code == 200
    assert shown(response) == ["release.build", "case.create", "membership.add", "facet.create"]
    html = response.content.decode()
    assert "Added a member" in html
    assert "Nobody (background work)" in html
    assert "roles: author" in html
    assert "approved: yes" in html
    assert 'aria-current="page">Audit trail<' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "facet.create"}, ["facet.create"]),
        ({"object_type": "accounts.user"}, ["membership.add"]),
        ({"actor": "none"}, ["release.build"]),
        ({"since": "2026-11-02", "until": "2026-11-02"}, ["case.create", "membership.add"]),
        ({"since": "2026-11-03"}, ["release.build"]),
        ({"q": "alice"}, ["case.create", "membership.add"]),
    ],
)
def test_filters_narrow_the_events(as_manager, benchmark, events, params, expected):
    response = as_manager.get(url(benchmark), params)

    assert shown(response) == expected


def test_filter_by_person(as_manager, benchmark, events, author):
    response = as_manager.get(url(benchmark), {"actor": author.username})

    assert shown(response) == ["case.create"]


def test_htmx_filtering_returns_only_the_results(as_manager, benchmark, events):
    response = as_manager.get(url(benchmark), {"action": "case.create"}, **HX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="audit-results">')
    assert "<form" not in html
    assert shown(response) == ["case.create"]


def test_events_are_paginated_with_a_fixed_number_of_queries(
    as_manager, benchmark, manager, django_assert_max_num_queries
):
    def page_queries() -> int:
        with django_assert_max_num_queries(10) as captured:
            response = as_manager.get(url(benchmark), {"page": 2})
        assert response.status_code == 200
        return len(captured.captured_queries)

    people = [UserFactory() for _ in range(3)]
    for n in range(55):
        audit_record(actor=people[n % 3], action="facet.create", obj=benchmark, benchmark=benchmark)
    few = page_queries()
    for _ in range(60):
        audit_record(actor=UserFactory(), action="term.create", obj=benchmark, benchmark=benchmark)

    assert page_queries() == few
    response = as_manager.get(url(benchmark), {"page": 3})
    assert response.context["page"].paginator.count == 115
    assert len(response.context["page"].object_list) == 15


def test_csv_downloads_the_filtered_events(as_manager, benchmark, events, author):
    response = as_manager.get(url(benchmark, "audit_csv"), {"since": "2026-11-02"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["When (UTC)", "User name", "Person"]
    assert [row[4] for row in rows[1:]] == ["release.build", "case.create", "membership.add"]
    assert rows[2][:2] == ["2026-11-02T09:00:00+00:00", author.username]
    assert rows[1][2] == "Nobody (background work)"


def test_csv_keeps_formula_like_text_as_text(as_manager, benchmark, manager):
    facet = FacetFactory(benchmark=benchmark, name='=HYPERLINK("http://evil.example")')
    audit_record(actor=manager, action="facet.create", obj=facet, benchmark=benchmark)

    response = as_manager.get(url(benchmark, "audit_csv"))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[7].startswith("'=HYPERLINK")


@pytest.mark.parametrize("name", ["audit", "audit_csv"])
def test_only_get_is_allowed(as_manager, benchmark, events, name):
    response = as_manager.post(url(benchmark, name))

    assert response.status_code == 405
    assert AuditEvent.objects.filter(benchmark=benchmark).count() == 4


@pytest.mark.parametrize("name", ["audit", "audit_csv"])
@pytest.mark.parametrize(
    ("persona", "status"),
    [("author", 403), ("grader", 403), ("adjudicator", 403), ("reviewer", 403), ("outsider", 404)],
)
def test_only_managers_read_the_audit_trail(client, request, benchmark, name, persona, status):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(url(benchmark, name))

    assert response.status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, benchmark):
    response = client.get(url(benchmark))

    assert response.status_code == 302
    assert "/login/" in response.url
