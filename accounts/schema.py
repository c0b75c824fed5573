"""The OpenAPI schema names the API token scheme (drf-spectacular matches exact classes only)."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class ApiTokenScheme(KnoxTokenScheme):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"
