"""Grader quality control pages: the managers' graders page (figures, threshold, actions) and
calibration page (items, candidates, rate per campaign); a grader's feedback page.

Every action is a POST of a small form answered by a redirect back to the page it came from,
with the refusal, if any, as a message; nothing changes on a refusal.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curation.access import BenchmarkAccess, benchmark_access
from curation.models import Criterion, Role
from grading.grader_forms import (
    CalibrationSetForm,
    CampaignCalibrationForm,
    ExcludeForm,
    GoldForm,
    MarkCalibrationForm,
    PauseForm,
    ThresholdForm,
)
from grading.grader_selectors import (
    calibration_candidates,
    calibration_graded,
    calibration_items,
    grader_feedback,
    grader_row,
    grader_rows,
)
from grading.models import CalibrationItem, Campaign, Response
from grading.services import GradingError
from grading.services.calibration import (
    calibration_item_mark,
    calibration_item_retire,
    campaign_calibration_set,
    grader_exclude,
    grader_pause,
    grader_send_calibration,
    grader_threshold,
    grader_threshold_set,
)

CANDIDATES_PER_PAGE = 50


def _manager(request: HttpRequest, slug: str) -> BenchmarkAccess:
    return benchmark_access(request.user, slug, Role.MANAGER)


def _form_error(request: HttpRequest, form) -> None:
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))


# --- graders -----------------------------------------------------------------------------------


@require_GET
@login_required
def graders(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    rows = grader_rows(benchmark=access.benchmark)
    threshold = grader_threshold(benchmark=access.benchmark)
    context = {
        "access": access,
        "rows": rows,
        "threshold_form": ThresholdForm(initial={"threshold": round(threshold * 100, 1)}),
        "threshold": threshold,
    }
    return render(request, "grading/graders.html", context)


def _grader(access: BenchmarkAccess, user_id: int):
    user = (
        get_user_model()
        .objects.filter(
            pk=user_id, memberships__benchmark=access.benchmark, memberships__role=Role.GRADER
        )
        .first()
    )
    if user is None:
        raise Http404
    return user


@require_GET
@login_required
def grader_detail(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    access = _manager(request, slug)
    row = grader_row(benchmark=access.benchmark, grader_id=user_id)
    if row is None:
        raise Http404
    context = {
        "access": access,
        "row": row,
        "threshold": grader_threshold(benchmark=access.benchmark),
        "calibration_form": CalibrationSetForm(),
    }
    return render(request, "grading/graders_detail.html", context)


def _act(request: HttpRequest, action, done: str) -> None:
    try:
        action()
    except GradingError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)


def _grader_action(request: HttpRequest, slug: str, user_id: int, form_class, run, done):
    """One action on one grader: `run(benchmark, grader, by, data)` with the form's data, then
    back to the grader's page with `done(grader, data)` or the refusal as the message."""
    access = _manager(request, slug)
    user = _grader(access, user_id)
    form = form_class(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _act(
            request,
            lambda: run(benchmark=access.benchmark, grader=user, by=request.user, **data),
            done(user, data),
        )
    else:
        _form_error(request, form)
    return redirect("grading:grader", slug, user.pk)


@require_POST
@login_required
def grader_pause_view(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    def done(user, data) -> str:
        if data["paused"]:
            return gettext("%(name)s gets no new screens.") % {"name": user}
        return gettext("%(name)s can grade again.") % {"name": user}

    return _grader_action(request, slug, user_id, PauseForm, grader_pause, done)


@require_POST
@login_required
def grader_calibrate_view(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    def done(user, data) -> str:
        return gettext("The next %(count)d screens of %(name)s are calibration items.") % {
            "count": data["count"],
            "name": user,
        }

    return _grader_action(request, slug, user_id, CalibrationSetForm, grader_send_calibration, done)


@require_POST
@login_required
def grader_exclude_view(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    def done(user, data) -> str:
        if data["excluded"]:
            return gettext(
                "The labels of %(name)s no longer count towards consensus; consensus recomputed."
            ) % {"name": user}
        return gettext(
            "The labels of %(name)s count towards consensus again; consensus recomputed."
        ) % {"name": user}

    return _grader_action(request, slug, user_id, ExcludeForm, grader_exclude, done)


@require_POST
@login_required
def grader_threshold_view(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        threshold = form.cleaned_data["threshold"]
        _act(
            request,
            lambda: grader_threshold_set(
                benchmark=access.benchmark, by=request.user, threshold=threshold
            ),
            gettext("Threshold saved."),
        )
    else:
        _form_error(request, form)
    return redirect("grading:graders", slug)


# --- calibration items -------------------------------------------------------------------------


@require_GET
@login_required
def calibration(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    candidates = Paginator(calibration_candidates(benchmark=access.benchmark), CANDIDATES_PER_PAGE)
    campaigns = Campaign.objects.filter(benchmark=access.benchmark).order_by("-created_at", "-pk")
    context = {
        "access": access,
        "items": calibration_items(benchmark=access.benchmark),
        "candidates": candidates.get_page(request.GET.get("page")),
        "graded": calibration_graded(benchmark=access.benchmark)[:CANDIDATES_PER_PAGE],
        "campaigns": [
            (
                campaign,
                CampaignCalibrationForm(
                    initial={
                        "rate": round(campaign.calibration_rate * 100, 1),
                        "show_feedback": campaign.show_feedback,
                    },
                    prefix=f"c{campaign.pk}",
                ),
            )
            for campaign in campaigns
        ],
    }
    return render(request, "grading/calibration.html", context)


def _response(access: BenchmarkAccess, pk: int) -> Response:
    return get_object_or_404(
        Response.objects.select_related("case_version__case", "model"),
        pk=pk,
        case_version__case__benchmark=access.benchmark,
    )


@require_POST
@login_required
def calibration_mark(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    form = MarkCalibrationForm(request.POST)
    if not form.is_valid():
        raise Http404
    response = _response(access, form.cleaned_data["response"])
    _act(
        request,
        lambda: calibration_item_mark(
            benchmark=access.benchmark, response=response, by=request.user
        ),
        gettext("%(response)s is a calibration item.") % {"response": response},
    )
    return redirect("grading:calibration", slug)


@require_http_methods(["GET", "POST"])
@login_required
def calibration_gold(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A whole graded response made a calibration item with the gold labels the manager gives."""
    access = _manager(request, slug)
    response = _response(access, pk)
    criteria = Criterion.objects.filter(version_id=response.case_version_id).order_by("position")
    form = GoldForm(request.POST or None, criteria=criteria)
    error = ""
    if form.is_bound and form.is_valid():
        try:
            calibration_item_mark(
                benchmark=access.benchmark, response=response, by=request.user, gold=form.gold()
            )
        except GradingError as refusal:
            error = refusal.message
        else:
            messages.success(
                request, gettext("%(response)s is a calibration item.") % {"response": response}
            )
            return redirect("grading:calibration", slug)
    context = {"access": access, "response": response, "form": form, "error": error}
    return render(request, "grading/calibration_gold.html", context, status=422 if error else 200)


@require_POST
@login_required
def calibration_retire(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    item = get_object_or_404(CalibrationItem, pk=pk, benchmark=access.benchmark)
    calibration_item_retire(item=item, by=request.user)
    messages.success(request, gettext("The calibration item is no longer handed out."))
    return redirect("grading:calibration", slug)


@require_POST
@login_required
def campaign_calibration(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    campaign = get_object_or_404(Campaign, pk=pk, benchmark=access.benchmark)
    form = CampaignCalibrationForm(request.POST, prefix=f"c{campaign.pk}")
    if form.is_valid():
        data = form.cleaned_data
        _act(
            request,
            lambda: campaign_calibration_set(
                campaign=campaign,
                by=request.user,
                rate=data["rate"],
                show_feedback=data["show_feedback"],
            ),
            gettext("Calibration of “%(name)s” saved.") % {"name": campaign.name},
        )
    else:
        _form_error(request, form)
    return redirect("grading:calibration", slug)


# --- a grader's feedback -----------------------------------------------------------------------


@require_GET
@login_required
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.GRADER)
    rows = grader_feedback(benchmark=access.benchmark, grader=request.user)
    return render(request, "grading/calibration_feedback.html", {"access": access, "rows": rows})
