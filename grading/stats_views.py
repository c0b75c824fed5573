"""Statistics pages for managers: models, agreement, judges, graders.

Every page reads one cached report and shows its own tables; each table downloads as CSV or
JSON with `?table=NAME&format=csv|json` (fractions, as in the data). Query parameters `k`,
`labels` (consensus | judge:NAME) and `facet` choose the figures; a bad value is reported on
the page and the defaults are used instead.

A report not in the cache is computed by a background job (grading.stats_jobs): the page shows
its progress (polled by htmx, which reloads the page once the figures are there; without
JavaScript, a reload), then the figures. Starting that job on a GET fills a cache and changes
nothing anyone sees; one job runs per report and version of its input (`stats_version`).
Managers may recompute.
"""

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from curation.access import benchmark_access
from curation.models import Role
from grading.statistics import CONSENSUS, StatsError, report_cache_key, report_options
from grading.stats_jobs import stats_job

PAGES = {
    "models": ("leaderboard", "heatmap"),
    "agreement": ("agreement", "pairs", "agreement_by_term", "agreement_by_tag"),
    "judges": ("judges",),
    "graders": ("graders",),
}


def _options(data, benchmark) -> tuple[dict, str | None]:
    """The chosen options, or the defaults and the reason when they are bad."""
    chosen = {
        "k": data.get("k") or None,
        "labels": data.get("labels") or CONSENSUS,
        "facet": data.get("facet") or None,
    }
    try:
        return report_options(benchmark=benchmark, **chosen), None
    except StatsError as exc:
        return report_options(benchmark=benchmark), str(exc)


def _query(options: dict) -> str:
    return urlencode({**options, "facet": options["facet"] or ""})


def _computing(request: HttpRequest, access, job, page: str, options: dict) -> HttpResponse:
    template = "grading/stats/computing.html"
    if request.htmx:
        template += "#progress"
    return render(
        request,
        template,
        {
            "access": access,
            "job": job,
            "page": page,
            "options": options,
            "query_string": _query(options),
            "poll_url": f"{request.path}?{_query(options)}",
        },
    )


def _download(report: dict, table: str, fmt: str, slug: str) -> HttpResponse:
    rows = report["tables"][table]
    name = f"{slug}-{table}"
    if fmt == "json":
        response = JsonResponse(rows, safe=False, json_dumps_params={"ensure_ascii": False})
    else:
        text = io.StringIO()
        columns = list(rows[0]) if rows else []
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _page(request: HttpRequest, slug: str, page: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    options, problem = _options(request.GET, access.benchmark)
    if problem:
        messages.error(request, problem)
    key = report_cache_key(access.benchmark, options)
    report = cache.get(key)
    if report is None:
        job = stats_job(benchmark=access.benchmark, options=options, key=key, by=request.user)
        report = cache.get(key) if job.status == job.Status.DONE else None
        if report is None:
            return _computing(request, access, job, page, options)
    if request.htmx:  # the figures are there: the computing page reloads itself
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    fmt = request.GET.get("format")
    if fmt:
        table = request.GET.get("table", PAGES[page][0])
        if fmt not in ("csv", "json") or table not in PAGES[page]:
            raise Http404("No such table or format.")
        return _download(report, table, fmt, slug)
    tables = report["tables"]
    context = {
        "access": access,
        "page": page,
        "report": report,
        "tables": tables,
        "query_string": urlencode(
            {"k": report["k"], "labels": report["labels"], "facet": report["facet"] or ""}
        ),
        "recompute_url": reverse("grading:stats_recompute", args=[slug]),
    }
    if page == "models":
        context["heatmap"] = _heatmap(tables["heatmap"])
    return render(request, f"grading/stats/{page}.html", context)


def _heatmap(rows: list[dict]) -> dict:
    """{"terms": [...], "models": [{"model", "cells": [row or None per term]}]}."""
    terms = list(dict.fromkeys(row["term"] for row in rows))
    cells: dict[str, dict] = {}
    for row in rows:
        cells.setdefault(row["model"], {})[row["term"]] = row
    return {
        "terms": terms,
        "models": [
            {"model": model, "cells": [by_term.get(term) for term in terms]}
            for model, by_term in sorted(cells.items())
        ],
    }


@require_GET
@login_required
def models(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, slug, "models")


@require_GET
@login_required
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, slug, "agreement")


@require_GET
@login_required
def judges(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, slug, "judges")


@require_GET
@login_required
def graders(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, slug, "graders")


@require_POST
@login_required
def recompute(request: HttpRequest, slug: str) -> HttpResponse:
    """Compute the figures of the chosen options again, whatever the cache holds."""
    access = benchmark_access(request.user, slug, Role.MANAGER)
    options, _problem = _options(request.POST, access.benchmark)
    stats_job(
        benchmark=access.benchmark,
        options=options,
        key=report_cache_key(access.benchmark, options),
        by=request.user,
        recompute=True,
    )
    page = request.POST.get("page")
    name = "grading:stats" if page not in PAGES or page == "models" else f"grading:stats_{page}"
    return redirect(f"{reverse(name, args=[slug])}?{_query(options)}")
