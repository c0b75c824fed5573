"""Pure statistics of DESIGN "Metrics" on numpy arrays: no ORM, no Django.

- scores: Rubric Accuracy, pass@k, CACS@k, HealthBench score of a model;
- agreement: agreement between human raters (percent, Cohen, Fleiss, Krippendorff, Gwet);
- judges: a judge against consensus gold, HealthBench's pairwise physician baseline;
- bootstrap: 95% intervals resampling cases, seeded;
- rubric: the rubric rows of responses x their criteria;
- arrays: keys and lookups to fill the inputs from `values_list`; jsonsafe: strict-JSON output.
"""

from .agreement import (
    fleiss_kappa,
    gwet_ac1,
    inter_rater,
    inter_rater_intervals,
    krippendorff_alpha,
    percent_agreement,
)
from .arrays import item_key, lookup
from .bootstrap import bootstrap
from .jsonsafe import json_safe
from .judges import (
    judge_vs_gold,
    judge_vs_gold_intervals,
    pairwise_baseline,
    pairwise_baseline_intervals,
)
from .rubric import Rubric, rubric_rows
from .scores import model_scores, model_scores_intervals

__all__ = [
    "Rubric",
    "bootstrap",
    "fleiss_kappa",
    "gwet_ac1",
    "inter_rater",
    "inter_rater_intervals",
    "item_key",
    "json_safe",
    "judge_vs_gold",
    "judge_vs_gold_intervals",
    "krippendorff_alpha",
    "lookup",
    "model_scores",
    "model_scores_intervals",
    "pairwise_baseline",
    "pairwise_baseline_intervals",
    "percent_agreement",
    "rubric_rows",
]
