"""The local-judge format (DESIGN "Interchange formats"): one criterion per call.

`judge_input` makes the row `{"user_message", "response", "rubric_item"}` that both the release's
judge fine-tuning file and a judge run (runner.judging) use; `judge_messages` turns a row into the
chat messages sent to a judge, asking for a JSON object with `criteria_met` and `explanation`;
`parse_judge_answer` reads that answer back, or says it cannot.
"""

import json
import re

PROMPT_TEMPLATE = """\
You are grading one response of an AI assistant against one rubric item written by physicians.

# Conversation
{user_message}

# Response
{response}

# Rubric item
{rubric_item}

# Instructions
Decide whether the response meets the rubric item. If the rubric item describes something \
undesirable, "criteria_met" is true when the response does that undesirable thing.
Answer with a JSON object only, no other text:
{{"explanation": "<one or two sentences>", "criteria_met": <true or false>}}"""

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def user_message(messages: list[dict]) -> str:
    """The conversation as one text: the user message itself when there is only one."""
    if len(messages) == 1:
        return messages[0]["content"]
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)


def judge_input(*, messages: list[dict], response: str, rubric_item: str) -> dict[str, str]:
    """The local-judge input row of one response x criterion."""
    return {
        "user_message": user_message(messages),
        "response": response,
        "rubric_item": rubric_item,
    }


def judge_messages(row: dict[str, str]) -> list[dict[str, str]]:
    """The chat messages asking a judge about one input row."""
    return [{"role": "user", "content": PROMPT_TEMPLATE.format(**row)}]


def parse_judge_answer(text: str | None) -> tuple[bool, str] | None:
    """(criteria_met, explanation) from a judge's answer, or None when it holds no JSON object
    with a true/false `criteria_met` (a fenced block or text around the object is tolerated)."""
    if not text:
        return None
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    candidates = [fenced.group(1) if fenced else stripped]
    found = _OBJECT.search(stripped)
    if found:
        candidates.append(found.group(0))
    for candidate in candidates:
        try:
            answer = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(answer, dict) and isinstance(answer.get("criteria_met"), bool):
            explanation = answer.get("explanation")
            return answer["criteria_met"], explanation if isinstance(explanation, str) else ""
    return None
