"""What the benchmark scripts share: the machine, the throwaway databases, one child process per
step and what each child measures of itself."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/consilium_bench"


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the databases for profiling: the SQLite file is moved into this folder, the "
        "PostgreSQL database is not dropped",
    )


def machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "system": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def postgres_admin(url: str):
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the benchmark database's name must contain 'bench'")
    admin = parts._replace(path="/postgres").geturl()
    return name, psycopg.connect(admin, autocommit=True)


def postgres_recreate(url: str) -> str:
    name, conn = postgres_admin(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return conn.execute("SHOW server_version").fetchone()[0]


def postgres_drop(url: str) -> None:
    name, conn = postgres_admin(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(database_url: str, var_dir: Path, *, allowed_hosts: str = "testserver") -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "consilium.settings",
        "CONSILIUM_ENV": "development",
        "CONSILIUM_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": allowed_hosts,
        "LOG_LEVEL": "WARNING",
    }


def run_child(
    step: str,
    command: list[str],
    env: dict,
    *,
    shown: str = " {seconds:.1f} s, {peak_rss_mb:.0f} MB",
) -> dict:
    """Run `python <command>` for one step and return the JSON its last line prints; `shown` is
    what the progress line says of it."""
    print(f"  {step} ...", end="", flush=True, file=sys.stderr)
    done = subprocess.run(
        [sys.executable, *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
        sys.exit(f"step {step} failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(shown.format(**result), file=sys.stderr)
    return result


def run_database(
    kind: str, args, *, name: str, steps: tuple[str, ...], run_step, results: dict, save
) -> None:
    """Every step (the first always, the others as `args.only` allows) on a fresh database of
    `kind`, dropped with its temporary folder at the end; `run_step(step, database_url=...,
    var_dir=...)` runs one. Each step's result is put in `results`, then `save()` is called, so
    that a long run keeps what it measured before a step fails."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"consilium-{name}-{kind}-"))
    try:
        if kind == "sqlite":
            url = f"sqlite:///{var_dir / 'bench.sqlite3'}"
            version = f"SQLite {sqlite3.sqlite_version}"
        else:
            url = args.postgres_url
            version = f"PostgreSQL {postgres_recreate(url)}"
        print(f"{version}:", file=sys.stderr)
        results["database"] = version
        only = getattr(args, "only", None)
        for step in steps:
            if step == steps[0] or not only or step in only:
                results[step] = run_step(step, database_url=url, var_dir=var_dir)
                save()
    finally:
        keep = getattr(args, "keep", None)
        if keep and kind == "sqlite":
            keep.mkdir(parents=True, exist_ok=True)
            shutil.move(var_dir / "bench.sqlite3", keep / f"{name}.sqlite3")
        elif kind == "postgres" and not keep:
            postgres_drop(args.postgres_url)
        shutil.rmtree(var_dir, ignore_errors=True)


def measure_databases(args, *, name: str, steps: tuple[str, ...], run_step, show, **fields) -> None:
    """Run the steps on each database of `args.db`, write the results (the machine, `fields`, the
    databases) to `args.out` and `show` them."""
    results = {"machine": machine(), **fields, "databases": {}}

    def save() -> None:
        text = json.dumps(results, indent=2, ensure_ascii=False)
        args.out.write_text(text + "\n", encoding="utf-8")

    for kind in args.db:
        results["databases"][kind] = {}
        run_database(
            kind,
            args,
            name=name,
            steps=steps,
            run_step=run_step,
            results=results["databases"][kind],
            save=save,
        )
    show(results)
    print(f"written to {args.out}")


def print_steps(results: dict, steps: tuple[str, ...], *, width: int = 22) -> None:
    """One line a database and step: wall and CPU seconds, peak memory and the step's extra."""
    print(f"\n{'database':<22} {'step':<{width}} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}  extra")
    for by_step in results["databases"].values():
        for step in [s for s in steps if s in by_step]:
            r = by_step[step]
            extra = ", ".join(f"{k}={v}" for k, v in r.get("extra", {}).items())
            print(
                f"{by_step['database'][:22]:<22} {step:<{width}} {r['seconds']:>8.2f} "
                f"{r['cpu_seconds']:>8.2f} {r['peak_rss_mb']:>8.0f}  {extra}"
            )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_child(work) -> None:
    """Set Django up, run `work()` and print, as the child's last line, its wall and CPU time,
    the process's peak memory and the load average, with what `work` returned as "extra"."""
    import django

    django.setup()
    cpu_started = time.process_time()
    started = time.perf_counter()
    extra = work()
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu_started,
                "peak_rss_mb": peak_rss_mb(),
                "load_average": os.getloadavg()[0],
                "extra": extra,
            }
        )
    )
