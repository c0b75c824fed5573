"""Form labels sit above their fields and carry no ":" in either language; inline labels take
the colon of the language (fullwidth in Chinese)."""

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


class NoteForm(forms.Form):
    note = forms.CharField(label="Note")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_label_tag_has_no_suffix(language):
    with translation.override(language):
        label = NoteForm().as_div()

    assert '<label for="id_note">Note</label>' in label


def test_a_suffix_asked_for_explicitly_is_kept():
    assert NoteForm()["note"].label_tag(label_suffix=" ·") == '<label for="id_note">Note ·</label>'


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_review_queue_filter_labels_have_no_colon(client, reviewer, benchmark, language):
    client.force_login(reviewer)
    client.cookies.load({"django_language": language})

    html = client.get(reverse("curation:review_queue", args=[benchmark.slug])).content.decode()

    assert '<label for="id_author">' in html
    assert ":</label>" not in html
    assert "：</label>" not in html


@pytest.mark.parametrize(("language", "added"), [("en", "Added:"), ("zh-hans", "新增：")])
def test_inline_labels_take_the_colon_of_the_language(language, added):
    changelog = {"previous": "1.0.0", "cases_added": ["CC-0002"], "cases_revised": []}
    with translation.override(language):
        html = render_to_string("grading/releases/_changelog.html", {"changelog": changelog})

    assert f"<strong>{added}</strong> CC-0002" in html


class ConsentForm(forms.Form):
    notify = forms.BooleanField(label="Notify the graders", required=False)


def test_a_checkbox_sits_beside_its_label_without_optional():
    html = render_to_string("includes/field.html", {"field": ConsentForm()["notify"]})

    assert '<label class="checkbox-field" for="id_notify"><input type="checkbox"' in html
    assert "Notify the graders</label>" in html
    assert "optional" not in html
