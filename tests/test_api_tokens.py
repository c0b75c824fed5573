"""API tokens (django-rest-knox): a user makes named tokens under the account menu, sees each
once, lists them, and revokes them; a revoked or expired token opens nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BENCHMARKS = "/api/v1/benchmarks/"


def api_get(key: str, url: str = BENCHMARKS):
    return APIClient().get(url, HTTP_AUTHORIZATION=f"Token {key}")


def test_a_new_token_is_shown_once_and_only_its_digest_is_stored(client, grader):
    client.force_login(grader)

    response = client.post(reverse("api_tokens"), {"name": "nightly import", "days": "30"})

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=grader)
    key = response.context["new_token"]
    assert key.startswith("csl_")
    assert key in response.content.decode()
    assert token.name == "nightly import"
    assert key not in (token.digest, token.token_key)
    assert token.token_key == key[: len(token.token_key)]
    assert timedelta(days=29) < token.expiry - timezone.now() <= timedelta(days=30)
    assert key not in client.get(reverse("api_tokens")).content.decode()


def test_the_page_lists_only_the_users_own_tokens(client, grader, manager):
    mine, _ = api_token_create(user=grader, name="my script", days=90)
    api_token_create(user=manager, name="someone else's", days=90)
    client.force_login(grader)

    html = client.get(reverse("api_tokens")).content.decode()

    assert "my script" in html
    assert mine.token_key in html
    assert "someone else" not in html


def test_a_token_authenticates_the_api_and_records_when_it_was_used(grader):
    token, key = api_token_create(user=grader, name="script", days=30)

    response = api_get(key)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_opens_nothing(client, grader):
    token, key = api_token_create(user=grader, name="script", days=30)
    client.force_login(grader)

    response = client.post(reverse("api_token_revoke", args=[token.digest]))

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api_get(key).status_code == 401


def test_an_expired_token_opens_nothing(grader):
    token, key = api_token_create(user=grader, name="script", days=30)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    assert api_get(key).status_code == 401


def test_nobody_revokes_another_users_token(client, grader, manager):
    token, key = api_token_create(user=manager, name="theirs", days=30)
    client.force_login(grader)

    response = client.post(reverse("api_token_revoke", args=[token.digest]))

    assert response.status_code == 404
    assert api_get(key).status_code == 200


def test_a_token_without_a_name_is_refused(client, grader):
    client.force_login(grader)

    response = client.post(reverse("api_tokens"), {"name": "", "days": "30"})

    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_a_lifetime_not_offered_is_refused(client, grader):
    client.force_login(grader)

    response = client.post(reverse("api_tokens"), {"name": "forever", "days": "100000"})

    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_token_pages_need_a_login_and_the_right_method(client, grader):
    token, _key = api_token_create(user=grader, name="script", days=30)
    revoke = reverse("api_token_revoke", args=[token.digest])

    assert client.get(reverse("api_tokens")).status_code == 302
    assert client.post(revoke).status_code == 302
    client.force_login(grader)
    assert client.get(revoke).status_code == 405
    assert client.delete(reverse("api_tokens")).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_account_menu_links_to_the_tokens_page(client):
    client.force_login(UserFactory())

    assert reverse("api_tokens") in client.get(reverse("dashboard")).content.decode()


def test_the_schema_documents_token_authentication(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"]["in"] == "header"
    assert schemes["apiToken"]["name"] == "Authorization"
    assert "Token" in schemes["apiToken"]["description"]
    assert set(schemes) == {"apiToken", "cookieAuth"}
