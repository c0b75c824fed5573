"""Browser label import for managers: upload (a dry run), preview, confirm; bad files refused with
every bad line; permissions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import AdjudicationItem, Label
from tests.factories import (
    CaseFactory,
    CaseVersionFactory,
    CriterionFactory,
    ModelUnderTestFactory,
    ResponseFactory,
)
from tests.test_import_labels import jsonl, line


@pytest.fixture
def response(benchmark, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    version = CaseVersionFactory(case=CaseFactory(benchmark=benchmark, external_id="CC-0001"))
    CriterionFactory(version=version, key="c01")
    return ResponseFactory(case_version=version, model=ModelUnderTestFactory(name="gpt-5.1"))


def upload(client, benchmark, *rows, fmt="jsonl"):
    data = jsonl(*rows).getvalue()
    return client.post(
        reverse("grading:import_labels", args=[benchmark.slug]),
        {"file": SimpleUploadedFile("labels.jsonl", data), "format": fmt},
    )


def test_upload_preview_confirm(client, benchmark, manager, response):
    client.force_login(manager)
    assert client.get(reverse("grading:import_labels", args=[benchmark.slug])).status_code == 200
    sent = upload(client, benchmark, line(rater="a"), line(rater="b", met=False))
    assert sent.status_code == 302
    assert not Label.objects.exists()  # the preview writes nothing
    preview = client.get(sent["Location"])
    assert preview.status_code == 200
    assert "1 to adjudicate" in preview.content.decode()
    done = client.post(sent["Location"] + "confirm/", follow=True)
    assert reverse("grading:gold_set", args=[benchmark.slug]) in done.content.decode()
    assert "2 labels created" in done.content.decode()
    assert Label.objects.count() == 2
    assert AdjudicationItem.objects.filter(status="open").count() == 1


def test_bad_file_lists_every_bad_line(client, benchmark, manager, response):
    client.force_login(manager)
    sent = client.get(
        upload(client, benchmark, line(rater_kind="robot"), line(rater="x", met="yes")).url
    )
    assert sent.status_code == 422
    errors = [(e["line"], e["field"]) for e in sent.context["errors"]]
    assert errors == [(1, "rater_kind"), (2, "met")]
    assert "unknown rater kind" in sent.content.decode()
    assert not Label.objects.exists()


@pytest.mark.parametrize("persona", ["adjudicator", "grader", "author", "reviewer", "outsider"])
def test_only_managers_import_labels(client, request, benchmark, response, persona):
    client.force_login(request.getfixturevalue(persona))
    sent = upload(client, benchmark, line(rater="a"))
    assert sent.status_code == (404 if persona == "outsider" else 403)
    assert not Label.objects.exists()


def test_anonymous_is_sent_to_login(client, benchmark):
    sent = client.get(reverse("grading:import_labels", args=[benchmark.slug]))
    assert sent.status_code == 302
    assert "/login" in sent["Location"]
