from django import forms
from django.utils.translation import gettext_lazy as _

from grading.releases.forms import CaseSelectionForm
from grading.selectors import models_with_responses
from runner.models import Endpoint
from runner.services import ENDPOINT_FIELDS


class EndpointForm(forms.ModelForm):
    """An endpoint's settings. The API key is write-only: the field is always empty; typing a
    key replaces the stored one, leaving it empty keeps it."""

    base_url = forms.URLField(
        label=_("Base URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "An OpenAI-compatible chat-completions server, e.g. https://api.openai.com/v1 "
            "or http://127.0.0.1:8001/v1 (vLLM, SGLang, Ollama)."
        ),
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again."),
    )
    clear_key = forms.BooleanField(label=_("Remove the stored key"), required=False)

    class Meta:
        model = Endpoint
        fields = list(ENDPOINT_FIELDS)
        help_texts = {
            "model": _("As the server names it; responses are stored under this model name."),
            "api_key_env": _(
                "Or read the key from this environment variable of the task worker "
                "(used when no key is stored)."
            ),
            "requests_per_minute": _("Requests sent per minute at most."),
            "max_retries": _("Retries of a failed call (errors, timeouts, 429), with backoff."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.has_stored_key:
            self.fields["api_key"].help_text = _(
                "A key is set. Type a new one to replace it; leave empty to keep it."
            )
        else:
            del self.fields["clear_key"]

    def clean_api_key_env(self) -> str:
        name = self.cleaned_data["api_key_env"].strip()
        if name and not name.replace("_", "").isalnum():
            raise forms.ValidationError(_("Letters, digits and underscores only."))
        return name

    def settings(self) -> dict:
        return {name: self.cleaned_data[name] for name in ENDPOINT_FIELDS}


class _RunForm(CaseSelectionForm):
    endpoint = forms.ModelChoiceField(label=_("Endpoint"), queryset=None)

    def __init__(self, *args, endpoints, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].queryset = endpoints
        self.order_fields(["endpoint"])


class CollectForm(_RunForm):
    samples = forms.IntegerField(
        label=_("Samples per case"),
        min_value=1,
        max_value=20,
        initial=1,
        help_text=_("Responses asked for each case (k); those already collected are skipped."),
    )


class JudgeForm(_RunForm):
    models = forms.ModelMultipleChoiceField(
        label=_("Models"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Whose responses to judge; none ticked: every model."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["models"].queryset = models_with_responses(benchmark=self.benchmark)

    def responses(self):
        from grading.models import Response

        responses = Response.objects.filter(case_version__in=self.case_versions())
        if self.cleaned_data.get("models"):
            responses = responses.filter(model__in=self.cleaned_data["models"])
        return responses

    def selection(self) -> dict:
        models = self.cleaned_data.get("models") or []
        return super().selection() | {"models": sorted(m.name for m in models)}
