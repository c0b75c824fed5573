"""A worker killed in the middle of a job (SIGKILL, in a child process on an SQLite file):
nothing half-written is visible or served, the job shows failed once its heartbeat is older
than JOB_HEARTBEAT_LIMIT (60 s here, time-travelled), and running it again succeeds (a release
with the same bytes as a build never interrupted)."""

import shutil

from tests.kill_support import child_env, kill_when_ready, run_child

SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory
from tests.release_support import cut, gold
benchmark = BenchmarkFactory(slug="killed")
manager = UserFactory(username="mei")
MembershipFactory(benchmark=benchmark, user=manager, role="manager")
adjudicator = UserFactory(username="adj")
MembershipFactory(benchmark=benchmark, user=adjudicator, role="adjudicator")
gold(benchmark, adjudicator)
print(json.dumps({"release": cut(benchmark, manager).pk}))
"""

# Killed once the first finished file has been moved into storage, before the others and
# before any ReleaseFile row.
BUILD_KILLED = """
from django.core.files.storage import default_storage
from grading.models import Release
from grading.releases.services import release_build
save = default_storage.save
def save_then_hang(*args, **kwargs):
    name = save(*args, **kwargs)
    print("READY", flush=True)
    time.sleep(300)
    return name
default_storage.save = save_then_hang
release_build(release=Release.objects.get())
"""

STATE = """
from datetime import timedelta
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from accounts.models import User
from grading.models import Release
from grading.releases.services import release_build
release = Release.objects.get()
client = Client()
client.force_login(User.objects.get(username="mei"))
url = f"/b/killed/releases/1.0.0/"
state = {
    "status": release.status,
    "stopped_now": release.worker_stopped,
    "rows": release.files.count(),
    "download": client.get(url + "files/gold_labels.jsonl").status_code,
    "stored": sorted(
        str(p.relative_to(settings.MEDIA_ROOT))
        for p in (settings.MEDIA_ROOT / "releases").rglob("*") if p.is_file()
    ),
}
with time_machine.travel(timezone.now() + timedelta(seconds=61)):
    release.refresh_from_db()
    state["stopped_later"] = release.worker_stopped
    state["page_says"] = "The worker stopped before the build ended" in client.get(url).text
    release = release_build(release=release)
state["rebuilt"] = release.status
state["files"] = dict(release.files.values_list("name", "sha256"))
print(json.dumps(state))
"""

BUILD = """
from grading.models import Release
from grading.releases.services import release_build
release = release_build(release=Release.objects.get())
files = dict(release.files.values_list("name", "sha256"))
print(json.dumps({"status": release.status, "files": files}))
"""


def test_a_release_build_killed_midway_leaves_nothing_served_and_builds_again(tmp_path):
    env = child_env(tmp_path)
    run_child(env, SETUP)
    shutil.copy(tmp_path / "db.sqlite3", tmp_path / "reference.sqlite3")

    kill_when_ready(env, BUILD_KILLED)
    state = run_child(env, STATE)

    assert state["status"] == "building"
    assert not state["stopped_now"]
    assert state["rows"] == 0
    assert state["download"] == 404
    assert len(state["stored"]) >= 1  # the killed build had moved a file into place...
    assert state["stopped_later"]  # ...but once its heartbeat is old it shows failed
    assert state["page_says"]
    assert state["rebuilt"] == "built"
    reference = run_child(
        child_env(tmp_path, media="reference-media", database="reference.sqlite3"), BUILD
    )
    assert reference["status"] == "built"
    assert state["files"] == reference["files"]  # the same bytes as an uninterrupted build
    assert "killed-1.0.0.zip" in state["files"]


IMPORT_SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from pathlib import Path
from curation.importing.uploads import upload_store
from curation.models import Job
from tests.factories import BenchmarkFactory, MembershipFactory, UserFactory
benchmark = BenchmarkFactory(slug="killed")
manager = UserFactory(username="mei")
MembershipFactory(benchmark=benchmark, user=manager, role="manager")
with Path("tests/data/native_cases.jsonl").open("rb") as f:
    stored = upload_store(
        file=f, user=manager, benchmark_slug="killed", kind="cases",
        options={"format": "native", "approved": False, "points_map": None},
    )
job = Job.objects.create(
    benchmark=benchmark, kind="import_cases", created_by=manager,
    input={"token": stored.token, "dry_run": False, "options": stored.options},
)
print(json.dumps({"job": job.pk}))
"""

# Killed after the cases were written, inside the import's transaction, before it commits.
IMPORT_KILLED = """
from curation.jobs import JobProgress, job_run
from curation.models import Job
def hang(self, done, total):
    print("READY", flush=True)
    time.sleep(300)
JobProgress.__call__ = hang
job_run(job=Job.objects.get())
"""

IMPORT_STATE = """
from datetime import timedelta
import time_machine
from django.test import override_settings
from django.utils import timezone
from curation.jobs import job_retry
from curation.models import Case, Job
job = Job.objects.get()
state = {"status": job.status, "cases": Case.objects.count(), "stopped_now": job.worker_stopped}
with time_machine.travel(timezone.now() + timedelta(seconds=61)):
    job.refresh_from_db()
    state["stopped_later"] = job.worker_stopped
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate):
        rerun = job_retry(job=job)
job.refresh_from_db()
state.update(
    killed=[job.status, job.error],
    rerun=rerun.status,
    created=rerun.result["report"]["created"],
    cases_after=Case.objects.count(),
)
print(json.dumps(state))
"""


def test_an_import_killed_midway_writes_nothing_and_runs_again(tmp_path):
    env = child_env(tmp_path)
    run_child(env, IMPORT_SETUP)

    kill_when_ready(env, IMPORT_KILLED)
    state = run_child(env, IMPORT_STATE)

    assert state["status"] == "running"
    assert state["cases"] == 0  # the transaction never committed
    assert not state["stopped_now"]
    assert state["stopped_later"]
    assert state["killed"] == ["failed", "worker stopped"]
    assert state["rerun"] == "done"
    assert state["created"] == ["CC-0001", "CC-0002"]
    assert state["cases_after"] == 2
