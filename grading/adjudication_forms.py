from django import forms
from django.utils.translation import gettext_lazy as _

from curation.filters import ToolbarSelect
from curation.import_forms import ImportFileField
from grading.services.adjudication import MAX_TEXT


class DecisionForm(forms.Form):
    met = forms.TypedChoiceField(
        label=_("Consensus label"),
        choices=[("true", _("Met")), ("false", _("Not met"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose met or not met.")},
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this label: what in the response meets or misses the criterion."),
        error_messages={"required": _("Write the rationale for your decision.")},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)


class FlagForm(forms.Form):
    reason = forms.CharField(
        label=_("What makes the criterion ambiguous"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The case's authors receive this as a revision request. The criterion stays out of "
            "the gold set until a new version of the case settles it."
        ),
        error_messages={"required": _("Say what makes the criterion ambiguous.")},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)


class QueueFilterForm(forms.Form):
    campaign = forms.TypedChoiceField(
        label=_("Campaign"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=ToolbarSelect,
    )
    term = forms.TypedChoiceField(
        label=_("Term"), required=False, coerce=int, empty_value=None, widget=ToolbarSelect
    )
    tag = forms.ChoiceField(label=_("Criterion tag"), required=False, widget=ToolbarSelect)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["campaign"].choices = everything + choices["campaigns"]
        self.fields["term"].choices = everything + choices["terms"]
        self.fields["tag"].choices = everything + [(t, t) for t in choices["tags"]]


class SettingsForm(forms.Form):
    show_grader_names = forms.BooleanField(label=_("Show graders' names"), required=False)
    show_judge_labels = forms.BooleanField(label=_("Show judge labels"), required=False)


class GoldSetFilterForm(forms.Form):
    campaign = forms.TypedChoiceField(
        label=_("Campaign"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, campaigns: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", _("Whole benchmark")), *campaigns]


class LabelImportForm(forms.Form):
    file = ImportFileField(
        help_text=_("JSON Lines with one label per line."),
        widget=forms.ClearableFileInput(attrs={"accept": ".jsonl,.json"}),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("jsonl", _("Label lines (case, model, sample, criterion, rater, rater_kind, met)")),
            ("healthbench-meta", _("HealthBench meta-evaluation physician labels")),
        ],
        initial="jsonl",
    )
