"""Stored XSS: a corpus of payloads put into every user-text field of one benchmark, then every
page each persona can open (the GET routes the permission matrix gives them 200 on) loaded in
Chromium. No payload may run (no dialog, `window.__xss` never set, no request to the probe URL)
and none may become markup (no element carrying the payloads' `data-xss` attribute, no
`javascript:` link, no live hx-* attribute from a payload)."""

import pytest

from accounts.models import User
from curation.models import Benchmark, CaseVersion, Criterion, Facet, Term
from grading.models import Campaign, Consensus, Label, ModelUnderTest, Release, Response
from tests.factories import UserFactory
from tests.matrix_support import build_world, site_routes
from tests.release_support import media  # noqa: F401 (fixture)
from tests.test_permission_matrix import ROLES, row_of

PROBE = "/xss-probe"
PAYLOADS = [
    "<script data-xss>window.__xss=1</script>",
    '<img data-xss src=x onerror="window.__xss=1">',
    "<svg data-xss onload=window.__xss=1></svg>",
    '"><img data-xss src=x onerror=window.__xss=1>',
    "'><svg data-xss onload=window.__xss=1>",
    "</textarea><script data-xss>window.__xss=1</script>",
    '<a data-xss href="javascript:window.__xss=1">link</a>',
    "[click me](javascript:window.__xss=1)",
    '![x](x" onerror="window.__xss=1)',
    '<iframe data-xss srcdoc="<script>parent.__xss=1</script>"></iframe>',
    f'<div data-xss hx-get="{PROBE}" hx-trigger="load">htmx</div>',
    f"<button data-xss hx-post={PROBE} hx-trigger=load>x</button>",
    "<details data-xss open ontoggle=window.__xss=1>",
    "javascript:window.__xss=1",
]
# A field of limited length gets as many payloads as fit.
TEXT_FIELDS = {
    Benchmark: ["name", "description"],
    User: ["display_name"],
    CaseVersion: ["title", "reference_answer", "change_note"],
    Criterion: ["text"],
    Facet: ["name"],
    Term: ["value"],
    ModelUnderTest: ["name"],
    Response: ["text"],
    Label: ["note"],
    Consensus: ["rationale"],
    Campaign: ["name"],
    Release: ["notes"],
}
# Pages that are files, not HTML.
SKIPPED = {"grading:release_file", "curation:audit_csv", "healthz", "api-schema"}


def payload_text(model, field: str, salt: int) -> str:
    """As many payloads as the field holds, starting at a different one per object."""
    limit = model._meta.get_field(field).max_length or 100_000
    text = ""
    for payload in PAYLOADS[salt % len(PAYLOADS) :] + PAYLOADS[: salt % len(PAYLOADS)]:
        if len(text) + len(payload) + 1 <= limit:
            text += payload + " "
    return text.strip()


def poison() -> int:
    """Every user-text field of every object gets payloads; the number of values poisoned."""
    filled = 0
    for model, fields in TEXT_FIELDS.items():
        for obj in model.objects.all():
            values = {
                field: payload_text(model, field, obj.pk + n) for n, field in enumerate(fields)
            }
            model.objects.filter(pk=obj.pk).update(**values)
            filled += len(values)
    for version in CaseVersion.objects.all():  # the conversation
        messages = [{"role": m["role"], "content": " ".join(PAYLOADS)} for m in version.messages]
        CaseVersion.objects.filter(pk=version.pk).update(messages=messages)
        filled += 1
    for criterion in Criterion.objects.all():  # tags, as short as tags are
        Criterion.objects.filter(pk=criterion.pk).update(tags=[p[:60] for p in PAYLOADS[:4]])
        filled += 1
    return filled


INSPECT = """() => ({
    xss: window.__xss === 1,
    markup: document.querySelectorAll('[data-xss]').length,
    scriptLinks: document.querySelectorAll(
        '[href^="javascript:" i], [src^="javascript:" i]').length,
    handlers: Array.from(document.querySelectorAll('*')).filter(
        el => Array.from(el.attributes).some(a => a.name.startsWith('on'))).length,
})"""


@pytest.fixture
def poisoned(
    tmp_path,
    media,  # noqa: F811
    benchmark,
    author,
    reviewer,
    grader,
    adjudicator,
    manager,
    outsider,
):
    personas = {
        "author": author,
        "reviewer": reviewer,
        "grader": grader,
        "adjudicator": adjudicator,
        "manager": manager,
        "staff": UserFactory(username="stella_staff", is_staff=True),
        "outsider": outsider,
    }
    world = build_world(benchmark, personas, tmp_path)
    fields = poison()
    return world, personas, fields


def test_no_stored_payload_runs_or_becomes_markup_on_any_page(page, login, poisoned):
    world, personas, fields = poisoned
    dialogs, probes, visited, found = [], [], [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: probes.append(request.url) if PROBE in request.url else None)
    for persona in ROLES:
        page.context.clear_cookies()
        login(page, personas[persona])
        for route in site_routes():
            row = row_of(route) or {}
            if route.is_api or route.name.startswith("admin:") or route.name in SKIPPED:
                continue
            if row.get("GET", {}).get(persona) != 200:
                continue
            page.goto(world.url(route), timeout=60_000)  # statistics pages compute
            page.wait_for_load_state("networkidle", timeout=60_000)
            seen = page.evaluate(INSPECT)
            visited.append(f"{persona} {route.name}")
            if seen["xss"] or seen["markup"] or seen["scriptLinks"] or seen["handlers"]:
                found.append(f"{persona} {route.name}: {seen}")

    assert not found, "\n".join(found)
    assert not dialogs
    assert not probes
    assert len(visited) > 40, visited
    print(f"{len(PAYLOADS)} payloads in {fields} fields, {len(visited)} pages")
