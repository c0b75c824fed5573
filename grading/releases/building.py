"""The files of a release, written into a folder with deterministic bytes.

The same release inputs give byte-identical files: rows in a fixed order (cases in the order of
the case exports, then model name, sample and criterion position), JSON with sorted keys where
order means nothing, `ensure_ascii=False`, "\n" line endings, no build time anywhere (the
manifest carries the release's own creation date), the spreadsheet's workbook dates and zip
entry times fixed, and the release zip written with a fixed entry time and permissions.

Rows are streamed: cases are read CHUNK at a time with their responses and consensus labels,
so memory stays flat however large the benchmark.

Speed (issue 8: 825,000 gold labels under 60 s): the two files with a row per gold label are
joined from pieces JSON-encoded once (per case, criterion, response and distinct label of a
response), in the bytes `json.dumps(row, sort_keys=True, ensure_ascii=False)` gives; the cycle
collector leaves out the objects that existed before (`_existing_objects_frozen`); every file is
hashed while it is written; the spreadsheet's XML is written directly (a case's long texts
escaped once for its criterion rows); the zip uses compression level 1 (it is most of the
build's time at level 6).
"""

import csv
import gc
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.translation import gettext_lazy as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

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
ZIP_LEVEL = 1
WRITE_BUFFER = 1 << 20

# The steps of a build, stored by key on the release and translated when shown.
STEPS = {
    "cases": _("reading the cases"),
    "rows": _("writing cases, responses and labels"),
    "statistics": _("computing the statistics"),
    "manifest": _("writing the manifest and the zip"),
    "done": _("done"),
}

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


class HashedFile:
    """A file written in binary with a large buffer, its sha256 and size taken as it is written
    (so no file is read back to hash it)."""

    def __init__(self, path: Path):
        self.file = path.open("wb", buffering=WRITE_BUFFER)
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.file.write(data)

    def write_text(self, text: str) -> None:
        self.write(text.encode())

    def close(self) -> dict:
        self.file.close()
        return {"sha256": self.digest.hexdigest(), "bytes": self.size}


@contextmanager
def _existing_objects_frozen():
    """Cheaper passes of Python's cycle collector over a pass through the cases. A chunk's model
    instances (cyclic: a version and its prefetched criteria point at each other) outlive young
    collections, and each ~25% growth of the old generation sets off a full pass over every
    object of the process, Django's own ~250,000 included: ~17% of a build's CPU. Freezing what
    exists before leaves those out of the passes (a third less); the chunks' garbage is
    collected at least as often, so memory stays flat."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _versions(release: Release) -> Iterator[tuple]:
    """(version, facets) of every case version of the release, in the case exports' order."""
    return export_versions(
        benchmark=release.benchmark, case_versions=release.case_versions.only("pk")
    )


@_existing_objects_frozen()
def public_problems(release: Release) -> tuple[list[ExportProblem], list[ExportProblem]]:
    """(contact-like strings, shape problems) of the ClinConsensus public file of the release:
    the first refuse the release, the second only leave the ClinConsensus files out (a
    conversation of several turns has no ClinConsensus form)."""
    problems: list[ExportProblem] = []
    for version, facets in _versions(release):
        clinconsensus_object(version, facets, problems)
    contact = [p for p in problems if p.field != "messages"]
    shape = [p for p in problems if p.field == "messages"]
    return contact, shape


