"""Dates with times read well inside a sentence in both languages."""

from datetime import datetime

import pytest
from django.utils import formats, translation

WHEN = datetime(2026, 11, 22, 19, 7)


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Nov. 22, 2026, 19:07"), ("zh-hans", "2026年11月22日 19:07")],
)
def test_date_and_time_end_without_a_period(language, shown):
    with translation.override(language):
        assert formats.date_format(WHEN, "DATETIME_FORMAT") == shown
