"""A form refused by the CSRF check gets a page of the site, in the reader's language, that says
what happened and what to do, and that carries a fresh token so reloading the form works."""

import pytest
from django.test import Client
from django.urls import reverse

MISMATCH = {
    "en": "The page's security check had expired",
    "zh-hans": "页面的安全校验已过期",
}
NO_COOKIE = {
    "en": "Your browser did not send this site's cookie, which every form needs",
    "zh-hans": "浏览器没有发送本站的 Cookie",
}
BACK = {
    "en": "what you typed is usually still in the form",
    "zh-hans": "您输入的内容通常还在表单里",
}


def _strict_client(user, language: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies.load({"django_language": language})
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_stale_token_explains_what_happened_and_what_to_do(grader, language):
    client = _strict_client(grader, language)
    client.cookies.load({"csrftoken": "a" * 32})

    response = client.post(
        reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": "b" * 32}
    )

    html = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in html
    assert MISMATCH[language] in html
    assert BACK[language] in html
    assert NO_COOKIE[language] not in html
    assert "gao_grader" in html  # the site's own header, signed-in user menu included


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_missing_cookie_says_so_and_sets_a_fresh_one(grader, language):
    client = _strict_client(grader, language)

    response = client.post(reverse("set_language"), {"language": "en"})

    assert response.status_code == 403
    assert NO_COOKIE[language] in response.content.decode()
    assert response.cookies["csrftoken"].value


def test_the_form_works_again_after_a_reload(grader):
    client = _strict_client(grader, "en")
    refused = client.post(reverse("set_language"), {"language": "zh-hans"})
    token = refused.cookies["csrftoken"].value

    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"
