"""Browser import for managers: upload, check, confirm; the checking and the import run as
background jobs (curation.jobs), so no request waits for a large file.

1. The upload page keeps the file aside (curation.importing.uploads) and starts a checking job
   (a dry run); the browser goes to the preview page, which shows its progress.
2. The preview shows every bad line of a refused file (status 422), or what importing it would
   create, revise or leave unchanged. Nothing is written yet.
3. Confirm starts the import job (the file is checked again: the benchmark may have changed
   meanwhile) and goes to its job page; discard deletes the file. The import writes in one
   transaction, so a failed or killed import leaves nothing behind and can run again.

The same flow serves the case import here and the response and label imports in grading
(which may import curation, not the reverse): each is an ImportFlow, and registers the job
kind `import_<kind>` that runs it.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curation.access import benchmark_access
from curation.import_forms import CaseImportForm
from curation.importing import ImportRejected, cases_import, guess_format
from curation.importing.tabular import describe_points_map
from curation.importing.uploads import (
    StoredUpload,
    upload_discard,
    upload_get,
    upload_store,
)
from curation.jobs import JobProgress, JobType, job_start, job_type_register
from curation.models import Benchmark, Job, Role

PREVIEW_IDS = 200  # case ids listed per group on the preview; the rest are counted


@dataclass(frozen=True)
class ImportFlow:
    kind: str
    url_prefix: str  # "curation:import_cases" -> _preview, _confirm, _discard
    form_class: type[forms.Form]
    title: Promise
    lead: Promise
    report_template: str
    help_template: str
    # run(benchmark=, file=, filename=, actor=, dry_run=, options=, progress=) -> report
    run: Callable[..., object]
    # The options kept with the upload, from the form and the uploaded file.
    options: Callable[[dict, object], dict]
    done_message: Callable[[dict], str]
    done_url: str
    done_label: Promise

    def __post_init__(self):
        job_type_register(
            JobType(
                kind=self.job_kind,
                run=self.run_job,
                result_template="curation/import/_job_result.html",
                context=self.job_context,
                done_url=self.done_url,
                done_label=self.done_label,
            )
        )

    @property
    def job_kind(self) -> str:
        return f"import_{self.kind}"

    def run_job(self, job: Job, progress: JobProgress) -> dict:
        """Check (dry run) or import the upload the job names; the upload is deleted once
        imported or refused, and kept while it may still be confirmed or run again."""
        stored = upload_get(
            token=job.input["token"],
            user=job.created_by,
            benchmark_slug=job.benchmark.slug,
            kind=self.kind,
        )
        dry_run = job.input["dry_run"]
        progress.step("reading" if dry_run else "writing")
        try:
            report = self.run(
                benchmark=job.benchmark,
                file=stored.path,
                filename=stored.meta["filename"],
                actor=job.created_by,
                dry_run=dry_run,
                options=stored.options,
                progress=progress,
            )
        except ImportRejected:
            upload_discard(stored)
            raise
        if not dry_run:
            upload_discard(stored)
        return {"report": asdict(report), "dry_run": dry_run}

    def job_context(self, job: Job) -> dict:
        report = job.result.get("report") or {}
        options = job.input.get("options", {})
        return {
            "flow": self,
            "report": report,
            "options": options,
            "points_map": describe_points_map(options["points_map"])
            if options.get("points_map")
            else "",
            "preview_ids": PREVIEW_IDS,
            "done_message": "" if job.input["dry_run"] or not report else self.done_message(report),
        }


def _url(flow: ImportFlow, step: str, slug: str, token: str | None = None) -> str:
    name = flow.url_prefix + (f"_{step}" if step else "")
    return reverse(name, args=[slug] if token is None else [slug, token])


def _upload_page(request, access, flow, form, *, status=200):
    return render(
        request,
        "curation/import/upload.html",
        {
            "access": access,
            "flow": flow,
            "form": form,
            "action": _url(flow, "", access.benchmark.slug),
        },
        status=status,
    )


def _start(flow: ImportFlow, stored: StoredUpload, benchmark: Benchmark, user, *, dry_run) -> Job:
    return job_start(
        kind=flow.job_kind,
        benchmark=benchmark,
        by=user,
        input={"token": stored.token, "dry_run": dry_run, "options": stored.options},
    )


def upload_page(request: HttpRequest, slug: str, flow: ImportFlow) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    if request.method == "GET":
        return _upload_page(request, access, flow, flow.form_class())
    form = flow.form_class(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, access, flow, form, status=422)
    upload = form.cleaned_data["file"]
    stored = upload_store(
        file=upload,
        user=request.user,
        benchmark_slug=slug,
        kind=flow.kind,
        options=flow.options(form.cleaned_data, upload),
    )
    _start(flow, stored, access.benchmark, request.user, dry_run=True)
    return redirect(_url(flow, "preview", slug, stored.token))


def _upload_job(flow: ImportFlow, token: str, access, user, *, dry_run: bool) -> Job | None:
    """The newest checking (dry run) or import job of the upload `token`."""
    return (
        Job.objects.filter(
            benchmark=access.benchmark,
            kind=flow.job_kind,
            created_by=user,
            input__token=token,
            input__dry_run=dry_run,
        )
        .select_related("benchmark")
        .first()
    )


def preview_page(request: HttpRequest, slug: str, token: str, flow: ImportFlow) -> HttpResponse:
    """The checking job: its progress while it runs, then every bad line (422) or what the
    import would do, with the buttons to import or discard."""
    access = benchmark_access(request.user, slug, Role.MANAGER)
    job = _upload_job(flow, token, access, request.user, dry_run=True)
    try:
        stored = upload_get(token=token, user=request.user, benchmark_slug=slug, kind=flow.kind)
    except Http404:
        # A refused file is deleted by its checking job; its bad lines stay on the job.
        if job is None or not job.result.get("errors"):
            raise
        stored = None
    if job is None:
        raise Http404
    template = "curation/import/preview.html"
    if request.htmx:
        template += "#check"
    context = {
        "access": access,
        "job": job,
        "stored": stored,
        "errors": job.result.get("errors"),
        "confirm_url": _url(flow, "confirm", slug, token),
        "discard_url": _url(flow, "discard", slug, token),
        "poll_url": _url(flow, "preview", slug, token),
        **flow.job_context(job),
    }
    # htmx swaps only successful answers: a poll that finds bad lines shows them with 200.
    refused = context["errors"] and not request.htmx
    return render(request, template, context, status=422 if refused else 200)


def confirm(request: HttpRequest, slug: str, token: str, flow: ImportFlow) -> HttpResponse:
    access = benchmark_access(request.user, slug, Role.MANAGER)
    stored = upload_get(token=token, user=request.user, benchmark_slug=slug, kind=flow.kind)
    checking = _upload_job(flow, token, access, request.user, dry_run=True)
    if checking is None or checking.status != Job.Status.DONE:
        messages.error(request, gettext("The file has not been checked yet."))
        return redirect(_url(flow, "preview", slug, token))
    job = _upload_job(flow, token, access, request.user, dry_run=False)
    if job is None:  # confirmed twice: the same job
        job = _start(flow, stored, access.benchmark, request.user, dry_run=False)
    return redirect("curation:job", slug, job.pk)


def discard(request: HttpRequest, slug: str, token: str, flow: ImportFlow) -> HttpResponse:
    benchmark_access(request.user, slug, Role.MANAGER)
    stored = upload_get(token=token, user=request.user, benchmark_slug=slug, kind=flow.kind)
    upload_discard(stored)
    messages.info(request, gettext("The file was discarded; nothing was imported."))
    return redirect(_url(flow, "", slug))


# --- cases --------------------------------------------------------------------------------


def _case_options(data: dict, upload) -> dict:
    return {
        "format": data["format"] or guess_format(upload),
        "approved": data["approved"],
        "points_map": data["points_map"] or None,
    }


def _run_cases(*, benchmark: Benchmark, file, filename, actor, dry_run, options, progress):
    return cases_import(
        benchmark=benchmark,
        file=file,
        fmt=options["format"],
        actor=actor,
        approved=options["approved"],
        points_map=options["points_map"],
        dry_run=dry_run,
        filename=filename,
        progress=progress,
    )


def _cases_done(report: dict) -> str:
    return gettext(
        "Imported %(file)s. Cases created: %(created)s, revised: %(revised)s, "
        "unchanged: %(unchanged)s."
    ) % {
        "file": report["file_name"],
        "created": len(report["created"]),
        "revised": len(report["revised"]),
        "unchanged": len(report["unchanged"]),
    }


CASES = ImportFlow(
    kind="cases",
    url_prefix="curation:import_cases",
    form_class=CaseImportForm,
    title=_("Import cases"),
    lead=_(
        "Add or update cases from a file. The file is checked first and nothing is written "
        "until you confirm; a file with any bad line is refused as a whole."
    ),
    report_template="curation/import/_cases_report.html",
    help_template="curation/import/_cases_help.html",
    run=_run_cases,
    options=_case_options,
    done_message=_cases_done,
    done_url="curation:case_list",
    done_label=_("Go to the cases"),
)


@require_http_methods(["GET", "POST"])
@login_required
def import_cases(request: HttpRequest, slug: str) -> HttpResponse:
    return upload_page(request, slug, CASES)


@require_GET
@login_required
def import_cases_preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return preview_page(request, slug, token, CASES)


@require_POST
@login_required
def import_cases_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return confirm(request, slug, token, CASES)


@require_POST
@login_required
def import_cases_discard(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return discard(request, slug, token, CASES)
