"""Every route of the site, and one benchmark's worth of objects that each of its URLs reaches.

Used by the permission matrix (tests/test_permission_matrix.py) and the blindness audit
(tests/test_blindness.py): the routes come from the URL configuration itself, so a new route is
in both the moment it is added.
"""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.services import api_token_create
from curation.models import Job, Role
from curation.services import authoring
from grading.models import GradeCheck
from grading.releases.services import release_build
from grading.services.assignment import assignment_next
from grading.services.calibration import calibration_item_mark
from grading.services.labels import label_set
from runner.models import Run
from tests.factories import FacetFactory, TermFactory, UserFactory
from tests.grading_support import campaign_over
from tests.release_support import cut, gold
from tests.review_support import CRITERIA, PROMPT, member, submitted_case
from tests.runner_support import make_endpoint
from tests.test_adjudication_views import disagreement

PERSONAS = (
    "author",
    "reviewer",
    "grader",
    "adjudicator",
    "manager",
    "staff",
    "outsider",
    "anonymous",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_PATH_PARAMETER = re.compile(r"(?<!\?P)<(?:\w+:)?(\w+)>")
_REGEX_PARAMETER = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"; an unnamed route is "namespace:<its pattern>"
    pattern: str  # the whole pattern, from the site root
    parameters: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    def url(self, values: dict[str, str]) -> str:
        def value(match: re.Match) -> str:
            return str(values[match.group(1)])

        path = _REGEX_PARAMETER.sub(value, _PATH_PARAMETER.sub(value, self.pattern))
        return "/" + path.replace("^", "").replace("$", "")


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = entry.name or str(entry.pattern)
            yield Route(
                name=f"{namespace}:{name}" if namespace else name,
                pattern=pattern,
                parameters=tuple(
                    _PATH_PARAMETER.findall(pattern) + _REGEX_PARAMETER.findall(pattern)
                ),
            )


def site_routes() -> list[Route]:
    """Every route of the URL configuration, the API's and the admin's included."""
    return list(_walk(get_resolver().url_patterns))


@dataclass
class World:
    """The personas' clients and the value of every URL parameter, for one benchmark."""

    clients: dict[str, Client]
    values: dict[str, object]
    by_route: dict[str, dict[str, object]]  # values that depend on the route (which `pk`)
    uploads: Path  # the stored import uploads, which confirming or discarding deletes
    uploads_copy: Path

    def restore_uploads(self) -> None:
        shutil.rmtree(self.uploads, ignore_errors=True)
        shutil.copytree(self.uploads_copy, self.uploads)

    def url(self, route: Route) -> str:
        values = self.values | self.by_route_values(route)
        missing = [p for p in route.parameters if p not in values]
        assert not missing, (
            f"No value for the URL parameter(s) {missing} of route {route.name}: add one to "
            "tests/matrix_support.py (build_world) that names a real object."
        )
        url = route.url(values)
        assert resolve(url).route is not None, url
        return url

    def by_route_values(self, route: Route) -> dict[str, object]:
        for fragment, values in self.by_route.items():
            if fragment in route.name:
                return values
        return {}


def _upload(client: Client, route: str, slug: str, line: str, **options) -> str:
    """Upload a one-line file through an import page; the token of its stored preview."""
    upload = SimpleUploadedFile("upload.jsonl", line.encode() + b"\n")
    response = client.post(reverse(route, args=[slug]), {"file": upload, **options})
    assert response.status_code == 302, (route, response.status_code)
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def build_world(benchmark, personas: dict, tmp_path: Path) -> World:
    """Objects for every URL parameter: an approved gold set with a built release, a campaign
    with an item handed to the grader, a disagreement to adjudicate, a case in review, the
    author's draft, a facet with a term and a stored upload of each import."""
    author, manager, grader = personas["author"], personas["manager"], personas["grader"]
    versions = gold(benchmark, personas["adjudicator"], cases=2)
    release = release_build(release=cut(benchmark, manager))
    assert release.files.exists(), release.error
    other_grader = member(benchmark, "olga_other_grader", Role.GRADER)
    campaign = campaign_over(benchmark, versions, by=manager, graders=[grader, other_grader])
    assignment = assignment_next(grader=grader, campaign=campaign)
    item = disagreement(benchmark)
    in_review = submitted_case(benchmark, author, "CC-0010")
    draft = authoring.case_create(
        benchmark=benchmark,
        external_id="CC-0011",
        by=author,
        title="Chest pain",
        messages=PROMPT,
        reference_answer="Call emergency services.",
        criteria=CRITERIA,
    )
    term = TermFactory(facet=FacetFactory(benchmark=benchmark))
    api_token, _plain = api_token_create(user=manager, name="matrix", days=30)
    gold_response = versions[0].responses.first()
    calibration = calibration_item_mark(benchmark=benchmark, response=gold_response, by=manager)
    criterion = assignment.item.case_version.criteria.first()
    label = label_set(
        assignment=assignment,
        by=grader,
        response=assignment.item.responses.first(),
        criterion=criterion,
        met=True,
    )
    check = GradeCheck.objects.create(
        benchmark=benchmark, label=label, grader=grader, sampled_at=timezone.now()
    )
    endpoint = make_endpoint(benchmark, manager, SimpleNamespace(base_url="http://127.0.0.1:9/v1"))
    run = Run.objects.create(
        benchmark=benchmark,
        endpoint=endpoint,
        kind=Run.Kind.COLLECT,
        model=gold_response.model,
        created_by=manager,
    )

    clients = {}
    for persona in PERSONAS:
        clients[persona] = Client()
        if persona != "anonymous":
            clients[persona].force_login(personas[persona])
    slug = benchmark.slug
    files = {
        "cases": '{"id": "CC-0020", "title": "t", "messages": [{"role": "user", "content": "q"}],'
        ' "reference_answer": "a", "criteria": [{"id": "c01", "text": "c", "points": 1}]}',
        "responses": '{"case": "CC-0001", "model": "model-d", "sample": 0, "text": "r"}',
        "labels": '{"case": "CC-0001", "model": "model-a", "sample": 0, "criterion": "c01",'
        ' "rater": "dr_zhao", "rater_kind": "human", "met": true, "note": ""}',
    }
    manager_client = clients["manager"]
    tokens = {
        "cases": _upload(manager_client, "curation:import_cases", slug, files["cases"]),
        "responses": _upload(manager_client, "grading:import_responses", slug, files["responses"]),
        "labels": _upload(
            manager_client, "grading:import_labels", slug, files["labels"], format="jsonl"
        ),
    }
    uploads = Path(settings.MEDIA_ROOT) / "imports"
    shutil.copytree(uploads, tmp_path / "imports-copy")
    return World(
        clients=clients,
        uploads=uploads,
        uploads_copy=tmp_path / "imports-copy",
        values={
            "slug": slug,
            "external_id": draft.external_id,
            "number": 1,
            "key": "c01",
            "letter": "A",
            "user_id": personas["reviewer"].pk,
            "facet_id": term.facet_id,
            "term_id": term.pk,
            "version": release.version,
            "name": release.files.first().name,
            "pk": assignment.pk,
            "digest": api_token.digest,  # the manager's
            "job_id": Job.objects.filter(benchmark=benchmark).latest("pk").pk,  # an import check
            # The admin's pages of one object, and its "view on site" redirect.
            "object_id": benchmark.pk,
            "id": manager.pk,
            "app_label": "curation",
            "url": "no-such-page/",
            "kind": Run.Kind.COLLECT,
            "content_type_id": ContentType.objects.get_for_model(benchmark).pk,
        },
        by_route={
            # Whether another model has an object with the benchmark's id depends on the
            # database's sequences: history pages get an id that exists nowhere.
            "_history": {"object_id": 0},
            "grader": {"user_id": grader.pk},
            "calibration_gold": {"pk": gold_response.pk},
            "calibration_retire": {"pk": calibration.pk},
            "calibration-retire": {"pk": calibration.pk},
            "grade_qc": {"pk": check.pk},
            "grade-qc": {"pk": check.pk},
            "runner:run": {"pk": run.pk},
            "api-runner-run": {"pk": run.pk},
            "runner:endpoint": {"pk": endpoint.pk},
            "api-runner-endpoint": {"pk": endpoint.pk},
            "adjudication": {"pk": item.pk},
            "campaign": {"pk": campaign.pk},
            ":review_": {"external_id": in_review.external_id},
            "api-review-": {"external_id": in_review.external_id},
            "import_cases": {"token": tokens["cases"]},
            "import_responses": {"token": tokens["responses"]},
            "import_labels": {"token": tokens["labels"]},
        },
    )


def staff_user():
    return UserFactory(username="stella_staff", is_staff=True)
