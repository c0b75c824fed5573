"""A grader cannot tell a calibration screen from an ordinary one in anything they receive.

The same world is played twice, rolled back in between: once the grader's next screen is a
calibration screen, once it is an ordinary one (the only difference: which of the two items sits
first in the campaign). Both screens show a case with the same title, conversation, criteria and
response texts, so everything the grader receives (queue, the "next" redirect, the screen, every
htmx fragment, the API's answers, the submission, the queue and feedback afterwards, the header
counts) must be identical once the values that differ between any two screens are blanked: the
case id, the assignment id and timestamps.
"""

import re

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from curation.models import CaseVersion
from grading.models import Assignment, CampaignItem, Label
from grading.services.calibration import campaign_calibration_set
from tests.calibration_support import settled_setting
from tests.grading_support import approved_version, campaign_over

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
# A time of day as pages show it ("22 Nov 2026, 08:51"): the two plays may straddle a minute.
CLOCK = re.compile(r"\b\d\d:\d\d\b")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|hx-headers=\'\{"X-CSRFToken": ")[^"]+')


class Rollback(Exception):
    pass


def normalised(content, *, ids: list[int], cases: list[str]) -> str:
    text = content if isinstance(content, str) else content.decode()
    text = CSRF.sub(r"\1CSRF", text)
    text = TIMESTAMP.sub("TIME", text)
    text = CLOCK.sub("HH:MM", text)
    for case in cases:
        text = text.replace(case, "CASE")
    # Assignment ids, in the order they were handed out (in URLs and the API's item fields);
    # counts on the page stay as they are.
    for n, pk in enumerate(ids):
        text = re.sub(rf"/items/{pk}/", f"/items/ID{n}/", text)
        text = re.sub(rf'("(?:id|item|unfinished_item)": ?){pk}\b', rf"\g<1>ID{n}", text)
    return text


def received(benchmark, grader, *, cases) -> list[tuple[str, int, str]]:
    """Everything the grader receives while taking, marking and submitting their next screen."""
    client = APIClient()
    client.force_login(grader)
    slug = benchmark.slug
    base = f"/api/v1/benchmarks/{slug}/grading/"
    out = []

    def keep(where, response):
        out.append((where, response.status_code, response))
        return response

    keep("queue", client.get(reverse("grading:queue", args=[slug])))
    keep("API queue", client.get(base + "queue/"))
    nxt = keep("next", client.post(reverse("grading:next", args=[slug])))
    pk = int(nxt["Location"].rstrip("/").rsplit("/", 1)[1])
    keep("screen", client.get(reverse("grading:grade", args=[slug, pk])))
    keep("API item", client.get(base + f"items/{pk}/"))
    for letter in "ABC":
        for key in ("c01", "c02", "c03"):
            url = reverse("grading:mark", args=[slug, pk, letter, key])
            data = {"met": "1", "note": "seen", "seconds": "4"}
            keep(f"mark {letter}{key}", client.post(url, data, HTTP_HX_REQUEST="true"))
    keep(
        "API mark",
        client.put(base + f"items/{pk}/labels/B/c02/", {"met": True}, format="json"),
    )
    keep(
        "refused mark",
        client.post(
            reverse("grading:mark", args=[slug, pk, "Z", "c01"]),
            {"met": "1"},
            HTTP_HX_REQUEST="true",
        ),
    )
    keep("submit", client.post(reverse("grading:submit", args=[slug, pk]), {"seconds": "7"}))
    keep("submitted screen", client.get(reverse("grading:grade", args=[slug, pk])))
    keep("queue after", client.get(reverse("grading:queue", args=[slug])))
    keep("API queue after", client.get(base + "queue/"))
    keep("feedback", client.get(reverse("grading:grading_feedback", args=[slug])))
    keep("dashboard", client.get(reverse("dashboard")))
    return [
        (
            where,
            status,
            normalised(
                response.get("Location", "") + response.content.decode(),
                ids=list(
                    Assignment.objects.filter(grader=grader)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                ),
                cases=cases,
            ),
        )
        for where, status, response in out
    ], pk


