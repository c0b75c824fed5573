from django import forms
from django.utils.translation import gettext_lazy as _

from grading.grade_qc.services import MAX_REASON
from grading.models import GradeCheck


class VerdictForm(forms.Form):
    """Posted by one of two buttons: confirm, or correct (to the other mark) with a reason."""

    verdict = forms.ChoiceField(
        choices=GradeCheck.Verdict.choices,
        error_messages={"required": _("Confirm or correct the grade.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a correction: what in the response the grader misjudged."),
    )
    state = forms.CharField(widget=forms.HiddenInput)


class SettingsForm(forms.Form):
    share = forms.DecimalField(
        label=_("Share of each grader's grades to check (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        error_messages={
            "min_value": _("Enter a share between 0 and 100."),
            "max_value": _("Enter a share between 0 and 100."),
        },
    )
    seed = forms.IntegerField(
        label=_("Sampling seed"),
        min_value=0,
        help_text=_("The same seed always draws the same grades."),
    )
