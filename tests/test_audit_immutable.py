"""Audit events are evidence: once recorded, nothing in the application changes or removes them."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from curation.audit import audit_record
from curation.models import AuditEvent, AuditTrailIsAppendOnly


@pytest.fixture
def event(benchmark, manager):
    return audit_record(actor=manager, action="test.event", obj=benchmark, benchmark=benchmark)


def _unchanged(event) -> None:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.object_repr, stored.data) == (
        "test.event",
        str(event.object_repr),
        {},
    )


def test_saving_a_recorded_event_again_is_refused(event):
    event.action = "forged"

    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()

    _unchanged(event)


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()

    _unchanged(event)


def test_bulk_update_and_bulk_delete_are_refused(event):
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()

    _unchanged(event)


def test_a_fetched_event_cannot_be_saved_either(event):
    stored = AuditEvent.objects.get(pk=event.pk)
    stored.data = {"forged": True}

    with pytest.raises(AuditTrailIsAppendOnly):
        stored.save(update_fields=["data"])

    _unchanged(event)


def test_a_benchmark_with_recorded_events_cannot_be_deleted(event, benchmark):
    with pytest.raises(ProtectedError):
        benchmark.delete()

    _unchanged(event)


def test_a_person_with_recorded_events_cannot_be_deleted(event, manager):
    with pytest.raises(ProtectedError):
        manager.delete()

    _unchanged(event)


def test_staff_cannot_add_change_or_delete_events_in_the_admin(client, event, admin_user):
    client.force_login(admin_user)

    add = client.get(reverse("admin:curation_auditevent_add"))
    change = client.post(
        reverse("admin:curation_auditevent_change", args=[event.pk]), {"action": "forged"}
    )
    delete = client.post(
        reverse("admin:curation_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    _unchanged(event)


def test_staff_deleting_a_benchmark_with_events_in_the_admin_keeps_them(
    client, event, benchmark, admin_user
):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:curation_benchmark_delete", args=[benchmark.pk]), {"post": "yes"}
    )

    assert response.status_code == 200  # the admin explains what protects it
    assert "audit event" in response.content.decode()
    benchmark.refresh_from_db()
    _unchanged(event)
