"""`make bench`: Consilium at ClinConsensus scale against the physical floor.

    python bench/suite.py --scale 1                # SQLite and PostgreSQL
    python bench/suite.py --scale 10 --db postgres
    python bench/suite.py --cases 200 --db sqlite  # a quick try

The data (bench/generate.py, seeded): 2,500 x scale cases x 30 criteria, 11 models x 1 answer,
2 judges on every response x criterion and 3 physicians on 10% of them. On a fresh database of
each kind (as bench/run.py: a temporary SQLite file; the PostgreSQL database of --postgres-url,
dropped and created), each step in its own process, so that its peak memory is its own:

  import_cases, import_responses, import_labels   the importers, as `import_cases` etc. run them
      floor: the same rows inserted again by the database's bulk path (bench/floors.py)
  compute_stats    `manage.py compute_stats --json`, libraries loaded (first call given apart)
      floor: the same statistics on the same arrays already in memory (numpy alone)
  release          `manage.py export_release`: every file, the manifest and the zip
      floor: the same bytes written again and hashed
  pages            gunicorn with the production settings (bench/settings.py: DEBUG off, WhiteNoise,
      plus a Server-Timing middleware), --clients people at once asking for the pages graders,
      adjudicators and managers use; p50 / p95 of the server time over --requests each
      floor: a trivial page through the same server, middleware and login

Each figure is reported with its floor and their ratio, in bench/results_<scale>x.json and as a
Markdown table in bench/results_<scale>x.md (and on stdout).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from bench.common import (  # noqa: E402
    add_database_arguments,
    child_env,
    measure_child,
    measure_databases,
    run_child,
)

SLUG = "clinconsensus"
STEPS = ("setup", "import_cases", "import_responses", "import_labels", "compute_stats")
STEPS += ("release", "pages")
PART_CASES = {"cases": 5_000, "responses": 2_500, "labels": 1_000}  # files under 200 MB
GRADERS = 20
SUITE_POSTGRES = "postgres://postgres@127.0.0.1:5432/consilium_bench_suite"
GOALS = {"import": 3.0, "compute_stats": 3.0, "page_p95_ms": 100.0}
STATS_CALLS = 3  # compute_stats' figure and floor: the best of this many calls each


# --- the parent ------------------------------------------------------------------------------


def make_files(folder: Path, *, seed: int, cases: int) -> dict[str, list[str]]:
    writers = {
        "cases": partial(generate.write_cases, fmt="clinconsensus"),
        "responses": generate.write_responses,
        "labels": generate.write_labels,
    }
    files: dict[str, list[str]] = {}
    for key, write in writers.items():
        files[key] = []
        for first in range(0, cases, PART_CASES[key]):
            path = folder / f"{key}_{first + 1:06d}.jsonl"
            write(path, seed=seed, start=first, count=min(PART_CASES[key], cases - first))
            files[key].append(str(path))
    return files


def run_step(step: str, *, database_url: str, var_dir: Path, args, files: dict) -> dict:
    command = [__file__, "--step", step, "--files", json.dumps(files)]
    command += ["--clients", str(args.clients), "--requests", str(args.requests)]
    command += ["--seed", str(args.seed), "--var-dir", str(var_dir)]
    env = child_env(database_url, var_dir, allowed_hosts="127.0.0.1,testserver")
    env |= {
        "BENCH_STATIC_ROOT": str(Path(files["cases"][0]).parent / "static"),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CONSILIUM_ENV": "production",
        "SECRET_KEY": "bench-" + "x" * 50,
    }
    return run_child(step, command, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    # Its own database, so that the other benchmark scripts can run at the same time.
    parser.set_defaults(postgres_url=os.environ.get("BENCH_POSTGRES_URL", SUITE_POSTGRES))
    parser.add_argument("--scale", type=int, default=1, help="1 = 2,500 cases (ClinConsensus)")
    parser.add_argument("--cases", type=int, help="instead of --scale: this many cases")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=20, help="people asking at once")
    parser.add_argument("--requests", type=int, default=10, help="requests per client and page")
    parser.add_argument("--out", type=Path, help="default: bench/results_<scale>x.json")
    parser.add_argument("--only", nargs="+", choices=STEPS[1:], help="run only these steps")
    parser.add_argument("--report", type=Path, help="only write the table of this results file")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        return measure_child(partial(CHILDREN[args.step], args, json.loads(args.files)))
    if args.report:
        return show(json.loads(args.report.read_text()), markdown=args.report.with_suffix(".md"))
    cases = args.cases or generate.CASES_PER_SCALE * args.scale
    label = f"{args.scale}x" if not args.cases else f"{cases}cases"
    args.out = args.out or ROOT / "bench" / f"results_{label}.json"
    data = Path(tempfile.mkdtemp(prefix="consilium-suite-data-"))
    try:
        started = time.perf_counter()
        files = make_files(data, seed=args.seed, cases=cases)
        print(f"generated the data in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        measure_databases(
            args,
            name="suite",
            steps=STEPS,
            run_step=partial(run_step, args=args, files=files),
            show=partial(show, markdown=args.out.with_suffix(".md")),
            scale=round(cases / generate.CASES_PER_SCALE, 2),
            cases=cases,
            seed=args.seed,
            clients=args.clients,
            requests_per_client=args.requests,
        )
    finally:
        shutil.rmtree(data, ignore_errors=True)


# --- the children: one step each, on the database named by DATABASE_URL ---------------------


def setup(args, files: dict) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from curation.models import Benchmark, Membership, Role

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    call_command("createcachetable", verbosity=0)
    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)
    users = get_user_model().objects
    benchmark = Benchmark.objects.create(slug=SLUG, name="ClinConsensus (generated)")
    everything = users.create_user("bench_manager", password="bench-manager")
    members = [(everything, role) for role in Role.values]
    members.append((users.create_user("bench_lead", password="bench-lead"), Role.MANAGER))
    adjudicator = users.create_user("bench_adjudicator", password="bench-adjudicator")
    members.append((adjudicator, Role.ADJUDICATOR))
    for n in range(GRADERS):
        members.append((users.create_user(f"bench_grader_{n:02d}", password="g"), Role.GRADER))
    Membership.objects.bulk_create(
        Membership(benchmark=benchmark, user=user, role=role) for user, role in members
    )
    return {"migrate_s": round(migrate_seconds, 2)}


def import_step(kind: str, args, files: dict) -> dict:
    """Every file of `kind` through its importer, then the rows it wrote through the floor."""
    from django.contrib.auth import get_user_model

    from bench.floors import bulk_insert_floor, table_marks
    from curation.importing.service import cases_import
    from curation.models import Benchmark
    from grading.importing import responses_import
    from grading.label_import import labels_import

    importer = {
        "cases": partial(cases_import, fmt="clinconsensus", approved=True),
        "responses": responses_import,
        "labels": labels_import,
    }[kind]
    benchmark = Benchmark.objects.get(slug=SLUG)
    actor = get_user_model().objects.get(username="bench_manager")
    marks = table_marks()
    started = time.perf_counter()
    for file in files[kind]:
        importer(benchmark=benchmark, file=file, actor=actor)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the floor's copy
    floor = bulk_insert_floor(marks)
    return {
        "figure_s": seconds,
        "figure_peak_rss_mb": peak,
        "floor_s": floor["seconds"],
        "rows": floor["rows"],
    }


def analyze_as_autovacuum() -> None:
    """PostgreSQL's autovacuum analyses a table within a minute of a bulk load; the steps after
    the imports run at once, so they do it themselves rather than measure plans made blind."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def compute_stats(args, files: dict) -> dict:
    from django.core.management import call_command

    from bench.floors import preloaded
    from grading import stats_selectors

    def command() -> float:
        out = io.StringIO()
        started = time.perf_counter()
        call_command("compute_stats", "--benchmark", SLUG, "--json", stdout=out)
        seconds = time.perf_counter() - started
        json.loads(out.getvalue())
        return seconds

    def best(run) -> float:  # the least disturbed of a few calls, alike for figure and floor
        return min(run() for _ in range(STATS_CALLS))

    def replayed() -> float:
        replay()
        return command()

    analyze_as_autovacuum()
    first = command()  # loads scipy and statsmodels
    figure = best(command)
    with preloaded(stats_selectors) as replay:
        command()
        floor = best(replayed)
    return {"figure_s": figure, "floor_s": floor, "first_call_s": first}


