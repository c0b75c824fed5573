"""Judging responses: one call per response x criterion with the local-judge prompt
(`grading.judge_prompt`), the answer parsed into met / not met and written as the run's judge
rater's label through the label import (the same checks, bulk writes and audit record as a label
file). An answer that cannot be parsed leaves the label missing, never "not met"; its raw output
stays on the item for inspection."""

import io
import json

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from curation.importing.errors import ImportRejected
from grading.judge_prompt import judge_input, judge_messages, parse_judge_answer
from grading.label_import import labels_import
from grading.models import Label, Rater
from runner.client import ChatResult
from runner.models import ItemStatus, JudgeItem, Run
from runner.runs import ITEM_FIELDS, record_result


def _label_line(run: Run, item: JudgeItem) -> dict:
    response = item.response
    return {
        "case": response.case_version.case.external_id,
        "model": response.model.name,
        "sample": response.sample,
        "criterion": item.criterion.key,
        "rater": run.rater.name,
        "rater_kind": Rater.Kind.JUDGE,
        "version": run.rater.version,
        "met": item.met,
        "note": item.explanation,
    }


def labels_write(*, run: Run, items: list[JudgeItem]) -> None:
    """Write the parsed items' labels as the run's judge rater (one label import)."""
    lines = "".join(json.dumps(_label_line(run, item), ensure_ascii=False) + "\n" for item in items)
    labels_import(
        benchmark=run.benchmark,
        file=io.BytesIO(lines.encode()),
        actor=run.created_by,
        filename=f"judge-run-{run.pk}.jsonl",
    )


class _Judging:
    def items(self, run: Run) -> QuerySet:
        return JudgeItem.objects.filter(run=run).select_related(
            "response__case_version__case", "response__model", "criterion"
        )

    def messages(self, run: Run, batch: list[JudgeItem]) -> dict[int, list[dict]]:
        labelled = self._labelled(run, batch)
        return {
            item.pk: judge_messages(
                judge_input(
                    messages=item.response.case_version.messages,
                    response=item.response.text,
                    rubric_item=item.criterion.text,
                )
            )
            for item in batch
            if (item.response_id, item.criterion_id) not in labelled
        }

    def _labelled(self, run: Run, batch: list[JudgeItem]) -> dict[tuple[int, int], bool]:
        labels = Label.objects.filter(
            rater=run.rater, response_id__in={item.response_id for item in batch}
        ).values_list("response_id", "criterion_id", "met")
        return {(response, criterion): met for response, criterion, met in labels}

    def save(self, run: Run, batch: list[JudgeItem], results: dict[int, ChatResult]) -> None:
        prices = run.endpoint_settings["prices"]
        labelled = self._labelled(run, batch)
        new_labels = []
        for item in batch:
            result = results.get(item.pk)
            if result is None:
                # Labelled by this judge (same version) before: nothing to ask again.
                item.met = labelled.get((item.response_id, item.criterion_id))
                item.status = ItemStatus.DONE
                continue
            record_result(item, result, prices)
            if not result.ok:
                continue
            item.raw = result.content  # the judge's output, DESIGN's `judge_output`
            parsed = parse_judge_answer(result.content)
            if parsed is None:
                item.status = ItemStatus.UNPARSED
                item.error = gettext(
                    "The judge's answer holds no JSON object with a true/false criteria_met."
                )
                continue
            item.met, item.explanation = parsed
            item.status = ItemStatus.DONE
            new_labels.append(item)
        with transaction.atomic():
            if new_labels:
                try:
                    labels_write(run=run, items=new_labels)
                except ImportRejected as rejected:
                    for item in new_labels:
                        item.status, item.met = ItemStatus.FAILED, None
                        item.error = gettext("The label could not be written: %(why)s") % {
                            "why": rejected
                        }
            JudgeItem.objects.bulk_update(batch, [*ITEM_FIELDS, "met", "explanation"])


WORKER = _Judging()
