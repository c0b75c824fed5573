"""The consensus rule (DESIGN "Consensus"), applied to response x criterion items whenever
their labels are submitted or imported.

Only submitted human labels count: a grader's label once its assignment is submitted, an
imported human label at once (it has no assignment). Judge labels never count.

- Fewer than 2 counted labels: no consensus, nothing to adjudicate.
- All counted labels agree: consensus `unanimous`.
- The benchmark's rule is `strict_majority`, there are at least 3 counted labels and one answer
  has more than half of them: consensus `majority`.
- Otherwise the item goes to adjudication (an open AdjudicationItem).

An adjudicator's decision stands while the counted labels stay what they were when it was made
(`AdjudicationItem.labels_digest`); any change (a label flipped, a label added) removes the
decided consensus and puts the item back in the queue. A flagged criterion gets no consensus at
all until a new case version replaces it.
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from curation.audit import audit_record
from curation.models import Benchmark
from grading.id_chunks import id_chunks
from grading.models import AdjudicationItem, Consensus, CriterionFlag, Label, Rater

Item = tuple[int, int]  # (response_id, criterion_id)


@dataclass(frozen=True)
class Outcome:
    """What the rule says about one item: `adjudicate`, or consensus `met` by `method`, or
    nothing (`method` and `adjudicate` empty: fewer than two counted labels)."""

    met: bool | None = None
    method: str = ""
    adjudicate: bool = False


def counted_labels() -> Q:
    """The labels the rule counts: human, submitted (imported or in a submitted assignment), not
    made on a calibration screen, not of an excluded grader (grading.services.calibration)."""
    return Q(rater__kind=Rater.Kind.HUMAN, calibration=False, excluded=False) & (
        Q(assignment__isnull=True) | Q(assignment__submitted_at__isnull=False)
    )


def consensus_outcome(votes: list[bool], rule: str) -> Outcome:
    """The rule on one item's counted labels."""
    if len(votes) < 2:
        return Outcome()
    met = sum(votes)
    if met in (0, len(votes)):
        return Outcome(met=bool(met), method=Consensus.Method.UNANIMOUS)
    if rule == Benchmark.ConsensusRule.STRICT_MAJORITY and len(votes) >= 3:
        if 2 * met > len(votes):
            return Outcome(met=True, method=Consensus.Method.MAJORITY)
        if 2 * met < len(votes):
            return Outcome(met=False, method=Consensus.Method.MAJORITY)
    return Outcome(adjudicate=True)


