"""Every state change is audited: each service function that writes is driven through its service
here and must leave an audit event. The list of service functions is read from the service
modules, so a new one without an entry below fails `test_every_service_function_is_classified`."""

import importlib
import importlib.util
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as tokens
from curation.audit import ACTIONS
from curation.importing import cases_import
from curation.models import AuditEvent, Case, CaseStatus, CaseVersion, Role
from curation.services import authoring, members, review, taxonomy
from grading.grade_qc import services as grade_qc
from grading.importing import responses_import
from grading.label_import import labels_import
from grading.models import (
    AdjudicationItem,
    Assignment,
    GradeCheck,
    GradeQcSettings,
    Release,
    Response,
)
from grading.releases import services as releases
from grading.services import (
    adjudication,
    assignment,
    calibration,
    campaigns,
    consensus,
    labels,
)
from runner import services as runner
from runner.models import ItemStatus, ResponseItem, Run
from tests.factories import FacetFactory, LabelFactory, TermFactory, UserFactory
from tests.grading_support import approved_version, campaign_over, mark_all
from tests.release_support import cut, gold, media  # noqa: F401 (fixture)
from tests.review_support import submitted_case

DATA = Path(__file__).parent / "data"

# Modules holding service functions besides the `services` packages (their imports).
OTHER_SERVICE_MODULES = [
    "curation.importing.service",
    "curation.jobs",
    "grading.grade_qc.services",
    "grading.importing",
    "grading.label_import",
    "grading.releases.services",
]

# Public functions of those modules that change nothing: checks, reads and helpers.
READS = {
    "adjudication_refusal",
    "adjudication_settings_get",
    "available_items",
    "case_version_problems",
    "clamp_seconds",
    "consensus_outcome",
    "counted_labels",
    "grader_campaigns",
    "grader_state",
    "grade_check_refusal",
    "grade_qc_settings_get",
    "grader_threshold",
    "job_can_retry",
    "job_type",
    "job_type_register",
    "label_state",
    "release_file_export",
    "guess_format",
    "labels_digest",
    "lock_for_write",
    "missing_cells",
    "parse_line",
    "parse_version",
    "previous_release",
    "release_file_open",
    "screens",
    "storage_path",
    "submission_problems",
    "unfinished_assignments",
    "version_content",
    "version_problems",
}

# Writes that are part of an audited one, and why they need no event of their own.
COVERED_BY_ANOTHER = {
    # Creates the grader's rater record on a first claim or mark, which is audited.
    "rater_for": "assignment.claim",
    # Inside assignment_next: a calibration screen made and a sent calibration set used.
    "calibration_screen_new": "assignment.claim",
    "calibration_take_due": "assignment.claim",
    # The judge's rater record, made when a judge run starts.
    "judge_rater": "run_judge_started",
    # A job row names who started it and when; the work it runs records its own events (an
    # import's cases_imported, responses_imported, labels_imported), statistics change nothing.
    "job_start": "cases_imported",
    "job_retry": "cases_imported",
    "job_run": "cases_imported",
}


@dataclass
class World:
    benchmark: object
    author: object
    reviewer: object
    grader: object
    grader2: object
    adjudicator: object
    manager: object


def _draft(w: World):
    case = authoring.case_create(
        benchmark=w.benchmark,
        external_id="CC-0500",
        by=w.author,
        title="Chest pain",
        messages=[{"role": "user", "content": "Chest pain for two hours."}],
        reference_answer="Call an ambulance.",
        criteria=[{"text": "Calls 120", "points": 5}, {"text": "Orders an ECG", "points": 3}],
    )
    return case.current_version


def _approved(w: World) -> Case:
    case = submitted_case(w.benchmark, w.author, external_id="CC-0600")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)
    case.refresh_from_db()
    return case


def _assignment(w: World, grader=None) -> Assignment:
    version = approved_version(w.benchmark, "CC-0700", criteria=2, models=("model-a",))
    campaign_over(w.benchmark, [version], by=w.manager, graders=[w.grader, w.grader2])
    grader = grader or w.grader
    return assignment.assignment_next(grader=grader, benchmark=w.benchmark)


