from django.contrib import admin

from consilium.admin import ReadOnlyAdmin
from grading.models import (
    Assignment,
    CalibrationItem,
    Campaign,
    Consensus,
    Label,
    ModelUnderTest,
    Rater,
    Release,
    ReleaseFile,
    Response,
)
from grading.releases.services import release_delete


@admin.register(ModelUnderTest)
class ModelUnderTestAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["case_version", "model", "sample", "created_at"]
    list_filter = ["model"]
    list_select_related = ["case_version__case", "model"]
    search_fields = ["case_version__case__external_id", "model__name"]
    raw_id_fields = ["case_version"]


class ReleaseFileInline(admin.TabularInline):
    model = ReleaseFile
    extra = 0
    can_delete = False
    fields = readonly_fields = ("name", "size", "sha256", "path")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are cut, built and published through their services (the pages, the API or
    `export_release`); here they are only read, and a published one can never be changed."""

    list_display = ("benchmark", "version", "status", "created_by", "created_at", "published_at")
    list_filter = ("status", "benchmark")
    inlines = [ReleaseFileInline]
    exclude = ("case_versions",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # every field is shown read-only

    def has_delete_permission(self, request, obj=None) -> bool:
        return (
            super().has_delete_permission(request, obj)  # staff need the delete permission too
            and obj is not None
            and not obj.is_published
            and obj.status != Release.Status.BUILDING
        )

    def delete_model(self, request, obj) -> None:
        release_delete(release=obj, by=request.user)  # also removes the stored files

    def delete_queryset(self, request, queryset) -> None:
        for release in queryset:
            release_delete(release=release, by=request.user)


# Labels, consensus and assignments change only through the grading services, which keep the
# consensus rule and the audit trail: the admin shows them.
@admin.register(Rater)
class RaterAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "version", "user"]
    list_filter = ["kind"]
    search_fields = ["name", "user__username"]


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ["rater", "response", "criterion", "met", "updated_at"]
    list_filter = ["met", "rater__kind"]
    list_select_related = ["rater", "response__case_version__case", "response__model", "criterion"]
    search_fields = ["rater__name", "response__case_version__case__external_id"]


@admin.register(Consensus)
class ConsensusAdmin(ReadOnlyAdmin):
    list_display = ["response", "criterion", "met", "method", "adjudicator"]
    list_filter = ["method", "met"]
    list_select_related = [
        "response__case_version__case",
        "response__model",
        "criterion",
        "adjudicator",
    ]
    search_fields = ["response__case_version__case__external_id"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "benchmark", "status", "graders_per_item", "due"]
    list_filter = ["status", "benchmark"]
    list_select_related = ["benchmark"]
    search_fields = ["name"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["item", "grader", "claimed_at", "submitted_at"]
    list_select_related = ["item__case_version__case", "grader"]
    search_fields = ["grader__username", "item__case_version__case__external_id"]


# Calibration items change through grading.services.calibration.
@admin.register(CalibrationItem)
class CalibrationItemAdmin(ReadOnlyAdmin):
    list_display = ["response", "benchmark", "created_by", "created_at", "retired_at"]
    list_filter = ["benchmark"]
    list_select_related = ["response__case_version__case", "response__model", "benchmark"]
    search_fields = ["response__case_version__case__external_id"]