def labels_digest(votes: dict[int, bool]) -> str:
    """A fingerprint of an item's counted labels (who said what), to notice a later change."""
    text = ",".join(f"{rater}:{int(met)}" for rater, met in sorted(votes.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def consensus_refresh(*, items: Iterable[Item], by=None) -> None:
    """Apply the rule to `items` (pairs of response and criterion ids), in a fixed number of
    queries per chunk of responses: consensus created, changed or removed, adjudication items
    opened, reopened or settled. What changed is audited as one event per benchmark, on behalf
    of `by` (whose submission or import set it off)."""
    by_response: dict[int, set[int]] = defaultdict(set)
    for response_id, criterion_id in items:
        by_response[response_id].add(criterion_id)
    changes: Counter[tuple[int, str]] = Counter()
    with transaction.atomic():
        for responses, on_responses in id_chunks(by_response, "response_id"):
            chunk = {r: by_response[r] for r in responses}
            changes.update(_refresh_chunk(chunk, on_responses))
        benchmarks = Benchmark.objects.in_bulk({benchmark_id for benchmark_id, _ in changes})
        for benchmark in benchmarks.values():
            counts = {kind: n for (b, kind), n in sorted(changes.items()) if b == benchmark.pk}
            audit_record(
                actor=by,
                action="consensus.refresh",
                obj=benchmark,
                benchmark=benchmark,
                data=counts,
            )


def _refresh_chunk(chunk: dict[int, set[int]], on_responses: Q) -> Counter[tuple[int, str]]:
    wanted = {(r, c) for r, criteria in chunk.items() for c in criteria}
    votes: dict[Item, dict[int, bool]] = defaultdict(dict)
    benchmarks: dict[Item, tuple[int, str]] = {}
    rows = (
        Label.objects.filter(counted_labels(), on_responses)
        .values_list(
            "response_id",
            "criterion_id",
            "rater_id",
            "met",
            "response__case_version__case__benchmark_id",
            "response__case_version__case__benchmark__consensus_rule",
        )
        .order_by()
    )
    for response_id, criterion_id, rater_id, met, benchmark_id, rule in rows:
        key = (response_id, criterion_id)
        if key in wanted:
            votes[key][rater_id] = met
            benchmarks[key] = (benchmark_id, rule)
    consensus = {
        (c.response_id, c.criterion_id): c
        for c in Consensus.objects.filter(on_responses).order_by()
        if (c.response_id, c.criterion_id) in wanted
    }
    adjudication = {
        (a.response_id, a.criterion_id): a
        for a in AdjudicationItem.objects.filter(on_responses).order_by()
        if (a.response_id, a.criterion_id) in wanted
    }
    flagged = set(
        CriterionFlag.objects.filter(criterion_id__in={c for _r, c in wanted}).values_list(
            "criterion_id", flat=True
        )
    )
    now = timezone.now()
    upserts: list[Consensus] = []
    removed: list[int] = []
    new_items: list[AdjudicationItem] = []
    changed_items: list[AdjudicationItem] = []
    for key in wanted:
        existing = consensus.get(key)
        item = adjudication.get(key)
        item_votes = votes.get(key, {})
        digest = labels_digest(item_votes)
        if key[1] in flagged:
            continue  # out of the gold set until a new case version settles the criterion
        if item is not None and item.status == AdjudicationItem.Status.DECIDED:
            if item.labels_digest == digest:
                continue  # the decision stands
            if existing is not None:
                removed.append(existing.pk)
                existing = None
        outcome = (
            consensus_outcome(list(item_votes.values()), benchmarks[key][1])
            if item_votes
            else Outcome()
        )
        if outcome.adjudicate:
            if existing is not None:
                removed.append(existing.pk)
            if item is None:
                new_items.append(
                    AdjudicationItem(
                        benchmark_id=benchmarks[key][0],
                        response_id=key[0],
                        criterion_id=key[1],
                        opened_at=now,
                        labels_digest=digest,
                    )
                )
            elif item.status != AdjudicationItem.Status.OPEN or item.labels_digest != digest:
                if item.status != AdjudicationItem.Status.OPEN:
                    item.reopened_count += 1
                    item.opened_at = now
                item.status = AdjudicationItem.Status.OPEN
                item.labels_digest = digest
                item.revision += 1
                changed_items.append(item)
            continue
        if item is not None and item.status != AdjudicationItem.Status.SETTLED:
            item.status = AdjudicationItem.Status.SETTLED
            item.labels_digest = digest
            item.revision += 1
            changed_items.append(item)
        if outcome.method:
            if existing is None or (existing.met, existing.method) != (outcome.met, outcome.method):
                upserts.append(
                    Consensus(
                        benchmark_id=benchmarks[key][0],
                        response_id=key[0],
                        criterion_id=key[1],
                        met=outcome.met,
                        method=outcome.method,
                        decided_at=now,
                    )
                )
        elif existing is not None:
            removed.append(existing.pk)
    if removed:
        Consensus.objects.filter(pk__in=removed).delete()
    if upserts:
        Consensus.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["response", "criterion"],
            update_fields=["met", "method", "adjudicator", "rationale", "decided_at"],
        )
    if new_items:
        AdjudicationItem.objects.bulk_create(new_items, ignore_conflicts=True)
    if changed_items:
        AdjudicationItem.objects.bulk_update(
            changed_items, ["status", "labels_digest", "revision", "reopened_count", "opened_at"]
        )
    removed_from = {c.pk: c.benchmark_id for c in consensus.values()}
    return Counter(
        [(c.benchmark_id, "consensus_set") for c in upserts]
        + [(removed_from[pk], "consensus_removed") for pk in removed]
        + [(a.benchmark_id, "adjudication_opened") for a in new_items]
        + [(a.benchmark_id, f"adjudication_{a.status}") for a in changed_items]
    )