def _submitted(w: World, grader, met: bool) -> None:
    claimed = assignment.assignment_next(grader=grader, benchmark=w.benchmark)
    mark_all(claimed, by=grader, met=met)
    assignment.assignment_submit(assignment=claimed, by=grader)


def _open_item(w: World) -> AdjudicationItem:
    version = approved_version(w.benchmark, "CC-0800", criteria=1, models=("model-a",))
    response = Response.objects.get(case_version=version)
    criterion = version.criteria.get()
    for met in (True, False):
        LabelFactory(response=response, criterion=criterion, met=met)
    consensus.consensus_refresh(items=[(response.pk, criterion.pk)])
    return AdjudicationItem.objects.get(response=response, criterion=criterion)


def _built(w: World) -> Release:
    gold(w.benchmark, w.adjudicator, cases=1)
    release = cut(w.benchmark, w.manager)
    return releases.release_build(release=release)


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes())


def _import_cases(w: World):
    return cases_import(
        benchmark=w.benchmark,
        file=_upload("native_cases.jsonl"),
        fmt="native",
        actor=w.manager,
        approved=True,
    )


def _label_file(w: World) -> SimpleUploadedFile:
    """A human label disagreeing with one already there, so the import's consensus refresh opens
    an adjudication item."""
    version = approved_version(w.benchmark, "CC-0900", criteria=1, models=("model-a",))
    LabelFactory(
        response=Response.objects.get(case_version=version),
        criterion=version.criteria.get(),
        met=False,
    )
    line = (
        '{"case": "CC-0900", "model": "model-a", "sample": 0, "criterion": "c01", '
        '"rater": "dr_wang", "rater_kind": "human", "met": true, "note": ""}'
    )
    return SimpleUploadedFile("labels.jsonl", line.encode())


# Actions about no benchmark in particular (staff read them in the admin).
SITE_WIDE = {"api_token.create", "api_token.revoke"}

# service function -> (the scenario: it sets the world up and returns the call; the actions that
# call must record)
Scenario = Callable[[World], Callable[[], object]]
WRITES: dict[str, tuple[Scenario, set[str]]] = {}


def writes(name: str, *actions: str):
    def register(scenario: Scenario) -> Scenario:
        WRITES[name] = (scenario, set(actions))
        return scenario

    return register


# --- Cases and versions ---


@writes("case_create", "case.create")
def _case_create(w):
    return lambda: _draft(w)


@writes("case_version_save_draft", "case_version.save_draft")
def _save_draft(w):
    draft = _draft(w)
    return lambda: authoring.case_version_save_draft(
        version=draft,
        by=w.author,
        expected_revision=draft.revision,
        title="Chest pain, revised",
        messages=draft.messages,
        reference_answer=draft.reference_answer,
        terms=[],
        change_note="",
    )


@writes("criterion_add", "criterion.add")
def _criterion_add(w):
    draft = _draft(w)
    return lambda: authoring.criterion_add(
        version=draft, by=w.author, expected_revision=draft.revision, text="Asks about aspirin"
    )


@writes("criterion_update", "criterion.update")
def _criterion_update(w):
    draft = _draft(w)
    return lambda: authoring.criterion_update(
        criterion=draft.criteria.get(key="c01"),
        by=w.author,
        expected_revision=draft.revision,
        text="Calls 120 at once",
        points=5,
        tags=[],
    )


@writes("criterion_delete", "criterion.delete")
def _criterion_delete(w):
    draft = _draft(w)
    return lambda: authoring.criterion_delete(
        criterion=draft.criteria.get(key="c02"), by=w.author, expected_revision=draft.revision
    )


@writes("criteria_reorder", "criteria.reorder")
def _criteria_reorder(w):
    draft = _draft(w)
    return lambda: authoring.criteria_reorder(
        version=draft, by=w.author, expected_revision=draft.revision, keys=["c02", "c01"]
    )


@writes("case_version_submit", "case_version.submit")
def _submit(w):
    draft = _draft(w)
    return lambda: authoring.case_version_submit(version=draft, by=w.author)


