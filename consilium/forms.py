from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString


class BoundField(forms.BoundField):
    """A field whose label carries no suffix unless one is asked for.

    Labels sit above their fields, where Django's ":" (left ASCII even in Chinese by Django's own
    catalogue) only adds noise.
    """

    def label_tag(
        self,
        contents: str | None = None,
        attrs: dict | None = None,
        label_suffix: str | None = None,
        tag: str | None = None,
    ) -> SafeString:
        return super().label_tag(contents, attrs, label_suffix or "", tag)


class FormRenderer(DjangoTemplates):
    """The project's form renderer (FORM_RENDERER): Django's templates, labels without ":"."""

    bound_field_class = BoundField
