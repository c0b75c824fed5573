"""Reads of the audit trail shared by the manager's audit page, its CSV and the audit API."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from curation.audit import action_label, event_details, object_type_label
from curation.audit_filters import AuditEventFilter
from curation.models import AuditEvent, Benchmark


def audit_filter(*, benchmark: Benchmark, data) -> AuditEventFilter:
    """The benchmark's events, newest first, filtered by `data` (query parameters)."""
    return AuditEventFilter(
        data or None,
        queryset=AuditEvent.objects.filter(benchmark=benchmark)
        .select_related("actor")
        .order_by("-created_at", "-pk"),
        benchmark=benchmark,
    )


@dataclass(frozen=True)
class AuditRow:
    """One event as people read it: who, when, what (in the reader's language), on what."""

    pk: int
    created_at: datetime
    actor: object | None
    action: str
    action_label: str
    object_type: str
    object_type_label: str
    object_id: str
    object_repr: str
    details: str
    data: dict


def audit_row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        pk=event.pk,
        created_at=event.created_at,
        actor=event.actor,
        action=event.action,
        action_label=action_label(event.action),
        object_type=event.object_type,
        object_type_label=object_type_label(event.object_type),
        object_id=event.object_id,
        object_repr=event.object_repr,
        details=event_details(event.data),
        data=event.data,
    )


def audit_rows(events: Iterable[AuditEvent]) -> list[AuditRow]:
    return [audit_row(event) for event in events]
