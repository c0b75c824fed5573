"""Release pages for managers: list, cut a release (with the changelog preview), detail with
the build's progress (polled by htmx while it runs), publish, and sha256-checked downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curation.access import BenchmarkAccess, benchmark_access
from curation.models import Role
from curation.selectors import benchmark_facets
from grading.models import Release
from grading.releases.changelog import release_changelog
from grading.releases.forms import ReleaseForm
from grading.releases.selectors import release_get, release_list
from grading.releases.services import (
    ReleaseFileCorrupt,
    ReleaseRefused,
    previous_release,
    release_create,
    release_file_open,
    release_publish,
)
from grading.tasks import build_release


def _manager(request: HttpRequest, slug: str) -> BenchmarkAccess:
    return benchmark_access(request.user, slug, Role.MANAGER)


@require_GET
@login_required
def releases(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    return render(
        request,
        "grading/releases/list.html",
        {"access": access, "releases": release_list(benchmark=access.benchmark)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def release_new(request: HttpRequest, slug: str) -> HttpResponse:
    access = _manager(request, slug)
    benchmark = access.benchmark
    form = ReleaseForm(
        request.POST if request.method == "POST" else None,
        benchmark=benchmark,
        facets=benchmark_facets(benchmark=benchmark),
    )
    preview, problems, status = None, [], 200
    if form.is_bound and form.is_valid():
        versions = form.case_versions()
        if "preview" in request.POST:
            preview = {
                "cases": versions.count(),
                "changelog": release_changelog(
                    version_ids=versions.values("pk"),
                    previous=previous_release(benchmark=benchmark),
                ),
            }
        else:
            data = form.cleaned_data
            try:
                release = release_create(
                    benchmark=benchmark,
                    by=request.user,
                    version=data["version"],
                    notes=data["notes"],
                    case_versions=versions,
                    selection=form.selection(),
                    include_responses=data["include_responses"],
                    include_labels=data["include_labels"],
                    include_statistics=data["include_statistics"],
                )
            except ReleaseRefused as refused:
                problems = refused.problems
                status = 422
            else:
                build_release.enqueue(release.pk)
                return redirect("grading:release", slug, release.version)
    elif form.is_bound:
        status = 422
    return render(
        request,
        "grading/releases/new.html",
        {"access": access, "form": form, "preview": preview, "problems": problems},
        status=status,
    )


@require_GET
@login_required
def release_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    access = _manager(request, slug)
    release = release_get(benchmark=access.benchmark, version=version)
    template = "grading/releases/detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"access": access, "release": release})


@require_POST
@login_required
def release_publish_view(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    access = _manager(request, slug)
    release = release_get(benchmark=access.benchmark, version=version)
    try:
        release_publish(release=release, by=request.user)
    except ReleaseRefused as refused:
        for problem in refused.problems:
            messages.error(request, problem)
    else:
        messages.success(request, gettext("Release %(v)s is published.") % {"v": release.version})
    return redirect("grading:release", slug, release.version)


@require_POST
@login_required
def release_build_view(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    """Build a failed release again, or one whose build lost its worker."""
    access = _manager(request, slug)
    release = release_get(benchmark=access.benchmark, version=version)
    if release.status == Release.Status.FAILED or release.worker_stopped:
        build_release.enqueue(release.pk)
    return redirect("grading:release", slug, release.version)


@require_GET
@login_required
def release_download(request: HttpRequest, slug: str, version: str, name: str) -> HttpResponse:
    access = _manager(request, slug)
    release = release_get(benchmark=access.benchmark, version=version)
    stored = next((f for f in release.files.all() if f.name == name), None)
    if stored is None or release.status not in (Release.Status.BUILT, Release.Status.PUBLISHED):
        return render(
            request,
            "grading/releases/file_error.html",
            {"access": access, "release": release, "name": name, "missing": True},
            status=404,
        )
    try:
        opened = release_file_open(release_file=stored)
    except ReleaseFileCorrupt:
        return render(
            request,
            "grading/releases/file_error.html",
            {"access": access, "release": release, "name": name},
            status=409,
        )
    return FileResponse(opened, as_attachment=True, filename=name.replace("/", "_"))
