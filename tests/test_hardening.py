"""Hardening: a Content-Security-Policy with no inline script or style that the pages (htmx
included) work under, security headers on every answer, secure cookies in production, API rate
limits from the environment."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from grading.models import Release
from tests.factories import UserFactory
from tests.release_support import cut, gold, media  # noqa: F401 (fixture)
from tests.test_settings import base_env, production_env, read_settings  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(
    path
    for folder in [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]
    for path in Path(folder).rglob("*.html")
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)
ERROR_PAGE = settings.BASE_DIR / "templates" / "500.html"


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_every_page_carries_a_strict_content_security_policy(client, grader):
    client.force_login(grader)

    csp = policy(client.get(reverse("dashboard")))

    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"][0] == "'self'"
    assert not any("unsafe" in value for values in csp.values() for value in values)
    assert csp["object-src"] == csp["base-uri"] == csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]


def test_every_answer_carries_the_security_headers(client):
    for response in (client.get(reverse("login")), client.get("/api/v1/benchmarks/")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_template_has_inline_script_or_style(template):
    text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"))
    if template == ERROR_PAGE:  # its <style> is allowed by hash, see the next test
        text = re.sub(r"<style>.*?</style>", "", text, flags=re.DOTALL)

    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js"
    assert not INLINE_STYLE.search(text), "inline style: use a class in static/css"
    assert not EVENT_HANDLER.search(text), "on...= handler: bind it in static/js"
    assert not JAVASCRIPT_URL.search(text)


def test_the_error_pages_style_is_allowed_by_its_hash(client):
    style = re.search(r"<style>(.*?)</style>", ERROR_PAGE.read_text(encoding="utf-8"), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()

    assert f"'sha256-{digest}'" in policy(client.get(reverse("login")))["style-src"]


def test_htmx_injects_no_indicator_style_and_evaluates_nothing(client):
    html = client.get(reverse("login")).content.decode()

    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', html).group(1)
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config
    assert '"allowScriptTags": false' in config


def test_production_cookies_are_secure_and_http_only(production_env):  # noqa: F811
    values = read_settings(
        production_env,
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "LANGUAGE_COOKIE_SECURE",
        "LANGUAGE_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
    )

    assert all(values.values()), values


def test_api_rate_limits_come_from_the_environment(base_env):  # noqa: F811
    env = {
        **base_env,
        "CONSILIUM_ENV": "development",
        "API_THROTTLE_ANON": "5/minute",
        "API_THROTTLE_USER": "7/second",
    }

    values = read_settings(env, "API_THROTTLE_RATES")

    assert values["API_THROTTLE_RATES"] == {"anon": "5/minute", "user": "7/second"}


def test_the_api_refuses_a_user_over_the_rate_limit(settings, grader):
    settings.API_THROTTLE_RATES = {"anon": "100/minute", "user": "3/minute"}
    client = APIClient()
    client.force_login(grader)

    statuses = [client.get("/api/v1/benchmarks/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_the_api_refuses_an_anonymous_client_over_the_rate_limit(settings):
    settings.API_THROTTLE_RATES = {"anon": "2/minute", "user": "100/minute"}
    client = APIClient()  # the schema is the one endpoint open to anonymous clients

    statuses = [client.get(reverse("api-schema")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert "Retry-After" in client.get(reverse("api-schema")).headers


def test_staff_without_the_permission_cannot_delete_a_release(
    client,
    benchmark,
    manager,
    adjudicator,
    media,  # noqa: F811
):
    gold(benchmark, adjudicator, cases=1)
    release = cut(benchmark, manager)
    client.force_login(UserFactory(username="stella_staff", is_staff=True))
    url = reverse("admin:grading_release_delete", args=[release.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert Release.objects.filter(pk=release.pk).exists()
