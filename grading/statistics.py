"""The statistics of a benchmark (DESIGN "Metrics"), assembled from the label matrices of
`stats_selectors` with the pure functions of `grading.stats`.

- `benchmark_stats` is the DESIGN `compute_stats --json` object;
- `stats_report` adds what the statistics pages show (intervals, facet and tag cuts, the
  physician baseline, confusion matrices, graders against consensus);
- `cached_report` keeps a report until its input changes (`stats_version`).

Keys: models by name; human raters by their rater name (a grader's username, an imported
physician's `rater`); judges by name (see `stats_selectors.judge_raters` for several versions).
"""

import hashlib
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Subquery
from django.utils.translation import gettext

from curation.models import AuditEvent, Benchmark, Facet
from grading import stats_selectors as selectors
from grading.models import Label, LabelHistory, Rater
from grading.stats import (
    Rubric,
    inter_rater,
    inter_rater_intervals,
    json_safe,
    judge_vs_gold,
    judge_vs_gold_intervals,
    lookup,
    model_scores,
    model_scores_intervals,
    pairwise_baseline,
    rubric_rows,
)

CONSENSUS = "consensus"
JUDGE_PREFIX = "judge:"
MODEL_FIGURES = ("rubric_accuracy", "pass_at_k", "cacs_at_k", "healthbench_score")
CACHE_SECONDS = 600


class StatsError(ValueError):
    """A request for statistics that cannot be answered (unknown judge, facet, bad k)."""


@dataclass(frozen=True)
class Source:
    """Where model scores come from: the consensus gold set or one judge."""

    key: str  # "consensus" or "judge:NAME"
    labels: selectors.Labels


def resolve_k(benchmark: Benchmark, k) -> int:
    if k is None:
        return benchmark.default_k
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise StatsError(gettext("k must be a whole number.")) from None
    if k < 1:
        raise StatsError(gettext("k must be at least 1."))
    return k


def resolve_facet(benchmark: Benchmark, key: str) -> Facet:
    facet = Facet.objects.filter(benchmark=benchmark, key=key).first()
    if facet is None:
        known = ", ".join(benchmark.facets.values_list("key", flat=True)) or "-"
        raise StatsError(
            gettext("Unknown facet “%(facet)s”. Facets of this benchmark: %(known)s.")
            % {"facet": key, "known": known}
        )
    return facet


def resolve_source(benchmark: Benchmark, labels: str, judges: dict[int, str]) -> Source:
    """The label source named `consensus` or `judge:NAME` (NAME a key of `judges`)."""
    if labels == CONSENSUS:
        return Source(CONSENSUS, selectors.consensus_labels(benchmark))
    return Source(labels, selectors.judge_labels(benchmark, raters=[_judge_id(labels, judges)]))


def _judge_id(labels: str, judges: dict[int, str]) -> int:
    name = labels.removeprefix(JUDGE_PREFIX) if labels.startswith(JUDGE_PREFIX) else None
    by_key = {key: pk for pk, key in judges.items()}
    if name is None:
        raise StatsError(
            gettext("Labels must be “consensus” or “judge:NAME”, not “%(labels)s”.")
            % {"labels": labels}
        )
    if name not in by_key:
        known = ", ".join(sorted(by_key)) or "-"
        raise StatsError(
            gettext("Unknown judge “%(name)s”. Judges with labels in this benchmark: %(known)s.")
            % {"name": name, "known": known}
        )
    return by_key[name]


# --- Model scores ---


def _rubric(benchmark: Benchmark) -> Rubric:
    columns = selectors.response_columns(benchmark) | selectors.criterion_columns(benchmark)
    return rubric_rows(**columns)


def _scored(rubric: Rubric, source: selectors.Labels):
    """The rubric rows of the responses having at least one label from the source, and the
    source's label of each row (NaN: none)."""
    met = lookup(rubric.item, source.item, source.met)
    labelled = np.unique(rubric.response[~np.isnan(met)])
    rows = np.isin(rubric.response, labelled)
    return rubric.take(rows), met[rows]


def _models_block(rubric, met, k: int, names: dict[int, str], intervals: bool = False) -> dict:
    block = {}
    for model in np.unique(rubric.model):
        rows = rubric.model == model
        columns = {
            "response": rubric.response[rows],
            "points": rubric.points[rows],
            "met": met[rows],
        }
        scores = model_scores(**columns, k=k)
        if intervals:
            scores["intervals"] = model_scores_intervals(**columns, case=rubric.case[rows], k=k)
        block[names[int(model)]] = scores
    return dict(sorted(block.items()))


def _term_rows(rubric, facet: Facet):
    """[(term value, rows of the rubric whose case version carries it)] in the facet's order."""
    terms, link_version, link_term = selectors.facet_terms(facet)
    for term, value in terms.items():
        rows = np.isin(rubric.version, link_version[link_term == term])
        if rows.any():
            yield value, rows


