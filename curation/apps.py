from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = _("Curation")

    def ready(self) -> None:
        # Registers the background job kinds (curation.jobs) of these modules, for the worker.
        import curation.views.importing  # noqa: F401
