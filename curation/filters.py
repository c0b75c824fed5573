"""Filtering and sorting of the case list (shared by the page and, later, the API)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from curation.models import Benchmark, Case, CaseStatus, CaseVersion, Role

# The order work goes through, so sorting by status reads like the workflow.
_STATUS_ORDER = models.Case(
    *(models.When(status=s, then=models.Value(i)) for i, s in enumerate(CaseStatus.values)),
    output_field=models.IntegerField(),
)
SORTS = {
    "id": (_("Case id"), ["external_id"]),
    # Ties broken by id, not case id, so the (benchmark, updated_at) index gives the order.
    "-updated": (_("Recently updated"), ["-updated_at", "-pk"]),
    "updated": (_("Least recently updated"), ["updated_at", "pk"]),
    "status": (_("Status"), [_STATUS_ORDER, "external_id"]),
}


def case_search(value: str) -> Q:
    """Cases whose id, current title or current conversation contains `value`, in any case.

    Title and conversation are matched in a subquery on the versions alone, which PostgreSQL
    answers from their trigram indexes (migration 0006); matched through the join with the case,
    they made it read and upper-case every conversation of the benchmark.
    """
    versions = CaseVersion.objects.filter(Q(title__icontains=value) | Q(messages__icontains=value))
    return Q(external_id__icontains=value) | Q(current_version__in=versions.values("pk"))


class ToolbarSelect(forms.Select):
    """Django's Select with its options written here: its templates include two more templates
    per option, and the toolbar's eighty-odd options took a fifth of the case list's time."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice, " selected" if str(choice) in chosen else "", label)
                for choice, label in self.choices
            ),
        )
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attrs, options)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Case id, title or conversation text")}
        ),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=CaseStatus.choices,
        empty_label=_("Any status"),
        widget=ToolbarSelect,
    )
    author = django_filters.ChoiceFilter(
        label=_("Author"),
        field_name="current_version__author",
        empty_label=_("Any author"),
        widget=ToolbarSelect,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _fields) in SORTS.items()],
        method="sort_by",
        empty_label=None,
        widget=ToolbarSelect,
    )

    class Meta:
        model = Case
        fields = ["q", "status", "author"]

    def __init__(self, data=None, *args, benchmark: Benchmark, facets, **kwargs):
        super().__init__(data, *args, **kwargs)
        authors = (
            get_user_model()
            .objects.filter(memberships__benchmark=benchmark, memberships__role=Role.AUTHOR)
            .order_by("display_name", "username")
        )
        # Read in one plain query: a model choice field reads its choices through a server-side
        # cursor on PostgreSQL (four round trips), and again to check the one chosen. A callable,
        # so that a request that neither shows the select nor filters by author never reads them.
        self.filters["author"].extra["choices"] = lambda: [(str(u.pk), str(u)) for u in authors]
        self.facets = list(facets)
        for facet in self.facets:
            # One filter per facet: a case must carry the chosen term of each facet filtered on.
            # Choices from the prefetched terms: no query per facet.
            self.filters[f"facet_{facet.key}"] = django_filters.ChoiceFilter(
                label=facet.name,
                field_name="current_version__terms",
                choices=[(str(t.pk), t.value) for t in facet.terms.all()],
                empty_label=_("Any"),
                widget=ToolbarSelect,
            )

    def toolbar_fields(self) -> list:
        """The form's fields in toolbar order: search, status, author, facets, sort."""
        names = ["q", "status", "author", *(f"facet_{f.key}" for f in self.facets), "sort"]
        return [self.form[name] for name in names]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(case_search(value))

    def sort_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*SORTS[value][1])
