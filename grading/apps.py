from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Grading")

    def ready(self) -> None:
        # Registers the background job kinds (curation.jobs) of these modules, for the worker.
        import grading.adjudication_views
        import grading.import_views
        import grading.stats_jobs  # noqa: F401
