"""Grading pages: the grader's queue and blind grading screen; the managers' campaigns.

A grader's pages are built from `grading.selectors` blind data only (responses known by letter).
Every mark is a POST of one cell's form: with htmx the cell is swapped in place (422 and a
message when refused); without JavaScript the page reloads at the cell.
"""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consilium.navigation import navigation_for
from curation.access import BenchmarkAccess, benchmark_access
from curation.models import Role
from curation.selectors import benchmark_facets
from grading.forms import CampaignForm, CampaignStatusForm, MarkForm, NextForm, SubmitForm
from grading.grader_selectors import grader_queue_notice
from grading.models import Assignment, Campaign, Label, Response
from grading.selectors import (
    Cell,
    assignment_get,
    blind_cells,
    campaign_cases,
    campaign_graders,
    campaign_rows,
    cell_target,
    grader_queue,
    grading_screen,
)
from grading.services import GradingError
from grading.services.assignment import IncompleteAssignment, assignment_next, assignment_submit
from grading.services.campaigns import campaign_create, campaign_set_status
from grading.services.labels import label_set

INVALID = 422  # a form or cell shown again with its error (htmx swaps it, see base.html)
CASES_PER_PAGE = 100


# --- the grader's queue and screen -------------------------------------------------------------


@require_GET
@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.GRADER)
    rows = grader_queue(benchmark=access.benchmark, grader=request.user)
    notice = grader_queue_notice(benchmark=access.benchmark, grader=request.user)
    # The header counts the same queue: give it the rows rather than have it read them again.
    nav = navigation_for(request, grader_rows=rows)
    context = {"access": access, "rows": rows, "notice": notice, "nav": nav}
    return render(request, "grading/queue.html", context)


@require_POST
@login_required
def next_item(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.GRADER)
    form = NextForm(request.POST)
    campaign = None
    if form.is_valid() and form.cleaned_data["campaign"]:
        campaign = get_object_or_404(
            Campaign, pk=form.cleaned_data["campaign"], benchmark=access.benchmark
        )
    assignment = assignment_next(grader=request.user, benchmark=access.benchmark, campaign=campaign)
    if assignment is None:
        messages.info(request, gettext("No item is waiting for you right now."))
        return redirect("grading:queue", slug)
    return redirect("grading:grade", slug, assignment.pk)


def _cell_context(request: HttpRequest, access: BenchmarkAccess, assignment: Assignment) -> dict:
    """What every cell of the grid needs, worked out once per page rather than once per cell
    (a grid has up to 120): the words of its buttons, translated, its form's URL prefix and
    CSRF field."""
    url = reverse("grading:mark", args=[access.benchmark.slug, assignment.pk, "_", "_"])
    return {
        "mark_base": url.removesuffix("_/_/"),
        "csrf_field": csrf_input(request),
        "text": {
            "met": gettext("Met"),
            "not_met": gettext("Not met"),
            "note": gettext("Note (e)"),
            "note_prefix": gettext("Note:"),
            "placeholder": gettext("Why? (optional)"),
            "save_note": gettext("Save note"),
            "saved": gettext("Saved"),
        },
    }


def _own_assignment(access: BenchmarkAccess, request: HttpRequest, pk: int) -> Assignment:
    # Another grader's item is a 404 too: a grader cannot even learn that it exists.
    assignment = assignment_get(benchmark=access.benchmark, grader=request.user, pk=pk)
    if assignment is None:
        raise Http404
    return assignment


