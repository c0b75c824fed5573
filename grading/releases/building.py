"""The files of a release, written into a folder with deterministic bytes.

The same release inputs give byte-identical files: rows in a fixed order (cases in the order of
the case exports, then model name, sample and criterion position), JSON with sorted keys where
order means nothing, `ensure_ascii=False`, "\n" line endings, no build time anywhere (the
manifest carries the release's own creation date), the spreadsheet's workbook dates and zip
entry times fixed, and the release zip written with a fixed entry time and permissions.

Rows are streamed: cases are read CHUNK at a time with their responses and consensus labels,
so memory stays flat however large the benchmark.
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from openpyxl import Workbook

from curation.exporting import (
    ExportProblem,
    ExportRefused,
    clinconsensus_object,
    export_versions,
    healthbench_object,
    native_object,
    sheet_rows,
)
from curation.importing import clinconsensus
from curation.models import Facet
from curation.resources import CaseSheetResource
from grading.judge_prompt import judge_input
from grading.models import Consensus, Release, Response
from grading.statistics import CONSENSUS, benchmark_stats

CHUNK = 200
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o644 << 16
FIXED_XLSX_DATE = "1980-01-01T00:00:00Z"
XLSX_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")

CASE_FORMATS = ("native", "clinconsensus", "healthbench")
CASE_OBJECTS = {"native": native_object, "healthbench": healthbench_object}

Progress = Callable[[int, int, str], None]


def dumps(obj, **options) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, **options)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def public_problems(release: Release) -> tuple[list[ExportProblem], list[ExportProblem]]:
    """(contact-like strings, shape problems) of the ClinConsensus public file of the release:
    the first refuse the release, the second only leave the ClinConsensus files out (a
    conversation of several turns has no ClinConsensus form)."""
    problems: list[ExportProblem] = []
    for version, facets in export_versions(
        benchmark=release.benchmark, case_versions=release.case_versions.all()
    ):
        clinconsensus_object(version, facets, problems)
    contact = [p for p in problems if p.field != "messages"]
    shape = [p for p in problems if p.field == "messages"]
    return contact, shape


def normalized_xlsx(data: bytes) -> bytes:
    """The workbook with its creation/modification dates and its zip entry times fixed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = XLSX_DATES.sub(rb"\g<1>" + FIXED_XLSX_DATE.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.external_attr = ZIP_MODE
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()


def _chunks(release: Release) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for version, facets in export_versions(
        benchmark=release.benchmark, case_versions=release.case_versions.all()
    ):
        chunk.append((version, facets))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _JudgementFiles:
    """One `<model>_judge.json` per model: a JSON list, one entry per case of the ClinConsensus
    file in its order, written an entry at a time."""

    def __init__(self, directory: Path, models: list[str]):
        (directory / "judgements").mkdir()
        self.files = {
            m: (directory / self.name(m)).open("w", encoding="utf-8", newline="\n") for m in models
        }
        self.written = 0

    @staticmethod
    def name(model: str) -> str:
        return f"judgements/{model}_judge.json"

    def write_case(self, entries: dict[str, dict]) -> None:
        separator = "[\n" if not self.written else ",\n"
        for model, f in self.files.items():
            f.write(separator + dumps(entries[model]))
        self.written += 1

    def close(self) -> None:
        for f in self.files.values():
            f.write("\n]\n" if self.written else "[]\n")
            f.close()


def _stats_rows(value, path: tuple = ()) -> Iterator[tuple]:
    """The statistics object flattened into (path, value) rows, in its own key order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _stats_rows(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _stats_rows(item, (*path, str(i)))
    else:
        yield ".".join(path), value


class _Sheet:
    """The case spreadsheet (the columns and rows of `curation.resources.CaseSheetResource`),
    written row by row with openpyxl's write-only workbook."""

    def __init__(self, path: Path, facet_keys: list[str]):
        self.path = path
        self.columns = CaseSheetResource(facet_keys).columns
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("cases")
        self.sheet.append(self.columns)

    def append(self, rows: list[dict]) -> None:
        for row in rows:
            self.sheet.append([row.get(column, "") for column in self.columns])

    def close(self) -> None:
        self.book.save(self.path)
        self.path.write_bytes(normalized_xlsx(self.path.read_bytes()))


def build_files(release: Release, directory: Path, progress: Progress) -> dict:
    """Write every file of `release` into the empty `directory`, then `manifest.json` and the
    zip of them all; returns the manifest. Raises ExportRefused for contact-like strings (the
    folder is the caller's to throw away)."""
    benchmark = release.benchmark
    versions = release.case_versions.all()
    total = versions.count()
    steps = total + 2
    files: list[str] = []
    counts: dict[str, int] = {"cases": total}

    def text_file(name: str):
        files.append(name)
        return (directory / name).open("w", encoding="utf-8", newline="\n")

    progress(0, steps, "cases")

    models = sorted(
        set(
            Response.objects.filter(case_version__in=versions)
            .values_list("model__name", flat=True)
            .distinct()
        )
    )
    counts.update(models=len(models), criteria=0, responses=0, gold_labels=0)
    labels = release.include_labels
    responses_out = text_file("responses.jsonl") if release.include_responses else None
    gold_out = text_file("gold_labels.jsonl") if labels else None
    tuning_out = text_file("judge_finetune.jsonl") if labels and release.include_responses else None
    judgements = _JudgementFiles(directory, models) if labels else None
    case_files = {fmt: text_file(f"cases.{fmt}.jsonl") for fmt in CASE_FORMATS}
    files.append("cases.xlsx")
    sheet = _Sheet(
        directory / "cases.xlsx",
        list(Facet.objects.filter(benchmark=benchmark).values_list("key", flat=True)),
    )
    problems: list[ExportProblem] = []
    done = 0
    for chunk in _chunks(release):
        ids = [version.pk for version, _facets in chunk]
        by_version: dict[int, list[tuple]] = {}
        for row in (
            Response.objects.filter(case_version_id__in=ids)
            .order_by("model__name", "sample")
            .values_list("pk", "case_version_id", "model__name", "sample", "text")
        ):
            by_version.setdefault(row[1], []).append(row)
        gold = {}
        if labels:
            gold = {
                (response_id, criterion_id): (met, method, rationale)
                for response_id, criterion_id, met, method, rationale in Consensus.objects.filter(
                    response__case_version_id__in=ids
                ).values_list("response_id", "criterion_id", "met", "method", "rationale")
            }
        for version, facets in chunk:
            case = version.case.external_id
            for fmt, out in case_files.items():
                obj = (
                    clinconsensus_object(version, facets, problems)
                    if fmt == "clinconsensus"
                    else CASE_OBJECTS[fmt](version, facets)
                )
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            sheet.append(sheet_rows(version, facets))
            criteria = list(version.criteria.all())
            counts["criteria"] += len(criteria)
            numeric = version.source_fields.get(clinconsensus.NUMERIC_IDS)
            first_sample: dict[str, dict] = {}
            for response_id, _v, model, sample, text in by_version.get(version.pk, []):
                counts["responses"] += 1
                keys = {"case": case, "model": model, "sample": sample}
                if responses_out:
                    responses_out.write(dumps({**keys, "text": text}, sort_keys=True) + "\n")
                results = []
                for criterion in criteria:
                    label = gold.get((response_id, criterion.pk))
                    results.append(
                        {
                            "criterion_id": _criterion_id(criterion, numeric),
                            "criteria_met": label[0] if label else None,
                        }
                    )
                    if label is None or gold_out is None:
                        continue
                    met, method, rationale = label
                    counts["gold_labels"] += 1
                    row = {**keys, "criterion": criterion.key}
                    gold_out.write(
                        dumps(
                            {**row, "met": met, "method": method, "note": rationale}, sort_keys=True
                        )
                        + "\n"
                    )
                    if tuning_out:
                        tuning_out.write(
                            dumps(
                                {
                                    **row,
                                    **judge_input(
                                        messages=version.messages,
                                        response=text,
                                        rubric_item=criterion.text,
                                    ),
                                    "target": {"explanation": rationale, "criteria_met": met},
                                },
                                sort_keys=True,
                            )
                            + "\n"
                        )
                first_sample.setdefault(model, {"case_id": case, "criteria_results": results})
            if judgements:
                judgements.write_case(
                    {
                        m: first_sample.get(m)
                        or {
                            "case_id": case,
                            "criteria_results": [
                                {"criterion_id": _criterion_id(c, numeric), "criteria_met": None}
                                for c in criteria
                            ],
                        }
                        for m in models
                    }
                )
            done += 1
        progress(done, steps, "cases and labels")
    for out in (responses_out, gold_out, tuning_out, *case_files.values()):
        if out:
            out.close()
    sheet.close()
    if judgements:
        judgements.close()
        files += [judgements.name(m) for m in models]
    contact = [p for p in problems if p.field != "messages"]
    if contact:
        raise ExportRefused(contact)
    if problems:  # a conversation of several turns has no ClinConsensus form
        for name in ["cases.clinconsensus.jsonl", *(_JudgementFiles.name(m) for m in models)]:
            if name in files:
                files.remove(name)
                (directory / name).unlink()
    if tuning_out:
        counts["judge_finetune"] = counts["gold_labels"]

    if release.include_statistics:
        progress(done, steps, "statistics")
        stats = benchmark_stats(benchmark=benchmark, k=None, labels=CONSENSUS, by=None)
        with text_file("statistics.json") as out:
            out.write(dumps(stats, sort_keys=True, indent=2) + "\n")
        with text_file("statistics.csv") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["figure", "value"])
            writer.writerows(_stats_rows(stats))

    progress(done + 1, steps, "manifest")
    manifest = {
        "benchmark": benchmark.slug,
        "name": benchmark.name,
        "version": release.version,
        "created": release.created_at.date().isoformat(),
        "notes": release.notes,
        "selection": release.selection,
        "include": {
            "responses": release.include_responses,
            "consensus_labels": release.include_labels,
            "statistics": release.include_statistics,
        },
        "counts": counts,
        "changelog": release.changelog,
        "files": {
            name: {
                "sha256": sha256_of(directory / name),
                "bytes": (directory / name).stat().st_size,
            }
            for name in sorted(files)
        },
    }
    (directory / "manifest.json").write_text(
        dumps(manifest, sort_keys=True, indent=2) + "\n", encoding="utf-8"
    )
    write_zip(directory, [*sorted(files), "manifest.json"], zip_name(release))
    progress(steps, steps, "done")
    return manifest


def _criterion_id(criterion, numeric: bool):
    """The criterion's id as the ClinConsensus file writes it."""
    return int(criterion.key) if numeric and criterion.key.isdigit() else criterion.key


def zip_name(release: Release) -> str:
    return f"{release.benchmark.slug}-{release.version}.zip"


def write_zip(directory: Path, names: list[str], name: str) -> None:
    with zipfile.ZipFile(directory / name, "w") as archive:
        for member in names:
            entry = zipfile.ZipInfo(member, date_time=ZIP_TIME)
            entry.external_attr = ZIP_MODE
            entry.compress_type = zipfile.ZIP_DEFLATED
            with (directory / member).open("rb") as src, archive.open(entry, "w") as dst:
                for block in iter(lambda: src.read(1 << 20), b""):
                    dst.write(block)
