"""Model endpoints, and runs over them: collecting responses, and judging them criterion by
criterion. Each run keeps one item per unit of work, so a rerun does only what is missing."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from curation.models import Benchmark, CaseVersion, Criterion, heartbeat_stopped
from grading.models import ModelUnderTest, Rater, Response


class Endpoint(models.Model):
    """An OpenAI-compatible chat-completions server and the model and sampling used on it.

    The API key is write-only: stored encrypted (`runner.secrets`) or named as an environment
    variable, never shown, logged or exported (no field of it is in any form output, serializer,
    admin page or audit row).
    """

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.CASCADE, related_name="endpoints", verbose_name=_("benchmark")
    )
    name = models.CharField(_("name"), max_length=100)
    base_url = models.URLField(_("base URL"), max_length=500)
    model = models.CharField(_("model name"), max_length=200)
    temperature = models.FloatField(
        _("temperature"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(2)],
    )
    top_p = models.FloatField(
        _("top p"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    max_tokens = models.PositiveIntegerField(_("max tokens"), null=True, blank=True)
    seed = models.IntegerField(_("seed"), null=True, blank=True)
    concurrency = models.PositiveSmallIntegerField(
        _("concurrent requests"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(64)],
    )
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=60, validators=[MinValueValidator(1)]
    )
    timeout_seconds = models.PositiveIntegerField(
        _("timeout (seconds)"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
    )
    max_retries = models.PositiveSmallIntegerField(
        _("retries"), default=4, validators=[MaxValueValidator(20)]
    )
    price_input = models.DecimalField(
        _("price per 1M input tokens"), max_digits=10, decimal_places=4, default=0
    )
    price_output = models.DecimalField(
        _("price per 1M output tokens"), max_digits=10, decimal_places=4, default=0
    )
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_env = models.CharField(_("API key environment variable"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "name"], name="endpoint_unique_name")
        ]
        ordering = ["benchmark", "name"]
        verbose_name = _("endpoint")
        verbose_name_plural = _("endpoints")

    def __str__(self) -> str:
        return self.name

    @property
    def has_stored_key(self) -> bool:
        return bool(self.api_key_encrypted)


class Run(models.Model):
    """One job on an endpoint: collect `samples` responses per selected case version, or judge
    the selected responses one criterion per call. The endpoint's settings at the start are
    kept in `endpoint_settings`; a judge run labels as `rater` (name and version)."""

    class Kind(models.TextChoices):
        COLLECT = "collect", _("Collect responses")
        JUDGE = "judge", _("Judge responses")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        INCOMPLETE = "incomplete", _("Done with failures")
        FAILED = "failed", _("Failed")

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.CASCADE, related_name="runs", verbose_name=_("benchmark")
    )
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.PROTECT, related_name="runs", verbose_name=_("endpoint")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.QUEUED)
    samples = models.PositiveSmallIntegerField(
        _("samples per case"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    endpoint_settings = models.JSONField(_("endpoint settings"), default=dict)
    model = models.ForeignKey(
        ModelUnderTest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("model"),
    )
    rater = models.ForeignKey(
        Rater,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("judge"),
    )
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written by the worker as it goes; a running run whose heartbeat is older than the limit
    # has lost its worker (curation.models.heartbeat_stopped).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="judge", rater__isnull=False)
                | models.Q(kind="collect", model__isnull=False),
                name="run_has_model_or_rater",
            )
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.endpoint_id}"

    @property
    def worker_stopped(self) -> bool:
        """Running, but the worker has given no sign of life for too long: shown as failed, and
        it may be resumed."""
        return self.status == self.Status.RUNNING and heartbeat_stopped(self.heartbeat_at)

    @property
    def shown_status(self) -> "Run.Status":
        """The status as pages and the API show it: a run whose worker stopped has failed."""
        return self.Status.FAILED if self.worker_stopped else self.Status(self.status)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and not self.worker_stopped


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # A judge answered, but not with a JSON true/false: the label stays missing.
    UNPARSED = "unparsed", _("Unparsed answer")


class RunItem(models.Model):
    """What every item keeps: outcome, the answer as returned, tokens and cost."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="%(class)ss")
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus, default=ItemStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    raw = models.TextField(_("answer as returned"), blank=True)
    prompt_tokens = models.PositiveIntegerField(_("input tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=8, default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True


class ResponseItem(RunItem):
    """One sample of one case version to collect; `response` once collected."""

    case_version = models.ForeignKey(
        CaseVersion, on_delete=models.CASCADE, related_name="+", verbose_name=_("case version")
    )
    sample = models.PositiveSmallIntegerField(_("sample"))
    response = models.ForeignKey(
        Response,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("model response"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "case_version", "sample"], name="response_item_unique"
            )
        ]
        indexes = [models.Index(fields=["run", "status"], name="response_item_status")]
        ordering = ["run", "pk"]
        verbose_name = _("response to collect")
        verbose_name_plural = _("responses to collect")

    def __str__(self) -> str:
        return f"{self.run_id} · {self.case_version_id} · {self.sample}"


class JudgeItem(RunItem):
    """One response x criterion to judge; `met` and `explanation` once parsed."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="+", verbose_name=_("model response")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="+", verbose_name=_("criterion")
    )
    met = models.BooleanField(_("met"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "response", "criterion"], name="judge_item_unique"
            )
        ]
        indexes = [models.Index(fields=["run", "status"], name="judge_item_status")]
        ordering = ["run", "pk"]
        verbose_name = _("criterion to judge")
        verbose_name_plural = _("criteria to judge")

    def __str__(self) -> str:
        return f"{self.run_id} · {self.response_id} · {self.criterion_id}"
