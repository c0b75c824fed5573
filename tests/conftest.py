import pytest
from django.core.cache import cache

from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_deterministic_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()  # a fresh cache per test: no API rate-limit history from earlier tests


@pytest.fixture
def benchmark(db):
    return BenchmarkFactory()


def _persona(benchmark, *roles, username):
    user = UserFactory(username=username)
    for role in roles:
        MembershipFactory(benchmark=benchmark, user=user, role=role)
    return user


@pytest.fixture
def author(benchmark):
    return _persona(benchmark, "author", username="alice_author")


@pytest.fixture
def reviewer(benchmark):
    return _persona(benchmark, "reviewer", username="rui_reviewer")


@pytest.fixture
def grader(benchmark):
    return _persona(benchmark, "grader", username="gao_grader")


@pytest.fixture
def adjudicator(benchmark):
    return _persona(benchmark, "adjudicator", username="adam_adjudicator")


@pytest.fixture
def manager(benchmark):
    return _persona(benchmark, "manager", username="mei_manager")


@pytest.fixture
def outsider(db):
    """Logged in, but a member of no benchmark."""
    return UserFactory(username="oscar_outsider")
