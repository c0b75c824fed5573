"""Case export: native, ClinConsensus and HealthBench JSON Lines, and the case spreadsheet
(XLSX/CSV through django-import-export, `curation.resources`).

Every export reads the given case versions, or by default the current version of every case of
the benchmark that is not retired, in the order the cases were created (so a file imported
into a new benchmark comes back in its own order). Each format rebuilds a case imported from it
from the fields kept in `source_fields`, so import then export gives the same objects back.

The ClinConsensus export is the public release format: it carries no reference answer and no
internal fields (names containing source_file, prompt_id, row, provenance, physician, doctor, qc,
repair or internal), and it refuses, listing every case and field, when any text holds a
contact-like string (curation.deid) or a case is not one user message.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from import_export.formats.base_formats import CSV, XLSX

from curation.deid import find_identifiers
from curation.importing import clinconsensus, healthbench
from curation.importing.reading import UTF8_BOM
from curation.models import Benchmark, Case, CaseStatus, CaseVersion, Criterion, Facet, Term
from curation.resources import FACET_PREFIX, LIST_SEPARATOR, CaseSheetResource

JSONL_FORMATS = ("native", "clinconsensus", "healthbench")
SHEET_FORMATS = ("xlsx", "csv")
CHUNK = 500
INTERNAL_MARKERS = (
    "source_file",
    "prompt_id",
    "row",
    "provenance",
    "physician",
    "doctor",
    "qc",
    "repair",
    "internal",
)


@dataclass(frozen=True)
class ExportProblem:
    case: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.case}, {self.field}: {self.message}"


class ExportRefused(Exception):
    """Nothing was written; `problems` lists every case and field at fault."""

    def __init__(self, problems: list[ExportProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def export_versions(
    *, benchmark: Benchmark, case_versions: Iterable[CaseVersion] | QuerySet | None = None
) -> Iterator[tuple[CaseVersion, dict[str, list[str]]]]:
    """(version, {facet key: [term values]}) for the selection, with its case and criteria
    loaded, a fixed number of queries per chunk of CHUNK versions."""
    if case_versions is None:
        ids = Case.objects.filter(benchmark=benchmark).exclude(status=CaseStatus.RETIRED)
        ids = ids.values("current_version")
    else:
        ids = [v.pk for v in case_versions]
    # The benchmark's cases as a subquery, not a join: with a join SQLite walks the cases and
    # tries every id of the list for each (a release of 25,000 cases: 94 s, 0.4 s this way).
    cases = Case.objects.filter(benchmark=benchmark).values("pk")
    versions = (
        CaseVersion.objects.filter(pk__in=ids, case_id__in=cases)
        .select_related("case")
        .prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("position")),
            Prefetch(
                "terms",
                queryset=Term.objects.select_related("facet").order_by(
                    "facet__position", "facet__key", "position", "value"
                ),
            ),
        )
        .order_by("case_id", "number")
    )
    for version in versions.iterator(chunk_size=CHUNK):
        facets: dict[str, list[str]] = {}
        for term in version.terms.all():
            facets.setdefault(term.facet.key, []).append(term.value)
        yield version, facets


def cases_export(
    *,
    benchmark: Benchmark,
    fmt: str,
    out: TextIO,
    case_versions: Iterable[CaseVersion] | QuerySet | None = None,
) -> int:
    """Write the selection as JSON Lines in `fmt` to the text stream `out`; returns the number
    of cases. Raises ExportRefused (writing nothing) when the format cannot carry a case."""
    if fmt not in JSONL_FORMATS:
        raise ValueError(f"unknown JSON Lines format {fmt!r}")
    lines = []
    problems: list[ExportProblem] = []
    for version, facets in export_versions(benchmark=benchmark, case_versions=case_versions):
        if fmt == "native":
            obj = native_object(version, facets)
        elif fmt == "healthbench":
            obj = healthbench_object(version, facets)
        else:
            obj = clinconsensus_object(version, facets, problems)
        lines.append(json.dumps(obj, ensure_ascii=False))
    if problems:
        raise ExportRefused(problems)
    for line in lines:
        out.write(line + "\n")
    return len(lines)


def native_object(version: CaseVersion, facets: dict[str, list[str]]) -> dict:
    obj = {
        "id": version.case.external_id,
        "title": version.title,
        "messages": version.messages,
        "reference_answer": version.reference_answer,
        "facets": facets,
        "criteria": [
            {"id": c.key, "text": c.text, "points": c.points, "tags": c.tags}
            for c in version.criteria.all()
        ],
    }
    if version.source_fields:
        obj["source_fields"] = version.source_fields
    return obj


def healthbench_object(version: CaseVersion, facets: dict[str, list[str]]) -> dict:
    source = version.source_fields.get(healthbench.SOURCE)
    obj = {
        "prompt_id": version.case.external_id,
        "prompt": version.messages,
        "rubrics": [
            {"criterion": c.text, "points": c.points, "tags": c.tags}
            for c in version.criteria.all()
        ],
    }
    if source is None:
        obj["example_tags"] = []
        obj["ideal_completions_data"] = (
            {"ideal_completion": version.reference_answer} if version.reference_answer else None
        )
        return obj
    obj.update(source)
    ideal = source.get("ideal_completions_data")
    if (ideal or {}).get("ideal_completion", "") != version.reference_answer:
        # The reference answer was edited since the import.
        obj["ideal_completions_data"] = {
            **(ideal or {}),
            "ideal_completion": version.reference_answer,
        }
    return obj


def _is_internal(name: str) -> bool:
    name = name.lower()
    return "reference" in name or "answer" in name or any(m in name for m in INTERNAL_MARKERS)


def clinconsensus_object(
    version: CaseVersion, facets: dict[str, list[str]], problems: list[ExportProblem]
) -> dict:
    """The public ClinConsensus line. Kept source fields are used while the case still matches
    them (same prompt, same facet terms); otherwise the fields are rebuilt from the case."""
    case_id = version.case.external_id
    source = version.source_fields.get(clinconsensus.SOURCE, {})
    obj = {"case_id": case_id}
    mapped = {key: facets[key] for key in clinconsensus.FACETS if key in facets}
    source_facets = clinconsensus.facet_terms(source)
    same_terms = {k: set(v) for k, v in source_facets.items()} == {
        k: set(v) for k, v in mapped.items()
    }
    if source and same_terms:
        for name in ("difficulty", "task", "task_labels", "subject", "subject_labels"):
            if name in source:
                obj[name] = source[name]
    else:
        for facet, (single, labels) in (
            ("difficulty", ("difficulty", None)),
            ("task", ("task", "task_labels")),
            ("specialty", ("subject", "subject_labels")),
        ):
            values = mapped.get(facet, [])
            obj[single] = values[0] if values else ""
            if labels:
                obj[labels] = values
    obj["user_role"] = source.get("user_role", "")
    if len(version.messages) != 1 or version.messages[0]["role"] != "user":
        problems.append(
            ExportProblem(
                case_id,
                "messages",
                gettext("ClinConsensus holds one user message; this case has %(n)s turns")
                % {"n": len(version.messages)},
            )
        )
        content = ""
    else:
        content = version.messages[0]["content"]
    context, request = source.get("clinical_context"), source.get("user_request")
    if context is None or request is None or f"{context}\n\n{request}" != content:
        context, _sep, request = content.rpartition("\n\n")
    obj["clinical_context"] = context
    obj["user_request"] = request
    numeric = version.source_fields.get(clinconsensus.NUMERIC_IDS)
    obj["rubrics"] = [
        {
            "criterion_id": int(c.key) if numeric and c.key.isdigit() else c.key,
            "criterion": c.text,
        }
        for c in version.criteria.all()
    ]
    for name, value in source.items():
        if name not in obj and name not in clinconsensus.FIELDS and not _is_internal(name):
            obj[name] = value
    obj = {name: value for name, value in obj.items() if not _is_internal(name)}
    obj = _ordered(obj)
    for path, text in _strings(obj):
        for hit in find_identifiers(text):
            problems.append(
                ExportProblem(
                    case_id,
                    path,
                    gettext("contains a %(kind)s (%(value)s)")
                    % {"kind": hit.label, "value": hit.value},
                )
            )
    return obj


def _ordered(obj: dict) -> dict:
    """ClinConsensus key order first, then any extra field in its original order."""
    order = [name for name in clinconsensus.FIELDS if name in obj]
    return {name: obj[name] for name in [*order, *(n for n in obj if n not in order)]}


def _strings(value, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def sheet_rows(version: CaseVersion, facets: dict[str, list[str]]) -> list[dict]:
    messages = version.messages
    single = len(messages) == 1 and messages[0]["role"] == "user"
    case = {
        "case_id": version.case.external_id,
        "title": version.title,
        "prompt": messages[0]["content"] if single else "",
        "messages": "" if single else json.dumps(messages, ensure_ascii=False),
        "reference_answer": version.reference_answer,
        "source_fields": json.dumps(version.source_fields, ensure_ascii=False)
        if version.source_fields
        else "",
        **{FACET_PREFIX + key: f"{LIST_SEPARATOR} ".join(values) for key, values in facets.items()},
    }
    criteria = [
        {
            "criterion_id": c.key,
            "criterion": c.text,
            "points": c.points,
            "tags": f"{LIST_SEPARATOR} ".join(c.tags),
        }
        for c in version.criteria.all()
    ]
    return [case | criterion for criterion in criteria] or [case]


def cases_export_sheet(
    *,
    benchmark: Benchmark,
    fmt: str,
    case_versions: Iterable[CaseVersion] | QuerySet | None = None,
) -> bytes:
    """The selection as the case spreadsheet (`curation.resources`), XLSX or CSV (UTF-8 with a
    byte order mark, so spreadsheet programs read Chinese right)."""
    if fmt not in SHEET_FORMATS:
        raise ValueError(f"unknown spreadsheet format {fmt!r}")
    facet_keys = list(Facet.objects.filter(benchmark=benchmark).values_list("key", flat=True))
    resource = CaseSheetResource(facet_keys)
    rows = (
        row
        for version, facets in export_versions(benchmark=benchmark, case_versions=case_versions)
        for row in sheet_rows(version, facets)
    )
    if fmt == "xlsx":
        return XLSX().export_data(resource.export(rows, force_native_type=True))
    return UTF8_BOM + CSV().export_data(resource.export(rows)).encode("utf-8")
