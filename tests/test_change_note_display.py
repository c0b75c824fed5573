"""The notes the application writes on versions (an import's "Imported from <file>", a restore's
"Restored from version N.") are stored in English and shown in the reader's language; notes
people wrote are shown as written."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from curation.change_notes import change_note_display
from curation.importing.service import IMPORT_NOTE
from curation.services import authoring
from tests.factories import CaseFactory, CaseVersionFactory


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Imported from cases.jsonl"), ("zh-hans", "导入自 cases.jsonl")],
)
def test_the_import_note_is_shown_in_the_readers_language(language, shown):
    with translation.override(language):
        assert change_note_display(IMPORT_NOTE.format(name="cases.jsonl")) == shown


def test_a_note_someone_wrote_is_left_as_written():
    note = "Imported from the 2024 guideline\nand checked twice"
    with translation.override("zh-hans"):
        assert change_note_display(note) == note
        assert change_note_display("改写 c03") == "改写 c03"


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


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "Restored from version 1."), ("zh-hans", "由第 1 版恢复。")]
)
def test_a_restore_note_is_stored_in_english_and_shown_in_the_readers_language(
    client, benchmark, author, language, shown
):
    case = CaseFactory(benchmark=benchmark, status="approved")
    v1 = CaseVersionFactory(case=case, submitted_at=timezone.now())
    with translation.override("zh-hans"):  # whoever restores, the stored note is the same
        v2 = authoring.case_version_restore(version=v1, by=author)
    client.force_login(author)
    client.cookies.load({"django_language": language})

    url = reverse("curation:case_detail", args=[benchmark.slug, case.external_id])
    html = client.get(url).content.decode()

    v2.refresh_from_db()
    assert v2.change_note == "Restored from version 1."
    assert shown in html


def test_the_draft_editor_offers_the_import_note_in_the_readers_language(client, benchmark, author):
    case = CaseFactory(benchmark=benchmark)
    CaseVersionFactory(case=case, author=author, change_note=IMPORT_NOTE.format(name="a.jsonl"))
    client.force_login(author)
    client.cookies.load({"django_language": "zh-hans"})

    html = client.get(reverse("curation:case_edit", args=[benchmark.slug, case.external_id]))

    assert "导入自 a.jsonl</textarea>" in html.content.decode()
