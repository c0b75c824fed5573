from collections.abc import Callable
from functools import partial
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from curation.access import BenchmarkAccess, benchmark_access
from curation.authoring_forms import (
    CaseContentForm,
    CaseCreateForm,
    CaseDraftForm,
    CriterionForm,
    RevisionForm,
    VersionPairForm,
)
from curation.change_notes import change_note_display
from curation.diff import content_diff, text_diff, version_diff
from curation.filters import CaseFilter
from curation.models import Case, CaseVersion, Criterion, Role
from curation.selectors import (
    authored_cases,
    benchmark_facets,
    case_get,
    case_history,
    case_list_page,
    case_status_counts,
    case_version_get,
    criteria_totals,
    identifier_findings,
    ordered_roles,
)
from curation.services import authoring
from curation.services.authoring import REVISABLE_STATUSES

CASES_PER_PAGE = 50
URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted


@require_GET
@login_required
def benchmark_home(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug)
    status_counts = case_status_counts(benchmark=access.benchmark)
    context = {
        "access": access,
        "roles": ordered_roles(access.roles),
        "status_counts": status_counts,
        "total_cases": sum(row.count for row in status_counts),
    }
    return render(request, "curation/benchmark_home.html", context)


@require_GET
@login_required
def my_cases(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    cases = authored_cases(benchmark=access.benchmark, user=request.user)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "curation/my_cases.html", {"access": access, "page": page})


# --- Case list, case page, editor, versions (authoring) ---
# Who sees what: authors, reviewers and managers read cases; authors write them; managers retire
# them. Graders and adjudicators work from their own queues and never browse cases here.
CASE_READERS = (Role.AUTHOR, Role.REVIEWER, Role.MANAGER)
INVALID = 422  # a form shown again with its errors (htmx swaps it, see base.html)


@require_GET
@login_required
def case_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, *CASE_READERS)
    facets = benchmark_facets(benchmark=access.benchmark)
    filters = CaseFilter(
        request.GET or None,
        queryset=Case.objects.filter(benchmark=access.benchmark),
        benchmark=access.benchmark,
        facets=facets,
    )
    page = _page_of_ids(filters, request.GET.get("page"))
    page.object_list = case_list_page(
        benchmark=access.benchmark,
        ids=list(page.object_list),
        url_of=_url_maker("curation:case_detail", access.benchmark.slug),
    )
    context = {
        "access": access,
        "filters": filters,
        "page": page,
        "can_write": access.has(Role.AUTHOR),
    }
    template = "curation/cases/list.html"
    if request.htmx and request.htmx.target == "case-results":
        template += "#results"
    return render(request, template, context)


def _page_of_ids(filters: CaseFilter, number: str | None) -> Page:
    """A page of the filtered cases' ids, as Paginator.get_page gives it.

    With a text search the page's rows carry their total (a window count), so the search reads
    the conversations once, not once to count them and again for the page (SQLite has no index
    for it). Otherwise the paginator counts: an index-only count costs far less than a window
    over every case (30 ms on SQLite at 10,000 cases). A page number past the end brings no row
    to carry the total: the paginator counts, then reads.
    """
    paginator = Paginator(filters.qs.values_list("pk", flat=True), CASES_PER_PAGE)
    plain_number = number is None or (number.isdigit() and int(number) >= 1)
    searched = filters.is_bound and filters.form.cleaned_data.get("q")
    if not searched or not plain_number:
        return paginator.get_page(number)
    number = int(number or 1)
    start = (number - 1) * CASES_PER_PAGE
    rows = filters.qs.annotate(total=Window(Count("*"))).values_list("pk", "total")
    rows = list(rows[start : start + CASES_PER_PAGE])
    if not rows and number > 1:
        return paginator.get_page(number)
    paginator.count = rows[0][1] if rows else 0
    return Page([pk for pk, _total in rows], number, paginator)


def _url_maker(name: str, *args: str) -> Callable[[str], str]:
    """reverse(name, args=[*args, last]) for many `last` values, at the cost of one reverse():
    fifty of them were a third of the case list's rendering time."""
    placeholder = quote("{last}", safe=URL_SAFE)
    pattern = reverse(name, args=[*args, "{last}"])
    return lambda last: pattern.replace(placeholder, quote(last, safe=URL_SAFE))


