"""Every write of a release: create (with its changelog), build, publish, delete.

A published release never changes: each service refuses it (ReleaseRefused), and the admin shows
it read-only. A build writes into a temporary folder and only then copies the finished files
into storage; a failure removes whatever was copied and leaves the release `failed` with the
reason, so nothing half-written is ever served.
"""

import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from curation.audit import audit_record
from curation.exporting import ExportRefused
from curation.models import Benchmark, CaseStatus, CaseVersion
from grading.models import Release, ReleaseFile
from grading.releases.building import Progress, build_files, public_problems, zip_name
from grading.releases.changelog import release_changelog

BEAT_SECONDS = 1.0
VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class ReleaseRefused(Exception):
    """Nothing was changed; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class ReleaseFileCorrupt(Exception):
    """A stored file no longer matches the sha256 of the manifest."""


def parse_version(version: str) -> tuple[int, int, int] | None:
    match = VERSION.match(version.strip())
    return tuple(int(part) for part in match.groups()) if match else None


def version_problems(*, benchmark: Benchmark, version: str) -> list[str]:
    parts = parse_version(version)
    if parts is None:
        return [gettext("“%(v)s” is not a version of the form X.Y.Z.") % {"v": version}]
    existing = list(Release.objects.filter(benchmark=benchmark).values_list("version", flat=True))
    if version in existing:
        return [gettext("Version %(v)s exists already.") % {"v": version}]
    latest = max((parse_version(v) for v in existing), default=None)
    if latest is not None and parts < latest:
        return [
            gettext("Version %(v)s goes backwards: the latest release is %(latest)s.")
            % {"v": version, "latest": ".".join(map(str, latest))}
        ]
    return []


def case_version_problems(*, versions: Iterable[CaseVersion]) -> list[str]:
    """Every selected version that is not the approved current version of a live case."""
    problems = []
    for version in versions:
        case = version.case
        if case.status == CaseStatus.RETIRED:
            problems.append(gettext("%(case)s is retired.") % {"case": case.external_id})
        elif case.status != CaseStatus.APPROVED or case.current_version_id != version.pk:
            problems.append(
                gettext("%(case)s version %(n)s is not the approved version of the case.")
                % {"case": case.external_id, "n": version.number}
            )
    return problems


def previous_release(*, benchmark: Benchmark, exclude: Release | None = None) -> Release | None:
    published = Release.objects.filter(benchmark=benchmark, status=Release.Status.PUBLISHED)
    if exclude is not None:
        published = published.exclude(pk=exclude.pk)
    return published.order_by("-major", "-minor", "-patch").first()


def _refuse_published(release: Release) -> None:
    if release.status == Release.Status.PUBLISHED:
        raise ReleaseRefused(
            [
                gettext("Release %(v)s is published and can no longer change.")
                % {"v": release.version}
            ]
        )


@transaction.atomic
def release_create(
    *,
    benchmark: Benchmark,
    by,
    version: str,
    case_versions: QuerySet[CaseVersion],
    notes: str = "",
    selection: dict | None = None,
    include_responses: bool = True,
    include_labels: bool = True,
    include_statistics: bool = True,
) -> Release:
    """A draft release of `case_versions` with its changelog against the previous published
    release. Refused, with every reason, for a bad or existing or backward version, an empty
    selection, a version that is not approved or is retired, and contact-like strings."""
    version = version.strip()
    versions = list(case_versions.filter(case__benchmark=benchmark).select_related("case"))
    problems = version_problems(benchmark=benchmark, version=version)
    if not versions:
        problems.append(gettext("The selection holds no approved case version."))
    problems += case_version_problems(versions=versions)
    if problems:
        raise ReleaseRefused(problems)
    major, minor, patch = parse_version(version)
    release = Release.objects.create(
        benchmark=benchmark,
        version=version,
        major=major,
        minor=minor,
        patch=patch,
        notes=notes,
        selection=selection or {},
        include_responses=include_responses,
        include_labels=include_labels,
        include_statistics=include_statistics,
        created_by=by,
    )
    release.case_versions.set(versions)
    contact, _shape = public_problems(release)
    if contact:  # raising rolls the new release back
        raise ReleaseRefused([str(p) for p in contact])
    release.changelog = release_changelog(
        version_ids=[v.pk for v in versions],
        previous=previous_release(benchmark=benchmark),
    )
    release.save(update_fields=["changelog"])
    audit_record(
        actor=by,
        action="release.create",
        obj=release,
        benchmark=benchmark,
        data={"version": version, "cases": len(versions)},
    )
    return release


def _progress_saver(release: Release) -> Progress:
    """Stores the build's progress and heartbeat: at most once a second, and on each step."""
    last = {"at": 0.0, "step": None}

    def save(done: int, total: int, step: str) -> None:
        now = time.monotonic()
        if step == last["step"] and now - last["at"] < BEAT_SECONDS:
            return
        last.update(at=now, step=step)
        Release.objects.filter(pk=release.pk).update(
            progress_done=done, progress_total=total, message=step, heartbeat_at=timezone.now()
        )

    return save


