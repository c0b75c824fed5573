"""Models under test and their responses; raters and labels; campaigns, items, assignments."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from curation.models import Benchmark, CaseVersion, Criterion, heartbeat_stopped


class ModelUnderTest(models.Model):
    """An LLM whose outputs are graded. Graders never see its name."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("model")
        verbose_name_plural = _("models")

    def __str__(self) -> str:
        return self.name


class Response(models.Model):
    """One output of one model for the exact case version it answered."""

    case_version = models.ForeignKey(
        CaseVersion, on_delete=models.PROTECT, related_name="responses"
    )
    model = models.ForeignKey(ModelUnderTest, on_delete=models.PROTECT, related_name="responses")
    sample = models.PositiveIntegerField(_("sample"), default=0)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case_version", "model", "sample"], name="response_unique_sample"
            )
        ]
        ordering = ["case_version", "model", "sample"]
        verbose_name = _("model response")
        verbose_name_plural = _("model responses")

    def __str__(self) -> str:
        return f"{self.case_version} · {self.model} · {self.sample}"


# --- Raters and their labels ---


class Rater(models.Model):
    """Who gives labels: a person (a grader, or a physician whose labels were imported) or a
    judge model (name + version, e.g. `clinconsensus-judge-8b` `2025-06`).

    `name` is how label files name the rater (`rater` in the DESIGN label format): a person's
    username, a judge's name.
    """

    class Kind(models.TextChoices):
        HUMAN = "human", _("Human")
        JUDGE = "judge", _("Judge")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    # People with an account; a physician known only from an imported label file has none.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rater",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=200)
    version = models.CharField(_("version"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "name", "version"], name="rater_unique_name"),
            models.CheckConstraint(
                condition=models.Q(kind="human") | models.Q(user__isnull=True),
                name="rater_judge_has_no_user",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="rater_name_not_empty"),
        ]
        ordering = ["kind", "name", "version"]
        verbose_name = _("rater")
        verbose_name_plural = _("raters")

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Label(models.Model):
    """One rater's judgement of one criterion on one response: met or not, with a note.

    Kept per response x criterion (not per screen), the unit of consensus. A grader's label
    belongs to the assignment it was given in and counts once that assignment is submitted;
    an imported label has no assignment.
    """

    # The rater's and the response's own indexes would repeat the heads of the indexes below.
    rater = models.ForeignKey(
        Rater,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="labels",
        verbose_name=_("rater"),
    )
    response = models.ForeignKey(
        Response,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="labels",
        verbose_name=_("model response"),
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="labels", verbose_name=_("criterion")
    )
    assignment = models.ForeignKey(
        "Assignment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="labels",
        verbose_name=_("assignment"),
    )
    met = models.BooleanField(_("met"))
    note = models.TextField(_("note"), blank=True)
    seconds_spent = models.PositiveIntegerField(_("seconds spent"), default=0)
    # Flags on the row itself (not a join at read time) so the consensus rule and the agreement
    # statistics, which read millions of labels, filter them with a plain column test. Set only
    # by services: `calibration` by label_set (the label was made on a calibration screen: it is
    # scored against the calibration gold label, never counted towards consensus or agreement);
    # `excluded` by grader_exclude / assignment_submit (a manager took the grader's labels out
    # of consensus; reversible).
    calibration = models.BooleanField(_("calibration label"), default=False)
    excluded = models.BooleanField(_("excluded from consensus"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rater", "response", "criterion"], name="label_unique_per_rater"
            ),
            models.CheckConstraint(
                condition=models.Q(calibration=False) | models.Q(assignment__isnull=False),
                name="label_calibration_has_assignment",
            ),
        ]
        # Each holds every column its readers need, so that they read the index alone (an
        # index-only scan, on PostgreSQL once vacuumed), not the rows: the labels of an item
        # (consensus, adjudication, judges on the gold set) and a rater's labels (the agreement
        # statistics read hundreds of thousands of them).
        indexes = [
            models.Index(fields=["response", "criterion", "rater", "met"], name="label_item"),
            models.Index(
                fields=["rater", "response", "criterion", "met", "calibration", "assignment"],
                name="label_rater_item",
            ),
        ]
        ordering = ["response", "criterion", "rater"]
        verbose_name = _("label")
        verbose_name_plural = _("labels")

    def __str__(self) -> str:
        return f"{self.rater} · {self.response_id} · {self.criterion_id} · {self.met}"