def _chunks(release: Release) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for version, facets in _versions(release):
        chunk.append((version, facets))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _JudgementFiles:
    """One `<model>_judge.json` per model: a JSON list, one entry per case of the ClinConsensus
    file in its order, written an entry (already JSON) at a time."""

    def __init__(self, directory: Path, models: list[str]):
        (directory / "judgements").mkdir()
        self.files = {m: HashedFile(directory / self.name(m)) for m in models}
        self.written = 0

    @staticmethod
    def name(model: str) -> str:
        return f"judgements/{model}_judge.json"

    def write_case(self, entries: dict[str, str]) -> None:
        separator = "[\n" if not self.written else ",\n"
        for model, f in self.files.items():
            f.write_text(separator + entries[model])
        self.written += 1

    def close_one(self, model: str) -> dict:
        f = self.files[model]
        f.write_text("\n]\n" if self.written else "[]\n")
        return f.close()


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


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="cases" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def _cell_xml(value) -> str:
    """One cell's XML after its reference: an inline string or a number; "" for no value."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f' t="n"><v>{value!r}</v></c>'
    text = str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise IllegalCharacterError(f"{text[:40]!r} cannot be used in a spreadsheet")
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


class _Sheet:
    """The case spreadsheet (the columns and rows of `curation.resources.CaseSheetResource`),
    one sheet of inline strings whose XML is streamed into the xlsx (a zip) a case at a time. A
    case's texts repeat on each of its criterion rows, so the last row's cells are reused."""

    def __init__(self, path: Path, facet_keys: list[str]):
        self.columns = CaseSheetResource(facet_keys).columns
        self.letters = [get_column_letter(n) for n in range(1, len(self.columns) + 1)]
        self.archive = zipfile.ZipFile(path, "w")
        for name, text in XLSX_PARTS.items():
            self.archive.writestr(_zip_entry(name), text)
        # The sheet goes into the xlsx once its size is known: an entry streamed at an unknown
        # size needs a ZIP64 header in case it passes 4 GB (it does at 10x), and Excel refuses
        # to open an xlsx whose small entries carry one.
        self.sheet = tempfile.TemporaryFile(dir=path.parent)  # noqa: SIM115 (closed by close())
        self.sheet.write(SHEET_HEAD.encode())
        self.row = 0
        self.last = [(object(), "")] * len(self.columns)  # (value, cell XML) of each column
        self.append([dict(zip(self.columns, self.columns, strict=True))])

    def _row(self, row: dict) -> str:
        self.row += 1
        number = str(self.row)
        parts = [f'<row r="{number}">']
        for n, (column, letter) in enumerate(zip(self.columns, self.letters, strict=True)):
            value = row.get(column, "")
            cached, xml = self.last[n]
            if cached != value:
                xml = _cell_xml(value)
                self.last[n] = (value, xml)
            if xml:
                parts += ('<c r="', letter, number, '"', xml)
        parts.append("</row>")
        return "".join(parts)

    def append(self, rows: list[dict]) -> None:
        self.sheet.write("".join(map(self._row, rows)).encode())

    def close(self) -> None:
        self.sheet.write(SHEET_TAIL.encode())
        entry = _zip_entry("xl/worksheets/sheet1.xml")
        entry.file_size = self.sheet.tell()
        self.sheet.seek(0)
        with self.sheet, self.archive, self.archive.open(entry, "w") as target:
            shutil.copyfileobj(self.sheet, target, WRITE_BUFFER)


def _pieces(value) -> bytes:
    return dumps(value).encode()


class _LabelRows:
    """The rows of gold_labels.jsonl and judge_finetune.jsonl of one case, joined from pieces
    JSON-encoded once per case, criterion, response and distinct label of a response: the bytes
    `dumps(row, sort_keys=True)` gives (the release tests compare them with it)."""

    def __init__(self, case: str, user_message: str, criteria: list, *, tuning: bool):
        case_json = b'{"case": ' + _pieces(case) + b', "criterion": '
        self.criteria = []  # (gold row head, fine-tuning row head, rubric item) of each
        for criterion in criteria:
            head = case_json + _pieces(criterion.key)
            self.criteria.append((head + b', "met": ', head, _pieces(criterion.text)))
        self.user_message = b', "user_message": ' + _pieces(user_message) + b"}\n"
        self.tuning = tuning

    def response(self, model: str, sample: int, text: str, labels: list) -> tuple[bytes, bytes]:
        """(gold rows, fine-tuning rows) of one response, whose labels are (met, method, note)
        or None in criterion order."""
        model, sample = _pieces(model), str(sample).encode()
        middle = b', "model": ' + model + b', "response": ' + _pieces(text) + b', "rubric_item": '
        tails: dict[tuple, tuple[bytes, bytes]] = {}  # a response has a few distinct labels
        gold: list[bytes] = []
        tuning: list[bytes] = []
        for (gold_head, tuning_head, item), label in zip(self.criteria, labels, strict=True):
            if label is None:
                continue
            tail = tails.get(label)
            if tail is None:
                met, method, note = label
                met, note = MET_JSON[met].encode(), _pieces(note)
                tail = tails[label] = (
                    b"".join(
                        (
                            met, b', "method": ', _pieces(method), b', "model": ', model,
                            b', "note": ', note, b', "sample": ', sample, b"}\n",
                        )
                    ),
                    b"".join(
                        (
                            b', "sample": ', sample, b', "target": {"criteria_met": ', met,
                            b', "explanation": ', note, b"}", self.user_message,
                        )
                    ),
                )  # fmt: skip
            gold += (gold_head, tail[0])
            if self.tuning:
                tuning += (tuning_head, middle, item, tail[1])
        return b"".join(gold), b"".join(tuning)


@_existing_objects_frozen()
def build_files(release: Release, directory: Path, progress: Progress) -> tuple[dict, dict]:
    """Write every file of `release` into the empty `directory`, then `manifest.json` and the
    zip of them all; returns the manifest and the {name: sha256} of every file written
    (manifest and zip included). Raises ExportRefused for contact-like strings (the folder is
    the caller's to throw away). `progress(done, total, step)` gets a key of STEPS."""
    benchmark = release.benchmark
    versions = release.case_versions.all()
    total = versions.count()
    steps = total + 2
    files: dict[str, HashedFile] = {}
    counts: dict[str, int] = {"cases": total}

    def out_file(name: str) -> HashedFile:
        files[name] = HashedFile(directory / name)
        return files[name]

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
    responses_out = out_file("responses.jsonl") if release.include_responses else None
    gold_out = out_file("gold_labels.jsonl") if labels else None
    tuning_out = out_file("judge_finetune.jsonl") if labels and release.include_responses else None
    judgements = _JudgementFiles(directory, models) if labels else None
    case_files = {fmt: out_file(f"cases.{fmt}.jsonl") for fmt in CASE_FORMATS}
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
        gold: dict[int, dict[int, tuple]] = defaultdict(dict)  # response: {criterion: label}
        if labels:
            for response_id, criterion_id, met, method, note in (
                Consensus.objects.filter(response__case_version_id__in=ids)
                .values_list("response_id", "criterion_id", "met", "method", "rationale")
                .order_by()  # into a dict: sorting by response and criterion joins six tables
            ):
                gold[response_id][criterion_id] = (met, method, note)
        for version, facets in chunk:
            case = version.case.external_id
            for fmt, out in case_files.items():
                obj = (
                    clinconsensus_object(version, facets, problems)
                    if fmt == "clinconsensus"
                    else CASE_OBJECTS[fmt](version, facets)
                )
                out.write_text(json.dumps(obj, ensure_ascii=False) + "\n")
            sheet.append(sheet_rows(version, facets))
            criteria = list(version.criteria.all())
            counts["criteria"] += len(criteria)
            numeric = version.source_fields.get(clinconsensus.NUMERIC_IDS)
            ids_json = [dumps(_criterion_id(c, numeric)) for c in criteria]
            criterion_ids = [c.pk for c in criteria]
            rows = _LabelRows(
                case,
                judge_input(messages=version.messages, response="", rubric_item="")["user_message"],
                criteria,
                tuning=tuning_out is not None,
            )
            first_sample: dict[str, str] = {}
            for response_id, _v, model, sample, text in by_version.get(version.pk, []):
                counts["responses"] += 1
                if responses_out:
                    responses_out.write_text(
                        dumps(
                            {"case": case, "model": model, "sample": sample, "text": text},
                            sort_keys=True,
                        )
                        + "\n"
                    )
                labelled = gold.get(response_id, {})
                found = [labelled.get(criterion) for criterion in criterion_ids]
                if gold_out:  # a response's rows are written at once: fewer, larger writes
                    counts["gold_labels"] += len(found) - found.count(None)
                    gold_rows, tuning_rows = rows.response(model, sample, text, found)
                    gold_out.write(gold_rows)
                    if tuning_out:
                        tuning_out.write(tuning_rows)
                if judgements and model not in first_sample:
                    first_sample[model] = _judgement(case, ids_json, found)
            if judgements:
                empty = [None] * len(criteria)
                judgements.write_case(
                    {m: first_sample.get(m) or _judgement(case, ids_json, empty) for m in models}
                )
            done += 1
        progress(done, steps, "rows")
    hashes = {name: out.close() for name, out in files.items()}
    sheet.close()
    hashes["cases.xlsx"] = _file_summary(directory / "cases.xlsx")
    if judgements:
        for model in models:
            name = judgements.name(model)
            hashes[name] = judgements.close_one(model)
    contact = [p for p in problems if p.field != "messages"]
    if contact:
        raise ExportRefused(contact)
    if problems:  # a conversation of several turns has no ClinConsensus form
        for name in ["cases.clinconsensus.jsonl", *(_JudgementFiles.name(m) for m in models)]:
            if name in hashes:
                del hashes[name]
                (directory / name).unlink()
    if tuning_out:
        counts["judge_finetune"] = counts["gold_labels"]

    if release.include_statistics:
        progress(done, steps, "statistics")
        stats = benchmark_stats(benchmark=benchmark, k=None, labels=CONSENSUS, by=None)
        out = out_file("statistics.json")
        out.write_text(dumps(stats, sort_keys=True, indent=2) + "\n")
        hashes["statistics.json"] = out.close()
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["figure", "value"])
        writer.writerows(_stats_rows(stats))
        out = out_file("statistics.csv")
        out.write_text(text.getvalue())
        hashes["statistics.csv"] = out.close()

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
        "files": {name: hashes[name] for name in sorted(hashes)},
    }
    out = HashedFile(directory / "manifest.json")
    out.write_text(dumps(manifest, sort_keys=True, indent=2) + "\n")
    listed = {name: f["sha256"] for name, f in manifest["files"].items()}
    listed["manifest.json"] = out.close()["sha256"]
    name = zip_name(release)
    write_zip(directory, [*sorted(manifest["files"]), "manifest.json"], name)
    listed[name] = _file_summary(directory / name)["sha256"]
    progress(steps, steps, "done")
    return manifest, listed


