"""Label import (DESIGN "Interchange formats"): human and judge labels, one JSON object a line:

    {"case": "CC-0001", "model": "gpt-5.1", "sample": 0, "criterion": "c01",
     "rater": "dr_wang", "rater_kind": "human", "met": true, "note": "..."}

`sample` may be left out (0), `note` too; a judge line may add `"version"`. The label goes to the
model's response in the case (its newest version with such a response) and the criterion of
that version with the given key.

Raters: a judge is found or created by (name, version). A human is the human rater of that
name if one exists; otherwise, if a user has that username, that user's rater is created;
otherwise a rater with the name alone (an external physician without an account) is created.

Imported labels count as submitted. An existing label of the same rater is updated (a person's
change goes into the label's history); a grader's label given in a campaign is never overwritten
by a file. The whole file is refused, every bad line listed and nothing written, on a malformed
line, an unknown case, model response, criterion or rater kind, a `met` that is not true/false,
or a label repeated in the file. Afterwards the consensus rule runs on every item touched.

`--format healthbench-meta` reads the HealthBench meta-evaluation physician labels instead
(grading.label_formats).
"""

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from curation.audit import audit_record
from curation.importing.bulk import insert_rows
from curation.importing.errors import ImportRejected, LineChecker, LineError, wrong_type
from curation.importing.reading import file_name, jsonl_objects, opened
from curation.importing.records import check_external_id, check_no_unknown_keys
from curation.models import Benchmark, Case, Criterion
from grading.id_chunks import id_chunks
from grading.models import AdjudicationItem, Consensus, Label, LabelHistory, Rater, Response
from grading.services.consensus import consensus_refresh

FIELDS = ("case", "model", "sample", "criterion", "rater", "rater_kind", "met", "note", "version")
FIELD_SET = frozenset(FIELDS)
MAX_LENGTH = {"model": 200, "criterion": 50, "rater": 200, "version": 100}
FORMATS = ("jsonl", "healthbench-meta")
CHUNK = 500
RATER_KINDS = frozenset(Rater.Kind.values)


@dataclass(slots=True)
class LabelRecord:
    line: int
    case: str
    model: str
    sample: int
    criterion: str
    rater: str
    kind: str
    version: str
    met: bool
    note: str


@dataclass
class LabelImportReport:
    benchmark_slug: str
    file_name: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    new_raters: list[str] = field(default_factory=list)
    new_cases: int = 0
    # Of the items whose human labels the file touched, after the consensus rule ran:
    consensus_by_method: dict[str, int] = field(default_factory=dict)
    adjudication_open: int = 0


def labels_import(
    *,
    benchmark: Benchmark | str,
    file,
    actor,
    dry_run: bool = False,
    fmt: str = "jsonl",
    filename: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LabelImportReport:
    """Import the labels of `file` (a path or a binary file). Raises ImportRejected, writing
    nothing, when any line is bad. A dry run does all the work, the consensus rule included, and
    rolls it back, so its report is what the import would do."""
    from grading.label_formats import healthbench_meta_records

    name = filename or file_name(file)
    if fmt not in FORMATS:
        raise ValueError(f"unknown label format {fmt!r}")
    errors: list[LineError] = []
    with transaction.atomic():
        report = LabelImportReport(benchmark_slug="", file_name=name, dry_run=dry_run)
        if fmt == "healthbench-meta":
            bench, records = healthbench_meta_records(
                benchmark=benchmark, file=file, errors=errors, report=report
            )
        else:
            bench = _benchmark(benchmark)
            records = _parse(file, errors)
        report.benchmark_slug = bench.slug
        _check_duplicates(records, errors)
        touched = _Importer(bench, report, errors).run(records, progress)
        if errors:
            raise ImportRejected(errors)
        _summarise(report, touched)
        audit_record(
            actor=actor,
            action="labels_imported",
            obj=bench,
            benchmark=bench,
            data={
                "file": name,
                "format": fmt,
                "created": report.created,
                "updated": report.updated,
                "by_kind": report.by_kind,
            },
        )
        if dry_run:
            transaction.set_rollback(True)
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
                    gettext("There is no benchmark %(slug)r.") % {"slug": benchmark},
                )
            ]
        )
    return found