class LabelHistory(models.Model):
    """Every change of a person's label, the first mark included: what it became and when."""

    label = models.ForeignKey(
        Label, on_delete=models.CASCADE, related_name="history", verbose_name=_("label")
    )
    previous_met = models.BooleanField(_("before"), null=True, blank=True)
    met = models.BooleanField(_("met"))
    note = models.TextField(_("note"), blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["label", "changed_at", "pk"]
        verbose_name = _("label change")
        verbose_name_plural = _("label history")

    def __str__(self) -> str:
        return f"{self.label_id}: {self.previous_met} -> {self.met}"


# --- Campaigns: what is graded, by whom, how many times ---


class Campaign(models.Model):
    """A round of blind grading: responses of some models to some approved case versions.

    Each case version's responses are cut into screens (items) of `responses_per_screen`; each
    item is graded by `graders_per_item` people from the grader pool.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("campaign status", "Open")
        CLOSED = "closed", _("Closed")

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.CASCADE, related_name="campaigns", verbose_name=_("benchmark")
    )
    name = models.CharField(_("name"), max_length=200)
    models_under_test = models.ManyToManyField(
        ModelUnderTest, related_name="campaigns", verbose_name=_("models")
    )
    graders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="grading_campaigns",
        verbose_name=_("grader pool"),
    )
    graders_per_item = models.PositiveSmallIntegerField(
        _("graders per item"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    responses_per_screen = models.PositiveSmallIntegerField(
        _("responses per screen"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(4)],
    )
    show_reference_answer = models.BooleanField(_("show the reference answer"), default=False)
    # Share of the campaign's screens that are calibration screens (0..0.5).
    calibration_rate = models.FloatField(
        _("calibration rate"), default=0, validators=[MinValueValidator(0), MaxValueValidator(0.5)]
    )
    show_feedback = models.BooleanField(_("feedback to graders"), default=False)
    due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "name"], name="campaign_unique_name"),
            models.CheckConstraint(
                condition=models.Q(responses_per_screen__gte=2, responses_per_screen__lte=4),
                name="campaign_responses_per_screen_2_to_4",
            ),
            models.CheckConstraint(
                condition=models.Q(graders_per_item__gte=1), name="campaign_graders_per_item_min"
            ),
            models.CheckConstraint(
                condition=models.Q(calibration_rate__gte=0, calibration_rate__lte=0.5),
                name="campaign_calibration_rate_0_to_half",
            ),
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class CampaignItem(models.Model):
    """One screen to grade: a case version and 1-4 of its responses.

    `slots_open` counts the graders still needed; it only goes down, by one per assignment,
    under the item's row lock, and can never go below zero (a positive field: the database
    refuses), so no item is ever handed to more graders than the campaign asks for.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("campaign")
    )
    case_version = models.ForeignKey(
        CaseVersion,
        on_delete=models.PROTECT,
        related_name="campaign_items",
        verbose_name=_("case version"),
    )
    position = models.PositiveIntegerField(_("position"))
    slots_open = models.PositiveSmallIntegerField(_("graders still needed"))
    # A calibration screen: its responses are calibration items (grading.services.calibration).
    # Graders never learn this: it leaves the server in nothing they receive.
    calibration = models.BooleanField(_("calibration screen"), default=False)
    responses = models.ManyToManyField(
        Response,
        through="CampaignItemResponse",
        related_name="campaign_items",
        verbose_name=_("model responses"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "position"], name="campaign_item_unique_position"
            )
        ]
        indexes = [
            # "next": the open items of a campaign, the most advanced first, in campaign order.
            models.Index(
                fields=["campaign", "slots_open", "position"],
                condition=models.Q(slots_open__gt=0),
                name="campaign_item_open",
            )
        ]
        ordering = ["campaign", "position"]
        verbose_name = _("campaign item")
        verbose_name_plural = _("campaign items")

    def __str__(self) -> str:
        return f"{self.campaign} #{self.position}"


class CampaignItemResponse(models.Model):
    item = models.ForeignKey(CampaignItem, on_delete=models.CASCADE, related_name="item_responses")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "response"], name="item_response_unique"),
            models.UniqueConstraint(fields=["item", "position"], name="item_response_position"),
        ]
        ordering = ["item", "position"]
        verbose_name = _("item response")
        verbose_name_plural = _("item responses")

    def __str__(self) -> str:
        return f"{self.item} · {self.position}"