def _build_folder(release: Release) -> Path:
    """An empty folder for the build, beside the stored files (so that moving a finished file
    into place is a rename), after removing what an earlier, killed build of the release left.
    It is never served: downloads go through ReleaseFile rows, written last."""
    root = Path(settings.MEDIA_ROOT) / "release_builds"
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(f"{release.pk}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{release.pk}-", dir=root))


def storage_path(release: Release, name: str) -> str:
    return f"releases/{release.benchmark.slug}/{release.version}/{name}"


class _BuiltFile(File):
    """A finished file on local disk: a file-system storage moves it instead of copying it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _store(
    release: Release, directory: Path, names: list[str], hashes: dict[str, str]
) -> list[ReleaseFile]:
    """Move the finished files into storage; on any failure remove what was stored."""
    stored: list[str] = []
    files = []
    try:
        for name in names:
            path = storage_path(release, name)
            if default_storage.exists(path):
                default_storage.delete(path)
            local = directory / name
            size = local.stat().st_size
            sha256 = hashes[name]
            with local.open("rb") as f:
                stored.append(default_storage.save(path, _BuiltFile(f, name=name)))
            files.append(
                ReleaseFile(release=release, name=name, path=stored[-1], size=size, sha256=sha256)
            )
    except BaseException:
        for path in stored:
            default_storage.delete(path)
        raise
    return files


@transaction.atomic
def _fail(release: Release, reason: str) -> None:
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.FAILED, error=reason, message=""
    )
    _audit_build(release, "release.build_failed", error=reason[:500])


def _audit_build(release: Release, action: str, **data) -> None:
    # Builds run in the background: the person who asked for one is on `release.create`.
    audit_record(
        actor=None,
        action=action,
        obj=release,
        benchmark=release.benchmark,
        data={"version": release.version, **data},
    )


def release_build(*, release: Release, progress: Progress | None = None) -> Release:
    """Build the files of a draft or failed release (or one whose build lost its worker) and
    store them; the release ends `built`, or `failed` with the reason (and no stored file).

    Files are written into a build folder and moved into storage only once all are complete;
    the ReleaseFile rows, through which alone files are served, are written after that. A build
    killed at any point leaves no row, and its release shows failed once its heartbeat is older
    than settings.JOB_HEARTBEAT_LIMIT; building it again replaces whatever it left."""
    with transaction.atomic():
        release = Release.objects.select_for_update().select_related("benchmark").get(pk=release.pk)
        _refuse_published(release)
        if release.status == Release.Status.BUILT:
            raise ReleaseRefused(
                [gettext("Release %(v)s is built already.") % {"v": release.version}]
            )
        if release.status == Release.Status.BUILDING and not release.worker_stopped:
            raise ReleaseRefused(
                [gettext("Release %(v)s is being built.") % {"v": release.version}]
            )
        release.status = Release.Status.BUILDING
        release.error = ""
        release.heartbeat_at = timezone.now()
        release.save(update_fields=["status", "error", "heartbeat_at"])
        release.files.all().delete()
    saver = _progress_saver(release)

    def report(done: int, total: int, message: str) -> None:
        saver(done, total, message)
        if progress is not None:
            progress(done, total, message)

    directory = _build_folder(release)
    try:
        try:
            manifest, hashes = build_files(release, directory, report)
            names = [*manifest["files"], "manifest.json", zip_name(release)]
            files = _store(release, directory, names, hashes)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        with transaction.atomic():
            ReleaseFile.objects.bulk_create(files)
            release.manifest = manifest
            release.status = Release.Status.BUILT
            release.save(update_fields=["manifest", "status"])
            _audit_build(release, "release.build", files=len(files))
    except ExportRefused as exc:
        _fail(release, "\n".join(str(p) for p in exc.problems))
    except Exception as exc:  # any failure is recorded on the release, never half-stored
        _fail(release, f"{type(exc).__name__}: {exc}")
    release.refresh_from_db()
    return release


@transaction.atomic
def release_publish(*, release: Release, by) -> Release:
    """Publish a built release: from now on it never changes. Refused, with every reason, unless
    it is built and each of its case versions is still the approved version of a live case."""
    release = Release.objects.select_for_update().get(pk=release.pk)
    _refuse_published(release)
    problems = []
    if release.status != Release.Status.BUILT:
        problems.append(
            gettext("Release %(v)s is not built (it is %(status)s).")
            % {"v": release.version, "status": release.get_status_display()}
        )
    problems += case_version_problems(
        versions=release.case_versions.select_related("case").order_by("case__external_id")
    )
    if problems:
        raise ReleaseRefused(problems)
    release.status = Release.Status.PUBLISHED
    release.published_at = timezone.now()
    release.save(update_fields=["status", "published_at"])
    audit_record(
        actor=by,
        action="release.publish",
        obj=release,
        benchmark=release.benchmark,
        data={"version": release.version, "zip_sha256": _zip_sha(release)},
    )
    return release


def _zip_sha(release: Release) -> str:
    return release.files.filter(name=zip_name(release)).values_list("sha256", flat=True).first()


@transaction.atomic
def release_delete(*, release: Release, by) -> None:
    """Remove an unpublished release and its stored files."""
    release = Release.objects.select_for_update().get(pk=release.pk)
    _refuse_published(release)
    if release.status == Release.Status.BUILDING and not release.worker_stopped:
        raise ReleaseRefused([gettext("Release %(v)s is being built.") % {"v": release.version}])
    paths = list(release.files.values_list("path", flat=True))
    audit_record(
        actor=by,
        action="release.delete",
        obj=release,
        benchmark=release.benchmark,
        data={"version": release.version},
    )
    release.delete()
    transaction.on_commit(lambda: [default_storage.delete(p) for p in paths])


def _checked_copy(release_file: ReleaseFile, target=None) -> None:
    """Read the stored file (into `target`, a binary file, if given) and check its bytes
    against the sha256 the build recorded (the manifest's); ReleaseFileCorrupt on any mismatch
    or absence."""
    if not default_storage.exists(release_file.path):
        raise ReleaseFileCorrupt(release_file.name)
    digest = hashlib.sha256()
    with default_storage.open(release_file.path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            if target is not None:
                target.write(block)
    listed = release_file.release.manifest.get("files", {}).get(release_file.name, {})
    if digest.hexdigest() != release_file.sha256 or listed.get("sha256", release_file.sha256) != (
        release_file.sha256
    ):
        raise ReleaseFileCorrupt(release_file.name)


def release_file_open(*, release_file: ReleaseFile):
    """The stored file, opened for reading, after checking its bytes against the sha256 the
    build recorded (the manifest's). Raises ReleaseFileCorrupt on any mismatch or absence."""
    _checked_copy(release_file)
    return default_storage.open(release_file.path, "rb")


def release_file_export(*, release_file: ReleaseFile, target: Path) -> None:
    """Copy the stored file to `target`, checking its bytes on the way (one read instead of
    two); on a mismatch the copy is removed and ReleaseFileCorrupt raised."""
    try:
        with target.open("wb") as out:
            _checked_copy(release_file, out)
    except ReleaseFileCorrupt:
        target.unlink(missing_ok=True)
        raise