def release(args, files: dict) -> dict:
    from bench.floors import write_floor
    from bench.release_bench import export

    out = args.var_dir / "release"
    analyze_as_autovacuum()
    started = time.perf_counter()
    counts = export(argparse.Namespace(out_dir=out), slug=SLUG)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the floor's copy
    floor = write_floor(out, args.var_dir / "release-floor")
    return {
        "figure_s": seconds,
        "figure_peak_rss_mb": peak,
        "floor_s": floor["seconds"],
        "bytes": floor["bytes"],
        **counts,
    }


def pages(args, files: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench import load
    from bench.vocabulary import SPECIALTIES
    from curation.models import Benchmark, Case, CaseVersion
    from grading.models import AdjudicationItem, ModelUnderTest
    from grading.services.assignment import assignment_next
    from grading.services.campaigns import campaign_create
    from grading.statistics import cached_report

    analyze_as_autovacuum()
    users = get_user_model().objects
    benchmark = Benchmark.objects.get(slug=SLUG)
    graders = users.filter(username__startswith="bench_grader_").order_by("username")
    graders = list(graders[: args.clients])
    started = time.perf_counter()
    campaign = campaign_create(
        benchmark=benchmark,
        by=users.get(username="bench_manager"),
        name="Round 1",
        case_versions=CaseVersion.objects.filter(case__benchmark=benchmark),
        models=ModelUnderTest.objects.all(),
        graders=graders,
        graders_per_item=2,
        responses_per_screen=4,
    )
    campaign_seconds = time.perf_counter() - started
    screens = [assignment_next(grader=g, benchmark=benchmark).pk for g in graders]
    started = time.perf_counter()
    cached_report(benchmark=benchmark)  # the statistics pages read the cached report
    report_seconds = time.perf_counter() - started

    def session(user) -> str:
        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    grader_cookies = [session(grader) for grader in graders]
    url = partial(lambda name, *rest: reverse(name, args=[SLUG, *rest]))
    rng = random.Random(args.seed)
    case_ids = list(Case.objects.filter(benchmark=benchmark).values_list("external_id", flat=True))
    disputed = AdjudicationItem.objects.filter(benchmark=benchmark).order_by("pk")
    disputed = list(disputed.values_list("pk", flat=True)[: args.clients])
    word = next(iter(SPECIALTIES.values()))[1][0]  # a diagnosis of one specialty
    lead = [session(users.get(username="bench_lead"))] * args.clients
    adjudicator = [session(users.get(username="bench_adjudicator"))] * args.clients
    plan = {
        "trivial page (floor)": (["/bench/trivial/"], lead),
        "grader: queue": ([url("grading:queue")], grader_cookies),
        "grader: grading screen (30 criteria x 4 answers)": (
            [url("grading:grade", pk) for pk in screens],
            grader_cookies,
        ),
        "adjudicator: queue": ([url("grading:adjudication_queue")], adjudicator),
        "adjudicator: item": (
            [url("grading:adjudication_item", pk) for pk in disputed],
            adjudicator,
        ),
        "manager: case list": ([url("curation:case_list")], lead),
        "manager: case list, text search": ([f"{url('curation:case_list')}?q={quote(word)}"], lead),
        "manager: case page": (
            [url("curation:case_detail", rng.choice(case_ids)) for _ in range(args.clients)],
            lead,
        ),
        "manager: statistics (cached report)": ([url("grading:stats")], lead),
        "manager: campaign": ([url("grading:campaign", campaign.pk)], lead),
    }
    connection.close()
    measured = {}
    log = args.var_dir / "gunicorn.log"
    with load.gunicorn(os.environ.copy(), workers=4, cwd=ROOT, log=log) as (port, pid):
        for name, (urls, people) in plan.items():
            measured[name] = load.load(port=port, urls=urls, cookies=people, requests=args.requests)
        worker_peaks = load.peak_rss_of_children(pid)
    return {
        "pages": measured,
        "server_peak_rss_mb": worker_peaks,
        "campaign_create_s": round(campaign_seconds, 2),
        "stats_report_s": round(report_seconds, 2),
        "search_word": word,
    }


CHILDREN = {
    "setup": setup,
    "import_cases": partial(import_step, "cases"),
    "import_responses": partial(import_step, "responses"),
    "import_labels": partial(import_step, "labels"),
    "compute_stats": compute_stats,
    "release": release,
    "pages": pages,
}


# --- the report ------------------------------------------------------------------------------


def cells(by_step: dict) -> dict[str, tuple[str, str]]:
    """{measurement: (cell, verdict)} of one database: "figure / floor = ratio x, peak memory"
    (the figure's own where the step measured it before its floor)."""
    found = {}
    for step in ("import_cases", "import_responses", "import_labels", "compute_stats", "release"):
        if step not in by_step:
            continue
        r = by_step[step]["extra"]
        ratio = r["figure_s"] / r["floor_s"] if r["floor_s"] else float("inf")
        goal = GOALS.get("import" if step.startswith("import") else step)
        verdict = "" if goal is None else ("met" if ratio < goal else "**missed**")
        found[step] = (
            f"{r['figure_s']:.1f} s / {r['floor_s']:.2f} s = **{ratio:.1f}x**, "
            f"{r.get('figure_peak_rss_mb', by_step[step]['peak_rss_mb']):.0f} MB",
            verdict,
        )
    if "pages" in by_step:
        pages = by_step["pages"]["extra"]["pages"]
        floor = pages.get("trivial page (floor)", {}).get("server", {}).get("p95_ms")
        for name, page in pages.items():
            s = page["server"]
            ratio = f" = **{s['p95_ms'] / floor:.1f}x**" if floor else ""
            errors = f", {page['errors']} errors" if page["errors"] else ""
            found[name] = (
                f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f} ms{ratio}{errors}",
                "met" if s["p95_ms"] < GOALS["page_p95_ms"] else "**missed**",
            )
    return found