class Assignment(models.Model):
    """One grader's copy of one item: claimed, then submitted once every cell is marked.

    `seed` fixes the order (and so the letters A-D) in which this grader sees the responses.
    """

    item = models.ForeignKey(
        CampaignItem, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("item")
    )
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="grading_assignments",
        verbose_name=_("grader"),
    )
    seed = models.PositiveIntegerField(_("order seed"))
    claimed_at = models.DateTimeField(_("claimed at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(_("seconds spent"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "grader"], name="assignment_one_per_grader")
        ]
        indexes = [
            models.Index(
                fields=["grader", "claimed_at"],
                condition=models.Q(submitted_at__isnull=True),
                name="assignment_unfinished",
            )
        ]
        ordering = ["claimed_at", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.item} · {self.grader}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


# --- Grader quality control (grading.services.calibration holds the rules) ---


class CalibrationItem(models.Model):
    """A response with a known answer: its gold label for every criterion of its rubric, copied
    when a manager marked it (from the consensus, or given for a whole graded response), so the
    answer key stays fixed whatever later happens to the real item's consensus.

    Graders get it on calibration screens mixed into campaigns; their labels there are scored
    against this key and kept out of consensus and agreement (`Label.calibration`).
    """

    benchmark = models.ForeignKey(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="calibration_items",
        verbose_name=_("benchmark"),
    )
    response = models.OneToOneField(
        Response,
        on_delete=models.CASCADE,
        related_name="calibration_item",
        verbose_name=_("model response"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("marked by"),
    )
    created_at = models.DateTimeField(_("marked at"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("calibration item")
        verbose_name_plural = _("calibration items")

    def __str__(self) -> str:
        return f"{self.benchmark_id} · {self.response_id}"


class CalibrationGold(models.Model):
    """The answer key of a calibration item for one criterion, with the rationale shown to
    graders as feedback (the adjudicator's, when the consensus was adjudicated)."""

    item = models.ForeignKey(
        CalibrationItem, on_delete=models.CASCADE, related_name="gold", verbose_name=_("item")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="+", verbose_name=_("criterion")
    )
    met = models.BooleanField(_("met"))
    rationale = models.TextField(_("rationale"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "criterion"], name="calibration_gold_unique")
        ]
        ordering = ["item", "criterion"]
        verbose_name = _("calibration gold label")
        verbose_name_plural = _("calibration gold labels")

    def __str__(self) -> str:
        return f"{self.item_id} · {self.criterion_id} · {self.met}"


class GraderState(models.Model):
    """What a manager decided about one grader of one benchmark: paused (no new screens),
    calibration screens still due (their next screens), labels excluded from consensus."""

    benchmark = models.ForeignKey(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="grader_states",
        verbose_name=_("benchmark"),
    )
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="grader_states",
        verbose_name=_("grader"),
    )
    paused = models.BooleanField(_("paused"), default=False)
    calibration_due = models.PositiveSmallIntegerField(_("calibration screens due"), default=0)
    excluded = models.BooleanField(_("excluded from consensus"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "grader"], name="grader_state_unique")
        ]
        ordering = ["benchmark", "grader"]
        verbose_name = _("grader state")
        verbose_name_plural = _("grader states")

    def __str__(self) -> str:
        return f"{self.benchmark_id} · {self.grader_id}"


class GraderQualitySettings(models.Model):
    """A benchmark's threshold: graders whose calibration accuracy (or, without calibration
    labels, agreement with consensus) is under it are flagged on the graders page."""

    benchmark = models.OneToOneField(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="grader_quality_settings",
        verbose_name=_("benchmark"),
    )
    threshold = models.FloatField(
        _("threshold"), default=0.8, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0, threshold__lte=1),
                name="grader_quality_threshold_0_to_1",
            )
        ]
        verbose_name = _("grader quality settings")
        verbose_name_plural = _("grader quality settings")

    def __str__(self) -> str:
        return str(self.benchmark_id)


# --- Grade QC: senior reviewers check a sample of submitted grades (grading.grade_qc) ---


class GradeQcSettings(models.Model):
    """The share of each grader's submitted grades a benchmark samples for QC, and the seed that
    makes the random sample reproducible."""

    benchmark = models.OneToOneField(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="grade_qc_settings",
        verbose_name=_("benchmark"),
    )
    share = models.FloatField(
        _("share of grades checked"),
        default=0.05,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    seed = models.PositiveIntegerField(_("sampling seed"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share__gte=0, share__lte=1), name="grade_qc_share_0_to_1"
            )
        ]
        verbose_name = _("grade QC settings")
        verbose_name_plural = _("grade QC settings")

    def __str__(self) -> str:
        return str(self.benchmark_id)


