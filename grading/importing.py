"""Response import: model outputs keyed by case id, model and sample (DESIGN "Interchange
formats"), one JSON object per line:

    {"case": "CC-0001", "model": "gpt-5.1", "sample": 0, "text": "..."}

`sample` may be left out (0). A spreadsheet (XLSX or CSV) works too, in one of two layouts: one
response per row with the columns `case, model, sample, text`; or one case per row, its id in
`case`, `case_id` or `index`, and one `<model>_answer` column per model (sample 0), as in the
GAPS-NSCLC sheet (`gpt_5_answer` is model gpt-5, `gemini_2_5_pro_answer` gemini-2.5-pro).

Each response is tied to the case's current version, which must be
approved. The whole file is refused, every bad line listed and nothing written, when a line is
malformed, names an unknown case or a case that is not approved, repeats a (case, model, sample)
of the file or of the database, or has empty text.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext

from curation.audit import audit_record
from curation.importing.bulk import insert_rows
from curation.importing.errors import ImportRejected, LineChecker, LineError
from curation.importing.reading import (
    file_name,
    jsonl_objects,
    looks_like_xlsx,
    opened,
    read_bytes,
)
from curation.importing.records import check_external_id, check_no_unknown_keys
from curation.importing.tabular import answer_models, cell_text, read_table
from curation.models import Benchmark, Case, CaseStatus
from grading.id_chunks import id_chunks
from grading.models import ModelUnderTest, Response

CHUNK = 500
FIELDS = ("case", "model", "sample", "text")
FORMATS = ("jsonl", "xlsx", "csv")
CASE_COLUMNS = ("case", "case_id", "index")


@dataclass
class ResponseRecord:
    line: int
    case: str
    model: str
    sample: int
    text: str


@dataclass
class ResponseImportReport:
    benchmark_slug: str
    file_name: str
    dry_run: bool
    created: int = 0
    by_model: dict[str, int] = field(default_factory=dict)
    new_models: list[str] = field(default_factory=list)
    cases: int = 0


def responses_import(
    *,
    benchmark: Benchmark | str,
    file,
    actor,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    fmt: str | None = None,
    filename: str | None = None,
) -> ResponseImportReport:
    """Import the responses of `file` (a path or a binary file; `fmt` jsonl, xlsx or csv,
    guessed from the name or content if not given) into an existing benchmark. Raises
    ImportRejected, writing nothing, when any line is bad."""
    name = filename or file_name(file)
    bench = _benchmark(benchmark)
    fmt = fmt or guess_format(file, name)
    if fmt not in FORMATS:
        raise ValueError(f"unknown response format {fmt!r}")
    errors: list[LineError] = []
    if fmt == "jsonl":
        records = _parse(file, errors)
    else:
        records = _parse_sheet(read_bytes(file), fmt, errors)
    _check_duplicates(records, errors)
    with transaction.atomic():
        report = ResponseImportReport(benchmark_slug=bench.slug, file_name=name, dry_run=dry_run)
        # With bad lines already found the database checks still run (to list every bad line)
        # but nothing is written.
        _Importer(bench, report, records, errors, dry_run=dry_run or bool(errors)).run(progress)
        if errors:
            raise ImportRejected(errors)
        if not dry_run:
            audit_record(
                actor=actor,
                action="responses_imported",
                obj=bench,
                benchmark=bench,
                data={"file": name, "created": report.created, "by_model": report.by_model},
            )
    return report


def _benchmark(benchmark: Benchmark | str) -> Benchmark:
    if isinstance(benchmark, Benchmark):
        return benchmark
    found = Benchmark.objects.filter(slug=benchmark).first()
    if found is None:
        raise ImportRejected(
            [
                LineError(
                    0,
                    "benchmark",
                    gettext("There is no benchmark %(slug)r; import its cases first.")
                    % {"slug": benchmark},
                )
            ]
        )
    return found


def parse_line(obj: dict, check: LineChecker) -> ResponseRecord | None:
    check_no_unknown_keys(check, obj, FIELDS)
    case = check_external_id(check, check.get(obj, "case", "case"), "case")
    model = check.text(obj, "model", max_length=200)
    sample = check.integer(obj, "sample", required=False)
    if sample is not None and sample < 0:
        check.error("sample", gettext("must be 0 or more"))
    text = check.text(obj, "text")
    if not check.ok:
        return None
    return ResponseRecord(check.line, case, model.strip(), sample or 0, text)


def guess_format(file, name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix in ("xlsx", "csv"):
        return suffix
    with opened(file) as handle:
        return "xlsx" if looks_like_xlsx(handle.read(4)) else "jsonl"


def _parse(file, errors: list[LineError]) -> list[ResponseRecord]:
    records = []
    with opened(file) as handle:
        for number, obj in jsonl_objects(handle, errors):
            record = parse_line(obj, LineChecker(number, errors))
            if record is not None:
                records.append(record)
    return records


def _parse_sheet(data: bytes, fmt: str, errors: list[LineError]) -> list[ResponseRecord]:
    headers, rows = read_table(data, fmt, errors)
    if not headers:
        return []
    models = answer_models(headers)
    case_column = next((c for c in CASE_COLUMNS if c in headers), None)
    records = []
    if {"case", "model", "text"} <= set(headers):
        for number, row in rows:
            values = {k: cell_text(row.get(k)) for k in FIELDS if k in row}
            if values.get("sample", "").strip():
                values["sample"] = _whole(values["sample"].strip())
            else:
                values.pop("sample", None)
            record = parse_line(values, LineChecker(number, errors))
            if record is not None:
                records.append(record)
    elif case_column and models:
        for number, row in rows:
            for column, model in models.items():
                check = LineChecker(number, errors)
                case = check_external_id(
                    check, cell_text(row.get(case_column)).strip(), case_column
                )
                text = check.check_text(cell_text(row.get(column)), column)
                if check.ok:
                    records.append(ResponseRecord(number, case, model, 0, text))
    else:
        errors.append(
            LineError(
                1,
                "",
                gettext(
                    "unknown layout: a response sheet has the columns case, model, sample, text; "
                    "or a case column (case, case_id or index) and <model>_answer columns"
                ),
            )
        )
    return records


def _whole(text: str):
    try:
        return int(float(text)) if float(text).is_integer() else text
    except ValueError:
        return text


def _check_duplicates(records: list[ResponseRecord], errors: list[LineError]) -> None:
    first_line: dict[tuple[str, str, int], int] = {}
    for record in records:
        key = (record.case, record.model, record.sample)
        if key in first_line:
            errors.append(
                LineError(
                    record.line,
                    "sample",
                    gettext(
                        "duplicate response: case %(case)s, model %(model)s, sample %(sample)s "
                        "(first on line %(first)s)"
                    )
                    % {
                        "case": record.case,
                        "model": record.model,
                        "sample": record.sample,
                        "first": first_line[key],
                    },
                )
            )
        first_line.setdefault(key, record.line)
    if not records and not errors:
        errors.append(LineError(0, "", gettext("The file holds no responses.")))


class _Importer:
    def __init__(self, benchmark, report, records, errors, *, dry_run: bool):
        self.benchmark = benchmark
        self.report = report
        self.records = records
        self.dry_run = dry_run
        self.errors = errors
        names = sorted({r.model for r in records})
        self.models = dict(ModelUnderTest.objects.filter(name__in=names).values_list("name", "pk"))
        report.new_models = [n for n in names if n not in self.models]
        if not dry_run and report.new_models:
            ModelUnderTest.objects.bulk_create(
                [ModelUnderTest(name=n) for n in report.new_models], ignore_conflicts=True
            )
            self.models = dict(
                ModelUnderTest.objects.filter(name__in=names).values_list("name", "pk")
            )

    def run(self, progress) -> None:
        """Check every record against the database, a few queries for the whole file, then
        insert the new responses in one go (COPY on PostgreSQL)."""
        cases = self._cases(sorted({r.case for r in self.records}))
        taken = self._taken([case[0] for case in cases.values()])
        new, by_model, cases_seen = [], Counter(), set()
        for done, record in enumerate(self.records, start=1):
            case = cases.get(record.case)
            if case is None:
                self._error(record, "case", gettext("unknown case %(case)r in this benchmark"))
                continue
            version_id, version_number, status, frozen = case
            if status != CaseStatus.APPROVED or not frozen:
                self._error(
                    record,
                    "case",
                    gettext(
                        "case %(case)s is not approved (%(status)s); responses are only taken "
                        "for approved case versions"
                    ),
                    status=CaseStatus(status).label,
                )
            elif (version_id, record.model, record.sample) in taken:
                self._error(
                    record,
                    "sample",
                    gettext(
                        "a response of model %(model)s, sample %(sample)s to case %(case)s "
                        "(version %(version)s) is already imported"
                    ),
                    version=version_number,
                )
            else:
                by_model[record.model] += 1
                cases_seen.add(record.case)
                if not self.dry_run:
                    new.append((version_id, self.models[record.model], record.sample, record.text))
            if progress and done % CHUNK == 0:
                progress(done, len(self.records))
        self.report.created = sum(by_model.values())
        self.report.by_model = dict(by_model)
        self.report.cases = len(cases_seen)
        if not self.errors and not self.dry_run:
            insert_rows(Response, ["case_version_id", "model_id", "sample", "text"], new)
        if progress:
            progress(len(self.records), len(self.records))

    def _cases(self, external_ids: list[str]) -> dict[str, tuple[int, int, str, bool]]:
        """external id -> (current version id, its number, the case's status, version frozen)."""
        found = {}
        for start in range(0, len(external_ids), CHUNK):
            rows = Case.objects.filter(
                benchmark=self.benchmark, external_id__in=external_ids[start : start + CHUNK]
            ).values_list(
                "external_id",
                "current_version_id",
                "current_version__number",
                "status",
                "current_version__submitted_at",
            )
            for external_id, version_id, number, status, submitted_at in rows:
                found[external_id] = (version_id, number, status, submitted_at is not None)
        return found

    def _taken(self, version_ids: list[int]) -> set[tuple[int, str, int]]:
        taken = set()
        for _chunk, on_versions in id_chunks(version_ids, "case_version_id"):
            taken.update(
                Response.objects.filter(on_versions)
                .values_list("case_version_id", "model__name", "sample")
                .order_by()
            )
        return taken

    def _error(self, record: ResponseRecord, field_name: str, message: str, **extra) -> None:
        values = {"case": record.case, "model": record.model, "sample": record.sample, **extra}
        self.errors.append(LineError(record.line, field_name, message % values))
