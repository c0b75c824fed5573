"""The format-neutral case record every parser produces, and the checks all formats share."""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from curation.authoring_forms import RESERVED_EXTERNAL_IDS, external_id_validator
from curation.importing.errors import LineChecker
from curation.models import Criterion

MESSAGE_ROLES = ("system", "user", "assistant")
FACET_KEY = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
TITLE_LENGTH = 80  # of a title derived from the prompt, for formats without titles


@dataclass
class CriterionRecord:
    key: str
    text: str
    points: int = 1
    tags: list[str] = field(default_factory=list)


@dataclass
class CaseRecord:
    line: int
    external_id: str
    title: str
    messages: list[dict]
    reference_answer: str = ""
    facets: dict[str, list[str]] = field(default_factory=dict)
    criteria: list[CriterionRecord] = field(default_factory=list)
    source_fields: dict = field(default_factory=dict)

    def content(self) -> dict:
        return case_content(
            title=self.title,
            messages=self.messages,
            reference_answer=self.reference_answer,
            facets=self.facets,
            criteria=self.criteria,
            source_fields=self.source_fields,
        )


def case_content(
    *,
    title: str,
    messages: list[dict],
    reference_answer: str,
    facets: dict[str, list[str]],
    criteria,
    source_fields: dict,
) -> dict:
    """What makes two versions the same: compared on re-import to leave unchanged cases alone.
    Facet terms are a set; criteria keep their order (position is content)."""
    return {
        "title": title,
        "messages": [[m["role"], m["content"]] for m in messages],
        "reference_answer": reference_answer,
        "facets": {key: sorted(set(values)) for key, values in facets.items() if values},
        "criteria": [[c.key, c.text, c.points, list(c.tags)] for c in criteria],
        "source_fields": source_fields or {},
    }


def derived_title(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line if len(first_line) <= TITLE_LENGTH else first_line[: TITLE_LENGTH - 1] + "…"


@lru_cache(maxsize=100_000)
def _valid_external_id(value: str) -> bool:
    """Label and response files name each case hundreds of times: validate each id once."""
    try:
        external_id_validator(value)
    except ValidationError:
        return False
    return True


def check_external_id(check: LineChecker, value, path: str) -> str | None:
    """A case id: text, or a whole number taken as text, under the editor's rules (it is part of
    the case's URLs). None (already reported missing) passes through."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    value = check.check_text(value, path, max_length=100)
    if value is None:
        return None
    if not _valid_external_id(value):
        try:
            external_id_validator(value)
        except ValidationError as exc:
            check.error(path, " ".join(exc.messages))
            return None
    if value in RESERVED_EXTERNAL_IDS:
        check.error(path, gettext("%(id)r is reserved; choose another case id") % {"id": value})
        return None
    return value


def check_points(check: LineChecker, value, path: str) -> int | None:
    """Whole points within the model's rules (-10..10, not 0)."""
    points = check.check_integer(value, path)
    if points is None:
        return None
    try:
        Criterion._meta.get_field("points").run_validators(points)
    except ValidationError as exc:
        check.error(path, " ".join(exc.messages))
        return None
    return points


def check_messages(check: LineChecker, items, path: str) -> list[dict] | None:
    if items is None:
        return None
    if not items:
        check.error(path, gettext("must hold at least one message"))
        return None
    messages = []
    for i, item in enumerate(items):
        item_path = f"{path}[{i}]"
        if check.obj(item, item_path) is None:
            continue
        role = check.text(item, "role", f"{item_path}.role")
        content = check.text(item, "content", f"{item_path}.content")
        if role is not None and role not in MESSAGE_ROLES:
            check.error(
                f"{item_path}.role",
                gettext("unknown role %(role)r; expected one of %(roles)s")
                % {"role": role, "roles": ", ".join(MESSAGE_ROLES)},
            )
        elif role is not None and content is not None:
            messages.append({"role": role, "content": content})
    return messages if len(messages) == len(items) else None


def check_facets(check: LineChecker, value, path: str) -> dict[str, list[str]] | None:
    if check.obj(value, path) is None:
        return None
    facets = {}
    for key in value:
        if not FACET_KEY.match(key):
            check.error(
                f"{path}.{key}",
                gettext("a facet key is 1 to 64 letters, digits, hyphens or underscores"),
            )
            continue
        values = check.string_list(value, key, f"{path}.{key}")
        if values is not None:
            facets[key] = list(dict.fromkeys(values))
    return facets


def check_unique_keys(check: LineChecker, criteria: list[CriterionRecord], path: str) -> None:
    seen: set[str] = set()
    for i, criterion in enumerate(criteria):
        if criterion.key in seen:
            check.error(
                f"{path}[{i}]",
                gettext("duplicate criterion id %(key)r in this case") % {"key": criterion.key},
            )
        seen.add(criterion.key)


def check_no_unknown_keys(check: LineChecker, obj: dict, known, path: str = "") -> None:
    for key in obj:
        if key not in known:
            check.error(
                f"{path}{key}",
                gettext("unknown field; expected %(fields)s") % {"fields": ", ".join(known)},
            )
