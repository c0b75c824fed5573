"""Measure a release build at ClinConsensus scale, on throwaway databases.

    python bench/release_bench.py                        # SQLite and PostgreSQL
    python bench/release_bench.py --db sqlite --text-chars 1500

The data (written straight into the tables): 2,500 approved cases x 30 criteria, 11 models x 1
answer = 27,500 responses, a consensus label on every response x criterion = 825,000 gold labels
(5% adjudicated with a rationale). Then, in its own process (so peak memory is its own),
`manage.py export_release` creates, builds (every file: three case formats, the spreadsheet,
responses, gold labels, the judge fine-tuning set, 11 judgement files, statistics, manifest and
zip), publishes and writes the release out: wall and CPU time, peak RSS, bytes written.
`--text-chars` sets the length of each prompt and response (the fine-tuning set repeats both on
every gold label, so it grows with them). Writes bench/release_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    add_database_arguments,
    child_env,
    measure_child,
    measure_databases,
    print_steps,
    run_child,
)

SLUG = "clinconsensus-release"
MODELS = 11
CRITERIA = 30
TARGET = "< 60 s, < 500 MB"
STEPS = ("setup", "export_release")


def run_step(step: str, *, database_url: str, var_dir: Path, args) -> dict:
    command = [__file__, "--step", step, "--cases", str(args.cases)]
    command += ["--text-chars", str(args.text_chars), "--out-dir", str(var_dir / "out")]
    return run_child(step, command, child_env(database_url, var_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--cases", type=int, default=2500, help="2,500 = ClinConsensus")
    parser.add_argument("--text-chars", type=int, default=200, help="prompt and response length")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "release_results.json")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        return child(args.step, args)
    measure_databases(
        args,
        name="release-bench",
        steps=STEPS,
        run_step=partial(run_step, args=args),
        show=partial(print_steps, steps=STEPS, width=16),
        cases=args.cases,
        text_chars=args.text_chars,
        target=TARGET,
    )


def child(step: str, args) -> None:
    measure_child(partial({"setup": setup, "export_release": export}[step], args))


def export(args, *, slug: str = SLUG) -> dict:
    from django.core.management import call_command

    out = Path(args.out_dir)
    call_command(
        "export_release",
        "--benchmark",
        slug,
        "--version",
        "1.0.0",
        "--out",
        str(out),
        "--by",
        "bench_manager",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
        stderr=open(os.devnull, "w"),  # noqa: SIM115
    )
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        **manifest["counts"],
        "zip_mb": round((out / f"{slug}-1.0.0.zip").stat().st_size / 2**20, 1),
        "files_mb": round(sum(f["bytes"] for f in manifest["files"].values()) / 2**20, 1),
    }


def setup(args) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from curation.models import Benchmark, Case, CaseStatus, CaseVersion, Criterion, Membership
    from grading.models import Consensus, ModelUnderTest, Response

    call_command("migrate", verbosity=0)
    now = timezone.now()
    manager = get_user_model().objects.create_user("bench_manager", password="bench")
    benchmark = Benchmark.objects.create(slug=SLUG, name=SLUG)
    Membership.objects.create(benchmark=benchmark, user=manager, role="manager")
    text = ("胸痛两小时，伴出汗。" * (args.text_chars // 10 + 1))[: args.text_chars]
    with transaction.atomic():
        cases = Case.objects.bulk_create(
            Case(benchmark=benchmark, external_id=f"CC-{n:05d}", status=CaseStatus.APPROVED)
            for n in range(args.cases)
        )
        versions = CaseVersion.objects.bulk_create(
            CaseVersion(
                case=case,
                number=1,
                title=case.external_id,
                messages=[{"role": "user", "content": f"{text}\n\n怎么办？"}],
                reference_answer=text,
                submitted_at=now,
            )
            for case in cases
        )
        for case, version in zip(cases, versions, strict=True):
            case.current_version = version
        Case.objects.bulk_update(cases, ["current_version"], batch_size=5000)
        Criterion.objects.bulk_create(
            (
                Criterion(version=version, key=f"c{n:02d}", position=n, text=f"评分项 {n}")
                for version in versions
                for n in range(1, CRITERIA + 1)
            ),
            batch_size=5000,
        )
        models = ModelUnderTest.objects.bulk_create(
            ModelUnderTest(name=f"model-{m:02d}") for m in range(MODELS)
        )
        Response.objects.bulk_create(
            (
                Response(case_version=version, model=model, text=text)
                for version in versions
                for model in models
            ),
            batch_size=5000,
        )
    pairs = Response.objects.values_list("pk", "case_version__criteria__pk").order_by()
    with transaction.atomic():
        Consensus.objects.bulk_create(
            (
                Consensus(
                    benchmark=benchmark,
                    response_id=response,
                    criterion_id=criterion,
                    met=(response + criterion) % 3 != 0,
                    method="adjudicated" if (response + criterion) % 20 == 0 else "unanimous",
                    adjudicator=manager if (response + criterion) % 20 == 0 else None,
                    rationale="回答提到了关键点。" if (response + criterion) % 20 == 0 else "",
                    decided_at=now,
                )
                for response, criterion in pairs.iterator(chunk_size=10_000)
            ),
            batch_size=5000,
        )
    return {"gold_labels": Consensus.objects.count()}


if __name__ == "__main__":
    main()
