from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from curation.models import Benchmark
from grading.models import Release
from grading.releases.building import STEPS
from grading.releases.services import (
    ReleaseFileCorrupt,
    ReleaseRefused,
    release_build,
    release_create,
    release_file_export,
    release_publish,
)
from grading.selectors import approved_versions


class Command(BaseCommand):
    help = (
        "Write the files of a release and its zip into DIR. If the benchmark has no release of "
        "that version yet, one is created from every approved case version (responses, "
        "consensus labels and statistics included), built and published, as by a manager; "
        "an existing release is built if it is not yet, and exported as stored (each file "
        "checked against its manifest sha256)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # DESIGN spells the release's version `--version`, which Django uses for its own.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--benchmark", required=True, help="slug of the benchmark")
        parser.add_argument("--version", required=True, dest="release_version", help="X.Y.Z")
        parser.add_argument("--out", required=True, help="folder to write into")
        parser.add_argument("--notes", default="", help="notes of a new release")
        parser.add_argument(
            "--by", help="username recorded as the creator of a new release (default: none)"
        )

    def handle(self, *args, **options) -> None:
        benchmark = Benchmark.objects.filter(slug=options["benchmark"]).first()
        if benchmark is None:
            raise CommandError(f"No benchmark with the slug “{options['benchmark']}”.")
        version = options["release_version"]
        release = Release.objects.filter(benchmark=benchmark, version=version).first()
        try:
            if release is None:
                release = self._create(benchmark, version, options)
            if release.status in (Release.Status.DRAFT, Release.Status.FAILED):
                release = self._build(release)
            if release.status == Release.Status.FAILED:
                raise CommandError(f"The build failed:\n{release.error}")
            if release.status == Release.Status.BUILDING:
                raise CommandError("The release is being built elsewhere; try again later.")
            if not release.is_published and options.get("_new"):
                release = release_publish(release=release, by=release.created_by)
        except ReleaseRefused as exc:
            raise CommandError("Refused:\n" + "\n".join(exc.problems)) from exc
        out = Path(options["out"])
        for stored in release.files.all():
            target = out / stored.name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                release_file_export(release_file=stored, target=target)
            except ReleaseFileCorrupt as exc:
                raise CommandError(f"{exc}: the stored file does not match its sha256.") from exc
        self.stdout.write(
            f"Release {benchmark.slug} {release.version} ({release.get_status_display()}): "
            f"{release.files.count()} files written to {out}"
        )

    def _create(self, benchmark, version, options) -> Release:
        users = get_user_model().objects
        by = users.filter(username=options["by"]).first() if options["by"] else None
        if options["by"] and by is None:
            raise CommandError(f"No user “{options['by']}”.")
        if by is None:
            by = users.filter(is_superuser=True).order_by("pk").first()
        if by is None:
            raise CommandError("Name the creator with --by USERNAME (no superuser to record).")
        options["_new"] = True
        return release_create(
            benchmark=benchmark,
            by=by,
            version=version,
            case_versions=approved_versions(benchmark=benchmark),
            notes=options["notes"],
            selection={"all_approved": True},
        )

    def _build(self, release: Release) -> Release:
        with tqdm(total=1, desc=f"release {release.version}", file=self.stderr) as bar:

            def progress(done: int, total: int, message: str) -> None:
                bar.total = total
                bar.set_postfix_str(str(STEPS.get(message, message)))
                bar.n = done
                bar.refresh()

            return release_build(release=release, progress=progress)
