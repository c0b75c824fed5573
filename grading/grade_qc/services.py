"""Writes of grade QC: the managers' settings, drawing the sample, and a reviewer's verdict.

The sample: for each grader, `ceil(share x submitted grades)` of their submitted grades (labels
of submitted assignments; calibration labels are scored against their gold labels instead), the
ones whose seeded key `sha256(seed:label id)` is smallest. Random, yet the same data and seed
always give the same sample, and drawing again after more grades came in only adds to it
(grades already drawn stay drawn, checked or not). Drawing is idempotent and serialised per
benchmark by the settings row's lock.

A verdict is refused, with nothing changed, on one's own grade, on a grade already checked, on a
grade whose mark or note changed after the reviewer read it (`state`), and for a correction
without a reason.
"""

import hashlib
import math

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from curation.audit import audit_record
from curation.models import Benchmark
from grading.models import GradeCheck, GradeQcSettings, Label
from grading.services import GradingError

MAX_REASON = 4000


def grade_qc_settings_get(*, benchmark: Benchmark) -> GradeQcSettings:
    return GradeQcSettings.objects.filter(benchmark=benchmark).first() or GradeQcSettings(
        benchmark=benchmark
    )


def grade_qc_settings_set(*, benchmark: Benchmark, by, share: float, seed: int) -> int:
    """Set the share (0..1) and seed, then draw the sample; returns how many grades were drawn.

    Grades drawn earlier stay in the queue: a smaller share only slows new draws."""
    if not 0 <= share <= 1:
        raise GradingError(gettext("The share must be between 0% and 100%."))
    if seed < 0:
        raise GradingError(gettext("The seed must be a whole number, 0 or more."))
    with transaction.atomic():
        GradeQcSettings.objects.update_or_create(
            benchmark=benchmark, defaults={"share": share, "seed": seed}
        )
        audit_record(
            actor=by,
            action="grade_qc.settings",
            obj=benchmark,
            benchmark=benchmark,
            data={"share": share, "seed": seed},
        )
        return grade_qc_draw(benchmark=benchmark, by=by)


def _key(seed: int, label_id: int) -> bytes:
    return hashlib.sha256(f"{seed}:{label_id}".encode()).digest()


def grade_qc_draw(*, benchmark: Benchmark, by=None, grader=None) -> int:
    """Add to the sample the grades each grader (or only `grader`) submitted since the last
    draw, up to the share; returns how many were added."""
    with transaction.atomic():
        settings, _created = GradeQcSettings.objects.get_or_create(benchmark=benchmark)
        settings = GradeQcSettings.objects.select_for_update().get(pk=settings.pk)
        submitted = Label.objects.filter(
            assignment__item__campaign__benchmark=benchmark,
            assignment__submitted_at__isnull=False,
            calibration=False,
        )
        drawn = GradeCheck.objects.filter(benchmark=benchmark)
        if grader is not None:
            submitted = submitted.filter(assignment__grader=grader)
            drawn = drawn.filter(grader=grader)
        by_grader: dict[int, list[int]] = {}
        for label_id, grader_id in submitted.values_list("pk", "assignment__grader_id"):
            by_grader.setdefault(grader_id, []).append(label_id)
        already = set(drawn.values_list("label_id", flat=True))
        now = timezone.now()
        new = []
        for grader_id, label_ids in sorted(by_grader.items()):
            # round(): 0.05 x 100 is 5.000000000000001 in floating point, not 6 grades.
            wanted = math.ceil(round(settings.share * len(label_ids), 9))
            have = sum(1 for label_id in label_ids if label_id in already)
            fresh = sorted(
                (label_id for label_id in label_ids if label_id not in already),
                key=lambda label_id: _key(settings.seed, label_id),
            )
            new += [
                GradeCheck(
                    benchmark=benchmark, label_id=label_id, grader_id=grader_id, sampled_at=now
                )
                for label_id in fresh[: max(0, wanted - have)]
            ]
        GradeCheck.objects.bulk_create(new)
        if new:
            audit_record(
                actor=by,
                action="grade_qc.draw",
                obj=benchmark,
                benchmark=benchmark,
                data={"drawn": len(new), "share": settings.share, "seed": settings.seed},
            )
    return len(new)


def label_state(label: Label) -> str:
    """A fingerprint of the mark and note the reviewer reads, to tell a stale verdict."""
    return hashlib.sha256(f"{label.met}:{label.note}".encode()).hexdigest()[:16]


def grade_check_refusal(*, check: GradeCheck, by, state: str | None = None) -> str:
    """Why `by` cannot give a verdict on `check` now ("" if they can)."""
    if check.grader_id == by.pk:
        return gettext("This is your own grade; another reviewer must check it.")
    if check.verdict:
        return gettext("This grade was already checked.")
    if state is not None and state != label_state(check.label):
        return gettext("The grade changed after you opened it. Read it again and check it.")
    return ""


def grade_check_verdict(
    *, check: GradeCheck, by, verdict: str, reason: str = "", state: str
) -> GradeCheck:
    """Confirm the grader's mark, or correct it (to the other mark) with a reason. The grader's
    label is left as it is: the correction is a QC outcome (see the package's docstring)."""
    if verdict not in GradeCheck.Verdict.values:
        raise GradingError(gettext("Confirm or correct the grade."))
    reason = (reason or "").strip()
    if verdict == GradeCheck.Verdict.CORRECTED and not reason:
        raise GradingError(gettext("Say why you correct the grade."))
    if len(reason) > MAX_REASON:
        raise GradingError(gettext("Keep it under %(max)d characters.") % {"max": MAX_REASON})
    with transaction.atomic():
        locked = GradeCheck.objects.select_for_update().select_related("label").get(pk=check.pk)
        refusal = grade_check_refusal(check=locked, by=by, state=state)
        if refusal:
            raise GradingError(refusal)
        grader_met = locked.label.met
        locked.verdict = verdict
        locked.reviewer = by
        locked.grader_met = grader_met
        locked.corrected_met = not grader_met if verdict == GradeCheck.Verdict.CORRECTED else None
        locked.reason = reason
        locked.checked_at = timezone.now()
        locked.save()
        audit_record(
            actor=by,
            action=f"grade_qc.{verdict}",
            obj=locked,
            benchmark=locked.benchmark,
            data={
                "label": locked.label_id,
                "grader": locked.grader_id,
                "grader_met": grader_met,
                "corrected_met": locked.corrected_met,
                "reason": reason,
            },
        )
    return locked