# --- Agreement ---


def _named_codes(rater_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Rater codes ordered by name (so that a pair's a < b is by name), and the names."""
    names = selectors.rater_names(np.unique(rater_ids))
    ordered = sorted(names, key=lambda pk: names[pk])
    code_of = {pk: code for code, pk in enumerate(ordered)}
    codes = np.array([code_of[int(pk)] for pk in rater_ids.tolist()], dtype=np.int64)
    return codes, [names[pk] for pk in ordered]


def _agreement(humans: selectors.Labels, codes: np.ndarray, names: list[str]) -> dict:
    result = inter_rater(item=humans.item, rater=codes, value=humans.met)
    for pair in result["pairs"]:
        pair["a"], pair["b"] = names[pair["a"]], names[pair["b"]]
    return result


def _human_codes(humans: selectors.Labels) -> tuple[np.ndarray, list[str]]:
    if not len(humans):
        return np.zeros(0, dtype=np.int64), []
    # One pass over the rater ids: a dense code per distinct id, then names per code.
    distinct, inverse = np.unique(humans.rater, return_inverse=True)
    codes, names = _named_codes(distinct)
    return codes[inverse], names


# --- Judges ---


def _judge_block(consensus: selectors.Labels, judged: selectors.Labels, judges: dict) -> dict:
    gold_items = consensus.item
    block = {}
    for pk, key in judges.items():
        rows = judged.rater == pk
        judge = lookup(gold_items, judged.item[rows], judged.met[rows])
        block[key] = judge_vs_gold(gold=consensus.met, judge=judge)
    return dict(sorted(block.items()))


# --- The DESIGN object ---


def benchmark_stats(
    *, benchmark: Benchmark, k=None, labels: str = CONSENSUS, by: str | None = None
) -> dict:
    """The DESIGN `compute_stats --json` object of the benchmark (JSON-safe: None, not NaN).

    `labels` chooses the source of the model scores (`consensus` or `judge:NAME`); `by` a facet
    key whose terms get a models block each (a response counts in every term of its case
    version). Raises StatsError for an unknown judge or facet or a bad k.
    """
    k = resolve_k(benchmark, k)
    facet = resolve_facet(benchmark, by) if by else None
    judges = selectors.judge_raters(benchmark)
    source = resolve_source(benchmark, labels, judges)
    consensus = source.labels if source.key == CONSENSUS else selectors.consensus_labels(benchmark)
    rubric, met = _scored(_rubric(benchmark), source.labels)
    names = selectors.model_names(np.unique(rubric.model))
    humans = selectors.human_labels(benchmark)
    codes, rater_list = _human_codes(humans)
    judged = selectors.judge_labels(benchmark, on_consensus=True)
    result = {
        "k": k,
        "inter_rater": _agreement(humans, codes, rater_list),
        "judges": _judge_block(consensus, judged, judges),
        "models": _models_block(rubric, met, k, names),
        "by": {},
    }
    if facet is not None:
        result["by"][facet.key] = {
            value: _models_block(rubric.take(rows), met[rows], k, names)
            for value, rows in _term_rows(rubric, facet)
        }
    return json_safe(result)


# --- What the statistics pages show ---

TABLES = (
    "leaderboard",
    "heatmap",
    "agreement",
    "pairs",
    "agreement_by_term",
    "agreement_by_tag",
    "judges",
    "graders",
)
AGREEMENT_FIGURES = (
    "percent_agreement",
    "cohen_kappa_mean",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
)
JUDGE_FIGURES = ("accuracy", "precision", "recall", "f1", "macro_f1", "cohen_kappa")


def _with_intervals(row: dict, intervals: dict, figures) -> dict:
    for name in figures:
        low, high = intervals.get(name) or (None, None)
        row[f"{name}_low"], row[f"{name}_high"] = low, high
    return row


def _response_versions(rubric: Rubric):
    responses, first = np.unique(rubric.response, return_index=True)
    return responses, rubric.version[first], rubric.case[first]


def _agreement_row(humans, codes, **label) -> dict:
    figures = inter_rater(item=humans.item, rater=codes, value=humans.met)
    return label | {name: figures[name] for name in ("items", "raters", *AGREEMENT_FIGURES)}


def stats_report(
    *, benchmark: Benchmark, k=None, labels: str = CONSENSUS, facet: str | None = None
) -> dict:
    """Every table of the statistics pages, as lists of flat rows (fractions, None where
    undefined; `<figure>_low`/`_high`: the 95% interval resampling cases, seeded).

    - leaderboard: model scores from the chosen source, with intervals;
    - heatmap: rubric accuracy and responses per model x term of the facet;
    - agreement (one row) and pairs: agreement between human raters; agreement_by_term and
      agreement_by_tag: the same figures cut by the facet's terms and by criterion tags;
    - judges: each judge against consensus (with its confusion matrix: tp, fp, fn, tn) and
      HealthBench's pairwise baseline beside it (the judge against each physician, and the
      physicians against each other, on the gold items having the judge's label and >= 2
      physicians' labels; means over physicians);
    - graders: each human rater against consensus on the items both have (n, accuracy, kappa),
      and the mean time per submitted item (screen) of people grading in campaigns.
    """
    k = resolve_k(benchmark, k)
    facets = list(benchmark.facets.values_list("key", "name"))
    facet_obj = resolve_facet(benchmark, facet) if facet else None
    if facet_obj is None and facets:
        facet_obj = resolve_facet(benchmark, facets[0][0])
    judges = selectors.judge_raters(benchmark)
    source = resolve_source(benchmark, labels, judges)
    consensus = source.labels if source.key == CONSENSUS else selectors.consensus_labels(benchmark)
    everything = _rubric(benchmark)
    rubric, met = _scored(everything, source.labels)
    names = selectors.model_names(np.unique(rubric.model))
    humans = selectors.human_labels(benchmark)
    codes, rater_list = _human_codes(humans)
    judged = selectors.judge_labels(benchmark, on_consensus=True)
    responses, response_version, response_case = _response_versions(everything)
    human_case = lookup(humans.response, responses, response_case)

    leaderboard = [
        _with_intervals({"model": name, **scores}, scores.pop("intervals"), MODEL_FIGURES)
        for name, scores in _models_block(rubric, met, k, names, intervals=True).items()
    ]
    tables = {"leaderboard": leaderboard, "heatmap": [], "agreement_by_term": []}
    if facet_obj is not None:
        human_version = lookup(humans.response, responses, response_version)
        terms, link_version, link_term = selectors.facet_terms(facet_obj)
        for term, value in terms.items():
            versions = link_version[link_term == term]
            rows = np.isin(rubric.version, versions)
            block = _models_block(rubric.take(rows), met[rows], k, names)
            tables["heatmap"] += [
                {"term": value, "model": model, "responses": s["responses"]}
                | {name: s[name] for name in MODEL_FIGURES}
                for model, s in block.items()
            ]
            mask = np.isin(human_version, versions)
            tables["agreement_by_term"].append(
                _agreement_row(humans.take(mask), codes[mask], term=value)
            )
    agreement = inter_rater(item=humans.item, rater=codes, value=humans.met)
    for pair in agreement["pairs"]:
        pair["a"], pair["b"] = rater_list[pair["a"]], rater_list[pair["b"]]
    overall = {name: agreement[name] for name in ("items", "raters", *AGREEMENT_FIGURES)}
    counted = ~np.isnan(human_case)
    tables["agreement"] = [
        _with_intervals(
            overall,
            inter_rater_intervals(
                item=humans.item[counted],
                rater=codes[counted],
                value=humans.met[counted],
                case=human_case[counted],
            )
            if counted.any()
            else {},
            AGREEMENT_FIGURES,
        )
    ]
    tables["pairs"] = agreement["pairs"]
    labelled = set(np.unique(humans.criterion).tolist())
    tags = {c: t for c, t in selectors.criterion_tags(benchmark).items() if c in labelled}
    tables["agreement_by_tag"] = [
        _agreement_row(
            humans.take(
                mask := np.isin(humans.criterion, [c for c, t in tags.items() if tag in t])
            ),
            codes[mask],
            tag=tag,
        )
        for tag in sorted({tag for t in tags.values() for tag in t})
    ]
    tables["judges"] = _judges_table(
        consensus, judged, judges, humans, codes, responses, response_case
    )
    tables["graders"] = _graders_table(benchmark, consensus, humans, codes, rater_list)
    return json_safe(
        {
            "k": k,
            "labels": source.key,
            "facet": facet_obj.key if facet_obj else None,
            "facets": facets,
            "judges": sorted(judges.values()),
            "tables": tables,
        }
    )


def _judges_table(consensus, judged, judges, humans, codes, responses, response_case) -> list:
    rows = []
    gold_case = lookup(consensus.response, responses, response_case)
    for pk, key in sorted(judges.items(), key=lambda item: item[1]):
        mine = judged.rater == pk
        judge = lookup(consensus.item, judged.item[mine], judged.met[mine])
        row = {"judge": key} | judge_vs_gold(gold=consensus.met, judge=judge)
        both = ~np.isnan(judge)
        _with_intervals(
            row,
            judge_vs_gold_intervals(gold=consensus.met, judge=judge, case=gold_case)
            if both.any()
            else {},
            JUDGE_FIGURES,
        )
        gold, predicted = consensus.met[both], judge[both]
        row |= {
            "tp": int(np.sum((gold == 1) & (predicted == 1))),
            "fp": int(np.sum((gold == 0) & (predicted == 1))),
            "fn": int(np.sum((gold == 1) & (predicted == 0))),
            "tn": int(np.sum((gold == 0) & (predicted == 0))),
        }
        baseline = pairwise_baseline(
            item=humans.item,
            rater=codes,
            value=humans.met,
            judge=lookup(humans.item, judged.item[mine], judged.met[mine]),
        )
        row["baseline_items"] = baseline["items"]
        for side in ("judge", "physician"):
            for name in ("macro_f1", "cohen_kappa"):
                row[f"baseline_{side}_{name}"] = baseline[side][name]
        rows.append(row)
    return rows


def _graders_table(benchmark, consensus, humans, codes, rater_list) -> list:
    times = selectors.grader_times(benchmark)
    names = selectors.rater_names(np.unique(humans.rater))
    rows = []
    for pk, name in sorted(names.items(), key=lambda item: item[1]):
        mine = humans.rater == pk
        figures = judge_vs_gold(
            gold=consensus.met, judge=lookup(consensus.item, humans.item[mine], humans.met[mine])
        )
        items, seconds = times.get(pk, (0, 0))
        rows.append(
            {
                "rater": name,
                "labels": int(mine.sum()),
                "n": figures["n"],
                "accuracy": figures["accuracy"],
                "cohen_kappa": figures["cohen_kappa"],
                "items_submitted": items,
                "seconds_per_item": seconds / items if items else None,
            }
        )
    return rows


def stats_version(benchmark: Benchmark) -> str:
    """A fingerprint of what the statistics of `benchmark` read, in one query of four index
    probes whatever the data size.

    Every service changing the statistics' input records an audit event of the benchmark in
    its transaction (tests/test_audit_trail.py holds them all): submissions, marks, imports of
    labels (judge runs write theirs through that import) and responses, consensus refreshes,
    adjudication, grader exclusion, case versions, facets and terms. The newest event is the
    first row of the index `audit_benchmark_recent`. New labels (ids only grow), changes of a
    person's label (LabelHistory) and new raters are seen whoever wrote them.

    Not seen, until the cache expires (CACHE_SECONDS): changes outside the services (labels
    deleted with their response or model in the admin, rows edited there), and a change whose
    transaction commits after a later change was seen (its event and label ids are then not the
    newest).
    """
    newest_event = AuditEvent.objects.filter(benchmark=benchmark).order_by("-created_at", "-id")
    parts = Benchmark.objects.filter(pk=benchmark.pk).values_list(
        *(
            Subquery(queryset.values("pk")[:1])
            for queryset in (
                newest_event,
                Label.objects.order_by("-pk"),
                LabelHistory.objects.order_by("-pk"),
                Rater.objects.order_by("-pk"),
            )
        )
    )
    return hashlib.sha256(repr(parts.get()).encode()).hexdigest()[:16]


def stats_cache_key(kind: str, benchmark: Benchmark, options: dict) -> str:
    """A cache key of one kind of statistics with these options at the current `stats_version`
    (hashed: options are free text, and some cache backends refuse spaces in keys)."""
    text = repr((kind, benchmark.pk, stats_version(benchmark), sorted(options.items())))
    return f"stats:{hashlib.sha256(text.encode()).hexdigest()}"


def report_options(*, benchmark: Benchmark, k=None, labels: str = CONSENSUS, facet=None) -> dict:
    """The options of a report, checked (StatsError) and with the default k filled in."""
    k = resolve_k(benchmark, k)
    if facet:
        resolve_facet(benchmark, facet)
    if labels != CONSENSUS:
        _judge_id(labels, selectors.judge_raters(benchmark))
    return {"k": k, "labels": labels, "facet": facet}


def report_cache_key(benchmark: Benchmark, options: dict) -> str:
    return stats_cache_key("report", benchmark, options)


def report_compute(*, benchmark: Benchmark, options: dict, key: str) -> dict:
    """Compute the report of `options` and keep it in the cache under `key`."""
    report = stats_report(benchmark=benchmark, **options)
    cache.set(key, report, CACHE_SECONDS)
    return report


def cached_report(*, benchmark: Benchmark, k=None, labels: str = CONSENSUS, facet=None) -> dict:
    """`stats_report`, kept in the cache until its input changes (see `stats_version`); computed
    here when missing (the API and commands; the pages compute it as a background job)."""
    options = report_options(benchmark=benchmark, k=k, labels=labels, facet=facet)
    key = report_cache_key(benchmark, options)
    report = cache.get(key)
    if report is None:
        report = report_compute(benchmark=benchmark, options=options, key=key)
    return report
