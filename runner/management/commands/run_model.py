from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from curation.models import Benchmark
from grading.models import Response
from grading.selectors import approved_versions
from runner.models import Endpoint, Run
from runner.runs import item_counts, run_execute
from runner.services import RunRefused, collection_start, judging_start, run_resume


class Command(BaseCommand):
    help = (
        "Run an endpoint over a benchmark's approved cases in this process, with a progress bar: "
        "collect K responses per case (default), or with --judge label every criterion of the "
        "responses. Only what is missing is asked for; --resume RUN retries a run's failed items."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--benchmark", required=True, help="slug of the benchmark")
        parser.add_argument("--endpoint", help="name of the endpoint")
        parser.add_argument("--samples", type=int, default=1, help="responses per case (k)")
        parser.add_argument("--judge", action="store_true", help="judge instead of collecting")
        parser.add_argument("--models", default="", help="judge: comma-separated model names")
        parser.add_argument("--cases", default="", help="comma-separated case ids (default all)")
        parser.add_argument("--resume", type=int, help="id of a run to resume")
        parser.add_argument("--user", help="who starts the run (default: the endpoint's creator)")

    def _start(self, benchmark: Benchmark, options: dict) -> Run:
        endpoint = Endpoint.objects.filter(benchmark=benchmark, name=options["endpoint"]).first()
        if endpoint is None:
            raise CommandError(f"No endpoint {options['endpoint']!r} in {benchmark.slug}.")
        by = self._user(options) or endpoint.created_by
        versions = approved_versions(benchmark=benchmark)
        if options["cases"]:
            versions = versions.filter(case__external_id__in=_names(options["cases"]))
        if not options["judge"]:
            return collection_start(
                endpoint=endpoint, by=by, case_versions=versions, samples=options["samples"]
            )
        responses = Response.objects.filter(case_version__in=versions)
        if options["models"]:
            responses = responses.filter(model__name__in=_names(options["models"]))
        return judging_start(endpoint=endpoint, by=by, responses=responses)

    def _user(self, options: dict):
        if not options["user"]:
            return None
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        return user

    def handle(self, *args, **options) -> None:
        benchmark = Benchmark.objects.filter(slug=options["benchmark"]).first()
        if benchmark is None:
            raise CommandError(f"No benchmark {options['benchmark']!r}.")
        try:
            if options["resume"]:
                run = Run.objects.filter(benchmark=benchmark, pk=options["resume"]).first()
                if run is None:
                    raise CommandError(f"No run {options['resume']} in {benchmark.slug}.")
                run = run_resume(run=run, by=self._user(options) or run.created_by)
            elif options["endpoint"]:
                run = self._start(benchmark, options)
            else:
                raise CommandError("Give --endpoint (a new run) or --resume RUN.")
        except RunRefused as refused:
            raise CommandError(refused.message) from None
        counts = item_counts(run)
        with tqdm(total=counts["pending"], unit="call", file=self.stderr) as bar:
            run_execute(run=run, progress=bar.update)
        counts = item_counts(run)
        self.stdout.write(
            f"Run {run.pk} ({run.kind}): {run.shown_status.label}; {counts['done']} done, "
            f"{counts['failed']} failed, {counts['unparsed']} unparsed; "
            f"{counts['prompt_tokens']} input and {counts['completion_tokens']} output tokens, "
            f"cost {counts['cost']:.4f}."
        )
        if run.error:
            raise CommandError(run.error)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]
