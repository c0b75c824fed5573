"""Background tasks of curation (django-tasks; `manage.py db_worker` runs the database queue)."""

from django_tasks import task

from curation.jobs import job_run
from curation.models import Job


@task()
def run_job(job_id: int) -> str:
    """Run one background job (curation.jobs); its progress and outcome are stored on the job."""
    return job_run(job=Job.objects.get(pk=job_id)).status