class GradeCheck(models.Model):
    """One sampled grade (a grader's submitted label) in the QC queue, then its outcome.

    Open while `verdict` is empty. A correction never overwrites the grader's label: it is a QC
    outcome (the reviewer's value and reason) that feeds the grader figures. `grader_met` is the
    grader's mark the reviewer judged, kept should the label change later.
    """

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")

    benchmark = models.ForeignKey(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="grade_checks",
        verbose_name=_("benchmark"),
    )
    label = models.OneToOneField(
        Label, on_delete=models.CASCADE, related_name="qc_check", verbose_name=_("label")
    )
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("grader"),
    )
    sampled_at = models.DateTimeField(_("sampled at"))
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    grader_met = models.BooleanField(_("grader's mark"), null=True, blank=True)
    corrected_met = models.BooleanField(_("corrected mark"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict="")
                | (
                    models.Q(reviewer__isnull=False, checked_at__isnull=False)
                    & models.Q(grader_met__isnull=False)
                ),
                name="grade_check_verdict_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="corrected")
                | (models.Q(corrected_met__isnull=False) & ~models.Q(reason="")),
                name="grade_check_correction_has_value_and_reason",
            ),
        ]
        indexes = [
            # The queue in its order (a draw samples many grades at once), so a page reads 50.
            models.Index(
                fields=["benchmark", "sampled_at", "id"],
                condition=models.Q(verdict=""),
                name="grade_check_open",
            ),
            models.Index(fields=["benchmark", "grader"], name="grade_check_grader"),
        ]
        ordering = ["sampled_at", "pk"]
        verbose_name = _("grade check")
        verbose_name_plural = _("grade checks")

    def __str__(self) -> str:
        return f"{self.label_id} · {self.verdict or '-'}"


# --- Consensus and adjudication (grading.services.consensus and .adjudication hold the rules) ---


class Consensus(models.Model):
    """The gold label of one response x criterion: what the humans agreed, or what an adjudicator
    decided. Made only from submitted human labels; removed when a label change reopens the item.
    """

    class Method(models.TextChoices):
        UNANIMOUS = "unanimous", _("Unanimous")
        MAJORITY = "majority", _("Majority")
        ADJUDICATED = "adjudicated", _("Adjudicated")

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.CASCADE, related_name="consensus", verbose_name=_("benchmark")
    )
    response = models.ForeignKey(
        Response,
        on_delete=models.CASCADE,
        related_name="consensus",
        verbose_name=_("model response"),
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="consensus", verbose_name=_("criterion")
    )
    met = models.BooleanField(_("met"))
    method = models.CharField(_("method"), max_length=12, choices=Method)
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjudicator"),
    )
    rationale = models.TextField(_("rationale"), blank=True)
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "criterion"], name="consensus_unique_item"),
            models.CheckConstraint(
                condition=~models.Q(method="adjudicated")
                | (models.Q(adjudicator__isnull=False) & ~models.Q(rationale="")),
                name="consensus_adjudicated_has_adjudicator_and_rationale",
            ),
        ]
        indexes = [models.Index(fields=["benchmark", "method"], name="consensus_benchmark_method")]
        ordering = ["response", "criterion"]
        verbose_name = _("consensus label")
        verbose_name_plural = _("consensus labels")

    def __str__(self) -> str:
        return f"{self.response_id} · {self.criterion_id} · {self.met} ({self.method})"