@pytest.fixture
def world(benchmark, manager, adjudicator, author):
    setting = settled_setting(benchmark, manager=manager, adjudicator=adjudicator, author=author)
    ordinary = approved_version(benchmark, "CC-0002", author=author)
    CaseVersion.objects.filter(pk=ordinary.pk).update(
        title=setting.settled.title, messages=setting.settled.messages
    )
    campaign = campaign_over(
        benchmark,
        [ordinary],
        by=manager,
        graders=[setting.g3],
        name="Second",
        graders_per_item=1,
    )
    campaign_calibration_set(campaign=campaign, by=manager, rate=0.5, show_feedback=True)
    return setting, campaign


def play(benchmark, setting, campaign, *, calibration_first: bool):
    """The grader's next screen is the calibration one (or the ordinary one); rolled back."""
    items = list(CampaignItem.objects.filter(campaign=campaign))
    assert sorted(item.calibration for item in items) == [False, True]
    result = {}
    try:
        with transaction.atomic():
            first = next(item for item in items if item.calibration == calibration_first)
            last = max(item.position for item in items)
            CampaignItem.objects.filter(pk=first.pk).update(position=last + 1)
            for item in items:
                if item.pk != first.pk:
                    CampaignItem.objects.filter(pk=item.pk).update(position=last + 2)
            result["received"], pk = received(benchmark, setting.g3, cases=["CC-0001", "CC-0002"])
            result["calibration"] = Label.objects.filter(assignment_id=pk, calibration=True).count()
            raise Rollback
    except Rollback:
        pass
    return result


def test_a_grader_cannot_tell_a_calibration_screen_from_an_ordinary_one(benchmark, world):
    setting, campaign = world
    calibration = play(benchmark, setting, campaign, calibration_first=True)
    ordinary = play(benchmark, setting, campaign, calibration_first=False)
    # The server does know: the first run graded the calibration screen.
    assert (calibration["calibration"], ordinary["calibration"]) == (9, 0)
    assert [w for w, _s, _t in calibration["received"]] == [w for w, _s, _t in ordinary["received"]]
    for (where, status_a, text_a), (_where, status_b, text_b) in zip(
        calibration["received"], ordinary["received"], strict=True
    ):
        assert status_a == status_b, where
        assert text_a == text_b, where
    statuses = {where: status for where, status, _text in calibration["received"]}
    assert statuses["screen"] == statuses["API item"] == statuses["feedback"] == 200
    assert statuses["next"] == statuses["submit"] == 302
    assert statuses["refused mark"] == 404
    screen = {where: text for where, _s, text in calibration["received"]}["screen"]
    assert "Take aspirin and call 120." in screen
    assert "/items/ID0/cells/C/c03/" in screen


def test_calibration_screens_count_in_the_queue_like_any_other(client, benchmark, world):
    setting, _campaign = world
    client.force_login(setting.g3)
    api = f"/api/v1/benchmarks/{benchmark.slug}/grading/queue/"
    [row] = client.get(api).json()
    assert row["available"] == 2  # one ordinary screen, one calibration screen


def test_positions_of_calibration_screens_are_mixed_in_at_random(benchmark, manager, author):
    """Over many draws a calibration screen lands before, between and after ordinary ones."""
    seen = set()
    setting_versions = [approved_version(benchmark, f"CC-01{n}", author=author) for n in range(2)]
    settled = approved_version(benchmark, "CC-0100", author=author, models=("model-a",))
    from grading.services.calibration import calibration_item_mark

    calibration_item_mark(
        benchmark=benchmark,
        response=settled.responses.get(),
        by=manager,
        gold={"c01": True, "c02": True, "c03": False},
    )
    from tests.calibration_support import grader_user

    grader = grader_user(benchmark, "solo_grader")
    for n in range(20):
        campaign = campaign_over(
            benchmark,
            setting_versions,
            by=manager,
            graders=[grader],
            name=f"Round {n}",
            models=("model-a",),
            graders_per_item=1,
        )
        campaign_calibration_set(campaign=campaign, by=manager, rate=1 / 3, show_feedback=False)
        order = list(
            CampaignItem.objects.filter(campaign=campaign)
            .order_by("position")
            .values_list("calibration", flat=True)
        )
        seen.add(order.index(True))
    assert seen == {0, 1, 2}
