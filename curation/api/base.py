"""What every endpoint of the case API shares: authentication, the error envelope, roles."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView, exception_handler

from curation.models import Role
from curation.serializers import ErrorSerializer

# Graders read case content only inside blind grading, never the reference answer and the
# rubric's authoring data: the case API is for the people who write, check and run the cases.
CASE_READERS = (Role.AUTHOR, Role.REVIEWER, Role.ADJUDICATOR, Role.MANAGER)


def field_errors(data, path: str = "") -> list[dict[str, str]]:
    """DRF's nested error structure as a flat list of {field, message}, with paths such as
    `criteria[2].text`."""
    if isinstance(data, dict):
        errors = []
        for key, value in data.items():
            if isinstance(key, int):
                name = f"{path}[{key}]"
            elif key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__"):
                name = path
            else:
                name = f"{path}.{key}" if path else key
            errors.extend(field_errors(value, name))
        return errors
    if isinstance(data, list):
        if all(isinstance(item, str) for item in data):
            return [{"field": path, "message": str(item)} for item in data]
        errors = []
        for index, item in enumerate(data):
            errors.extend(field_errors(item, f"{path}[{index}]"))
        return errors
    return [{"field": path, "message": str(data)}]


def api_exception_handler(exc, context):
    """Every error as `{"detail": ..., "errors": [...]}`; a service's ValidationError is a 400."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": gettext("The request has errors; nothing was saved."),
            "errors": field_errors(response.data),
        }
    elif not (isinstance(response.data, dict) and "errors" in response.data):
        response.data = {"detail": str(response.data.get("detail", "")), "errors": []}
    return response


# Base of the endpoints under /api/v1/benchmarks/ (a comment, not a docstring: the schema would
# show a docstring as the description of every operation). Authentication: API tokens, then the
# session (settings.REST_FRAMEWORK), so an anonymous request gets 401 with `WWW-Authenticate`.
class BenchmarkApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return api_exception_handler


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "The input has errors (listed by field).",
        401: "Not authenticated.",
        403: "A member of the benchmark without the needed role.",
        404: "No such benchmark for this user (outsiders get 404 too), or no such object.",
        409: "The case is not in a state that allows this.",
    }
    return {
        status: OpenApiResponse(ErrorSerializer, description=descriptions[status])
        for status in (401, 403, 404, *statuses)
    }
