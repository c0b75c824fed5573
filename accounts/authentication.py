"""API token authentication: django-rest-knox, noting when each token was last used."""

from datetime import timedelta

from django.utils import timezone
from knox.auth import TokenAuthentication

from accounts.models import ApiToken

# A token used all day long is written to once a minute, not at every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        user, auth_token = super().authenticate_credentials(token)
        now = timezone.now()
        if auth_token.last_used_at is None or now - auth_token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=auth_token.pk).update(last_used_at=now)
            auth_token.last_used_at = now
        return user, auth_token
