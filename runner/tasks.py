"""A run as a background task (django-tasks; `manage.py db_worker` runs the queue)."""

import logging

from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from runner.models import Run
from runner.runs import run_execute

logger = logging.getLogger(__name__)


@task()
def execute_run(run_id: int) -> str:
    """Work through a run's pending items; progress is the items' status, read by the pages."""
    run = Run.objects.select_related("endpoint", "benchmark", "model", "rater", "created_by").get(
        pk=run_id
    )
    try:
        run_execute(run=run)
    except Exception as exc:
        # The items finished so far are saved; the run can be resumed.
        logger.exception("Run %s stopped", run_id)
        Run.objects.filter(pk=run_id).update(
            status=Run.Status.FAILED,
            finished_at=timezone.now(),
            error=gettext("The run stopped (%(error)s); resume it to go on.")
            % {"error": type(exc).__name__},
        )
    return Run.objects.values_list("status", flat=True).get(pk=run_id)
