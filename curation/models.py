"""Benchmarks, who works on them, their taxonomy, and their cases with immutable versions."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Stores Chinese as itself rather than as \\u escapes.

    So a text search (`icontains`) over JSON fields finds it on SQLite too, and it takes half the
    space.
    """

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def default_qc_checklist() -> list[str]:
    # Stored in English as keys; the UI translates the default items (see curation.checklist).
    return [
        "clinically_accurate",
        "reference_answer_correct",
        "criteria_atomic",
        "key_points_covered",
        "safety_items_present",
        "no_identifying_information",
        "tags_right",
    ]


class Benchmark(models.Model):
    class ConsensusRule(models.TextChoices):
        UNANIMOUS = "unanimous", _("Unanimous (any disagreement is adjudicated)")
        STRICT_MAJORITY = "strict_majority", _("Strict majority with at least 3 graders")

    slug = models.SlugField(_("slug"), unique=True, max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    default_k = models.PositiveSmallIntegerField(
        _("default k for CACS"), default=10, validators=[MinValueValidator(1)]
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    consensus_rule = models.CharField(
        _("consensus rule"), max_length=20, choices=ConsensusRule, default=ConsensusRule.UNANIMOUS
    )
    approvals_required = models.PositiveSmallIntegerField(
        _("approvals required"), default=1, validators=[MinValueValidator(1)]
    )
    qc_checklist = models.JSONField(_("QC checklist"), default=default_qc_checklist, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("benchmark")
        verbose_name_plural = _("benchmarks")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AUTHOR = "author", _("Author")
    REVIEWER = "reviewer", _("Reviewer")
    GRADER = "grader", _("Grader")
    ADJUDICATOR = "adjudicator", _("Adjudicator")
    MANAGER = "manager", _("Manager")


class Membership(models.Model):
    """One role of one person in one benchmark; a person holds several roles as several rows."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["benchmark", "user", "role"], name="membership_unique_role"
            )
        ]
        ordering = ["user__username", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.benchmark}"


class Facet(models.Model):
    """A dimension of the taxonomy (specialty, task, care stage...); statistics stratify by it."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="facets")
    key = models.SlugField(_("key"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "key"], name="facet_unique_key")
        ]
        ordering = ["position", "key"]
        verbose_name = _("facet")
        verbose_name_plural = _("facets")

    def __str__(self) -> str:
        return self.name


class Term(models.Model):
    facet = models.ForeignKey(Facet, on_delete=models.CASCADE, related_name="terms")
    value = models.CharField(_("value"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["facet", "value"], name="term_unique_value")]
        ordering = ["position", "value"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return self.value


class MessageRole(models.TextChoices):
    SYSTEM = "system", _("System")
    USER = "user", _("User")
    ASSISTANT = "assistant", _("Assistant")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


class Case(models.Model):
    """The stable identity of a case; its content lives in versions."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="cases")
    external_id = models.CharField(_("case id"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus, default=CaseStatus.DRAFT, db_index=True
    )
    current_version = models.OneToOneField(
        "CaseVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["benchmark", "external_id"], name="case_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["benchmark", "status"], name="case_benchmark_status"),
            models.Index(fields=["benchmark", "updated_at"], name="case_benchmark_updated"),
        ]
        ordering = ["external_id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.external_id


class CaseVersion(models.Model):
    """The content of a case at one point. Frozen (never written again) once submitted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=300, blank=True)
    messages = models.JSONField(_("messages"), default=list, encoder=UnicodeJSONEncoder)
    reference_answer = models.TextField(_("reference answer"), blank=True)
    terms = models.ManyToManyField(Term, blank=True, related_name="case_versions")
    # Fields a source format keeps apart (ClinConsensus clinical_context, user_request, user_role;
    # HealthBench prompt_id, example_tags, ideal_completions_data), kept so exports round-trip.
    source_fields = models.JSONField(
        _("source fields"), default=dict, blank=True, encoder=UnicodeJSONEncoder
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authored_versions",
        verbose_name=_("author"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent version"),
    )
    change_note = models.TextField(_("change note"), blank=True)
    # Bumped by every save of a draft: a save carrying an older revision is a conflicting edit.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="case_version_unique_number")
        ]
        ordering = ["case", "number"]
        verbose_name = _("case version")
        verbose_name_plural = _("case versions")

    def __str__(self) -> str:
        return f"{self.case.external_id} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.submitted_at is not None

    def clean(self) -> None:
        super().clean()
        validate_messages(self.messages)


def validate_messages(messages) -> None:
    """A conversation is a list of {role, content} turns with a known role and text content."""
    if not isinstance(messages, list):
        raise ValidationError({"messages": _("The conversation must be a list of turns.")})
    roles = set(MessageRole.values)
    for number, message in enumerate(messages, start=1):
        if (
            not isinstance(message, dict)
            or set(message) != {"role", "content"}
            or message["role"] not in roles
            or not isinstance(message["content"], str)
        ):
            raise ValidationError(
                {
                    "messages": _(
                        "Turn %(number)d must have a role (system, user or assistant) and a text."
                    )
                    % {"number": number}
                }
            )


def validate_nonzero(value: int) -> None:
    if value == 0:
        raise ValidationError(
            _("Points cannot be 0: use a positive number, or a negative one for a penalty.")
        )


def validate_tags(tags) -> None:
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ValidationError(_("Tags must be a list of non-empty words."))


class Criterion(models.Model):
    # Its own index would repeat the head of the indexes below.
    version = models.ForeignKey(
        CaseVersion, on_delete=models.CASCADE, db_index=False, related_name="criteria"
    )
    # Kept across versions (e.g. "c07") so a criterion can be followed through revisions.
    key = models.CharField(_("key"), max_length=50)
    position = models.PositiveIntegerField(_("position"))
    text = models.TextField(_("text"))
    # Negative points mark undesirable behaviour (a penalty), as in HealthBench (-10..+10).
    points = models.IntegerField(
        _("points"),
        default=1,
        validators=[MinValueValidator(-10), MaxValueValidator(10), validate_nonzero],
    )
    tags = models.JSONField(
        _("tags"), default=list, blank=True, encoder=UnicodeJSONEncoder, validators=[validate_tags]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="criterion_unique_key"),
            models.CheckConstraint(condition=~models.Q(key=""), name="criterion_key_not_empty"),
        ]
        # A version's rubric in order; with the points, all the statistics read of a criterion
        # (on SQLite, whose indexes hold the row id, from the index alone).
        indexes = [
            models.Index(fields=["version", "position", "points"], name="criterion_version_order")
        ]
        ordering = ["version", "position"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return f"{self.key}: {self.text[:60]}"


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or remove a recorded audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """Who did what, when. Written by services only, never changed afterwards: saving an existing
    event, deleting one and bulk updates or deletes raise AuditTrailIsAppendOnly, and a benchmark
    or person with recorded events cannot be deleted (PROTECT)."""

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The manager's audit page: a benchmark's events, newest first.
            models.Index(fields=["benchmark", "-created_at", "-id"], name="audit_benchmark_recent"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")


# --- QC review (curation.services.review holds the rules) ---


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REQUEST_CHANGES = "request_changes", _("Request changes")


class ReviewRound(models.Model):
    """One pass of QC review over a frozen case version: after its submission, or a spot check.

    Approvals are counted per round, so a spot check of an approved version starts afresh. At most
    one round of a version is open (`closed_at` empty) at a time.
    """

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Submission")
        SPOT_CHECK = "spot_check", _("Spot check")

    class Outcome(models.TextChoices):
        APPROVED = CaseStatus.APPROVED.value, CaseStatus.APPROVED.label
        CHANGES_REQUESTED = CaseStatus.CHANGES_REQUESTED.value, CaseStatus.CHANGES_REQUESTED.label

    version = models.ForeignKey(
        CaseVersion,
        on_delete=models.CASCADE,
        related_name="review_rounds",
        verbose_name=_("case version"),
    )
    number = models.PositiveSmallIntegerField(_("round"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.SUBMISSION)
    # Fixed when the round opens, so changing the benchmark's setting never strands a round.
    approvals_required = models.PositiveSmallIntegerField(
        _("approvals required"), default=1, validators=[MinValueValidator(1)]
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "number"], name="review_round_unique_number"
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(closed_at__isnull=True),
                name="review_round_one_open_per_version",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, outcome="")
                | (models.Q(closed_at__isnull=False) & ~models.Q(outcome="")),
                name="review_round_closed_with_outcome",
            ),
        ]
        ordering = ["version", "number"]
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")

    def __str__(self) -> str:
        return f"{self.version} · {self.number}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Review(models.Model):
    """One reviewer's QC review of a case version, within one round.

    Started (a row without decision) when the reviewer takes the case; decided once, never
    changed afterwards.
    """

    round = models.ForeignKey(
        ReviewRound, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("round")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("reviewer"),
    )
    # {checklist key: confirmed}, over the benchmark's checklist at the time of the decision.
    checklist = models.JSONField(
        _("checklist"), default=dict, blank=True, encoder=UnicodeJSONEncoder
    )
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "reviewer"], name="review_one_per_round"),
            models.CheckConstraint(
                condition=models.Q(decided_at__isnull=True, decision="")
                | (models.Q(decided_at__isnull=False) & ~models.Q(decision="")),
                name="review_decided_with_decision",
            ),
        ]
        ordering = ["round", "decided_at", "pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.round.version} · {self.reviewer}"

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None


class ReviewComment(models.Model):
    """A reviewer's comment on one criterion (by its key, which survives revisions).

    The comment on the case as a whole is `Review.comment`.
    """

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="comments", verbose_name=_("review")
    )
    criterion_key = models.CharField(_("criterion"), max_length=50)
    text = models.TextField(_("text"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion_key"], name="review_comment_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=~models.Q(criterion_key=""), name="review_comment_key_not_empty"
            ),
        ]
        ordering = ["review", "pk"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.text[:60]}"


