"""Building blocks of the runner tests: the fake chat server, endpoints on it, approved cases."""

import pytest

from runner.services import endpoint_create
from tests.chat_server import ChatServer
from tests.grading_support import approved_version

SECRET = "sk-test-Zq8rT3cretV4lue-0042"


@pytest.fixture(name="chat_server")
def chat_server_fixture():
    server = ChatServer().start()
    yield server
    server.stop()


def make_endpoint(benchmark, by, server: ChatServer, *, api_key: str | None = None, **data):
    fields = {
        "name": "fake-gpt",
        "base_url": server.base_url,
        "model": "fake-gpt-1",
        "temperature": 0.0,
        "concurrency": 4,
        "requests_per_minute": 6000,
        "timeout_seconds": 1,
        "max_retries": 1,
        "price_input": "2.5",
        "price_output": "10",
    } | data
    return endpoint_create(benchmark=benchmark, by=by, data=fields, api_key=api_key)


def approved_cases(benchmark, count: int, *, criteria: int = 2, models=()) -> list:
    """`count` approved cases CC-0001.. whose message names the case (faults match on it)."""
    return [
        approved_version(
            benchmark,
            f"CC-{n:04d}",
            criteria=criteria,
            models=models,
            messages=[{"role": "user", "content": f"Case CC-{n:04d}: chest pain for two hours."}],
        )
        for n in range(1, count + 1)
    ]
