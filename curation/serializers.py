"""Serializers shared by the case API: what a version, a criterion and an error look like.

Each API operation declares its own input and output serializers (curation/api); the pieces
several operations return or accept live here so the OpenAPI schema names them once.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from curation.models import CaseStatus, CaseVersion, MessageRole


class MessageSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MessageRole.choices)
    content = serializers.CharField(allow_blank=True, trim_whitespace=False)


class TermsByFacetField(serializers.DictField):
    """`{"specialty": ["心血管内科"], "difficulty": ["low"]}`: facet key -> term values."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ListField(child=serializers.CharField()), **kwargs)


class CriterionOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    points = serializers.IntegerField()
    tags = serializers.ListField(child=serializers.CharField())


class CriterionInputSerializer(serializers.Serializer):
    key = serializers.CharField(
        max_length=50,
        required=False,
        help_text=_("Keep a criterion's key across versions; leave it out for a new criterion."),
    )
    text = serializers.CharField()
    points = serializers.IntegerField(default=1, min_value=-10, max_value=10)
    tags = serializers.ListField(child=serializers.CharField(max_length=200), default=list)


def terms_by_facet(version: CaseVersion) -> dict[str, list[str]]:
    """The version's terms grouped by facet key; needs `terms` prefetched with their facet."""
    grouped: dict[str, list[str]] = {}
    for term in sorted(version.terms.all(), key=lambda t: (t.facet.position, t.facet.key)):
        grouped.setdefault(term.facet.key, []).append(term.value)
    return grouped


class VersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.CharField(source="author.username", allow_null=True)
    parent = serializers.SerializerMethodField()
    change_note = serializers.CharField()
    revision = serializers.IntegerField(
        help_text=_("Send it back when saving the draft: a stale revision is refused (409).")
    )
    frozen = serializers.BooleanField(source="is_frozen")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, version: CaseVersion) -> int | None:
        """The parent's number, from `version_numbers` in the context ({pk: number}, when the
        whole history is serialised at once) or from the parent loaded with the version."""
        if version.parent_id is None:
            return None
        numbers = self.context.get("version_numbers", {})
        return numbers.get(version.parent_id) or version.parent.number


class VersionDetailSerializer(VersionSummarySerializer):
    messages = MessageSerializer(many=True)
    reference_answer = serializers.CharField()
    terms = serializers.SerializerMethodField()
    criteria = CriterionOutputSerializer(many=True, source="criteria.all")
    source_fields = serializers.DictField(
        help_text=_("Fields a source format keeps apart (ClinConsensus, HealthBench).")
    )

    @extend_schema_field(TermsByFacetField())
    def get_terms(self, version: CaseVersion) -> dict[str, list[str]]:
        return terms_by_facet(version)


class CaseDetailSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    current_version = VersionDetailSerializer()


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("Path of the field, e.g. criteria[2].text"))
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True)


class LineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        required=False,
        help_text=_(
            "1-based line (0: the file as a whole); absent when a field of the request itself "
            "is wrong"
        ),
    )
    field = serializers.CharField()
    message = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = LineErrorSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True)
    stored = VersionDetailSerializer(
        allow_null=True, help_text=_("The version as it is stored now, to merge your edits into.")
    )
