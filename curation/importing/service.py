"""Writing validated case records: `cases_import`, the one service behind the import command,
the upload page and the API.

Rules (DESIGN "Interchange formats", issue 3):
- All or nothing: every line is validated first and the file is refused as a whole, listing every
  bad line; the writes happen in one transaction.
- A missing benchmark (given by slug) is created by the first import. Facets and their terms come
  from the file while the benchmark has no facets yet; after that an unknown facet key is an
  error naming the known facets, while new terms of a known facet are added.
- A case whose content equals its current version is left alone, so re-importing a file changes
  nothing. A changed case gets a new version (number + 1, parent = the current version, change
  note "Imported from <file>"). An imported draft nobody has saved since (revision 1, import
  change note) is replaced in place instead; a draft someone is editing is never overwritten:
  its line is refused. A retired case is refused too.
- `approved=True` is for content already reviewed elsewhere: new versions are frozen at once
  and their cases approved; the audit row says so. Otherwise new versions are drafts.
- The importing user is recorded as the versions' author and in one audit row per import.
- Writes are bulk operations per chunk of cases, so the number of queries does not grow with
  the number of cases in a chunk.
"""

import gc
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from curation.audit import audit_record
from curation.importing.bulk import insert_rows
from curation.importing.errors import ImportRejected, LineError
from curation.importing.parsing import FORMATS, parse_file
from curation.importing.reading import file_name
from curation.importing.records import CaseRecord, CriterionRecord, case_content
from curation.models import Benchmark, Case, CaseStatus, CaseVersion, Criterion, Facet, Term

CHUNK = 500
# Stored in English on the versions (the importer recognises its own drafts by it) and translated
# when shown: curation.change_notes.
IMPORT_NOTE = gettext_noop("Imported from {name}")
TermThrough = CaseVersion.terms.through


@dataclass
class CaseImportReport:
    benchmark_slug: str
    file_name: str
    fmt: str
    approved: bool
    dry_run: bool
    benchmark_created: bool = False
    points_map: str | None = None
    # Models whose answers the sheet also holds, for grading's response import.
    answer_models: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_facets: list[str] = field(default_factory=list)
    new_terms: list[str] = field(default_factory=list)
    criteria: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "revised": len(self.revised),
            "unchanged": len(self.unchanged),
            "criteria": self.criteria,
        }


@contextmanager
def _gc_paused():
    """Parsing and writing a file make hundreds of thousands of long-lived, acyclic objects
    (records, criteria, rows); the cyclic garbage collector rescans them again and again, a
    third of the import's time (2,500 cases x 30 criteria on SQLite: 1.6 -> 1.1 s). What little
    cyclic garbage an import leaves is collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_gc_paused()
def cases_import(
    *,
    benchmark: Benchmark | str,
    file,
    fmt: str,
    actor,
    approved: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    points_map: str | None = None,
    filename: str | None = None,
) -> CaseImportReport:
    """Import the cases of `file` (a path or a binary file) in format `fmt` into `benchmark`
    (a Benchmark, or a slug: created if missing). Raises ImportRejected, writing nothing, when
    any line is bad. `dry_run` validates against the database and reports, writing nothing."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown case format {fmt!r}")
    name = filename or file_name(file)
    errors: list[LineError] = []
    records, answer_models = parse_file(file, fmt, errors, points_map=points_map)
    with transaction.atomic():
        bench, created = _resolve_benchmark(benchmark, dry_run=dry_run or bool(errors))
        report = CaseImportReport(
            benchmark_slug=bench.slug,
            file_name=name,
            fmt=fmt,
            approved=approved,
            dry_run=dry_run,
            benchmark_created=created,
            points_map=points_map,
            answer_models=answer_models,
        )
        # With bad lines already found the database checks still run (to list every bad line)
        # but nothing is written.
        importer = _Importer(bench, report, errors, actor=actor, dry_run=dry_run or bool(errors))
        importer.prepare_taxonomy(records)
        for start in range(0, len(records), CHUNK):
            importer.import_chunk(records[start : start + CHUNK])
            if progress:
                progress(min(start + CHUNK, len(records)), len(records))
        if importer.errors:
            raise ImportRejected(importer.errors)
        if not dry_run:
            audit_record(
                actor=actor,
                action="cases_imported_approved" if approved else "cases_imported",
                obj=bench,
                benchmark=bench,
                data={
                    "file": name,
                    "format": fmt,
                    "approved": approved,
                    "points_map": points_map,
                    **report.counts,
                },
            )
    return report


