from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from consilium.admin import ReadOnlyAdmin
from runner.models import Endpoint, JudgeItem, ResponseItem, Run
from runner.services import ENDPOINT_FIELDS


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    """Read-only; the encrypted key is not even shown (it is write-only, through the pages)."""

    list_display = ["name", "benchmark", "model", "base_url", "has_stored_key", "api_key_env"]
    list_select_related = ["benchmark"]
    exclude = ["api_key_encrypted"]
    readonly_fields = ["benchmark", *ENDPOINT_FIELDS, "created_by"]

    @admin.display(boolean=True, description=_("API key stored"))
    def has_stored_key(self, endpoint: Endpoint) -> bool:
        return endpoint.has_stored_key


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "benchmark", "kind", "endpoint", "status", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["benchmark", "endpoint"]


@admin.register(ResponseItem)
class ResponseItemAdmin(ReadOnlyAdmin):
    list_display = ["pk", "run", "case_version", "sample", "status"]
    list_filter = ["status"]
    raw_id_fields = ["run", "case_version", "response"]


@admin.register(JudgeItem)
class JudgeItemAdmin(ReadOnlyAdmin):
    list_display = ["pk", "run", "response", "criterion", "status", "met"]
    list_filter = ["status"]
    raw_id_fields = ["run", "response", "criterion"]
