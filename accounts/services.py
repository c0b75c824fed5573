"""API tokens: made with a name and a lifetime, listed, revoked."""

from datetime import timedelta

from django.db import transaction

from accounts.models import ApiToken, User
from curation.audit import audit_record


def api_token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`; the token itself is returned once and never stored."""
    with transaction.atomic():
        token, plain = ApiToken.objects.create(user=user, expiry=timedelta(days=days), name=name)
        audit_record(
            actor=user,
            action="api_token.create",
            obj=user,  # the token's key is its digest: never put it in the trail
            data={"name": name, "days": days, "prefix": token.token_key},
        )
    return token, plain


def api_token_revoke(*, token: ApiToken) -> None:
    with transaction.atomic():
        audit_record(
            actor=token.user,
            action="api_token.revoke",
            obj=token.user,
            data={"name": token.name, "prefix": token.token_key},
        )
        token.delete()