@writes("case_new_draft", "case_version.new_draft")
def _new_draft(w):
    case = _approved(w)
    return lambda: authoring.case_new_draft(case=case, by=w.author)


@writes("case_version_restore", "case_version.restore")
def _restore(w):
    case = _approved(w)
    return lambda: authoring.case_version_restore(version=case.current_version, by=w.author)


@writes("case_retire", "case.retire")
def _retire(w):
    case = _approved(w)
    return lambda: authoring.case_retire(case=case, by=w.manager)


@writes("cases_import", "cases_imported_approved")
def _cases_import(w):
    return lambda: _import_cases(w)


# --- QC review ---


@writes("review_start", "review.start")
def _review_start(w):
    case = submitted_case(w.benchmark, w.author, external_id="CC-0610")
    return lambda: review.review_start(version=case.current_version, reviewer=w.reviewer)


@writes("review_decide", "review.decide")
def _review_decide(w):
    case = submitted_case(w.benchmark, w.author, external_id="CC-0620")
    return lambda: review.review_decide(
        version=case.current_version,
        reviewer=w.reviewer,
        checklist=dict.fromkeys(w.benchmark.qc_checklist, True),
        decision="request_changes",
        comment="c02 is vague.",
    )


@writes("review_spot_check", "review.spot_check", "review.spot_check_sample")
def _spot_check(w):
    _approved(w)
    return lambda: review.review_spot_check(benchmark=w.benchmark, share=1, by=w.manager)


# --- Members and taxonomy ---


@writes("membership_add", "membership.add")
def _membership_add(w):
    user = UserFactory()
    return lambda: members.membership_add(
        benchmark=w.benchmark, user=user, roles=[Role.GRADER], by=w.manager
    )


@writes("membership_set_roles", "membership.update")
def _membership_set_roles(w):
    return lambda: members.membership_set_roles(
        benchmark=w.benchmark, user=w.grader, roles=[Role.GRADER, Role.AUTHOR], by=w.manager
    )


@writes("membership_remove", "membership.remove")
def _membership_remove(w):
    return lambda: members.membership_remove(benchmark=w.benchmark, user=w.grader, by=w.manager)


@writes("facet_create", "facet.create")
def _facet_create(w):
    return lambda: taxonomy.facet_create(
        benchmark=w.benchmark, key="specialty", name="Specialty", by=w.manager
    )


@writes("facet_update", "facet.update")
def _facet_update(w):
    facet = FacetFactory(benchmark=w.benchmark)
    return lambda: taxonomy.facet_update(facet=facet, name="Speciality", by=w.manager)


@writes("facet_delete", "facet.delete")
def _facet_delete(w):
    facet = FacetFactory(benchmark=w.benchmark)
    return lambda: taxonomy.facet_delete(facet=facet, by=w.manager)


@writes("term_create", "term.create")
def _term_create(w):
    facet = FacetFactory(benchmark=w.benchmark)
    return lambda: taxonomy.term_create(facet=facet, value="Cardiology", by=w.manager)


@writes("term_update", "term.update")
def _term_update(w):
    term = TermFactory(facet=FacetFactory(benchmark=w.benchmark))
    return lambda: taxonomy.term_update(term=term, value="心内科", by=w.manager)


@writes("term_delete", "term.delete")
def _term_delete(w):
    term = TermFactory(facet=FacetFactory(benchmark=w.benchmark))
    return lambda: taxonomy.term_delete(term=term, by=w.manager)


# --- Grading: campaigns, assignments, labels, consensus, adjudication ---


@writes("campaign_create", "campaign.create")
def _campaign_create(w):
    version = approved_version(w.benchmark, "CC-0710")
    return lambda: campaign_over(
        w.benchmark, [version], by=w.manager, graders=[w.grader, w.grader2]
    )


@writes("campaign_set_status", "campaign.close")
def _campaign_close(w):
    version = approved_version(w.benchmark, "CC-0720")
    campaign = campaign_over(w.benchmark, [version], by=w.manager, graders=[w.grader, w.grader2])
    return lambda: campaigns.campaign_set_status(campaign=campaign, status="closed", by=w.manager)


