"""The importer's change note ("Imported from <file>") is stored in English and shown in the
reader's language; notes people wrote are shown as written."""

import pytest
from django.urls import reverse
from django.utils import translation

from curation.importing.service import IMPORT_NOTE, import_note_display
from tests.factories import CaseFactory, CaseVersionFactory


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Imported from cases.jsonl"), ("zh-hans", "导入自 cases.jsonl")],
)
def test_the_import_note_is_shown_in_the_readers_language(language, shown):
    with translation.override(language):
        assert import_note_display(IMPORT_NOTE.format(name="cases.jsonl")) == shown


def test_a_note_someone_wrote_is_left_as_written():
    note = "Imported from the 2024 guideline\nand checked twice"
    with translation.override("zh-hans"):
        assert import_note_display(note) == note
        assert import_note_display("改写 c03") == "改写 c03"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Imported from cases.jsonl"), ("zh-hans", "导入自 cases.jsonl")],
)
def test_case_page_and_history_show_the_translated_import_note(
    client, benchmark, author, language, shown
):
    case = CaseFactory(benchmark=benchmark)
    version = CaseVersionFactory(case=case, change_note=IMPORT_NOTE.format(name="cases.jsonl"))
    client.force_login(author)
    client.cookies.load({"django_language": language})

    url = reverse("curation:case_detail", args=[benchmark.slug, case.external_id])
    html = client.get(url).content.decode()

    version.refresh_from_db()
    assert version.change_note == "Imported from cases.jsonl"  # stored as the importer wrote it
    assert html.count(shown) == 2  # the version's note and its line in the history