def parse_line(obj: dict, check: LineChecker) -> LabelRecord | None:
    check_no_unknown_keys(check, obj, FIELDS)
    case = check_external_id(check, check.get(obj, "case", "case"), "case")
    model = check.text(obj, "model", max_length=MAX_LENGTH["model"])
    sample = check.integer(obj, "sample", required=False)
    if sample is not None and sample < 0:
        check.error("sample", gettext("must be 0 or more"))
    criterion = check.text(obj, "criterion", max_length=MAX_LENGTH["criterion"])
    rater = check.text(obj, "rater", max_length=MAX_LENGTH["rater"])
    kind = check.text(obj, "rater_kind")
    if kind is not None and kind not in RATER_KINDS:
        check.error(
            "rater_kind",
            gettext("unknown rater kind %(kind)r; expected human or judge") % {"kind": kind},
        )
    version = (
        check.text(obj, "version", required=False, blank=True, max_length=MAX_LENGTH["version"])
        or ""
    )
    if version and kind == Rater.Kind.HUMAN:
        check.error("version", gettext("only a judge has a version"))
    met = check.get(obj, "met", "met")
    if met is not None and not isinstance(met, bool):
        check.error("met", wrong_type(met, "true/false"))
    note = check.text(obj, "note", required=False, blank=True) or ""
    if not check.ok:
        return None
    return _record(check.line, case, model, sample or 0, criterion, rater, kind, version, met, note)


def _record(line, case, model, sample, criterion, rater, kind, version, met, note) -> LabelRecord:
    # A file repeats each case, model, criterion and rater on many lines: one string each.
    intern = sys.intern
    return LabelRecord(
        line,
        intern(case),
        intern(model.strip()),
        sample,
        intern(criterion.strip()),
        intern(rater.strip()),
        intern(kind),
        intern(version.strip()),
        met,
        note.strip(),
    )


def _plain_record(obj: dict, line: int) -> LabelRecord | None:
    """The record of a line whose values all have their plain type and pass parse_line's checks
    (nearly every line of a real file), found with type tests and checks remembered by value
    instead of a LineChecker call per field. None leaves the line to parse_line, which has the
    last word and the messages."""
    get = obj.get
    case, model, criterion, rater = get("case"), get("model"), get("criterion"), get("rater")
    kind, met, sample = get("rater_kind"), get("met"), get("sample", 0)
    version, note = get("version", ""), get("note", "")
    if (
        type(met) is bool
        and type(sample) is int
        and sample >= 0
        and type(kind) is str
        and kind in RATER_KINDS
        and type(version) is str
        and (not version or kind != Rater.Kind.HUMAN)
        and type(note) is str
        and type(case) is str
        and type(model) is str
        and type(criterion) is str
        and type(rater) is str
        and obj.keys() <= FIELD_SET
        and _good_case(case)
        and _good_text(model, MAX_LENGTH["model"])
        and _good_text(criterion, MAX_LENGTH["criterion"])
        and _good_text(rater, MAX_LENGTH["rater"])
        and len(version) <= MAX_LENGTH["version"]
    ):
        return _record(line, case, model, sample, criterion, rater, kind, version, met, note)
    return None


@lru_cache(maxsize=100_000)
def _good_case(value: str) -> bool:
    return check_external_id(LineChecker(0, []), value, "case") is not None


@lru_cache(maxsize=100_000)
def _good_text(value: str, max_length: int) -> bool:
    return LineChecker(0, []).check_text(value, "", max_length=max_length) is not None


def _parse(file, errors: list[LineError]) -> list[LabelRecord]:
    records = []
    with opened(file) as handle:
        for number, obj in jsonl_objects(handle, errors):
            record = _plain_record(obj, number) or parse_line(obj, LineChecker(number, errors))
            if record is not None:
                records.append(record)
    return records


