"""Grade QC pages: the queue (adjudicators check, managers set the share), the screen of one
sampled grade and its verdict. A verdict is one POST: with htmx the verdict panel is swapped in
place (422 with the reason when refused); without JavaScript the page moves to the next grade."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from curation.access import BenchmarkAccess, benchmark_access
from curation.models import Role
from grading.grade_qc.forms import SettingsForm, VerdictForm
from grading.grade_qc.selectors import (
    grade_check_get,
    grade_check_next,
    grade_qc_queue,
    grade_qc_summary,
)
from grading.grade_qc.services import (
    grade_check_refusal,
    grade_check_verdict,
    grade_qc_draw,
    grade_qc_settings_get,
    grade_qc_settings_set,
    label_state,
)
from grading.models import GradeCheck
from grading.services import GradingError

INVALID = 422
PAGE_SIZE = 50
REVIEWERS = (Role.ADJUDICATOR,)
QUEUE_READERS = (Role.ADJUDICATOR, Role.MANAGER)


def _settings_form(access: BenchmarkAccess) -> SettingsForm | None:
    if not access.is_manager:
        return None
    current = grade_qc_settings_get(benchmark=access.benchmark)
    share = (Decimal(str(current.share)) * 100).normalize()
    return SettingsForm(initial={"share": share, "seed": current.seed})


def _queue_page(request, access, *, settings_form=None, status: int = 200) -> HttpResponse:
    checks = grade_qc_queue(benchmark=access.benchmark, user=request.user)
    context = {
        "access": access,
        "can_check": access.has(*REVIEWERS),
        "page": Paginator(checks, PAGE_SIZE).get_page(request.GET.get("page")),
        "summary": grade_qc_summary(benchmark=access.benchmark),
        "settings_form": settings_form or _settings_form(access),
    }
    return render(request, "grading/grade_qc/queue.html", context, status=status)


@require_GET
@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    return _queue_page(request, benchmark_access(request.user, slug, *QUEUE_READERS))


@require_POST
@login_required
def settings(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    form = SettingsForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, access, settings_form=form, status=INVALID)
    drawn = grade_qc_settings_set(
        benchmark=access.benchmark,
        by=request.user,
        share=float(form.cleaned_data["share"]) / 100,
        seed=form.cleaned_data["seed"],
    )
    messages.success(
        request,
        ngettext(
            "Saved. %(count)d newly submitted grade was drawn for QC.",
            "Saved. %(count)d newly submitted grades were drawn for QC.",
            drawn,
        )
        % {"count": drawn},
    )
    return redirect("grading:grade_qc_queue", slug)


@require_POST
@login_required
def draw(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, *QUEUE_READERS)
    drawn = grade_qc_draw(benchmark=access.benchmark, by=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d newly submitted grade was drawn for QC.",
            "%(count)d newly submitted grades were drawn for QC.",
            drawn,
        )
        % {"count": drawn},
    )
    return redirect("grading:grade_qc_queue", slug)


def _get_check(access: BenchmarkAccess, pk: int) -> GradeCheck:
    check = grade_check_get(benchmark=access.benchmark, pk=pk)
    if check is None:
        raise Http404
    return check


def _item_context(request, access, check, *, form=None, error: str = "") -> dict:
    refusal = grade_check_refusal(check=check, by=request.user)
    return {
        "access": access,
        "check": check,
        "label": check.label,
        "version": check.label.response.case_version,
        "refusal": refusal,
        "error": error,
        "form": form or VerdictForm(initial={"state": label_state(check.label)}),
        "next_check": grade_check_next(benchmark=access.benchmark, user=request.user, after=check)
        if check.verdict or refusal
        else None,
    }


@require_GET
@login_required
def item(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, *REVIEWERS)
    check = _get_check(access, pk)
    return render(request, "grading/grade_qc/item.html", _item_context(request, access, check))


@require_POST
@login_required
def verdict(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, *REVIEWERS)
    check = _get_check(access, pk)
    form = VerdictForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            check = grade_check_verdict(
                check=check,
                by=request.user,
                verdict=form.cleaned_data["verdict"],
                reason=form.cleaned_data["reason"],
                state=form.cleaned_data["state"],
            )
        except GradingError as refusal:
            error = refusal.message
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if error:
        check = _get_check(access, pk)  # as it is now, after the refusal
    if not request.htmx:
        if error:
            context = _item_context(request, access, check, form=form, error=error)
            return render(request, "grading/grade_qc/item.html", context, status=INVALID)
        messages.success(request, _done_message(check))
        following = grade_check_next(benchmark=access.benchmark, user=request.user)
        if following is None:
            return redirect("grading:grade_qc_queue", slug)
        return redirect("grading:grade_qc_item", slug, following.pk)
    context = _item_context(request, access, check, form=form if error else None, error=error)
    return render(
        request,
        "grading/grade_qc/item.html#verdict",
        context,
        status=INVALID if error else 200,
    )


def _done_message(check: GradeCheck) -> str:
    if check.verdict == GradeCheck.Verdict.CORRECTED:
        return gettext("Correction recorded.")
    return gettext("Grade confirmed.")