def _resolve_benchmark(benchmark: Benchmark | str, *, dry_run: bool) -> tuple[Benchmark, bool]:
    if isinstance(benchmark, Benchmark):
        return benchmark, False
    existing = Benchmark.objects.filter(slug=benchmark).first()
    if existing:
        return existing, False
    new = Benchmark(slug=benchmark, name=benchmark)
    try:
        new.full_clean()
    except ValidationError as exc:
        raise ImportRejected(
            [LineError(0, "benchmark", " ".join(exc.message_dict.get("slug", exc.messages)))]
        ) from exc
    if not dry_run:
        new.save()
    return new, True


@dataclass
class _Existing:
    case: Case
    version: CaseVersion
    content: dict


class _Importer:
    def __init__(
        self,
        benchmark: Benchmark,
        report: CaseImportReport,
        errors: list[LineError],
        *,
        actor,
        dry_run: bool,
    ):
        self.benchmark = benchmark
        self.report = report
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.dry_run = dry_run
        self.approved = report.approved
        self.note = IMPORT_NOTE.format(name=report.file_name)
        self.errors = errors
        self.now = timezone.now()
        self.terms: dict[tuple[str, str], Term] = {}

    # --- taxonomy -------------------------------------------------------------------------
    def prepare_taxonomy(self, records: list[CaseRecord]) -> None:
        facets: dict[str, Facet] = {}
        if self.benchmark.pk:
            facets = {f.key: f for f in Facet.objects.filter(benchmark=self.benchmark)}
            for term in Term.objects.filter(facet__benchmark=self.benchmark).select_related(
                "facet"
            ):
                self.terms[term.facet.key, term.value] = term
        open_taxonomy = not facets
        wanted: dict[str, list[str]] = {}
        for record in records:
            for key, values in record.facets.items():
                if key not in facets and not open_taxonomy:
                    self.errors.append(
                        LineError(
                            record.line,
                            f"facets.{key}",
                            gettext("unknown facet %(key)r; this benchmark's facets are %(known)s")
                            % {"key": key, "known": ", ".join(sorted(facets))},
                        )
                    )
                    continue
                wanted.setdefault(key, [])
                wanted[key].extend(v for v in values if (key, v) not in self.terms)
        new_facets = [key for key in wanted if key not in facets]
        self.report.new_facets = new_facets
        self.report.new_terms = [
            f"{key}: {value}" for key, values in wanted.items() for value in dict.fromkeys(values)
        ]
        if self.errors or self.dry_run:
            return
        first_position = max((f.position for f in facets.values()), default=-1) + 1
        created = Facet.objects.bulk_create(
            Facet(benchmark=self.benchmark, key=key, name=key, position=first_position + i)
            for i, key in enumerate(new_facets)
        )
        facets.update((f.key, f) for f in created)
        next_position: dict[str, int] = defaultdict(int)
        for (key, _value), term in self.terms.items():
            next_position[key] = max(next_position[key], term.position + 1)
        new_terms = []
        for key, values in wanted.items():
            for value in dict.fromkeys(values):
                new_terms.append(Term(facet=facets[key], value=value, position=next_position[key]))
                next_position[key] += 1
        for term in Term.objects.bulk_create(new_terms, batch_size=CHUNK):
            self.terms[term.facet.key, term.value] = term

    # --- cases ----------------------------------------------------------------------------
    def import_chunk(self, records: list[CaseRecord]) -> None:
        existing = self._existing(records) if self.benchmark.pk else {}
        new_cases: list[tuple[CaseRecord, Case]] = []
        new_versions: list[tuple[CaseRecord, Case, CaseVersion | None]] = []
        redrafts: list[tuple[CaseRecord, Case, CaseVersion]] = []
        for record in records:
            found = existing.get(record.external_id)
            if found is None:
                self.report.created.append(record.external_id)
                new_cases.append(
                    (record, Case(benchmark=self.benchmark, external_id=record.external_id))
                )
            elif found.content == record.content():
                self.report.unchanged.append(record.external_id)
            elif self._refused(record, found):
                continue
            elif _is_untouched_import_draft(found.version):
                self.report.revised.append(record.external_id)
                redrafts.append((record, found.case, found.version))
            else:
                self.report.revised.append(record.external_id)
                new_versions.append((record, found.case, found.version))
        self.report.criteria += sum(
            len(r.criteria) for r, *_ in (*new_cases, *new_versions, *redrafts)
        )
        if self.errors or self.dry_run:
            return
        self._write(new_cases, new_versions, redrafts)

    def _refused(self, record: CaseRecord, found: _Existing) -> bool:
        if found.case.status == CaseStatus.RETIRED:
            message = gettext("case %(id)s is retired; it cannot be changed by an import")
        elif not found.version.is_frozen and not _is_untouched_import_draft(found.version):
            message = gettext(
                "case %(id)s has a draft (version %(number)s) that is being edited; "
                "submit or discard it before importing a change"
            )
        else:
            return False
        self.errors.append(
            LineError(
                record.line,
                "id",
                message % {"id": record.external_id, "number": found.version.number},
            )
        )
        return True

    def _existing(self, records: list[CaseRecord]) -> dict[str, _Existing]:
        cases = list(
            Case.objects.filter(
                benchmark=self.benchmark,
                external_id__in=[r.external_id for r in records],
                current_version__isnull=False,
            ).select_related("current_version")
        )
        version_ids = [c.current_version_id for c in cases]
        criteria: dict[int, list[CriterionRecord]] = defaultdict(list)
        for version_id, key, text, points, tags in (
            Criterion.objects.filter(version_id__in=version_ids)
            .order_by("version_id", "position")
            .values_list("version_id", "key", "text", "points", "tags")
        ):
            criteria[version_id].append(CriterionRecord(key, text, points, tags))
        facets: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for version_id, key, value in TermThrough.objects.filter(
            caseversion_id__in=version_ids
        ).values_list("caseversion_id", "term__facet__key", "term__value"):
            facets[version_id][key].append(value)
        result = {}
        for case in cases:
            version = case.current_version
            result[case.external_id] = _Existing(
                case,
                version,
                case_content(
                    title=version.title,
                    messages=version.messages,
                    reference_answer=version.reference_answer,
                    facets=facets[version.pk],
                    criteria=criteria[version.pk],
                    source_fields=version.source_fields,
                ),
            )
        return result

    def _write(self, new_cases, new_versions, redrafts) -> None:
        status = CaseStatus.APPROVED if self.approved else CaseStatus.DRAFT
        submitted_at = self.now if self.approved else None
        for _record, case in new_cases:
            case.status = status
        Case.objects.bulk_create(
            [case for _, case in new_cases], batch_size=CHUNK
        )  # sets pks (PostgreSQL, SQLite >= 3.35)
        versions = []
        for record, case, parent in [(r, c, None) for r, c in new_cases] + new_versions:
            version = CaseVersion(
                case=case,
                number=parent.number + 1 if parent else 1,
                parent=parent,
                author=self.actor,
                change_note=self.note,
                submitted_at=submitted_at,
            )
            _fill(version, record)
            versions.append((record, case, version))
        CaseVersion.objects.bulk_create([v for *_, v in versions], batch_size=CHUNK)
        if redrafts:
            for record, _case, version in redrafts:
                _fill(version, record)
                version.change_note = self.note
                version.submitted_at = submitted_at
            redraft_versions = [v for *_, v in redrafts]
            Criterion.objects.filter(version__in=redraft_versions).delete()
            TermThrough.objects.filter(caseversion__in=redraft_versions).delete()
            CaseVersion.objects.bulk_update(
                redraft_versions,
                [
                    "title",
                    "messages",
                    "reference_answer",
                    "source_fields",
                    "change_note",
                    "submitted_at",
                ],
                batch_size=CHUNK,
            )
            versions.extend(redrafts)
        insert_rows(
            Criterion,
            ["version_id", "key", "position", "text", "points", "tags"],
            [
                (version.pk, c.key, position, c.text, c.points, c.tags)
                for record, _case, version in versions
                for position, c in enumerate(record.criteria)
            ],
        )
        insert_rows(
            TermThrough,
            ["caseversion_id", "term_id"],
            [
                (version.pk, self.terms[key, value].pk)
                for record, _case, version in versions
                for key, values in record.facets.items()
                for value in values
            ],
        )
        # Every touched case now points at its newest version: one UPDATE for the chunk (a
        # bulk_update would build a CASE WHEN per row).
        latest = CaseVersion.objects.filter(case=OuterRef("pk")).order_by("-number")
        Case.objects.filter(pk__in=[case.pk for _record, case, _version in versions]).update(
            current_version=Subquery(latest.values("pk")[:1]), status=status, updated_at=self.now
        )


def _fill(version: CaseVersion, record: CaseRecord) -> None:
    version.title = record.title
    version.messages = record.messages
    version.reference_answer = record.reference_answer
    version.source_fields = record.source_fields


def _is_untouched_import_draft(version: CaseVersion) -> bool:
    return (
        not version.is_frozen
        and version.revision == 1
        and version.change_note.startswith(IMPORT_NOTE.format(name=""))
    )
