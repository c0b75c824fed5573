"""Judge throughput against the local fake chat-completions server (tests/chat_server.py).

    python bench/judge_bench.py                       # 40 cases x 30 criteria x 2 models
    python bench/judge_bench.py --cases 100 --latency 0.05 --concurrency 16

The server (in its own process) answers every call after a fixed latency (default 50 ms), so
with concurrency C the ceiling is C / latency calls per second (16 / 0.05 s = 320 calls/s).
Measured, on a throwaway SQLite database:
  - `client`: the calls alone (runner.client.chat_many, no database);
  - `judge run`: a whole judge run (runner.runs.run_execute): batches of prompts read from the
    database, the calls, the answers parsed and written as labels through the label import.
One call judges one criterion, so calls/s = criteria/s. Prints a table and writes
bench/judge_results.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402


def _serve(latency: float, ports) -> None:
    """The fake server in its own process, so that it does not share the client's interpreter."""
    from tests.chat_server import ChatServer

    server = ChatServer(latency=latency)
    ports.put(server.server_address[1])
    server.serve_forever()


def _setup_django(directory: str) -> None:
    os.environ["CONSILIUM_ENV"] = "development"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/judge_bench.sqlite3"
    os.environ["CONSILIUM_VAR_DIR"] = directory
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consilium.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _data(cases: int, criteria: int, models: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from curation.models import Benchmark, Case, CaseStatus, CaseVersion, Criterion
    from grading.models import ModelUnderTest, Response

    user = get_user_model().objects.create_user("bench_manager")
    benchmark = Benchmark.objects.create(slug="judge-bench", name="Judge bench")
    names = [ModelUnderTest.objects.create(name=f"model-{m}") for m in range(models)]
    for n in range(cases):
        case = Case.objects.create(
            benchmark=benchmark, external_id=f"CC-{n:04d}", status=CaseStatus.APPROVED
        )
        version = CaseVersion.objects.create(
            case=case,
            number=1,
            messages=[{"role": "user", "content": f"病例 {n}：胸痛两小时，怎么办？" * 20}],
            submitted_at=timezone.now(),
        )
        Case.objects.filter(pk=case.pk).update(current_version=version)
        Criterion.objects.bulk_create(
            Criterion(version=version, key=f"c{k:02d}", position=k, text=f"评分项 {n}-{k}")
            for k in range(1, criteria + 1)
        )
        Response.objects.bulk_create(
            Response(case_version=version, model=model, text="建议立即就医。" * 50)
            for model in names
        )
    return benchmark, user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--criteria", type=int, default=30)
    parser.add_argument("--models", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05, help="server latency, seconds")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "judge_results.json")
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()
    serving = multiprocessing.Process(target=_serve, args=(args.latency, ports), daemon=True)
    serving.start()
    base_url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    with tempfile.TemporaryDirectory() as directory:
        _setup_django(directory)
        from grading.models import Label, Response
        from runner.client import chat_many
        from runner.runs import call_settings, run_execute
        from runner.services import endpoint_create, judging_start

        benchmark, user = _data(args.cases, args.criteria, args.models)
        endpoint = endpoint_create(
            benchmark=benchmark,
            by=user,
            data={
                "name": "bench-judge",
                "base_url": base_url,
                "model": "judge-8b",
                "temperature": 0.0,
                "concurrency": args.concurrency,
                "requests_per_minute": 1_000_000,
                "timeout_seconds": 30,
                "max_retries": 2,
            },
        )
        run = judging_start(endpoint=endpoint, by=user, responses=Response.objects.all())
        calls = run.judgeitems.count()

        jobs = [(i, [{"role": "user", "content": f"warm-up {i}"}]) for i in range(calls)]
        started, cpu = time.perf_counter(), time.process_time()
        results = chat_many(call_settings(run, "no-key"), jobs)
        client_seconds, client_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert all(r.ok for r in results.values())

        started, cpu = time.perf_counter(), time.process_time()
        run_execute(run=run)
        run_seconds, run_cpu = time.perf_counter() - started, time.process_time() - cpu
        run.refresh_from_db()
        labels = Label.objects.filter(rater=run.rater).count()
    serving.terminate()

    figures = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "server_latency_s": args.latency,
        "concurrency": args.concurrency,
        "calls": calls,
        "ceiling_calls_per_s": round(args.concurrency / args.latency, 1),
        "client": {
            "seconds": round(client_seconds, 2),
            "cpu_seconds": round(client_cpu, 2),
            "calls_per_s": round(calls / client_seconds, 1),
        },
        "judge_run": {
            "status": run.status,
            "labels_written": labels,
            "seconds": round(run_seconds, 2),
            "cpu_seconds": round(run_cpu, 2),
            "calls_per_s": round(calls / run_seconds, 1),
            "criteria_per_s": round(labels / run_seconds, 1),
        },
    }
    print(f"{'what':<12}{'calls':>8}{'seconds':>10}{'calls/s':>10}{'criteria/s':>12}")
    print(f"{'client':<12}{calls:>8}{client_seconds:>10.2f}{calls / client_seconds:>10.1f}{'':>12}")
    print(
        f"{'judge run':<12}{calls:>8}{run_seconds:>10.2f}{calls / run_seconds:>10.1f}"
        f"{labels / run_seconds:>12.1f}"
    )
    print(f"ceiling {figures['ceiling_calls_per_s']} calls/s (concurrency / latency)")
    print(
        f"cpu per call: client {1000 * client_cpu / calls:.1f} ms, "
        f"judge run {1000 * run_cpu / calls:.1f} ms; load average {os.getloadavg()[0]:.1f}"
    )
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