def _check_duplicates(records: list[LabelRecord], errors: list[LineError]) -> None:
    first_line: dict[tuple, int] = {}
    for r in records:
        key = (r.case, r.model, r.sample, r.criterion, r.kind, r.rater, r.version)
        if key in first_line:
            errors.append(
                LineError(
                    r.line,
                    "rater",
                    gettext("the same label again (first on line %(first)s)")
                    % {"first": first_line[key]},
                )
            )
        first_line.setdefault(key, r.line)
    if not records and not errors:
        errors.append(LineError(0, "", gettext("The file holds no labels.")))


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Importer:
    def __init__(self, benchmark: Benchmark, report: LabelImportReport, errors: list[LineError]):
        self.benchmark = benchmark
        self.report = report
        self.errors = errors

    def run(self, records: list[LabelRecord], progress) -> set[tuple[int, int]]:
        case_ids = sorted({r.case for r in records})
        self.known_cases = self._known_cases(case_ids)
        responses = self._responses(case_ids)
        criteria = self._criteria({version for version, _id in responses.values()})
        # New raters are made before the lines are checked: a refused file rolls them back.
        raters = self._raters(records)
        humans = {r.pk for r in raters.values() if r.kind == Rater.Kind.HUMAN}
        rater_ids = {key: rater.pk for key, rater in raters.items()}
        existing = self._existing_labels(
            [pk for _version, pk in responses.values()], set(rater_ids.values())
        )
        now = timezone.now()
        by_kind: Counter = Counter()
        new, changed, history, touched = [], [], [], set()
        for done, record in enumerate(records, start=1):
            if progress and done % CHUNK == 0:
                progress(done, len(records))
            found = responses.get((record.case, record.model, record.sample))
            if found is None:
                self._unknown_response(record)
                continue
            version_id, response_id = found
            criterion_id = criteria.get((version_id, record.criterion))
            if criterion_id is None:
                self.errors.append(
                    LineError(
                        record.line,
                        "criterion",
                        gettext("case %(case)s has no criterion %(criterion)r")
                        % {"case": record.case, "criterion": record.criterion},
                    )
                )
                continue
            rater_id = rater_ids[(record.kind, record.rater, record.version)]
            by_kind[record.kind] += 1
            if rater_id in humans:
                touched.add((response_id, criterion_id))
            label = existing.get((rater_id, response_id, criterion_id))
            if label is None:
                new.append((rater_id, response_id, criterion_id, record.met, record.note))
                continue
            pk, assignment_id, met, note = label
            if assignment_id is not None:
                self.errors.append(
                    LineError(
                        record.line,
                        "rater",
                        gettext(
                            "%(rater)s labelled this in a grading campaign; a file does not "
                            "overwrite it"
                        )
                        % {"rater": record.rater},
                    )
                )
            elif (met, note) == (record.met, record.note):
                self.report.unchanged += 1
            else:
                if rater_id in humans:
                    history.append((pk, met, record.met, record.note))
                changed.append(Label(pk=pk, met=record.met, note=record.note, updated_at=now))
        if self.errors:
            return set()
        # Plain rows (COPY on PostgreSQL), several times faster than model instances; a new
        # human label's first history row takes its key, read back afterwards.
        insert_rows(Label, ["rater_id", "response_id", "criterion_id", "met", "note"], new)
        Label.objects.bulk_update(changed, ["met", "note", "updated_at"], batch_size=CHUNK)
        history += self._first_history(new, humans)
        insert_rows(LabelHistory, ["label_id", "previous_met", "met", "note"], history)
        self.report.by_kind = dict(by_kind)
        self.report.created, self.report.updated = len(new), len(changed)
        if progress:
            progress(len(records), len(records))
        consensus_refresh(items=touched)
        return touched

    def _responses(self, case_ids: list[str]) -> dict[tuple[str, str, int], tuple[int, int]]:
        """(case, model, sample) -> (case version id, response id), the newest version first."""
        found: dict[tuple[str, str, int], tuple[int, int]] = {}
        for chunk in _chunks(case_ids):
            rows = (
                Response.objects.filter(
                    case_version__case__benchmark=self.benchmark,
                    case_version__case__external_id__in=chunk,
                )
                .order_by("-case_version__number")
                .values_list(
                    "case_version__case__external_id",
                    "model__name",
                    "sample",
                    "case_version_id",
                    "pk",
                )
            )
            for case, model, sample, version_id, pk in rows:
                found.setdefault((case, model, sample), (version_id, pk))
        return found

    def _criteria(self, version_ids: set[int]) -> dict[tuple[int, str], int]:
        found = {}
        for chunk in _chunks(sorted(version_ids)):
            for version_id, key, pk in (
                Criterion.objects.filter(version_id__in=chunk)
                .values_list("version_id", "key", "pk")
                .order_by()
            ):
                found[(version_id, key)] = pk
        return found

    def _known_cases(self, case_ids: list[str]) -> set[str]:
        known: set[str] = set()
        for chunk in _chunks(case_ids):
            known.update(
                Case.objects.filter(benchmark=self.benchmark, external_id__in=chunk).values_list(
                    "external_id", flat=True
                )
            )
        return known

    def _unknown_response(self, record: LabelRecord) -> None:
        if record.case not in self.known_cases:
            self.errors.append(
                LineError(
                    record.line,
                    "case",
                    gettext("unknown case %(case)r in this benchmark") % {"case": record.case},
                )
            )
            return
        self.errors.append(
            LineError(
                record.line,
                "model",
                gettext(
                    "no response of model %(model)r, sample %(sample)s to case %(case)r in this "
                    "benchmark"
                )
                % {"model": record.model, "sample": record.sample, "case": record.case},
            )
        )

    def _raters(self, records: list[LabelRecord]) -> dict[tuple[str, str, str], Rater]:
        wanted = {(r.kind, r.rater, r.version) for r in records}
        names = sorted({name for _kind, name, _version in wanted})
        raters = {}
        for chunk in _chunks(names):
            for rater in Rater.objects.filter(name__in=chunk):
                raters[(rater.kind, rater.name, rater.version)] = rater
        missing = sorted(wanted - set(raters))
        human_names = [name for kind, name, _v in missing if kind == Rater.Kind.HUMAN]
        users = {}
        for chunk in _chunks(human_names):
            users.update(
                {
                    u.get_username(): u
                    for u in get_user_model().objects.filter(username__in=chunk, rater__isnull=True)
                }
            )
        created = Rater.objects.bulk_create(
            [
                Rater(
                    kind=kind,
                    name=name,
                    version=version,
                    user=users.get(name) if kind == Rater.Kind.HUMAN else None,
                )
                for kind, name, version in missing
            ],
            batch_size=CHUNK,
        )
        for rater in created:
            raters[(rater.kind, rater.name, rater.version)] = rater
        self.report.new_raters = [str(r) for r in created]
        return raters

    def _existing_labels(
        self, response_ids: list[int], rater_ids: set[int]
    ) -> dict[tuple[int, int, int], tuple[int, int | None, bool, str]]:
        """(rater, response, criterion) -> (pk, assignment, met, note) of the raters' labels on
        the responses."""
        found = {}
        for _chunk, on_responses in id_chunks(response_ids, "response_id"):
            rows = (
                Label.objects.filter(on_responses, rater_id__in=rater_ids)
                .values_list(
                    "rater_id", "response_id", "criterion_id", "pk", "assignment_id", "met", "note"
                )
                .order_by()
            )
            for rater, response, criterion, *label in rows:
                found[(rater, response, criterion)] = tuple(label)
        return found

    def _first_history(self, new: list[tuple], humans: set[int]) -> list[tuple]:
        """The first history row (label, previous, met, note) of every new human label."""
        added = {
            (rater, response, criterion)
            for rater, response, criterion, *_ in new
            if rater in humans
        }
        rows = []
        added_responses = (response for _rater, response, _c in added)
        for _chunk, on_responses in id_chunks(added_responses, "response_id"):
            for pk, *key, met, note in (
                Label.objects.filter(on_responses, rater_id__in=humans)
                .values_list("pk", "rater_id", "response_id", "criterion_id", "met", "note")
                .order_by()
            ):
                if tuple(key) in added:
                    rows.append((pk, None, met, note))
        return rows


def _summarise(report: LabelImportReport, touched: set[tuple[int, int]]) -> None:
    methods: Counter = Counter()
    open_items = 0
    for _chunk, on_responses in id_chunks((r for r, _c in touched), "response_id"):
        for r, c, method in (
            Consensus.objects.filter(on_responses)
            .values_list("response_id", "criterion_id", "method")
            .order_by()
        ):
            if (r, c) in touched:
                methods[method] += 1
        for r, c in (
            AdjudicationItem.objects.filter(on_responses, status=AdjudicationItem.Status.OPEN)
            .values_list("response_id", "criterion_id")
            .order_by()
        ):
            open_items += (r, c) in touched
    report.consensus_by_method = dict(methods)
    report.adjudication_open = open_items
