"""The audit trail of a benchmark for its managers: filtered, paginated, and as CSV."""

import csv
from collections.abc import Iterator
from datetime import UTC

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from curation.access import benchmark_access
from curation.audit_selectors import audit_filter, audit_row, audit_rows
from curation.models import Role

EVENTS_PER_PAGE = 50
CSV_CHUNK = 2000


@require_GET
@login_required
def audit(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    filters = audit_filter(benchmark=access.benchmark, data=request.GET)
    page = Paginator(filters.qs, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = audit_rows(page.object_list)
    template = "curation/manage/audit.html"
    if request.htmx and request.htmx.target == "audit-results":
        template += "#results"
    return render(request, template, {"access": access, "filters": filters, "page": page})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: keep such text as text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(filters) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read the file as UTF-8 (Chinese names, texts)
    yield writer.writerow(
        [
            gettext("When (UTC)"),
            gettext("User name"),
            gettext("Person"),
            gettext("Action"),
            gettext("Action code"),
            gettext("Object type"),
            gettext("Object id"),
            gettext("Object"),
            gettext("Details"),
        ]
    )
    for event in filters.qs.iterator(chunk_size=CSV_CHUNK):
        row = audit_row(event)
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    row.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                    row.actor.username if row.actor else "",
                    row.actor if row.actor else gettext("Nobody (background work)"),
                    row.action_label,
                    row.action,
                    row.object_type_label,
                    row.object_id,
                    row.object_repr,
                    row.details,
                )
            ]
        )


@require_GET
@login_required
def audit_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    filters = audit_filter(benchmark=access.benchmark, data=request.GET)
    name = f"{access.benchmark.slug}-audit-{timezone.now():%Y%m%d-%H%M}.csv"
    return StreamingHttpResponse(
        _csv_lines(filters),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