GOALS_X = ("import_cases", "import_responses", "import_labels", "compute_stats")
LABELS = {
    "import_cases": "import cases: figure / floor (COPY or executemany) = ratio, peak",
    "import_responses": "import responses",
    "import_labels": "import labels",
    "compute_stats": "compute_stats / numpy on preloaded arrays",
    "release": "release build / the same bytes written and hashed",
}


def show(results: dict, *, markdown: Path) -> None:
    databases = list(results["databases"].values())
    by_db = [cells(by_step) for by_step in databases]
    names = list(dict.fromkeys(name for found in by_db for name in found))
    header = ["measurement", *(db["database"] for db in databases), "goal"]
    rows = []
    for name in names:
        label = LABELS.get(name, f"page {name}: server p50 / p95 (p95 / floor's)")
        goal = "< 3x" if name in GOALS_X else ("" if name in LABELS else "p95 < 100 ms")
        verdicts = {found.get(name, ("", ""))[1] for found in by_db} - {""}
        if verdicts:
            goal += ": " + ", ".join(sorted(verdicts))
        rows.append([label, *(found.get(name, ("—", ""))[0] for found in by_db), goal])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in [header, ["-" * w for w in widths], *rows]
    ]
    m = results["machine"]
    loads = [
        step["load_average"]
        for by_step in databases
        for name, step in by_step.items()
        if name != "database"
    ]
    servers = [
        max(db["pages"]["extra"]["server_peak_rss_mb"] or [0]) for db in databases if "pages" in db
    ]
    lines += [
        "",
        f"{results['cases']:,} cases ({results['scale']:g}x), {results['clients']} people at "
        f"once x {results['requests_per_client']} requests a page; largest gunicorn worker: "
        + ", ".join(f"{peak:.0f} MB" for peak in servers)
        + f"; {m['cpus']} CPUs ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}, "
        f"{m['date']}; load average during the steps {min(loads):.1f}-{max(loads):.1f}.",
    ]
    text = "\n".join(lines) + "\n"
    markdown.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
