"""The page of a background job (curation.jobs) for managers: its progress, polled by htmx while
it runs (a plain page to reload without JavaScript), then its result or why it failed; a job
that failed or whose worker stopped can be run again."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from curation.access import benchmark_access
from curation.jobs import job_can_retry, job_retry, job_type
from curation.models import Job, Role


def _job(request: HttpRequest, slug: str, job_id: int):
    access = benchmark_access(request.user, slug, Role.MANAGER)
    job = get_object_or_404(
        Job.objects.select_related("benchmark", "created_by"), pk=job_id, benchmark=access.benchmark
    )
    return access, job


@require_GET
@login_required
def job_detail(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    access, job = _job(request, slug, job_id)
    kind = job_type(job.kind)
    template = "curation/jobs/detail.html"
    if request.htmx:
        template += "#progress"
    context = {"access": access, "job": job, "job_type": kind, "can_retry": job_can_retry(job)}
    if not job.is_active:
        context.update(kind.context(job))
    return render(request, template, context)


@require_POST
@login_required
def job_retry_view(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    _access, job = _job(request, slug, job_id)
    if not job_can_retry(job):
        return redirect("curation:job", slug, job.pk)
    return redirect("curation:job", slug, job_retry(job=job).pk)
