"""Production settings (CONSILIUM_ENV=production, DEBUG off, WhiteNoise) plus the benchmark's
Server-Timing middleware, outermost, and its trivial page (bench/server.py)."""

from pathlib import Path

from consilium.env import env_str
from consilium.settings import *  # noqa: F403
from consilium.settings import MIDDLEWARE, VAR_DIR

MIDDLEWARE = ["bench.server.server_timing", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
# Collected once per run into the benchmark's throwaway folder, whatever the database.
STATIC_ROOT = Path(env_str("BENCH_STATIC_ROOT", str(VAR_DIR / "static")))
