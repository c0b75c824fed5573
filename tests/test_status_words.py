"""One English status word with two meanings gets one Chinese word for each."""

from django.utils import translation

from grading.models import AdjudicationItem, Campaign


def test_open_reads_as_in_progress_for_a_campaign_and_awaiting_adjudication_for_an_item():
    with translation.override("zh-hans"):
        campaign_open = str(Campaign.Status.OPEN.label)
        item_open = str(AdjudicationItem.Status.OPEN.label)

    assert (campaign_open, item_open) == ("进行中", "待仲裁")


def test_open_stays_open_in_english():
    with translation.override("en"):
        labels = {str(Campaign.Status.OPEN.label), str(AdjudicationItem.Status.OPEN.label)}

    assert labels == {"Open"}
