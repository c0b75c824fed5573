"""Run Django code in child processes on a throwaway SQLite file, to kill a worker mid-job.

`run_child(env, code)` runs `code` after `django.setup()` and returns the JSON object its last
output line prints; `start_child` starts one and waits for the line "READY" it prints where it
is to be killed. The children share the database and media folder of `child_env(tmp_path)`.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRELUDE = """
import json, sys, time
import django
django.setup()
"""


def child_env(folder: Path, *, media: str = "media", database: str = "db.sqlite3") -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "consilium.settings",
        "CONSILIUM_ENV": "development",
        "CONSILIUM_VAR_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / database}",
        "MEDIA_ROOT": str(folder / media),
        "JOB_HEARTBEAT_LIMIT": "60",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _command(code: str) -> list[str]:
    return [sys.executable, "-c", PRELUDE + textwrap.dedent(code)]


def run_child(env: dict, code: str) -> dict:
    done = subprocess.run(
        _command(code), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def kill_when_ready(env: dict, code: str) -> None:
    """Run `code` until it prints READY, then SIGKILL it (as the OOM killer or a power cut)."""
    child = subprocess.Popen(
        _command(code), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for line in child.stdout:
            if line.strip() == "READY":
                break
        else:
            raise AssertionError("the child ended before READY: " + child.stderr.read()[-3000:])
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
