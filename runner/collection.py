"""Collecting responses: one chat call per case version and sample, stored as the model's
Response exactly as the endpoint returned its message content."""

from django.db import transaction
from django.db.models import QuerySet

from curation.models import CaseVersion
from grading.models import Response
from runner.client import ChatResult
from runner.models import ItemStatus, ResponseItem, Run
from runner.runs import ITEM_FIELDS, record_result


class _Collection:
    def items(self, run: Run) -> QuerySet:
        return ResponseItem.objects.filter(run=run)

    def _existing(self, run: Run, batch: list[ResponseItem]) -> dict[tuple[int, int], Response]:
        found = Response.objects.filter(
            model=run.model, case_version_id__in={item.case_version_id for item in batch}
        )
        return {(r.case_version_id, r.sample): r for r in found}

    def messages(self, run: Run, batch: list[ResponseItem]) -> dict[int, list[dict]]:
        existing = self._existing(run, batch)
        versions = {
            v.pk: v.messages
            for v in CaseVersion.objects.filter(
                pk__in={item.case_version_id for item in batch}
            ).only("messages")
        }
        return {
            item.pk: versions[item.case_version_id]
            for item in batch
            if (item.case_version_id, item.sample) not in existing
        }

    def save(self, run: Run, batch: list[ResponseItem], results: dict[int, ChatResult]) -> None:
        prices = run.endpoint_settings["prices"]
        with transaction.atomic():
            existing = self._existing(run, batch)
            for item in batch:
                result = results.get(item.pk)
                if result is not None:
                    record_result(item, result, prices)
                if result is not None and not result.ok:
                    continue
                key = (item.case_version_id, item.sample)
                if key not in existing:
                    existing[key] = Response.objects.create(
                        case_version_id=item.case_version_id,
                        model=run.model,
                        sample=item.sample,
                        text=result.content,
                    )
                item.response, item.status = existing[key], ItemStatus.DONE
            ResponseItem.objects.bulk_update(batch, [*ITEM_FIELDS, "response"])


WORKER = _Collection()
