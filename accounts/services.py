"""API tokens: made with a name and a lifetime, listed, revoked."""

from datetime import timedelta

from accounts.models import ApiToken, User


def api_token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`; the token itself is returned once and never stored."""
    return ApiToken.objects.create(user=user, expiry=timedelta(days=days), name=name)


def api_token_revoke(*, token: ApiToken) -> None:
    token.delete()
