from django import forms
from django.utils.translation import gettext_lazy as _

from curation.models import Benchmark
from grading.models import Campaign
from grading.releases.services import parse_version
from grading.selectors import approved_versions


class CaseSelectionForm(forms.Form):
    """Approved case versions chosen by facet terms or by campaign (releases, model runs)."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=None,
        required=False,
        empty_label=_("Any (every approved case)"),
        help_text=_("Only the approved cases graded in this campaign."),
    )

    def __init__(self, *args, benchmark: Benchmark, facets, **kwargs):
        super().__init__(*args, **kwargs)
        self.benchmark = benchmark
        self.fields["campaign"].queryset = Campaign.objects.filter(benchmark=benchmark).order_by(
            "name"
        )
        self.facets = list(facets)
        for facet in self.facets:
            self.fields[self.facet_field(facet)] = forms.TypedMultipleChoiceField(
                label=facet.name,
                choices=[(t.pk, t.value) for t in facet.terms.all()],
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Any of the ticked terms; none ticked: every case."),
            )

    @staticmethod
    def facet_field(facet) -> str:
        return f"facet_{facet.key}"

    def facet_fields(self) -> list:
        return [self[self.facet_field(facet)] for facet in self.facets]

    def case_versions(self):
        """The approved versions the ticked terms and the campaign select (after is_valid)."""
        versions = approved_versions(
            benchmark=self.benchmark,
            term_groups=[self.cleaned_data.get(self.facet_field(f)) for f in self.facets],
        )
        campaign = self.cleaned_data.get("campaign")
        if campaign is not None:
            versions = versions.filter(campaign_items__campaign=campaign).distinct()
        return versions

    def selection(self) -> dict:
        """The choice as recorded on the release (or run) and in its manifest."""
        terms = {
            facet.key: sorted(
                t.value
                for t in facet.terms.all()
                if t.pk in (self.cleaned_data.get(self.facet_field(facet)) or [])
            )
            for facet in self.facets
        }
        campaign = self.cleaned_data.get("campaign")
        return {
            "terms": {key: values for key, values in terms.items() if values},
            "campaign": campaign.name if campaign else None,
        }


class ReleaseForm(CaseSelectionForm):
    """A new release: version, notes, what to include, and the approved case versions chosen by
    facet terms or by campaign."""

    version = forms.CharField(
        label=_("Version"),
        max_length=40,
        help_text=_("X.Y.Z, higher than every earlier release."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    include_responses = forms.BooleanField(
        label=_("Include model responses"), required=False, initial=True
    )
    include_labels = forms.BooleanField(
        label=_("Include consensus labels"), required=False, initial=True
    )
    include_statistics = forms.BooleanField(
        label=_("Include statistics"), required=False, initial=True
    )

    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        if parse_version(version) is None:
            raise forms.ValidationError(_("Write the version as X.Y.Z, e.g. 1.0.0."))
        return version
