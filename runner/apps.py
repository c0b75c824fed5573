from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RunnerConfig(AppConfig):
    name = "runner"
    verbose_name = _("Model runs")
