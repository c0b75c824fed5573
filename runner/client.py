"""Calls to an OpenAI-compatible chat-completions endpoint, many at once.

The official `openai` client does the retries (errors, timeouts and 429s, exponential backoff,
honouring Retry-After up to two minutes: `max_retries`); aiolimiter keeps to the requests per
minute and a semaphore to the concurrency. Every call ends in a `ChatResult`: the answer, or an
error message fit to show (the key is never in it).
"""

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import openai
from aiolimiter import AsyncLimiter
from django.utils.translation import gettext

from runner.secrets import redact

_BODY_PREVIEW = 300


@dataclass(frozen=True)
class CallSettings:
    """What a run sends: the endpoint's settings (a snapshot) and the key."""

    base_url: str
    model: str
    api_key: str
    sampling: dict[str, Any]
    concurrency: int
    requests_per_minute: int
    timeout_seconds: float
    max_retries: int


@dataclass
class ChatResult:
    ok: bool
    content: str = ""
    raw: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str = ""


def _error_message(exc: Exception, call: CallSettings) -> str:
    tries = call.max_retries + 1
    if isinstance(exc, openai.AuthenticationError):
        message = gettext("The endpoint refused the API key (HTTP 401).")
    elif isinstance(exc, openai.PermissionDeniedError):
        message = gettext("The endpoint refused access (HTTP 403).")
    elif isinstance(exc, openai.RateLimitError):
        message = gettext("Rate limited (HTTP 429) on every one of %(n)d tries.") % {"n": tries}
    elif isinstance(exc, openai.APITimeoutError):
        message = gettext("No answer within %(s)s s, on every one of %(n)d tries.") % {
            "s": f"{call.timeout_seconds:g}",
            "n": tries,
        }
    elif isinstance(exc, openai.APIConnectionError):
        message = gettext("Cannot reach the endpoint %(url)s.") % {"url": call.base_url}
    elif isinstance(exc, openai.APIStatusError):
        message = gettext("The endpoint answered HTTP %(status)d: %(body)s") % {
            "status": exc.status_code,
            "body": exc.response.text[:_BODY_PREVIEW],
        }
    else:
        message = gettext("Unexpected error: %(error)s") % {"error": type(exc).__name__}
    return redact(message, call.api_key)


def _completion(raw_text: str) -> tuple[str, int, int]:
    """(message content, input tokens, output tokens) of a chat-completion body; ValueError
    when it is not one."""
    body = json.loads(raw_text)
    if not isinstance(body, dict):
        raise ValueError("not an object")
    choices = body.get("choices") or []
    message = choices[0].get("message") if choices and isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ValueError("no message content")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    tokens = [usage.get(name) for name in ("prompt_tokens", "completion_tokens")]
    return content, *(t if isinstance(t, int) and t >= 0 else 0 for t in tokens)


async def _call(
    client: openai.AsyncOpenAI,
    limiter: AsyncLimiter,
    semaphore: asyncio.Semaphore,
    call: CallSettings,
    messages: list[dict],
) -> ChatResult:
    async with semaphore:
        await limiter.acquire()
        try:
            answer = await client.chat.completions.with_raw_response.create(
                model=call.model, messages=messages, **call.sampling
            )
            raw = answer.http_response.text
        except Exception as exc:  # every failure of one item is reported on that item
            return ChatResult(ok=False, error=_error_message(exc, call))
    try:
        content, prompt_tokens, completion_tokens = _completion(raw)
    except (ValueError, AttributeError, IndexError, TypeError):
        return ChatResult(
            ok=False,
            raw=raw,
            error=gettext("The answer is not a chat completion (malformed JSON)."),
        )
    return ChatResult(
        ok=True,
        content=content,
        raw=raw,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )


async def _run_all(
    call: CallSettings, jobs: Iterable[tuple[Any, list[dict]]], each: Callable[[], None] | None
) -> dict[Any, ChatResult]:
    limiter = AsyncLimiter(call.requests_per_minute, 60)
    semaphore = asyncio.Semaphore(call.concurrency)
    results: dict[Any, ChatResult] = {}
    async with openai.AsyncOpenAI(
        base_url=call.base_url,
        api_key=call.api_key,
        max_retries=call.max_retries,
        timeout=call.timeout_seconds,
    ) as client:

        async def one(key, messages):
            results[key] = await _call(client, limiter, semaphore, call, messages)
            if each:
                each()

        await asyncio.gather(*(one(key, messages) for key, messages in jobs))
    return results


def chat_many(
    call: CallSettings,
    jobs: Iterable[tuple[Any, list[dict]]],
    each: Callable[[], None] | None = None,
) -> dict[Any, ChatResult]:
    """Send every (key, messages) of `jobs` at once (within the limits): {key: result}.
    `each()` is called as each call ends."""
    return asyncio.run(_run_all(call, jobs, each))
