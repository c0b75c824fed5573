"""What a call costs, from the endpoint's prices per million input and output tokens."""

from decimal import Decimal

MILLION = Decimal(1_000_000)


def call_cost(*, prices: dict, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """Cost of one call; `prices` holds "input" and "output" per 1M tokens (as strings)."""
    return (
        Decimal(prices.get("input") or 0) * prompt_tokens
        + Decimal(prices.get("output") or 0) * completion_tokens
    ) / MILLION
