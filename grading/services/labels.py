"""A grader's marks: one label per response x criterion of their item, saved one at a time.

Every change is kept in the label's history (what it became, when), the first mark included.
"""

from django.db import transaction
from django.utils.translation import gettext

from curation.audit import audit_record
from curation.models import Criterion
from grading.models import Assignment, CampaignItemResponse, Label, LabelHistory, Response
from grading.services import GradingError
from grading.services.assignment import clamp_seconds, lock_for_write, rater_for

MAX_NOTE_LENGTH = 2000


def label_set(
    *,
    assignment: Assignment,
    by,
    response: Response,
    criterion: Criterion,
    met: bool | None,
    note: str | None = None,
    seconds=0,
) -> Label:
    """Mark one cell of the grader's item. `met` None keeps the current mark (saving a note
    alone); `note` None keeps the current note."""
    note = None if note is None else note.strip()
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise GradingError(
            gettext("A note can be at most %(max)d characters long.") % {"max": MAX_NOTE_LENGTH}
        )
    with transaction.atomic():
        locked = lock_for_write(assignment, by)
        if criterion.version_id != locked.item.case_version_id:
            raise GradingError(gettext("This criterion is not part of this item's rubric."))
        if not CampaignItemResponse.objects.filter(
            item_id=locked.item_id, response_id=response.pk
        ).exists():
            raise GradingError(gettext("This response is not part of this item."))
        rater = rater_for(by)
        label = Label.objects.filter(rater=rater, response=response, criterion=criterion).first()
        if label is not None and label.assignment_id != locked.pk:
            raise GradingError(gettext("You already labelled this response in another item."))
        if label is None and met is None:
            raise GradingError(gettext("Mark the cell met or not met before writing a note."))
        seconds = clamp_seconds(seconds)
        previous_met = None if label is None else label.met
        if label is None:
            label = Label(
                rater=rater, response=response, criterion=criterion, assignment=locked, met=met
            )
        changed = label.pk is None
        if met is not None and met != label.met:
            label.met, changed = met, True
        if note is not None and note != label.note:
            label.note, changed = note, True
        label.seconds_spent += seconds
        label.save()
        if changed:
            LabelHistory.objects.create(
                label=label, previous_met=previous_met, met=label.met, note=label.note
            )
            audit_record(
                actor=by,
                action="label.set",
                obj=label,
                benchmark=locked.item.campaign.benchmark,
                data={
                    "assignment": locked.pk,
                    "response": response.pk,
                    "criterion": criterion.pk,
                    "met": label.met,
                    "previous_met": previous_met,
                },
            )
        if seconds:
            locked.seconds_spent += seconds
            locked.save(update_fields=["seconds_spent"])
    return label
