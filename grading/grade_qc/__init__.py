"""Grade QC: a senior reviewer checks a random, reproducible sample of each grader's submitted
grades and confirms or corrects each one with a reason.

Who checks: adjudicators, the benchmark's senior clinical role, already trusted to overrule
graders; a new role would only duplicate their membership lists. Managers set the share and
read the outcomes. Nobody checks their own grades.

What a correction does: it never overwrites the grader's label. It is a QC outcome (the
reviewer's mark and reason, in `GradeCheck` and the audit trail) that feeds the grader figures
(`selectors.qc_outcomes_by_grader`) and that a manager may act on (recalibrate, exclude); the
consensus is left to the graders and adjudication, so one reviewer's view never silently
becomes gold.

What the reviewer sees: the case, the response, the criterion and the grader's mark and note,
blind to the model and to the grader's identity, so the verdict rests on the response alone and
not on who graded it.
"""
