"""Shapes of the grading API. What a grader receives is blind: responses are known by the letter
of their place on the grader's screen (A-D), never by model, response id or another's label."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from curation.serializers import MessageSerializer


class GradingQueueRowSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(source="campaign_id")
    name = serializers.CharField()
    due = serializers.DateField(allow_null=True)
    is_open = serializers.BooleanField()
    submitted = serializers.IntegerField(help_text="Items you submitted in this campaign.")
    available = serializers.IntegerField(help_text="Items you could still be given.")
    unfinished_item = serializers.IntegerField(
        source="unfinished_id", allow_null=True, help_text="Your item in progress, if any."
    )


class GradingBlindResponseSerializer(serializers.Serializer):
    letter = serializers.CharField(help_text="A-D: this response's place on your screen.")
    text = serializers.CharField(help_text="Markdown, as the model wrote it.")


class GradingCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    points = serializers.IntegerField(help_text="Negative: undesirable behaviour (met = it does).")
    tags = serializers.ListField(child=serializers.CharField())


class GradingCellSerializer(serializers.Serializer):
    response = serializers.CharField(source="letter", help_text="The response's letter.")
    criterion = serializers.CharField(source="key", help_text="The criterion's key.")
    met = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class GradingItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="assignment_id", help_text="Your assignment's id.")
    campaign = serializers.CharField(source="campaign_name")
    case = serializers.CharField(source="case_id")
    title = serializers.CharField()
    messages = MessageSerializer(many=True)
    reference_answer = serializers.CharField(
        allow_null=True, help_text="Null when the campaign does not show it."
    )
    responses = GradingBlindResponseSerializer(many=True)
    criteria = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField(help_text="Your marks so far.")
    marked = serializers.IntegerField()
    total = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(GradingCriterionSerializer(many=True))
    def get_criteria(self, screen) -> list[dict]:
        return GradingCriterionSerializer([row.criterion for row in screen.rows], many=True).data

    @extend_schema_field(GradingCellSerializer(many=True))
    def get_labels(self, screen) -> list[dict]:
        marked = [cell for row in screen.rows for cell in row.cells if cell.marked]
        return GradingCellSerializer(marked, many=True).data


class GradingLabelInputSerializer(serializers.Serializer):
    met = serializers.BooleanField(allow_null=True, help_text="Null keeps the mark (a note alone).")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Left out: kept as it is."
    )
    seconds = serializers.IntegerField(
        required=False, default=0, help_text="Seconds since your previous action (clamped)."
    )


class GradingSubmitInputSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(required=False, default=0)


class GradingSubmittedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()


class GradingMissingCellSerializer(serializers.Serializer):
    response = serializers.CharField()
    criterion = serializers.CharField()


class GradingIncompleteSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField(), help_text="Always empty.")
    missing = GradingMissingCellSerializer(many=True)


class GradingNextInputSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(required=False, help_text="Only from this campaign.")


# --- managers ------------------------------------------------------------------------------


class CampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="campaign.pk")
    name = serializers.CharField(source="campaign.name")
    status = serializers.CharField(source="campaign.status", help_text="open or closed")
    graders_per_item = serializers.IntegerField(source="campaign.graders_per_item")
    responses_per_screen = serializers.IntegerField(source="campaign.responses_per_screen")
    show_reference_answer = serializers.BooleanField(source="campaign.show_reference_answer")
    due = serializers.DateField(source="campaign.due", allow_null=True)
    created_by = serializers.CharField(source="campaign.created_by.username")
    created_at = serializers.DateTimeField(source="campaign.created_at")
    items = serializers.IntegerField()
    needed = serializers.IntegerField(help_text="Items x graders per item.")
    claimed = serializers.IntegerField(help_text="Assignments handed out.")
    submitted = serializers.IntegerField(help_text="Assignments submitted.")


class GraderProgressSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    claimed = serializers.IntegerField()
    submitted = serializers.IntegerField()
    minutes_per_item = serializers.SerializerMethodField(help_text="Per submitted item.")
    last_submitted = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_minutes_per_item(self, grader) -> float | None:
        seconds = grader.seconds_per_item
        return None if seconds is None else seconds / 60


class CampaignDetailSerializer(CampaignSerializer):
    models = serializers.ListField(child=serializers.CharField())
    graders = GraderProgressSerializer(many=True)


class CaseProgressSerializer(serializers.Serializer):
    case = serializers.CharField(source="case.external_id")
    version = serializers.IntegerField(source="number")
    items = serializers.IntegerField()
    needed = serializers.IntegerField()
    claimed = serializers.IntegerField()
    submitted = serializers.IntegerField()


class CaseProgressPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseProgressSerializer(many=True)


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    models = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    graders = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, help_text="Usernames."
    )
    terms = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        default=dict,
        help_text="{facet key: [terms]}: cases carrying any of the terms of each facet given, e.g. "
        '{"specialty": ["心血管内科"]}. Left out: every approved case.',
    )
    cases = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Only these case ids (their approved current versions).",
    )
    graders_per_item = serializers.IntegerField(min_value=1, max_value=10, default=2)
    responses_per_screen = serializers.IntegerField(min_value=2, max_value=4, default=3)
    due = serializers.DateField(required=False, allow_null=True, default=None)
    show_reference_answer = serializers.BooleanField(default=False)
