"""Model-run pages for managers: endpoints (the key write-only), runs (start, progress polled by
htmx while the run goes, per-item problems, resume), unparsed judge answers, and two judges side
by side."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curation.access import BenchmarkAccess, benchmark_access
from curation.models import Role
from curation.selectors import benchmark_facets
from runner import selectors
from runner.forms import CollectForm, EndpointForm, JudgeForm
from runner.models import Run
from runner.services import (
    RunRefused,
    collection_start,
    endpoint_create,
    endpoint_update,
    judging_start,
    run_resume,
)
from runner.tasks import execute_run

UNPARSED_PER_PAGE = 25
RUN_FORMS = {"collect": CollectForm, "judge": JudgeForm}


def _manager(request: HttpRequest, slug: str) -> BenchmarkAccess:
    return benchmark_access(request.user, slug, Role.MANAGER)


@require_GET
@login_required
def endpoints(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    return render(
        request,
        "runner/endpoints.html",
        {"access": access, "endpoints": selectors.endpoint_list(benchmark=access.benchmark)},
    )


def _endpoint_form(request: HttpRequest, access: BenchmarkAccess, endpoint) -> HttpResponse:
    form = EndpointForm(request.POST if request.method == "POST" else None, instance=endpoint)
    status = 200
    if form.is_bound and form.is_valid():
        key = form.cleaned_data["api_key"] or None
        try:
            if endpoint is None:
                endpoint_create(
                    benchmark=access.benchmark, by=request.user, data=form.settings(), api_key=key
                )
            else:
                endpoint_update(
                    endpoint=endpoint,
                    by=request.user,
                    data=form.settings(),
                    api_key=key,
                    clear_key=form.cleaned_data.get("clear_key", False),
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("The endpoint is saved."))
            return redirect("runner:endpoints", access.benchmark.slug)
    if form.is_bound:
        status = 422
    return render(
        request,
        "runner/endpoint_form.html",
        {"access": access, "form": form, "endpoint": endpoint},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def endpoint_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _endpoint_form(request, _manager(request, slug), None)


@require_http_methods(["GET", "POST"])
@login_required
def endpoint_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    endpoint = selectors.endpoint_get(benchmark=access.benchmark, pk=pk)
    return _endpoint_form(request, access, endpoint)


@require_GET
@login_required
def runs(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    return render(
        request,
        "runner/runs.html",
        {"access": access, "runs": selectors.run_list(benchmark=access.benchmark)[:100]},
    )


@require_http_methods(["GET", "POST"])
@login_required
def run_new(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    access = _manager(request, slug)
    if kind not in RUN_FORMS:
        raise Http404
    benchmark = access.benchmark
    form = RUN_FORMS[kind](
        request.POST if request.method == "POST" else None,
        benchmark=benchmark,
        facets=benchmark_facets(benchmark=benchmark),
        endpoints=selectors.endpoint_list(benchmark=benchmark),
    )
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "collect":
                run = collection_start(
                    endpoint=data["endpoint"],
                    by=request.user,
                    case_versions=form.case_versions(),
                    samples=data["samples"],
                    selection=form.selection(),
                )
            else:
                run = judging_start(
                    endpoint=data["endpoint"],
                    by=request.user,
                    responses=form.responses(),
                    selection=form.selection(),
                )
        except RunRefused as refused:
            form.add_error(None, refused.message)
        else:
            execute_run.enqueue(run.pk)
            return redirect("runner:run", slug, run.pk)
    if form.is_bound:
        status = 422
    return render(
        request,
        "runner/run_new.html",
        {"access": access, "form": form, "kind": kind},
        status=status,
    )


@require_GET
@login_required
def run_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    run = selectors.run_get(benchmark=access.benchmark, pk=pk)
    template = "runner/run_detail.html"
    if request.htmx:
        template += "#progress"
    return render(
        request,
        template,
        {"access": access, "run": run, "progress": selectors.run_progress(run=run)},
    )


@require_POST
@login_required
def run_resume_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    run = selectors.run_get(benchmark=access.benchmark, pk=pk)
    try:
        run_resume(run=run, by=request.user)
    except RunRefused as refused:
        messages.error(request, refused.message)
    else:
        execute_run.enqueue(run.pk)
        messages.success(request, gettext("The run goes on with what is missing."))
    return redirect("runner:run", slug, run.pk)


@require_GET
@login_required
def run_unparsed(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _manager(request, slug)
    run = selectors.run_get(benchmark=access.benchmark, pk=pk)
    if run.kind != Run.Kind.JUDGE:
        raise Http404  # a collection run has no judge answers
    page = Paginator(selectors.unparsed_items(run=run), UNPARSED_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "runner/unparsed.html", {"access": access, "run": run, "page": page})


def _chosen(request: HttpRequest, name: str, judges: dict[int, str], default: int | None):
    try:
        chosen = int(request.GET.get(name, ""))
    except ValueError:
        return default
    return chosen if chosen in judges else default


@require_GET
@login_required
def dual_judge(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    judges = selectors.judge_choices(benchmark=access.benchmark)
    ordered = list(judges)
    first = _chosen(request, "a", judges, ordered[0] if ordered else None)
    second = _chosen(request, "b", judges, ordered[1] if len(ordered) > 1 else None)
    report = None
    if first is not None and second is not None and first != second:
        report = selectors.dual_judge(benchmark=access.benchmark, first=first, second=second)
        for side in report["sides"]:
            side["name"] = judges[side["rater"]]
    return render(
        request,
        "runner/dual_judge.html",
        {
            "access": access,
            "judges": judges,
            "first": first,
            "second": second,
            "report": report,
        },
    )
