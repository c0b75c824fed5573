"""Faults during grading: the database server going away, a save sent twice, two graders after
one last slot. Nothing saved may be lost, nothing may be saved twice, and the app carries on.

In the parallel suites the restart is simulated by killing the app's database connections
(`pg_terminate_backend`), which is what a restart does to them, on this test's own database
only, so the other test processes are not disturbed. The real restart (marker `faults`) runs
alone: .ci/run, or CONSILIUM_FAULTS=1 with CONSILIUM_PG_RESTART naming the restart command when
the server is not the machine's `main` cluster.

Requests go through Django's real WSGI handler, as under gunicorn: at the start of each request
it drops a connection found unusable (CONN_HEALTH_CHECKS), a step the test client leaves out.
"""

import os
import subprocess
import threading
import time

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection, connections
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.crypto import get_random_string

from curation.models import AuditEvent, Role
from grading.models import Assignment, CampaignItem, Label, LabelHistory
from grading.services.assignment import assignment_next, assignment_submit
from grading.services.labels import label_set
from tests.factories import MembershipFactory, UserFactory
from tests.grading_support import approved_version, campaign_over

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a database server and row locks: SQLite is a file inside the app process, "
    "there is no server to restart, and its writers queue on one database lock",
)


class Browser:
    """One grader's browser, logged in, talking to the app through the WSGI handler."""

    def __init__(self, user) -> None:
        client = Client()
        client.force_login(user)
        self.csrf = get_random_string(32)
        self.factory = RequestFactory()
        self.factory.cookies = client.cookies
        self.factory.cookies["csrftoken"] = self.csrf

    def request(self, method: str, path: str, data=None) -> int:
        request = getattr(self.factory, method)(
            path, data or {}, HTTP_X_CSRFTOKEN=self.csrf, HTTP_HX_REQUEST="true"
        )
        statuses: list[str] = []
        body = WSGIHandler()(request.environ, lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()  # request_finished, as a server does after sending the response
        return int(statuses[0].split()[0])


def terminate_app_connections() -> int:
    """Kill every other connection to this test's database, as a server restart does."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    ) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    return killed


@pytest.fixture
def item(benchmark, manager, grader):
    """The grader's item: one response, three criteria, with a second grader in the pool."""
    second = UserFactory(username="gu_grader2")
    MembershipFactory(benchmark=benchmark, user=second, role=Role.GRADER)
    version = approved_version(benchmark, "CC-0001", criteria=3, models=("model-a",))
    campaign_over(benchmark, [version], by=manager, graders=[grader, second], models=("model-a",))
    return assignment_next(grader=grader, benchmark=benchmark)


def mark_url(benchmark, assignment, key: str) -> str:
    return reverse("grading:mark", args=[benchmark.slug, assignment.pk, "A", key])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_marks_survive_a_database_restart_during_grading_and_the_app_reconnects(
    benchmark, grader, item
):
    browser = Browser(grader)
    assert browser.request("post", mark_url(benchmark, item, "c01"), {"met": "1"}) == 200
    assert browser.request("get", reverse("grading:grade", args=[benchmark.slug, item.pk])) == 200

    assert terminate_app_connections() >= 1  # the app's connection, held open (CONN_MAX_AGE)

    # The next request finds the dead connection, opens a new one and saves; so do the others.
    assert browser.request("post", mark_url(benchmark, item, "c02"), {"met": "0"}) == 200
    assert browser.request("post", mark_url(benchmark, item, "c03"), {"met": "1"}) == 200
    submit = reverse("grading:submit", args=[benchmark.slug, item.pk])
    assert browser.request("post", submit, {"seconds": "30"}) in (200, 302)

    close_old_connections()
    marks = dict(Label.objects.filter(assignment=item).values_list("criterion__key", "met"))
    assert marks == {"c01": True, "c02": False, "c03": True}
    assert LabelHistory.objects.filter(label__assignment=item).count() == 3
    assert Assignment.objects.get(pk=item.pk).submitted_at is not None
    assert AuditEvent.objects.filter(action="label.set").count() == 3


def restart_postgresql() -> None:
    """Restart the database server for real and wait until it answers again."""
    version = " ".join(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else ""
    command = os.environ.get(
        "CONSILIUM_PG_RESTART", f"pg_ctlcluster --skip-systemctl-redirect {version} main restart"
    )
    subprocess.run(command, shell=True, check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + 60
    while True:
        try:
            terminate_app_connections()  # answers once the server is up; kills nothing new
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.faults
@postgresql_only
@pytest.mark.skipif(
    not os.environ.get("CONSILIUM_FAULTS"),
    reason="restarts the PostgreSQL server, which would cut off every other test process: "
    ".ci/run runs it alone (CONSILIUM_FAULTS=1 ./bin/test -n 0 -m faults)",
)
@pytest.mark.django_db(transaction=True)
def test_marks_survive_a_real_postgresql_restart_during_grading(benchmark, grader, item):
    browser = Browser(grader)
    assert browser.request("post", mark_url(benchmark, item, "c01"), {"met": "1"}) == 200

    restart_postgresql()

    assert browser.request("post", mark_url(benchmark, item, "c02"), {"met": "0"}) == 200
    assert browser.request("post", mark_url(benchmark, item, "c03"), {"met": "1"}) == 200
    submit = reverse("grading:submit", args=[benchmark.slug, item.pk])
    assert browser.request("post", submit, {"seconds": "30"}) in (200, 302)
    close_old_connections()
    marks = dict(Label.objects.filter(assignment=item).values_list("criterion__key", "met"))
    assert marks == {"c01": True, "c02": False, "c03": True}
    assert Assignment.objects.get(pk=item.pk).submitted_at is not None


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_mark_in_flight_when_the_database_dies_is_refused_whole_and_can_be_saved_again(
    benchmark, grader, item
):
    """The connection dies between the label and its history: the transaction is gone whole
    (no label without its history), and sending the mark again saves it."""
    browser = Browser(grader)
    assert browser.request("post", mark_url(benchmark, item, "c01"), {"met": "1"}) == 200
    original_create = LabelHistory.objects.create
    died = []

    def die_midway(**kwargs):
        if not died:
            died.append(terminate_app_connections())
        return original_create(**kwargs)

    LabelHistory.objects.create = die_midway
    try:
        with pytest.raises(Exception, match=r"terminat|closed|connection"):
            label_set(
                assignment=item,
                by=grader,
                response=item.item.responses.get(),
                criterion=item.item.case_version.criteria.get(key="c02"),
                met=False,
            )
    finally:
        del LabelHistory.objects.create
        connections.close_all()

    assert died[0] >= 1
    assert browser.request("post", mark_url(benchmark, item, "c02"), {"met": "0"}) == 200
    close_old_connections()
    marks = dict(Label.objects.filter(assignment=item).values_list("criterion__key", "met"))
    assert marks == {"c01": True, "c02": False}
    assert LabelHistory.objects.filter(label__assignment=item).count() == 2


def test_a_mark_sent_twice_is_one_label_with_one_history_row(client, benchmark, grader, item):
    """A double click or htmx retrying the same save: both answered OK, stored once."""
    client.force_login(grader)
    url = mark_url(benchmark, item, "c01")

    first = client.post(url, {"met": "1", "note": "Names the dose."}, HTTP_HX_REQUEST="true")
    again = client.post(url, {"met": "1", "note": "Names the dose."}, HTTP_HX_REQUEST="true")

    assert (first.status_code, again.status_code) == (200, 200)
    label = Label.objects.get(assignment=item)
    assert (label.met, label.note) == (True, "Names the dose.")
    assert LabelHistory.objects.filter(label=label).count() == 1
    assert AuditEvent.objects.filter(action="label.set").count() == 1


def test_a_mark_sent_twice_through_the_api_is_stored_once(client, benchmark, grader, item):
    client.force_login(grader)
    url = reverse("api-grading-label", args=[benchmark.slug, item.pk, "A", "c01"])

    answers = [
        client.put(url, {"met": False, "seconds": 4}, content_type="application/json")
        for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert Label.objects.filter(assignment=item).count() == 1
    assert LabelHistory.objects.filter(label__assignment=item).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_mark_saved_twice_at_the_same_moment_is_stored_once(benchmark, grader, item):
    response = item.item.responses.get()
    criterion = item.item.case_version.criteria.get(key="c01")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def save() -> None:
        try:
            start.wait()
            label_set(assignment=item, by=grader, response=response, criterion=criterion, met=True)
        except BaseException as error:  # reported in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert Label.objects.filter(assignment=item).count() == 1
    assert LabelHistory.objects.filter(label__assignment=item).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_graders_racing_for_the_last_slot_of_an_item_one_gets_it(benchmark, manager):
    """The item needs two graders and has one slot left; two more graders ask at the same
    moment: exactly one gets the item, the other is told there is nothing, the slot count
    ends at zero and nobody grades it twice."""
    first, second, third = (UserFactory(username=f"racer_{n}") for n in range(3))
    for user in (first, second, third):
        MembershipFactory(benchmark=benchmark, user=user, role=Role.GRADER)
    version = approved_version(benchmark, "CC-0001", criteria=1, models=("model-a",))
    campaign = campaign_over(
        benchmark, [version], by=manager, graders=[first, second, third], models=("model-a",)
    )
    assert assignment_next(grader=first, campaign=campaign) is not None
    assert CampaignItem.objects.get(campaign=campaign).slots_open == 1
    start = threading.Barrier(2)
    got: dict[str, object] = {}
    errors: list[BaseException] = []

    def claim(grader) -> None:
        try:
            start.wait()
            got[grader.username] = assignment_next(grader=grader, campaign=campaign)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(g,)) for g in (second, third)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(a is not None for a in got.values()) == [False, True]
    assert CampaignItem.objects.get(campaign=campaign).slots_open == 0
    assert Assignment.objects.filter(item__campaign=campaign).count() == 2
    assert AuditEvent.objects.filter(action="assignment.claim").count() == 2
    winner = next(a for a in got.values() if a is not None)
    assert winner.grader_id != first.pk


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_submitting_twice_at_the_same_moment_submits_once(benchmark, grader, item):
    for criterion in item.item.case_version.criteria.all():
        label_set(
            assignment=item,
            by=grader,
            response=item.item.responses.get(),
            criterion=criterion,
            met=True,
        )
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            start.wait()
            assignment_submit(assignment=Assignment.objects.get(pk=item.pk), by=grader)
            outcomes.append("submitted")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["GradingError", "submitted"]
    assert AuditEvent.objects.filter(action="assignment.submit").count() == 1
