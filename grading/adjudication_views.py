"""Adjudication pages: the queue of disagreements and the adjudication screen (decide or flag),
for adjudicators; the gold set, for adjudicators and managers, where managers also choose what
adjudicators see."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curation.access import benchmark_access
from curation.models import Role
from curation.views.importing import ImportFlow, confirm, discard, preview_page, upload_page
from grading.adjudication_forms import (
    DecisionForm,
    FlagForm,
    GoldSetFilterForm,
    LabelImportForm,
    QueueFilterForm,
    SettingsForm,
)
from grading.adjudication_selectors import (
    QueueFilters,
    adjudication_counts,
    adjudication_item_get,
    adjudication_item_labels,
    adjudication_queue,
    adjudication_queue_rows,
    gold_set,
    queue_choices,
)
from grading.label_import import labels_import
from grading.services import GradingError
from grading.services.adjudication import (
    adjudication_decide,
    adjudication_flag,
    adjudication_refusal,
    adjudication_settings_get,
    adjudication_settings_set,
)

PAGE_SIZE = 50
GOLD_READERS = (Role.ADJUDICATOR, Role.MANAGER)


@require_GET
@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
    form = QueueFilterForm(request.GET or None, choices=queue_choices(benchmark=access.benchmark))
    filters = QueueFilters()
    if form.is_bound and form.is_valid():
        filters = QueueFilters(
            campaign=form.cleaned_data["campaign"],
            term=form.cleaned_data["term"],
            tag=form.cleaned_data["tag"],
        )
    items = adjudication_queue(benchmark=access.benchmark, filters=filters, user=request.user)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # One reverse() for all the links of the page, not one per row.
    item_url = reverse("grading:adjudication_item", args=[slug, 0]).removesuffix("0/") + "{}/"
    context = {
        "access": access,
        "form": form,
        "page": page,
        "rows": adjudication_queue_rows(items=page.object_list, url_of=item_url.format),
        "counts": adjudication_counts(benchmark=access.benchmark),
    }
    template = "grading/adjudication/queue.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def _item_page(request, access, item, *, decision=None, flag=None, status=200) -> HttpResponse:
    settings = adjudication_settings_get(benchmark=access.benchmark)
    humans, judges = adjudication_item_labels(
        item=item, settings=settings, grader_word=gettext("Grader")
    )
    refusal = adjudication_refusal(item=item, by=request.user)
    return render(
        request,
        "grading/adjudication/item.html",
        {
            "access": access,
            "item": item,
            "version": item.response.case_version,
            "humans": humans,
            "judges": judges,
            "settings": settings,
            "refusal": refusal,
            "can_decide": not refusal,
            "decision_form": decision or DecisionForm(initial={"revision": item.revision}),
            "flag_form": flag or FlagForm(initial={"revision": item.revision}),
        },
        status=status,
    )


def _get_item(access, pk: int):
    item = adjudication_item_get(benchmark=access.benchmark, pk=pk)
    if item is None:
        raise Http404
    return item


@require_GET
@login_required
def item(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
    return _item_page(request, access, _get_item(access, pk))


@require_POST
@login_required
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
    found = _get_item(access, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            adjudication_decide(
                item=found,
                by=request.user,
                met=form.cleaned_data["met"],
                rationale=form.cleaned_data["rationale"],
                revision=form.cleaned_data["revision"],
            )
        except GradingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("Decided. The consensus label is in the gold set."))
            return redirect("grading:adjudication_queue", slug)
    found = _get_item(access, pk)  # as it is now, after a refusal
    return _item_page(request, access, found, decision=form, status=422)


@require_POST
@login_required
def flag(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
    found = _get_item(access, pk)
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            adjudication_flag(
                item=found,
                by=request.user,
                reason=form.cleaned_data["reason"],
                revision=form.cleaned_data["revision"],
            )
        except GradingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                gettext(
                    "Criterion flagged as ambiguous. The case's authors are asked to revise it."
                ),
            )
            return redirect("grading:adjudication_queue", slug)
    found = _get_item(access, pk)
    return _item_page(request, access, found, flag=form, status=422)


@require_POST
@login_required
def settings(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    form = SettingsForm(request.POST)
    form.is_valid()  # two check boxes: always valid
    adjudication_settings_set(
        benchmark=access.benchmark,
        by=request.user,
        show_grader_names=form.cleaned_data["show_grader_names"],
        show_judge_labels=form.cleaned_data["show_judge_labels"],
    )
    messages.success(request, gettext("Saved what adjudicators see."))
    return redirect("grading:gold_set", slug)


@require_GET
@login_required
def gold(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, *GOLD_READERS)
    campaigns = list(access.benchmark.campaigns.order_by("name").values_list("pk", "name"))
    form = GoldSetFilterForm(request.GET or None, campaigns=campaigns)
    campaign_id = form.cleaned_data["campaign"] if form.is_bound and form.is_valid() else None
    return render(
        request,
        "grading/adjudication/gold_set.html",
        {
            "access": access,
            "form": form,
            "campaign_name": dict(campaigns).get(campaign_id),
            "gold": gold_set(benchmark=access.benchmark, campaign_id=campaign_id),
            "settings_form": _settings_form(access),
        },
    )


def _settings_form(access) -> SettingsForm | None:
    if not access.is_manager:
        return None
    current = adjudication_settings_get(benchmark=access.benchmark)
    return SettingsForm(
        initial={
            "show_grader_names": current.show_grader_names,
            "show_judge_labels": current.show_judge_labels,
        }
    )


# --- label import (the upload, preview and confirm flow of curation.views.importing) ---------


def _run_labels(*, benchmark, file, filename, actor, dry_run, options, progress):
    return labels_import(
        benchmark=benchmark,
        file=file,
        actor=actor,
        dry_run=dry_run,
        fmt=options["format"],
        filename=filename,
        progress=progress,
    )


def _labels_done(report: dict) -> str:
    return gettext(
        "Imported %(file)s: %(created)s labels created, %(updated)s updated; "
        "%(open)s items to adjudicate."
    ) % {
        "file": report["file_name"],
        "created": report["created"],
        "updated": report["updated"],
        "open": report["adjudication_open"],
    }


LABELS = ImportFlow(
    kind="labels",
    url_prefix="grading:import_labels",
    form_class=LabelImportForm,
    title=_("Import labels"),
    lead=_(
        "Add physicians' or judges' labels from a file. Human labels count towards consensus at "
        "once; judge labels never do. The file is checked first and nothing is written until you "
        "confirm; a file with any bad line is refused as a whole."
    ),
    report_template="grading/adjudication/_labels_report.html",
    help_template="grading/adjudication/_labels_help.html",
    run=_run_labels,
    options=lambda data, upload: {"format": data["format"]},
    done_message=_labels_done,
    done_url="grading:gold_set",
    done_label=_("Go to the gold set"),
)


@require_http_methods(["GET", "POST"])
@login_required
def import_labels(request: HttpRequest, slug: str) -> HttpResponse:
    return upload_page(request, slug, LABELS)


@require_GET
@login_required
def import_labels_preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return preview_page(request, slug, token, LABELS)


@require_POST
@login_required
def import_labels_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return confirm(request, slug, token, LABELS)


@require_POST
@login_required
def import_labels_discard(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return discard(request, slug, token, LABELS)