MET_JSON = {True: "true", False: "false", None: "null"}


def _judgement(case: str, ids_json: list[str], found: list) -> str:
    """One entry of a judgement file: the case's criteria, met or not (None: no gold label)."""
    results = ", ".join(
        f'{{"criterion_id": {cid}, "criteria_met": {MET_JSON[label[0] if label else None]}}}'
        for cid, label in zip(ids_json, found, strict=True)
    )
    return f'{{"case_id": {dumps(case)}, "criteria_results": [{results}]}}'


def _file_summary(path: Path) -> dict:
    return {"sha256": sha256_of(path), "bytes": path.stat().st_size}


def _criterion_id(criterion, numeric: bool):
    """The criterion's id as the ClinConsensus file writes it."""
    return int(criterion.key) if numeric and criterion.key.isdigit() else criterion.key


def zip_name(release: Release) -> str:
    return f"{release.benchmark.slug}-{release.version}.zip"


def _zip_entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed time, permissions and compression."""
    entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    entry.external_attr = ZIP_MODE
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry._compresslevel = ZIP_LEVEL  # public as `compress_level` from Python 3.13
    return entry


def write_zip(directory: Path, names: list[str], name: str) -> None:
    with zipfile.ZipFile(directory / name, "w") as archive:
        for member in names:
            entry = _zip_entry(member)
            # Known beforehand, so that a file over 4 GB (the fine-tuning set at 10x) gets its
            # ZIP64 header; a streamed entry of unknown size is refused past that.
            entry.file_size = (directory / member).stat().st_size
            with (
                (directory / member).open("rb") as src,
                archive.open(entry, "w") as dst,
            ):
                for block in iter(lambda: src.read(WRITE_BUFFER), b""):
                    dst.write(block)