def heartbeat_stopped(heartbeat_at) -> bool:
    """Whether work whose last sign of life was at `heartbeat_at` has lost its worker: nothing
    for longer than settings.JOB_HEARTBEAT_LIMIT seconds (or no sign at all)."""
    if heartbeat_at is None:
        return True
    limit = timedelta(seconds=settings.JOB_HEARTBEAT_LIMIT)
    return timezone.now() - heartbeat_at > limit


class Job(models.Model):
    """A long piece of work run by the background worker (django-tasks): an import confirmed in
    the browser, or the statistics of a benchmark. The worker stores its progress, a heartbeat
    and the outcome here; the job page polls them.

    It lives in curation, not in grading, because curation's own case import runs as a job and
    curation may not import grading, while grading's imports and statistics can use it as it is:
    what a job does is named by `kind` and found in the runner registry (`curation.jobs`).
    A release keeps its build state on its own row (it has files and a manifest besides) under
    the same heartbeat rule (`curation.jobs.heartbeat_stopped`).
    """

    class Kind(models.TextChoices):
        IMPORT_CASES = "import_cases", _("Case import")
        IMPORT_RESPONSES = "import_responses", _("Response import")
        IMPORT_LABELS = "import_labels", _("Label import")
        STATISTICS = "statistics", _("Statistics")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("benchmark")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    # What the runner needs (the stored upload, the options); never shown as such.
    input = models.JSONField(_("input"), default=dict, blank=True, encoder=UnicodeJSONEncoder)
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps"), default=0)
    # A key of curation.jobs.STEPS, translated when shown.
    step = models.CharField(_("step"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True, encoder=UnicodeJSONEncoder)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["benchmark", "kind", "-created_at"], name="job_recent")]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def worker_stopped(self) -> bool:
        """Running, but the worker has given no sign of life for too long: shown as failed."""
        return self.status == self.Status.RUNNING and heartbeat_stopped(self.heartbeat_at)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and not self.worker_stopped

    @property
    def step_label(self) -> str:
        from curation.jobs import STEPS

        return STEPS.get(self.step, self.step)
