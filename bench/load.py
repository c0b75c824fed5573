"""A small HTTP load client: N threads, one logged-in person each, asking for the same page at
once; the server time of each answer from its Server-Timing header (bench/server.py)."""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


def percentiles(times: list[float]) -> dict[str, float]:
    """p50, p95 and max of `times` (nearest rank)."""
    times = sorted(times) or [0.0]
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, round(len(times) * 0.95) - 1)], 2),
        "max_ms": round(times[-1], 2),
    }


@dataclass
class Samples:
    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "requests": len(self.server_ms),
            "server": percentiles(self.server_ms),
            "client": percentiles(self.client_ms),
            "errors": len(self.errors),
            "first_error": self.errors[0] if self.errors else "",
        }


def load(*, port: int, urls: list[str], cookies: list[str], requests: int) -> dict:
    """Each cookie's client asks for its url (`urls[n % len(urls)]`) `requests` times after one
    warm-up request, all clients at once. Returns the summary of the server and client times."""
    samples = Samples()
    lock = threading.Lock()
    start = threading.Barrier(len(cookies))

    def client(n: int, cookie: str) -> None:
        url = urls[n % len(urls)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        # Behind the HTTPS proxy of a production set-up: no redirect to https, secure cookies.
        headers = {"Cookie": cookie, "X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"}
        mine = Samples()
        start.wait()
        for attempt in range(requests + 1):
            started = time.perf_counter()
            try:
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException, UnicodeError) as exc:
                mine.errors.append(f"{url}: {exc!r}")
                connection.close()
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                mine.errors.append(f"{url}: HTTP {response.status}")
            elif attempt:  # the first answer warms the worker up
                found = SERVER_TIMING.search(response.getheader("Server-Timing") or "")
                mine.server_ms.append(float(found.group(1)) if found else float("nan"))
                mine.client_ms.append(elapsed)
        connection.close()
        with lock:
            samples.server_ms += mine.server_ms
            samples.client_ms += mine.client_ms
            samples.errors += mine.errors

    threads = [threading.Thread(target=client, args=(n, c)) for n, c in enumerate(cookies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples.summary()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, *, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("the server did not start")


def peak_rss_of_children(pid: int) -> list[float]:
    """Peak memory (VmHWM, MB) of each child process of `pid` (gunicorn's workers)."""
    peaks = []
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{child}/status")
        for line in status.read_text().splitlines() if status.exists() else []:
            if line.startswith("VmHWM:"):
                peaks.append(round(int(line.split()[1]) / 1024, 1))
    return peaks


@contextmanager
def gunicorn(env: dict, *, workers: int, cwd: Path, log: Path) -> Iterator[tuple[int, int]]:
    """gunicorn serving consilium.wsgi with `env`, as README "Production" says; yields (port,
    pid) once /healthz answers and stops it afterwards. Its messages go to `log`."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "consilium.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--timeout",
            "300",  # a worker starting on a busy machine is not a stuck one
            "--error-logfile",
            str(log),
        ],
        cwd=cwd,
        env=env,
    )
    try:
        try:
            wait_for(port)
        except SystemExit:
            print(log.read_text()[-3000:] if log.exists() else "", file=sys.stderr)
            raise
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
