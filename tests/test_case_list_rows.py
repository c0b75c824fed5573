"""The case list's rows (plain values formatted by the selector) and its free-text search."""

import pytest
from django.db import connection
from django.urls import reverse

from curation.filters import case_search
from curation.models import Case
from curation.services import authoring
from tests.factories import FacetFactory, TermFactory


@pytest.fixture
def cases(benchmark, author):
    specialty = FacetFactory(benchmark=benchmark, key="specialty", name="Specialty", position=1)
    stage = FacetFactory(benchmark=benchmark, key="stage", name="Stage", position=2)
    cardiology = TermFactory(facet=specialty, value="心血管内科")
    diagnosis = TermFactory(facet=stage, value="diagnosis")
    titled = authoring.case_create(
        benchmark=benchmark,
        external_id="CC 1:α?",
        by=author,
        title="胸闷待查",
        messages=[{"role": "user", "content": "反复胸闷3个月。Chest TIGHTNESS."}],
        reference_answer="",
        terms=[diagnosis, cardiology],
        criteria=[{"text": "建议做心电图", "points": 3}, {"text": "漏诊", "points": -2}],
    )
    untitled = authoring.case_create(
        benchmark=benchmark,
        external_id="CC-2",
        by=author,
        title="",
        messages=[{"role": "user", "content": "咳" * 80}],
        reference_answer="",
        criteria=[],
    )
    return titled, untitled


@pytest.mark.django_db
def test_list_rows_carry_their_link_version_terms_and_counts(client, author, cases):
    titled, _ = cases
    client.force_login(author)

    response = client.get(reverse("curation:case_list", args=[titled.benchmark.slug]))

    rows = {row.external_id: row for row in response.context["page"].object_list}
    first = rows["CC 1:α?"]
    assert first.url == reverse("curation:case_detail", args=[titled.benchmark.slug, "CC 1:α?"])
    assert (first.title, first.untitled, first.version_label) == ("胸闷待查", False, "v1")
    assert first.terms == ["心血管内科", "diagnosis"]  # in facet order
    assert (first.criteria_count, first.positive_points) == (2, 3)
    assert first.author == str(author)
    assert f'href="{first.url}"' in response.content.decode()
    second = rows["CC-2"]
    assert second.untitled
    assert second.title == "咳" * 59 + "…"
    assert (second.terms, second.criteria_count, second.positive_points) == ([], 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("cc 1", ["CC 1:α?"]),
        ("胸闷待", ["CC 1:α?"]),
        ("chest tightness", ["CC 1:α?"]),
        ("咳咳", ["CC-2"]),
    ],
)
def test_search_matches_case_id_title_and_conversation_in_any_case(cases, text, found):
    matched = Case.objects.filter(case_search(text)).values_list("external_id", flat=True)

    assert sorted(matched) == found


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_search_reads_the_conversation_trigram_index_on_postgresql(cases):
    query = Case.objects.filter(case_search("胸闷待查")).values("pk").query
    sql, params = query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table is cheaper to scan
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "caseversion_messages_trgm" in plan
    assert "caseversion_title_trgm" in plan