@require_GET
@login_required
def case_detail(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, *CASE_READERS)
    case = _case_or_404(access, external_id)
    number = request.GET.get("version", "")
    if number and not number.isdigit():
        raise Http404
    version = case_version_get(case=case, number=int(number or case.current_version.number))
    if version is None:
        raise Http404
    history = _with_states(case, case_history(case=case))
    context = {
        "access": access,
        "case": case,
        "version": version,
        "shown": next(entry for entry in history if entry.pk == version.pk),
        "is_current": version.pk == case.current_version_id,
        "history": history,
        "totals": criteria_totals(version.criteria.all()),
        "findings": identifier_findings(version),
        "revisable": case.status in REVISABLE_STATUSES,
        "can_write": access.has(Role.AUTHOR),
    }
    return render(request, "curation/cases/detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def case_create(request: HttpRequest, slug: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    facets = benchmark_facets(benchmark=access.benchmark)
    if request.method == "GET":
        form = CaseCreateForm(facets=facets)
        return _render_content_form(request, access, form)
    form = CaseCreateForm(request.POST, facets=facets)
    if _is_form_tool(request):
        return _content_form_tool(request, access, form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = authoring.case_create(
                benchmark=access.benchmark,
                external_id=data["external_id"],
                by=request.user,
                title=data["title"],
                messages=data["messages"],
                reference_answer=data["reference_answer"],
                terms=data["terms"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, gettext("Case created. Now write its criteria."))
            return redirect("curation:case_edit", access.benchmark.slug, case.external_id)
    return _render_content_form(request, access, form, status=INVALID)


@require_http_methods(["GET", "POST"])
@login_required
def case_edit(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    case = _case_or_404(access, external_id)
    draft = _current_draft(case)
    if draft is None:
        return _not_a_draft(request, access, case)
    facets = benchmark_facets(benchmark=access.benchmark)
    if request.method == "GET":
        form = CaseDraftForm(facets=facets, initial=_draft_initial(draft, facets))
        return _render_content_form(request, access, form, case=case, draft=draft)
    form = CaseDraftForm(request.POST, facets=facets)
    if _is_form_tool(request):
        return _content_form_tool(request, access, form, case=case, draft=draft)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = authoring.case_version_save_draft(
                version=draft,
                by=request.user,
                expected_revision=data["expected_revision"],
                title=data["title"],
                messages=data["messages"],
                reference_answer=data["reference_answer"],
                terms=data["terms"],
                change_note=data["change_note"],
            )
        except authoring.EditConflict as conflict:
            return _render_conflict(request, access, case, form, conflict)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                gettext("Draft saved (version %(number)d, revision %(revision)d).")
                % {"number": saved.number, "revision": saved.revision},
            )
            return redirect("curation:case_edit", access.benchmark.slug, case.external_id)
    return _render_content_form(request, access, form, case=case, draft=draft, status=INVALID)


@require_POST
@login_required
def criterion_add(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    access, case, draft = _criteria_target(request, slug, external_id)
    if draft is None:
        return _not_a_draft(request, access, case)
    save = partial(authoring.criterion_add, version=draft)
    return _criterion_save(request, access, case, save, form_as="add_form")


@require_http_methods(["GET", "POST"])
@login_required
def criterion_edit(request: HttpRequest, slug: str, external_id: str, key: str) -> HttpResponse:
    """GET: the criterion's row as a form (htmx); POST: save it."""
    access, case, draft = _criteria_target(request, slug, external_id)
    if draft is None:
        return _not_a_draft(request, access, case)
    criterion = get_object_or_404(draft.criteria, key=key)
    if request.method == "GET":
        if not request.htmx:
            return redirect(_editor_url(access, case, edit=key))
        form = CriterionForm(initial=_criterion_initial(criterion, draft))
        return _criterion_row(request, access, case, draft, criterion, form)
    save = partial(authoring.criterion_update, criterion=criterion)
    return _criterion_save(request, access, case, save, form_as="edit_form", edit_key=key)


@require_GET
@login_required
def criterion_row(request: HttpRequest, slug: str, external_id: str, key: str) -> HttpResponse:
    """The criterion's row as shown (htmx "cancel" of an edit in place)."""
    access, case, draft = _criteria_target(request, slug, external_id)
    if draft is None:
        return _not_a_draft(request, access, case)
    criterion = get_object_or_404(draft.criteria, key=key)
    if not request.htmx:
        return redirect(_editor_url(access, case) + f"#criterion-{key}")
    return _criterion_row(request, access, case, draft, criterion, None)


@require_POST
@login_required
def criterion_delete(request: HttpRequest, slug: str, external_id: str, key: str) -> HttpResponse:
    access, case, draft = _criteria_target(request, slug, external_id)
    if draft is None:
        return _not_a_draft(request, access, case)
    criterion = get_object_or_404(draft.criteria, key=key)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(gettext("The form was incomplete; reload the page."))
    try:
        authoring.criterion_delete(
            criterion=criterion,
            by=request.user,
            expected_revision=form.cleaned_data["expected_revision"],
        )
    except authoring.EditConflict as conflict:
        return _criteria_response(request, access, case, conflict=conflict)
    return _criteria_response(request, access, case, changed=True)


@require_POST
@login_required
def criterion_move(request: HttpRequest, slug: str, external_id: str, key: str) -> HttpResponse:
    """Move a criterion one place up or down (`direction`)."""
    access, case, draft = _criteria_target(request, slug, external_id)
    if draft is None:
        return _not_a_draft(request, access, case)
    form = RevisionForm(request.POST)
    direction = request.POST.get("direction")
    keys = list(draft.criteria.order_by("position").values_list("key", flat=True))
    if key not in keys:
        raise Http404
    if not form.is_valid() or direction not in {"up", "down"}:
        return HttpResponseBadRequest(gettext("The form was incomplete; reload the page."))
    i = keys.index(key)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(keys):
        keys[i], keys[j] = keys[j], keys[i]
        try:
            authoring.criteria_reorder(
                version=draft,
                by=request.user,
                expected_revision=form.cleaned_data["expected_revision"],
                keys=keys,
            )
        except authoring.EditConflict as conflict:
            return _criteria_response(request, access, case, conflict=conflict)
    return _criteria_response(request, access, case, changed=True, focus=f"{key}-{direction}")


@require_POST
@login_required
def case_submit(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    case = _case_or_404(access, external_id)
    draft = _current_draft(case)
    if draft is None:
        return _not_a_draft(request, access, case)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(gettext("The form was incomplete; reload the page."))
    try:
        authoring.case_version_submit(
            version=draft,
            by=request.user,
            expected_revision=form.cleaned_data["expected_revision"],
        )
    except authoring.EditConflict:
        messages.warning(
            request,
            gettext(
                "Someone else saved this draft after you opened it. Check it and submit again."
            ),
        )
        return redirect(_editor_url(access, case))
    except authoring.SubmissionBlocked as blocked:
        facets = benchmark_facets(benchmark=access.benchmark)
        draft = case_version_get(case=case, number=draft.number)
        form = CaseDraftForm(facets=facets, initial=_draft_initial(draft, facets))
        return _render_content_form(
            request, access, form, case=case, draft=draft, blocked=blocked, status=INVALID
        )
    except authoring.AuthoringError as error:
        messages.error(request, error.message)
        return redirect(_case_url(access, case))
    messages.success(
        request,
        gettext("Version %(number)d was submitted for review and can no longer change.")
        % {"number": draft.number},
    )
    return redirect(_case_url(access, case))


@require_POST
@login_required
def case_new_version(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    case = _case_or_404(access, external_id)
    return _draft_started(
        request,
        access,
        case,
        partial(authoring.case_new_draft, case=case, by=request.user),
        gettext("Version %(number)d was started as a draft, copied from the previous one."),
    )


@require_POST
@login_required
def case_version_restore(
    request: HttpRequest, slug: str, external_id: str, number: int
) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    case = _case_or_404(access, external_id)
    version = get_object_or_404(case.versions, number=number)
    return _draft_started(
        request,
        access,
        case,
        partial(authoring.case_version_restore, version=version, by=request.user),
        gettext("Version %(number)d was started as a draft with the content of version %(old)d."),
        old=number,
    )


@require_POST
@login_required
def case_retire(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    case = _case_or_404(access, external_id)
    try:
        authoring.case_retire(case=case, by=request.user)
    except authoring.AuthoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The case was retired."))
    return redirect(_case_url(access, case))


@require_GET
@login_required
def case_diff(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    """Two versions side by side; `?a=1&b=2`, by default the current one and its parent."""
    access = benchmark_access(request.user, slug, *CASE_READERS)
    case = _case_or_404(access, external_id)
    history = case_history(case=case)
    numbers = [v.number for v in reversed(history)]
    current = case.current_version
    parent = next((v for v in history if v.pk == current.parent_id), current)
    form = VersionPairForm(
        {"a": request.GET.get("a", parent.number), "b": request.GET.get("b", current.number)},
        numbers=numbers,
    )
    context = {"access": access, "case": case, "form": form, "history": history}
    if not form.is_valid():
        return render(request, "curation/cases/diff.html", context, status=400)
    a = case_version_get(case=case, number=form.cleaned_data["a"])
    b = case_version_get(case=case, number=form.cleaned_data["b"])
    context["diff"] = version_diff(a, b)
    return render(request, "curation/cases/diff.html", context)


# --- authoring helpers ---


def _case_or_404(access: BenchmarkAccess, external_id: str) -> Case:
    case = case_get(benchmark=access.benchmark, external_id=external_id)
    if case is None or case.current_version is None:
        raise Http404
    return case


def _with_states(case: Case, history: list[CaseVersion]) -> list[CaseVersion]:
    """Give each version the state the history shows: the case's status is its current
    version's; an earlier version was either never submitted or replaced by a later one."""
    for version in history:
        if version.pk == case.current_version_id:
            version.state, version.state_label = case.status, case.get_status_display()
        elif not version.is_frozen:
            version.state, version.state_label = "draft", gettext("Draft")
        else:
            version.state, version.state_label = "superseded", gettext("Superseded")
    return history


def _current_draft(case: Case) -> CaseVersion | None:
    if case.current_version.is_frozen:
        return None
    return case_version_get(case=case, number=case.current_version.number)


def _case_url(access: BenchmarkAccess, case: Case) -> str:
    return reverse("curation:case_detail", args=[access.benchmark.slug, case.external_id])


def _editor_url(access: BenchmarkAccess, case: Case, *, edit: str = "") -> str:
    url = reverse("curation:case_edit", args=[access.benchmark.slug, case.external_id])
    return f"{url}?edit={edit}#criterion-{edit}" if edit else url


def _draft_started(
    request: HttpRequest, access: BenchmarkAccess, case: Case, start, success: str, **values
) -> HttpResponse:
    """Start a draft through `start()` and go to its editor, saying `success` (formatted with the
    draft's `number` and `values`); or back to the case, saying why not."""
    try:
        draft = start()
    except authoring.AuthoringError as error:
        messages.error(request, error.message)
        return redirect(_case_url(access, case))
    messages.success(request, success % {"number": draft.number, **values})
    return redirect(_editor_url(access, case))


def _not_a_draft(request: HttpRequest, access: BenchmarkAccess, case: Case) -> HttpResponse:
    messages.info(
        request,
        gettext("Version %(number)d is frozen (%(status)s): only a draft can be edited.")
        % {"number": case.current_version.number, "status": case.get_status_display()},
    )
    if request.htmx:
        return HttpResponseClientRedirect(_case_url(access, case))
    return redirect(_case_url(access, case))


def _criteria_target(
    request: HttpRequest, slug: str, external_id: str
) -> tuple[BenchmarkAccess, Case, CaseVersion | None]:
    access = benchmark_access(request.user, slug, Role.AUTHOR)
    case = _case_or_404(access, external_id)
    return access, case, _current_draft(case)


def _draft_initial(draft: CaseVersion, facets) -> dict:
    return {
        "title": draft.title,
        "messages": draft.messages,
        "reference_answer": draft.reference_answer,
        "change_note": change_note_display(draft.change_note),
        "expected_revision": draft.revision,
        **CaseContentForm.initial_terms(facets, list(draft.terms.all())),
    }


def _criterion_initial(criterion: Criterion, draft: CaseVersion) -> dict:
    return {
        "text": criterion.text,
        "points": criterion.points,
        "tags": ", ".join(criterion.tags),
        "expected_revision": draft.revision,
    }


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, on a field when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _is_form_tool(request: HttpRequest) -> bool:
    """A button that reshapes the form (turns, preview) rather than saving it."""
    return "turn_action" in request.POST or request.POST.get("action") == "preview"


def _content_form_tool(
    request: HttpRequest,
    access: BenchmarkAccess,
    form: CaseContentForm,
    *,
    case: Case | None = None,
    draft: CaseVersion | None = None,
) -> HttpResponse:
    """Apply a turn action or show the preview, keeping everything typed, saving nothing."""
    preview = None
    if "turn_action" in request.POST:
        form.apply_turn_action(request.POST["turn_action"])
    else:
        preview = request.POST.get("reference_answer", "")
    form = form.unbound_copy()
    if request.htmx:
        partial = "turns" if preview is None else "preview"
        context = {
            "form": form,
            "form_action": request.path,
            "preview": preview,
            "focus_turn": _focus_turn(request),
        }
        return render(request, f"curation/cases/_content_form.html#{partial}", context)
    return _render_content_form(request, access, form, case=case, draft=draft, preview=preview)


def _focus_turn(request: HttpRequest) -> int | None:
    """The turn to put the keyboard focus on after a turn action (the one acted on)."""
    verb, _sep, index = request.POST.get("turn_action", "").partition(":")
    if verb == "add":
        return len(request.POST.getlist("turn_role"))
    if index.isdigit():
        i = int(index)
        return {"up": i - 1, "down": i + 1}.get(verb, max(i - 1, 0))
    return None


def _render_content_form(
    request: HttpRequest,
    access: BenchmarkAccess,
    form: CaseContentForm,
    *,
    case: Case | None = None,
    draft: CaseVersion | None = None,
    preview: str | None = None,
    blocked: authoring.SubmissionBlocked | None = None,
    status: int = 200,
) -> HttpResponse:
    """The editor page: the content form, and for a draft its criteria and submission panel."""
    context = {
        "access": access,
        "form": form,
        "case": case,
        "preview": preview,
        "form_action": _editor_url(access, case)
        if case
        else reverse("curation:case_create", args=[access.benchmark.slug]),
    }
    if draft is not None:
        edit_key = request.GET.get("edit", "")
        context.update(_draft_panels(access, case, draft), blocked=blocked)
        criterion = next((c for c in context["criteria"] if c.key == edit_key), None)
        if criterion is not None:
            context["edit_key"] = edit_key
            context["edit_form"] = CriterionForm(initial=_criterion_initial(criterion, draft))
    return render(request, "curation/cases/editor.html", context, status=status)


def _draft_panels(access: BenchmarkAccess, case: Case, draft: CaseVersion) -> dict:
    """What the criteria section and the submission panel of the editor show."""
    criteria = list(draft.criteria.all())
    findings = identifier_findings(draft)
    flagged = {f.key for f in findings if f.field == "criterion"}
    for number, criterion in enumerate(criteria, start=1):
        criterion.number = number
        criterion.flagged = criterion.key in flagged
    return {
        "access": access,
        "case": case,
        "draft": draft,
        "criteria": criteria,
        "add_form": CriterionForm(initial={"points": 1, "expected_revision": draft.revision}),
        "totals": criteria_totals(criteria),
        "problems": authoring.submission_problems(draft),
        "findings": findings,
    }


def _criteria_response(
    request: HttpRequest,
    access: BenchmarkAccess,
    case: Case,
    *,
    changed: bool = False,
    conflict: authoring.EditConflict | None = None,
    unsaved: CriterionForm | None = None,
    add_form: CriterionForm | None = None,
    edit_key: str = "",
    edit_form: CriterionForm | None = None,
    focus: str = "",
) -> HttpResponse:
    """The criteria section after an action: in place for htmx, else the editor page.

    After a conflict the section shows the stored criteria and what the user typed, and offers
    no more actions: the page is out of date as a whole and must be reloaded (after saving the
    content above, which shows any conflict side by side), so nothing is overwritten unseen.
    """
    if not request.htmx and changed:
        return redirect(_editor_url(access, case) + "#criteria")
    case.refresh_from_db(fields=["current_version", "status"])
    draft = case_version_get(case=case, number=case.current_version.number)
    context = _draft_panels(access, case, draft)
    context.update(
        conflict=conflict, unsaved=unsaved, edit_key=edit_key, edit_form=edit_form, focus=focus
    )
    if add_form is not None:
        context["add_form"] = add_form
    invalid = add_form is not None or edit_form is not None
    if request.htmx:
        status = INVALID if invalid or conflict else 200
        return render(request, "curation/cases/editor.html#criteria_update", context, status=status)
    facets = benchmark_facets(benchmark=access.benchmark)
    context.update(
        form=CaseDraftForm(facets=facets, initial=_draft_initial(draft, facets)),
        form_action=_editor_url(access, case),
    )
    status = 409 if conflict else INVALID if invalid else 200
    return render(request, "curation/cases/editor.html", context, status=status)


def _criterion_save(
    request: HttpRequest, access: BenchmarkAccess, case: Case, save, *, form_as: str, **shown
) -> HttpResponse:
    """Save the posted criterion through `save` (the service, its target bound); if it is not
    saved, the criteria panel shows the form as `form_as`, with `shown`."""
    form = CriterionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            save(
                by=request.user,
                expected_revision=data["expected_revision"],
                text=data["text"],
                points=data["points"],
                tags=data["tags"],
            )
        except authoring.EditConflict as conflict:
            return _criteria_response(request, access, case, conflict=conflict, unsaved=form)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _criteria_response(request, access, case, changed=True)
    return _criteria_response(request, access, case, **shown, **{form_as: form})


def _criterion_row(
    request: HttpRequest,
    access: BenchmarkAccess,
    case: Case,
    draft: CaseVersion,
    criterion: Criterion,
    form: CriterionForm | None,
) -> HttpResponse:
    """One criterion row, shown or as a form (htmx edit in place and its cancel)."""
    context = _draft_panels(access, case, draft)
    context.update(
        criterion=next(c for c in context["criteria"] if c.pk == criterion.pk),
        edit_form=form,
        edit_key=criterion.key if form is not None else "",
    )
    return render(request, "curation/cases/editor.html#criterion_row", context)


def _render_conflict(
    request: HttpRequest,
    access: BenchmarkAccess,
    case: Case,
    form: CaseDraftForm,
    conflict: authoring.EditConflict,
) -> HttpResponse:
    """Both texts side by side; the form keeps what the user typed, now on the new revision,
    so saving it again puts it on top of what is stored."""
    data = form.data.copy()
    data["expected_revision"] = str(conflict.revision)
    retry = CaseDraftForm(data, facets=form.facets)
    retry.is_valid()
    typed = form.cleaned_data
    texts = content_diff(conflict.stored, typed)
    stored_terms = set(conflict.stored["term_ids"])
    context = {
        "access": access,
        "case": case,
        "conflict": conflict,
        "form": retry,
        "form_action": _editor_url(access, case),
        "typed": typed,
        "texts": texts,
        "unchanged": [t.label for t in texts if not t.changed],
        "change_note": text_diff(
            gettext("Change note"), conflict.stored["change_note"], typed["change_note"]
        ),
        "stored_terms": [t for t in form.terms_by_pk.values() if t.pk in stored_terms],
        "terms_differ": stored_terms != {t.pk for t in typed["terms"]},
    }
    return render(request, "curation/cases/conflict.html", context, status=409)