@writes("assignment_next", "assignment.claim")
def _assignment_next(w):
    version = approved_version(w.benchmark, "CC-0730")
    campaign_over(w.benchmark, [version], by=w.manager, graders=[w.grader, w.grader2])
    return lambda: assignment.assignment_next(grader=w.grader, benchmark=w.benchmark)


@writes("label_set", "label.set")
def _label_set(w):
    claimed = _assignment(w)
    return lambda: labels.label_set(
        assignment=claimed,
        by=w.grader,
        response=claimed.item.responses.first(),
        criterion=claimed.item.case_version.criteria.first(),
        met=True,
    )


@writes("assignment_submit", "assignment.submit")
def _assignment_submit(w):
    claimed = _assignment(w)
    mark_all(claimed, by=w.grader)
    return lambda: assignment.assignment_submit(assignment=claimed, by=w.grader)


@writes("consensus_refresh", "consensus.refresh")
def _consensus_refresh(w):
    _assignment(w)
    _submitted(w, w.grader, met=True)
    return lambda: _submitted(w, w.grader2, met=False)  # the second submission sets it off


@writes("adjudication_decide", "adjudication.decide")
def _adjudication_decide(w):
    item = _open_item(w)
    return lambda: adjudication.adjudication_decide(
        item=item,
        by=w.adjudicator,
        met=True,
        rationale="The response names the red flags.",
        revision=item.revision,
    )


@writes("adjudication_flag", "criterion.flag")
def _adjudication_flag(w):
    item = _open_item(w)
    return lambda: adjudication.adjudication_flag(
        item=item, by=w.adjudicator, reason="Two criteria in one.", revision=item.revision
    )


@writes("adjudication_settings_set", "adjudication.settings")
def _adjudication_settings(w):
    return lambda: adjudication.adjudication_settings_set(
        benchmark=w.benchmark, by=w.manager, show_grader_names=True, show_judge_labels=False
    )


# --- Grader quality: calibration ---


def _calibration_item(w: World):
    version = approved_version(w.benchmark, "CC-0740", criteria=2, models=("model-a",))
    return calibration.calibration_item_mark(
        benchmark=w.benchmark,
        response=Response.objects.get(case_version=version),
        by=w.manager,
        gold={"c01": True, "c02": False},
    )


@writes("calibration_item_mark", "calibration.mark")
def _calibration_mark(w):
    return lambda: _calibration_item(w)


@writes("calibration_item_retire", "calibration.retire")
def _calibration_retire(w):
    item = _calibration_item(w)
    return lambda: calibration.calibration_item_retire(item=item, by=w.manager)


@writes("campaign_calibration_set", "campaign.calibration")
def _campaign_calibration(w):
    _calibration_item(w)
    version = approved_version(w.benchmark, "CC-0750")
    campaign = campaign_over(w.benchmark, [version], by=w.manager, graders=[w.grader, w.grader2])
    return lambda: calibration.campaign_calibration_set(
        campaign=campaign, by=w.manager, rate=0.2, show_feedback=True
    )


@writes("grader_pause", "grader.pause")
def _grader_pause(w):
    return lambda: calibration.grader_pause(
        benchmark=w.benchmark, grader=w.grader, by=w.manager, paused=True
    )


@writes("grader_send_calibration", "grader.calibration_set")
def _grader_send_calibration(w):
    _calibration_item(w)
    return lambda: calibration.grader_send_calibration(
        benchmark=w.benchmark, grader=w.grader, by=w.manager, count=2
    )


@writes("grader_exclude", "grader.exclude")
def _grader_exclude(w):
    return lambda: calibration.grader_exclude(benchmark=w.benchmark, grader=w.grader, by=w.manager)


@writes("grader_threshold_set", "grader.threshold")
def _grader_threshold(w):
    return lambda: calibration.grader_threshold_set(
        benchmark=w.benchmark, by=w.manager, threshold=0.7
    )


# --- Imports of responses and labels ---


@writes("responses_import", "responses_imported")
def _responses_import(w):
    _import_cases(w)
    return lambda: responses_import(
        benchmark=w.benchmark, file=_upload("responses.jsonl"), actor=w.manager
    )


