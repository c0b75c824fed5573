"""Forms of grader quality control: percentages on screen, fractions in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from grading.services.calibration import MAX_CALIBRATION_SET


class PercentField(forms.DecimalField):
    """A percentage typed by a person, cleaned to a fraction 0..1."""

    def __init__(self, *, max_percent: int = 100, **kwargs):
        super().__init__(min_value=0, max_value=max_percent, decimal_places=1, **kwargs)

    def clean(self, value):
        cleaned = super().clean(value)
        return None if cleaned is None else float(cleaned) / 100


class CampaignCalibrationForm(forms.Form):
    rate = PercentField(
        label=_("Calibration rate (%)"),
        max_percent=50,
        help_text=_("Share of the campaign's screens that are calibration items, 0 to 50%."),
    )
    show_feedback = forms.BooleanField(
        label=_("Show graders where they differed from the gold label"), required=False
    )


class ThresholdForm(forms.Form):
    threshold = PercentField(
        label=_("Flag graders under (%)"),
        help_text=_(
            "Calibration accuracy, or agreement with consensus for graders without "
            "calibration labels."
        ),
    )


class PauseForm(forms.Form):
    paused = forms.BooleanField(required=False)


class ExcludeForm(forms.Form):
    excluded = forms.BooleanField(required=False)


class CalibrationSetForm(forms.Form):
    count = forms.IntegerField(
        label=_("Calibration screens"), min_value=1, max_value=MAX_CALIBRATION_SET, initial=5
    )


class MarkCalibrationForm(forms.Form):
    response = forms.IntegerField(min_value=1)


class GoldForm(forms.Form):
    """The gold label of every criterion of one response: one met / not met choice each."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[criterion.key] = forms.TypedChoiceField(
                label=f"{criterion.key} · {criterion.text}",
                choices=[("1", _("Met")), ("0", _("Not met"))],
                coerce=lambda value: value == "1",
                widget=forms.RadioSelect,
                required=False,
            )

    def gold(self) -> dict[str, bool]:
        """The answers given (an unanswered criterion is left out: the service refuses it)."""
        return {key: value for key, value in self.cleaned_data.items() if isinstance(value, bool)}
