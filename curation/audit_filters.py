"""Filtering of the audit trail: the manager's audit page, its CSV and the audit API."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from curation.audit import ACTIONS, OBJECT_TYPES, object_type_label
from curation.models import AuditEvent, Benchmark, Membership


class AuditEventFilter(django_filters.FilterSet):
    """Who, what, on what kind of object, between which days, and text."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Object, id or person")}),
    )
    actor = django_filters.ModelChoiceFilter(
        label=_("Person"),
        queryset=get_user_model().objects.none(),
        empty_label=_("Anyone"),
        null_label=_("Nobody (background work)"),
        null_value="none",
        to_field_name="username",
    )
    action = django_filters.ChoiceFilter(label=_("Action"), empty_label=_("Any action"))
    object_type = django_filters.ChoiceFilter(label=_("Object type"), empty_label=_("Any object"))
    since = django_filters.DateFilter(
        label=_("From"), method="from_day", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        label=_("Until"), method="until_day", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields = ["q", "actor", "action", "object_type", "since", "until"]

    def __init__(self, data=None, *args, benchmark: Benchmark, **kwargs):
        super().__init__(data, *args, **kwargs)
        # Present members; a former member's events are found by name with the search box.
        self.filters["actor"].queryset = (
            get_user_model()
            .objects.filter(pk__in=Membership.objects.filter(benchmark=benchmark).values("user"))
            .order_by("display_name", "username")
        )
        self.filters["action"].extra["choices"] = sorted(
            ((action, label) for action, label in ACTIONS.items()), key=lambda c: str(c[1])
        )
        self.filters["object_type"].extra["choices"] = [
            (name, object_type_label(name)) for name in OBJECT_TYPES
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(object_repr__icontains=value)
            | Q(object_id=value)
            | Q(action__icontains=value)
            | Q(actor__username__icontains=value)
            | Q(actor__display_name__icontains=value)
        )

    def from_day(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(created_at__gte=_day_start(value))

    def until_day(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone (an indexable bound, unlike
    `created_at__date`)."""
    return timezone.make_aware(datetime.combine(day, time.min))