def _screen_page(
    request: HttpRequest,
    access: BenchmarkAccess,
    assignment: Assignment,
    *,
    missing: list[tuple[int, int]] = (),
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    screen = grading_screen(assignment=assignment)
    missing_cells = []
    for key, letter in blind_cells(assignment=assignment, cells=missing) if missing else ():
        cell = screen.cell(key, letter)
        cell.missing = True
        missing_cells.append(cell)
    context = {
        **_cell_context(request, access, assignment),
        "access": access,
        "screen": screen,
        "columns": len(screen.responses),
        "missing_cells": missing_cells,
        "submit_error": error,
    }
    return render(request, "grading/grade.html", context, status=status)


@require_GET
@login_required
def grade(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.GRADER)
    return _screen_page(request, access, _own_assignment(access, request, pk))


@require_POST
@login_required
def mark(request: HttpRequest, slug: str, pk: int, letter: str, key: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.GRADER)
    assignment = _own_assignment(access, request, pk)
    target = cell_target(assignment=assignment, letter=letter, key=key)
    if target is None:
        raise Http404
    response_id, criterion = target
    form = MarkForm(request.POST)
    error, label = "", None
    if form.is_valid():
        data = form.cleaned_data
        try:
            label = label_set(
                assignment=assignment,
                by=request.user,
                response=Response.objects.only("pk").get(pk=response_id),
                criterion=criterion,
                met=data["met"],
                note=data["note"],
                seconds=data["seconds"],
            )
        except GradingError as refusal:
            error = refusal.message
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if error:
            messages.error(request, error)
        url = reverse("grading:grade", args=[slug, pk])
        return redirect(f"{url}#cell-{key}-{letter}")
    if label is None:  # refused: show the cell as it is stored
        label = Label.objects.filter(
            assignment=assignment, response_id=response_id, criterion=criterion
        ).first()
    cell = Cell(key=key, letter=letter)
    if label is not None:
        cell.met, cell.note = label.met, label.note
    context = {
        **_cell_context(request, access, assignment),
        "access": access,
        "submitted": assignment.is_submitted,
        "cell": cell,
        "saved": not error,
        "error": error,
    }
    return render(request, "grading/grade.html#cell", context, status=INVALID if error else 200)


@require_POST
@login_required
def submit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.GRADER)
    assignment = _own_assignment(access, request, pk)
    form = SubmitForm(request.POST)
    seconds = form.cleaned_data["seconds"] if form.is_valid() else 0
    try:
        assignment_submit(assignment=assignment, by=request.user, seconds=seconds)
    except IncompleteAssignment as refusal:
        return _screen_page(
            request,
            access,
            assignment,
            missing=refusal.missing,
            error=refusal.message,
            status=INVALID,
        )
    except GradingError as refusal:
        messages.error(request, refusal.message)
        return redirect("grading:grade", slug, pk)
    following = assignment_next(
        grader=request.user, benchmark=access.benchmark, campaign=assignment.item.campaign
    )
    if following is None:
        messages.success(request, gettext("Submitted. There is no other item for you now."))
        return redirect("grading:queue", slug)
    messages.success(request, gettext("Submitted. Here is your next item."))
    return redirect("grading:grade", slug, following.pk)


# --- managers: campaigns -----------------------------------------------------------------------


def _manager(request: HttpRequest, slug: str) -> BenchmarkAccess:
    return benchmark_access(request.user, slug, Role.MANAGER)


@require_GET
@login_required
def campaigns(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    rows = campaign_rows(benchmark=access.benchmark)
    return render(request, "grading/campaigns.html", {"access": access, "rows": rows})


def _preview(form: CampaignForm) -> dict[str, int]:
    """What the campaign would hold: case versions, responses, items (screens)."""
    versions = form.case_versions()
    per_version = list(
        Response.objects.filter(case_version__in=versions, model__in=form.cleaned_data["models"])
        .values("case_version_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    per_screen = form.cleaned_data["responses_per_screen"]
    return {
        "case_versions": versions.count(),
        "with_responses": len(per_version),
        "responses": sum(per_version),
        "items": sum(math.ceil(n / per_screen) for n in per_version),
    }


@require_http_methods(["GET", "POST"])
@login_required
def campaign_new(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    facets = benchmark_facets(benchmark=access.benchmark)
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        benchmark=access.benchmark,
        facets=facets,
    )
    preview = None
    status = 200
    if form.is_bound and form.is_valid():
        if "preview" in request.POST:
            preview = _preview(form)
        else:
            data = form.cleaned_data
            try:
                campaign = campaign_create(
                    benchmark=access.benchmark,
                    by=request.user,
                    name=data["name"],
                    case_versions=form.case_versions(),
                    models=data["models"],
                    graders=data["graders"],
                    graders_per_item=data["graders_per_item"],
                    responses_per_screen=data["responses_per_screen"],
                    due=data["due"],
                    show_reference_answer=data["show_reference_answer"],
                )
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    gettext("Campaign “%(name)s” created.") % {"name": campaign.name},
                )
                return redirect("grading:campaign", slug, campaign.pk)
    if form.is_bound and form.errors:
        status = INVALID
    context = {"access": access, "form": form, "preview": preview}
    return render(request, "grading/campaign_new.html", context, status=status)


def _add_service_errors(form: CampaignForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field_name, errors in error.error_dict.items():
        form.add_error(field_name if field_name in form.fields else None, errors)


@require_GET
@login_required
def campaign_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    rows = campaign_rows(benchmark=access.benchmark, pk=pk)
    if not rows:
        raise Http404
    row = rows[0]
    cases = Paginator(campaign_cases(campaign=row.campaign), CASES_PER_PAGE)
    context = {
        "access": access,
        "row": row,
        "campaign": row.campaign,
        "graders": campaign_graders(campaign=row.campaign),
        "cases": cases.get_page(request.GET.get("page")),
        "models": row.campaign.models_under_test.all(),
    }
    return render(request, "grading/campaign_detail.html", context)


@require_POST
@login_required
def campaign_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    campaign = get_object_or_404(Campaign, pk=pk, benchmark=access.benchmark)
    form = CampaignStatusForm(request.POST)
    if form.is_valid():
        campaign_set_status(campaign=campaign, status=form.cleaned_data["status"], by=request.user)
        if campaign.status == Campaign.Status.CLOSED:
            messages.success(
                request, gettext("The campaign is closed: no new items are handed out.")
            )
        else:
            messages.success(request, gettext("The campaign is open again."))
    else:
        messages.error(request, gettext("Unknown campaign status."))
    return redirect("grading:campaign", slug, pk)
