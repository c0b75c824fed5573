"""Times per item read as minutes and seconds, in English and in Chinese."""

import pytest
from django.utils import translation

from grading.templatetags.stats_tags import duration


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (None, "—", "—"),
        (0, "0 s", "0 秒"),
        (44.6, "45 s", "45 秒"),
        (60, "1 min 0 s", "1 分 0 秒"),
        (444, "7 min 24 s", "7 分 24 秒"),
        (3599.6, "1 h 0 min", "1 小时 0 分"),
        (3900, "1 h 5 min", "1 小时 5 分"),
    ],
)
def test_duration_reads_as_hours_minutes_and_seconds(seconds, english, chinese):
    with translation.override("en"):
        assert duration(seconds) == english
    with translation.override("zh-hans"):
        assert duration(seconds) == chinese
