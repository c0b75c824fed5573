from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# The keys of a release manifest's "counts" (grading.releases.building), as people read them.
MANIFEST_COUNTS = {
    "cases": _("Cases"),
    "models": _("Models"),
    "criteria": _("Criteria"),
    "responses": _("Responses"),
    "gold_labels": _("Gold labels"),
    "judge_finetune": _("Judge fine-tuning rows"),
}


@register.filter
def manifest_count_label(key: str) -> str:
    """The translated name of a manifest count; an unknown key is shown as it is."""
    return MANIFEST_COUNTS.get(key, key)