@writes("labels_import", "labels_imported", "consensus.refresh")
def _labels_import(w):
    upload = _label_file(w)
    return lambda: labels_import(benchmark=w.benchmark, file=upload, actor=w.manager)


# --- Grade QC ---


def _graded(w: World) -> None:
    """Both graders submit the same screen: two grades each."""
    _assignment(w)
    _submitted(w, w.grader, met=True)
    _submitted(w, w.grader2, met=True)


@writes("grade_qc_settings_set", "grade_qc.settings", "grade_qc.draw")
def _grade_qc_settings(w):
    _graded(w)
    return lambda: grade_qc.grade_qc_settings_set(
        benchmark=w.benchmark, by=w.manager, share=0.5, seed=7
    )


@writes("grade_qc_draw", "grade_qc.draw")
def _grade_qc_draw(w):
    _graded(w)
    GradeQcSettings.objects.create(benchmark=w.benchmark, share=1, seed=7)
    return lambda: grade_qc.grade_qc_draw(benchmark=w.benchmark, by=w.manager)


@writes("grade_check_verdict", "grade_qc.confirmed", "grade_qc.corrected")
def _grade_check_verdict(w):
    _graded(w)
    grade_qc.grade_qc_settings_set(benchmark=w.benchmark, by=w.manager, share=1, seed=7)
    first, second = GradeCheck.objects.select_related("label")[:2]

    def confirm_one_correct_another():
        for check, verdict, reason in ((first, "confirmed", ""), (second, "corrected", "No ECG.")):
            grade_qc.grade_check_verdict(
                check=check,
                by=w.adjudicator,
                verdict=verdict,
                reason=reason,
                state=grade_qc.label_state(check.label),
            )

    return confirm_one_correct_another


# --- Model runs and API tokens ---

ENDPOINT = {
    "name": "fake-gpt",
    "base_url": "http://127.0.0.1:9/v1",
    "model": "fake-gpt-1",
    "temperature": 0.0,
    "concurrency": 4,
    "requests_per_minute": 600,
    "timeout_seconds": 1,
    "max_retries": 1,
    "price_input": "2.5",
    "price_output": "10",
}


def _endpoint(w: World):
    return runner.endpoint_create(benchmark=w.benchmark, by=w.manager, data=ENDPOINT)


def _collection(w: World):
    version = approved_version(w.benchmark, "CC-0770", criteria=1, models=())
    return runner.collection_start(
        endpoint=_endpoint(w),
        by=w.manager,
        case_versions=CaseVersion.objects.filter(pk=version.pk),
        samples=1,
    )


@writes("endpoint_create", "endpoint_created")
def _endpoint_create(w):
    return lambda: _endpoint(w)


@writes("endpoint_update", "endpoint_changed")
def _endpoint_update(w):
    endpoint = _endpoint(w)
    return lambda: runner.endpoint_update(
        endpoint=endpoint, by=w.manager, data=ENDPOINT | {"temperature": 0.5}
    )


@writes("collection_start", "run_collect_started")
def _collection_start(w):
    return lambda: _collection(w)


@writes("judging_start", "run_judge_started")
def _judging_start(w):
    version = approved_version(w.benchmark, "CC-0780", criteria=1, models=("model-a",))
    endpoint = _endpoint(w)
    return lambda: runner.judging_start(
        endpoint=endpoint, by=w.manager, responses=Response.objects.filter(case_version=version)
    )


@writes("run_resume", "run_resumed")
def _run_resume(w):
    run = _collection(w)
    # As a run ends with a failed item (the runner's own tests fail one through the fake server).
    Run.objects.filter(pk=run.pk).update(status=Run.Status.INCOMPLETE)
    ResponseItem.objects.filter(run=run).update(status=ItemStatus.FAILED)
    return lambda: runner.run_resume(run=run, by=w.manager)


@writes("api_token_create", "api_token.create")
def _api_token_create(w):
    return lambda: tokens.api_token_create(user=w.manager, name="script", days=30)


