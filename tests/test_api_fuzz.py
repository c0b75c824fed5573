"""The API fuzzed from its own OpenAPI schema (schemathesis): for every operation, requests made
from the schema (valid and invalid input) as a manager and as a grader never get a server error,
and every answer has a status, content type and body the schema documents.

Path parameters name the real objects of one benchmark (a random slug would only ever meet 404);
bodies and query strings are generated. Hypothesis is derandomized and bounded: the same examples
on every run, a few per operation.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from tests.factories import BenchmarkFactory, UserFactory
from tests.matrix_support import build_world
from tests.review_support import member

EXAMPLES_PER_OPERATION = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Only the fuzzing phase: the coverage phase alone sends thousands of boundary-value requests.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261122,
        "phases": {name: {"enabled": False} for name in ("examples", "coverage", "stateful")},
        "generation": {"max-examples": EXAMPLES_PER_OPERATION},
    }
)
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def real_objects(django_db_setup, django_db_blocker, tmp_path_factory):
    """URL parameter values of real objects (tests/matrix_support.py) and a token per persona,
    made once for the module in a transaction rolled back at its end (each test's own
    transaction nests inside)."""
    folder = tmp_path_factory.mktemp("fuzz")
    overrides = override_settings(
        API_THROTTLE_RATES={"anon": "100000/minute", "user": "100000/minute"},
        ALLOWED_HOSTS=["localhost", "testserver"],
        MEDIA_ROOT=folder / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    with django_db_blocker.unblock(), overrides, transaction.atomic():
        benchmark = BenchmarkFactory(slug="fuzz")
        personas = {
            role: member(benchmark, f"{role}_fuzz", role)
            for role in ("author", "reviewer", "grader", "adjudicator", "manager")
        }
        personas["staff"] = UserFactory(username="stella_staff", is_staff=True)
        personas["outsider"] = UserFactory(username="oscar_outsider")
        world = build_world(benchmark, personas, folder)
        tokens = {
            persona: api_token_create(user=user, name="fuzz", days=1)[1]
            for persona, user in personas.items()
        }
        # As Django's test client does around each of its requests (and so after build_world's):
        # a request must not close the connection whose transaction holds this module's objects
        # (PostgreSQL's is closed on request_finished inside a transaction; SQLite's is kept).
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        yield world, tokens
        transaction.set_rollback(True)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager", "grader"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_fuzzed_requests_as_its_schema_says(case, persona, real_objects):
    world, tokens = real_objects
    values = dict(world.values)
    for fragment, key in (("/adjudication/", "adjudication"), ("/campaigns/", "campaign")):
        if fragment in case.path:
            values |= world.by_route[key]
    if "/review/" in case.path:
        values |= world.by_route["api-review-"]
    for name in case.path_parameters or {}:
        if name in values:
            case.path_parameters[name] = str(values[name])
    case.call_and_validate(headers={"Authorization": f"Token {tokens[persona]}"}, checks=CHECKS)
