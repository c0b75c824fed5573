from django.apps import apps
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from curation.models import AuditEvent, Benchmark


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    benchmark: Benchmark | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Record one state change. Call inside the service's transaction so both land or neither."""
    return AuditEvent.objects.create(
        benchmark=benchmark,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk)[:64],
        object_repr=str(obj)[:300],
        data=data or {},
    )


# What each recorded action means, for the audit page and its CSV. An action missing here is shown
# as its code (apps add theirs here when they add one; tests/test_audit_trail.py checks).
ACTIONS: dict[str, str] = {
    "benchmark.create": _("Created the benchmark"),
    "membership.add": _("Added a member"),
    "membership.update": _("Changed a member's roles"),
    "membership.remove": _("Removed a member"),
    "facet.create": _("Added a facet"),
    "facet.update": _("Changed a facet"),
    "facet.delete": _("Deleted a facet"),
    "term.create": _("Added a term"),
    "term.update": _("Changed a term"),
    "term.delete": _("Deleted a term"),
    "case.create": _("Created a case"),
    "case.retire": _("Retired a case"),
    "case_version.save_draft": _("Saved a draft"),
    "case_version.submit": _("Submitted a version for review"),
    "case_version.new_draft": _("Started a new version"),
    "case_version.restore": _("Restored an earlier version"),
    "criterion.add": _("Added a criterion"),
    "criterion.update": _("Changed a criterion"),
    "criterion.delete": _("Deleted a criterion"),
    "criteria.reorder": _("Reordered the criteria"),
    "criterion.flag": _("Flagged a criterion for revision"),
    "cases_imported": _("Imported cases"),
    "cases_imported_approved": _("Imported approved cases"),
    "review.start": _("Started a review"),
    "review.decide": _("Decided a review"),
    "review.close": _("Closed a review round"),
    "review.spot_check": _("Sent a case back to review (spot check)"),
    "review.spot_check_sample": _("Drew a spot-check sample"),
    "responses_imported": _("Imported model responses"),
    "labels_imported": _("Imported labels"),
    "campaign.create": _("Created a campaign"),
    "campaign.close": _("Closed a campaign"),
    "campaign.reopen": _("Reopened a campaign"),
    "campaign.calibration": _("Changed a campaign's calibration"),
    "assignment.claim": _("Took an item to grade"),
    "assignment.submit": _("Submitted a graded item"),
    "label.set": _("Marked a criterion"),
    "consensus.refresh": _("Applied the consensus rule"),
    "adjudication.decide": _("Decided a disagreement"),
    "adjudication.settings": _("Changed the adjudication settings"),
    "calibration.mark": _("Made a response a calibration item"),
    "calibration.retire": _("Retired a calibration item"),
    "grader.pause": _("Paused a grader"),
    "grader.resume": _("Let a grader go on"),
    "grader.calibration_set": _("Sent a grader a calibration set"),
    "grader.exclude": _("Excluded a grader from consensus"),
    "grader.include": _("Counted a grader in consensus again"),
    "grader.threshold": _("Changed the grader quality threshold"),
    "grade_qc.settings": _("Changed the grade QC settings"),
    "grade_qc.draw": _("Drew grades for QC"),
    "grade_qc.confirmed": _("Confirmed a grade (grade QC)"),
    "grade_qc.corrected": _("Corrected a grade (grade QC)"),
    "release.create": _("Created a release"),
    "release.build": _("Built a release"),
    "release.build_failed": _("A release build failed"),
    "release.publish": _("Published a release"),
    "release.delete": _("Deleted a release"),
    "endpoint_created": _("Added a model endpoint"),
    "endpoint_changed": _("Changed a model endpoint"),
    "run_collect_started": _("Started collecting model responses"),
    "run_judge_started": _("Started a judge run"),
    "run_resumed": _("Resumed a run"),
    "api_token.create": _("Created an API token"),
    "api_token.revoke": _("Revoked an API token"),
}

# The kinds of object events are about, for the page's filter (others show their model's name).
OBJECT_TYPES = [
    "curation.benchmark",
    "accounts.user",
    "curation.facet",
    "curation.term",
    "curation.case",
    "curation.caseversion",
    "curation.review",
    "grading.campaign",
    "grading.assignment",
    "grading.label",
    "grading.adjudicationitem",
    "grading.calibrationitem",
    "grading.graderstate",
    "grading.gradecheck",
    "grading.release",
    "runner.endpoint",
    "runner.run",
]


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def object_type_label(object_type: str) -> str:
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(capfirst(model._meta.verbose_name))


def event_details(data: dict, limit: int = 300) -> str:
    """The event's details on one line, `key: value; ...` (lists joined), cut at `limit`."""

    def text(value) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {text(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list | tuple):
            return ", ".join(text(v) for v in value)
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        return "—" if value is None else str(value)

    line = "; ".join(f"{key}: {text(value)}" for key, value in data.items())
    return line if len(line) <= limit else line[: limit - 1] + "…"
