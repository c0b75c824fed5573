"""Browser import of model responses for managers: the upload, check and confirm flow of
curation.views.importing (background jobs), run with grading's response import."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curation.import_forms import ResponseImportForm
from curation.views.importing import ImportFlow, confirm, discard, preview_page, upload_page
from grading.importing import guess_format, responses_import


def _run(*, benchmark, file, filename, actor, dry_run, options, progress):
    return responses_import(
        benchmark=benchmark,
        file=file,
        actor=actor,
        dry_run=dry_run,
        fmt=options["format"],
        filename=filename,
        progress=progress,
    )


def _done(report: dict) -> str:
    return gettext("Imported %(file)s: %(created)s responses to %(cases)s cases.") % {
        "file": report["file_name"],
        "created": report["created"],
        "cases": report["cases"],
    }


RESPONSES = ImportFlow(
    kind="responses",
    url_prefix="grading:import_responses",
    form_class=ResponseImportForm,
    title=_("Import model responses"),
    lead=_(
        "Add model responses to approved cases. Each response is tied to the case's current "
        "version. The file is checked first and nothing is written until you confirm; a file "
        "with any bad line is refused as a whole."
    ),
    report_template="curation/import/_responses_report.html",
    help_template="curation/import/_responses_help.html",
    run=_run,
    options=lambda data, upload: {"format": guess_format(upload, upload.name)},
    done_message=_done,
    done_url="grading:import_responses",
    done_label=_("Import more responses"),
)


@require_http_methods(["GET", "POST"])
@login_required
def import_responses(request: HttpRequest, slug: str) -> HttpResponse:
    return upload_page(request, slug, RESPONSES)


@require_GET
@login_required
def import_responses_preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return preview_page(request, slug, token, RESPONSES)


@require_POST
@login_required
def import_responses_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return confirm(request, slug, token, RESPONSES)


@require_POST
@login_required
def import_responses_discard(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    return discard(request, slug, token, RESPONSES)