@writes("api_token_revoke", "api_token.revoke")
def _api_token_revoke(w):
    token, _plain = tokens.api_token_create(user=w.manager, name="script", days=30)
    return lambda: tokens.api_token_revoke(token=token)


# --- Releases ---


@writes("release_create", "release.create")
def _release_create(w):
    gold(w.benchmark, w.adjudicator, cases=1)
    return lambda: cut(w.benchmark, w.manager)


@writes("release_build", "release.build")
def _release_build(w):
    gold(w.benchmark, w.adjudicator, cases=1)
    release = cut(w.benchmark, w.manager)
    return lambda: releases.release_build(release=release)


@writes("release_publish", "release.publish")
def _release_publish(w):
    release = _built(w)
    return lambda: releases.release_publish(release=release, by=w.manager)


@writes("release_delete", "release.delete")
def _release_delete(w):
    release = _built(w)
    return lambda: releases.release_delete(release=release, by=w.manager)


def service_modules() -> list[ModuleType]:
    """The `services` module or package of every project app, and OTHER_SERVICE_MODULES."""
    modules = []
    for app in apps.get_app_configs():
        if Path(app.path).parent != settings.BASE_DIR or not (
            importlib.util.find_spec(f"{app.name}.services")
        ):
            continue
        services = importlib.import_module(f"{app.name}.services")
        modules.append(services)
        for info in pkgutil.iter_modules(getattr(services, "__path__", [])):
            modules.append(importlib.import_module(f"{services.__name__}.{info.name}"))
    return modules + [importlib.import_module(name) for name in OTHER_SERVICE_MODULES]


def service_functions() -> set[str]:
    return {
        name
        for module in service_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


def test_every_service_function_is_classified():
    found = service_functions()

    unclassified = found - READS - COVERED_BY_ANOTHER.keys() - WRITES.keys()
    gone = (READS | COVERED_BY_ANOTHER.keys() | WRITES.keys()) - found

    assert not unclassified, f"new service functions: add them to WRITES or READS: {unclassified}"
    assert not gone, f"listed but no longer service functions: {gone}"


@pytest.fixture
def world(benchmark, author, reviewer, grader, adjudicator, manager, media):  # noqa: F811
    grader2 = UserFactory(username="gu_grader2")
    members.membership_add(benchmark=benchmark, user=grader2, roles=[Role.GRADER], by=manager)
    return World(benchmark, author, reviewer, grader, grader2, adjudicator, manager)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_service_function_records_an_audit_event(world, name):
    scenario, expected = WRITES[name]
    call = scenario(world)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    call()

    recorded = list(AuditEvent.objects.filter(pk__gt=last).select_related("actor"))
    actions = {event.action for event in recorded}
    assert expected <= actions, f"{name} recorded {actions or 'nothing'}, expected {expected}"
    assert actions <= ACTIONS.keys(), f"give {actions - ACTIONS.keys()} a label in curation.audit"
    for event in recorded:
        if event.action in expected:
            site_wide = event.action in SITE_WIDE
            assert event.benchmark_id == (None if site_wide else world.benchmark.pk)
            assert event.object_type
            assert event.object_id
            assert event.object_repr


def test_audited_actions_name_the_person_except_background_work(world):
    """Everything a person does is recorded under their name; only a background release build
    runs on its own (the person who asked for it is on release.create)."""
    for name in ("assignment_submit", "membership_add", "release_build"):
        scenario, _expected = WRITES[name]
        scenario(world)()

    anonymous = set(
        AuditEvent.objects.filter(actor=None).values_list("action", flat=True).distinct()
    )
    assert anonymous == {"release.build"}


def test_token_events_never_hold_the_token_or_its_digest(world):
    token, plain = tokens.api_token_create(user=world.manager, name="script", days=30)
    digest, prefix = token.digest, token.token_key
    tokens.api_token_revoke(token=token)

    events = AuditEvent.objects.filter(action__startswith="api_token.")
    assert events.count() == 2
    for event in events:
        text = f"{event.object_id} {event.object_repr} {event.data}"
        assert plain not in text
        assert digest not in text
        assert event.data["prefix"] == prefix