class AdjudicationItem(models.Model):
    """A response x criterion whose submitted human labels disagree: the adjudication queue.

    Created when the rule sends an item to adjudication and kept afterwards, so the queue, the
    history of reopenings and the optimistic check live in one row. `revision` goes up with every
    change of the item's label state or status; a decision must carry the revision it was shown.
    `labels_digest` fingerprints the counted labels (rater and met), so a later label change is
    told apart from a repeated import of the same labels.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("adjudication item status", "Open")
        DECIDED = "decided", _("Decided")
        FLAGGED = "flagged", _("Criterion flagged")
        SETTLED = "settled", _("Settled by the graders")

    benchmark = models.ForeignKey(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="adjudication_items",
        verbose_name=_("benchmark"),
    )
    response = models.ForeignKey(
        Response,
        on_delete=models.CASCADE,
        related_name="adjudication_items",
        verbose_name=_("model response"),
    )
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.CASCADE,
        related_name="adjudication_items",
        verbose_name=_("criterion"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    labels_digest = models.CharField(_("label state"), max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "criterion"], name="adjudication_item_unique_item"
            )
        ]
        indexes = [
            # The queue in its order (oldest first, then by id), so a page reads 50 entries.
            models.Index(
                fields=["benchmark", "opened_at", "id"],
                condition=models.Q(status="open"),
                name="adjudication_item_open",
            ),
            # The count of each status, from the index alone.
            models.Index(fields=["benchmark", "status"], name="adjudication_item_status"),
        ]
        ordering = ["opened_at", "pk"]
        verbose_name = _("adjudication item")
        verbose_name_plural = _("adjudication items")

    def __str__(self) -> str:
        return f"{self.response_id} · {self.criterion_id} ({self.status})"


class CriterionFlag(models.Model):
    """An adjudicator's finding that a criterion (a key in one case version) is ambiguous.

    The criterion stays out of the gold set; the case's authors see the reason as a revision
    request, and a new version of the case (with new criterion rows) settles it.
    """

    criterion = models.OneToOneField(
        Criterion, on_delete=models.CASCADE, related_name="flag", verbose_name=_("criterion")
    )
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("flagged by"),
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="criterion_flag_reason")
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("flagged criterion")
        verbose_name_plural = _("flagged criteria")

    def __str__(self) -> str:
        return f"{self.criterion} · {self.reason[:60]}"


class AdjudicationSettings(models.Model):
    """What a benchmark's managers let adjudicators see. Blind by default."""

    benchmark = models.OneToOneField(
        Benchmark,
        on_delete=models.CASCADE,
        related_name="adjudication_settings",
        verbose_name=_("benchmark"),
    )
    show_grader_names = models.BooleanField(_("show graders' names"), default=False)
    show_judge_labels = models.BooleanField(_("show judge labels"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("adjudication settings")
        verbose_name_plural = _("adjudication settings")

    def __str__(self) -> str:
        return str(self.benchmark)


class Release(models.Model):
    """A frozen, citable export of a benchmark's approved case versions (and, if chosen, their
    responses, consensus labels and statistics). Built into files whose sha256 the manifest
    lists; never changed once published (grading.releases.services refuses)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        BUILDING = "building", _("Building")
        BUILT = "built", _("Built")
        FAILED = "failed", _("Failed")
        PUBLISHED = "published", _("Published")

    benchmark = models.ForeignKey(
        Benchmark, on_delete=models.CASCADE, related_name="releases", verbose_name=_("benchmark")
    )
    version = models.CharField(_("version"), max_length=40)
    # The parts of the version, for ordering and the "never backwards" rule.
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    patch = models.PositiveIntegerField()
    notes = models.TextField(_("notes"), blank=True)
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    case_versions = models.ManyToManyField(
        CaseVersion, related_name="releases", verbose_name=_("case versions")
    )
    include_responses = models.BooleanField(_("include model responses"), default=True)
    include_labels = models.BooleanField(_("include consensus labels"), default=True)
    include_statistics = models.BooleanField(_("include statistics"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Written by the build as it goes; a build whose heartbeat is older than the limit has lost
    # its worker (curation.jobs.heartbeat_stopped).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    manifest = models.JSONField(_("manifest"), default=dict, blank=True)
    changelog = models.JSONField(_("changelog"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "version"], name="release_unique_version")
        ]
        ordering = ["benchmark", "-major", "-minor", "-patch"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    def __str__(self) -> str:
        return f"{self.benchmark.slug} {self.version}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def worker_stopped(self) -> bool:
        """Building, but the build has given no sign of life for too long: shown as failed, and
        it may be built again."""
        return self.status == self.Status.BUILDING and heartbeat_stopped(self.heartbeat_at)

    @property
    def step_label(self) -> str:
        """The build's current step (`message` holds its key), translated."""
        from grading.releases.building import STEPS

        return STEPS.get(self.message, self.message)


class ReleaseFile(models.Model):
    """One generated file of a release, stored in the default storage."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="files", verbose_name=_("release")
    )
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(_("stored as"), max_length=500)
    size = models.PositiveBigIntegerField(_("bytes"))
    sha256 = models.CharField(_("sha256"), max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "name"], name="release_file_unique_name")
        ]
        ordering = ["release", "name"]
        verbose_name = _("release file")
        verbose_name_plural = _("release files")

    def __str__(self) -> str:
        return self.name
