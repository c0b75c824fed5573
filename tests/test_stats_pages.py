"""Statistics pages and their downloads: managers only, empty states, CSV/JSON, cached."""

import csv
import io
import json

import pytest
from django.urls import reverse

from grading.models import Label, Rater
from tests.factories import CriterionFactory
from tests.stats_support import build

PAGES = ("stats", "stats_agreement", "stats_judges", "stats_graders")


def url(benchmark, name: str = "stats") -> str:
    return reverse(f"grading:{name}", kwargs={"slug": benchmark.slug})


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def example(benchmark):
    return build(benchmark)


@pytest.mark.parametrize("name", PAGES)
def test_manager_sees_each_page(as_manager, example, name):
    response = as_manager.get(url(example.benchmark, name), {"k": 2})
    assert response.status_code == 200
    page = response.content.decode()
    # Only judge-y, which shares no item with the gold set, lacks data.
    assert page.count("Not enough data") == (1 if name == "stats_judges" else 0)


def test_leaderboard_shows_percent_with_intervals(as_manager, example):
    page = as_manager.get(url(example.benchmark), {"k": 2}).content.decode()
    assert "model-a" in page
    assert "50.0%" in page  # model-a's rubric accuracy, 0.5 in the data
    assert "Pass@2" in page
    assert "–" in page  # an interval
    assert "low" in page  # the heatmap's terms
    assert "high" in page


def test_judges_page_shows_confusion_matrix_and_no_overlap_notice(as_manager, example):
    page = as_manager.get(url(example.benchmark, "stats_judges")).content.decode()
    assert "judge-x" in page
    assert "Confusion matrix" in page
    assert "has not labelled any item of the gold set" in page  # judge-y


@pytest.mark.parametrize("name", PAGES)
def test_empty_benchmark_says_not_enough_data(as_manager, benchmark, name):
    response = as_manager.get(url(benchmark, name))
    assert response.status_code == 200
    assert "Not enough data" in response.content.decode()


def test_single_category_is_explained_not_an_error(as_manager, example):
    Label.objects.filter(rater__kind=Rater.Kind.HUMAN).update(met=True)
    page = as_manager.get(url(example.benchmark, "stats_agreement")).content.decode()
    assert "falls in one category" in page


def test_leaderboard_downloads_as_csv_with_fractions(as_manager, example):
    response = as_manager.get(url(example.benchmark), {"k": 2, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["model"] for row in rows] == ["model-a", "model-b"]
    assert float(rows[0]["rubric_accuracy"]) == pytest.approx(0.5)
    assert "rubric_accuracy_low" in rows[0]


def test_each_table_downloads_as_json(as_manager, example):
    tables = {
        "stats_agreement": ("agreement", "pairs", "agreement_by_term", "agreement_by_tag"),
        "stats_judges": ("judges",),
        "stats_graders": ("graders",),
        "stats": ("leaderboard", "heatmap"),
    }
    for name, names in tables.items():
        for table in names:
            response = as_manager.get(
                url(example.benchmark, name), {"table": table, "format": "json"}
            )
            assert response.status_code == 200, (name, table)
            assert isinstance(json.loads(response.content), list)
    pairs = json.loads(
        as_manager.get(
            url(example.benchmark, "stats_agreement"), {"table": "pairs", "format": "json"}
        ).content
    )
    assert pairs == [
        {
            "a": "gr1",
            "b": "gr2",
            "n": 8,
            "cohen_kappa": pytest.approx(0.5),
            "percent_agreement": 0.75,
        }
    ]
    judges = json.loads(
        as_manager.get(url(example.benchmark, "stats_judges"), {"format": "json"}).content
    )
    assert {k: judges[0][k] for k in ("judge", "tp", "fp", "fn", "tn")} == {
        "judge": "judge-x",
        "tp": 5,
        "fp": 1,
        "fn": 1,
        "tn": 5,
    }


def test_graders_table_compares_each_physician_with_consensus(as_manager, example):
    rows = json.loads(
        as_manager.get(url(example.benchmark, "stats_graders"), {"format": "json"}).content
    )
    # gr3's assignment is not submitted: not listed.
    assert [row["rater"] for row in rows] == ["gr1", "gr2"]
    # gr1 on case 1's 8 items vs consensus (1,1,1,0 / 1,1,0,1): agrees on 6.
    assert rows[0]["n"] == 8
    assert rows[0]["accuracy"] == pytest.approx(6 / 8)


def test_agreement_by_tag_lists_the_tags_of_criteria_physicians_labelled(as_manager, example):
    # Case 2 has no human label: a tag found only there gets no row of empty figures.
    CriterionFactory(version=example.versions[2], key="c9", position=9, tags=["axis:unlabelled"])
    table = {"format": "json", "table": "agreement_by_tag"}
    rows = json.loads(as_manager.get(url(example.benchmark, "stats_agreement"), table).content)
    assert [row["tag"] for row in rows] == ["axis:accuracy", "axis:completeness"]


def test_unknown_table_or_format_is_404(as_manager, example):
    assert as_manager.get(url(example.benchmark), {"format": "xml"}).status_code == 404
    assert (
        as_manager.get(url(example.benchmark), {"format": "csv", "table": "judges"}).status_code
        == 404
    )


def test_bad_choices_are_reported_and_defaults_used(as_manager, example):
    response = as_manager.get(url(example.benchmark), {"k": "zero", "labels": "judge:nobody"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "k must be a whole number" in page


@pytest.mark.parametrize("name", PAGES)
def test_each_page_reads_the_cached_report_in_a_fixed_number_of_queries(
    as_manager, example, name, django_assert_max_num_queries
):
    as_manager.get(url(example.benchmark, name), {"k": 2})
    with django_assert_max_num_queries(4):
        response = as_manager.get(url(example.benchmark, name), {"k": 2})
    assert response.status_code == 200


def test_page_is_cached_until_labels_change(as_manager, example):
    as_manager.get(url(example.benchmark), {"k": 2})
    # A new label is a new version: the report is computed again.
    Label.objects.create(
        rater=Rater.objects.get(name="gr2"),
        response=example.responses["model-b", 2],
        criterion=example.criteria[2][1],
        met=True,
    )
    rows = json.loads(
        as_manager.get(url(example.benchmark, "stats_graders"), {"format": "json"}).content
    )
    assert rows[1]["labels"] == 9


def test_computing_a_report_takes_a_fixed_number_of_queries(
    as_manager, example, django_assert_max_num_queries
):
    # The report and the bookkeeping of its job (run at once by the tests' task backend).
    with django_assert_max_num_queries(50):
        as_manager.get(url(example.benchmark), {"k": 2})


@pytest.mark.parametrize("name", PAGES)
def test_other_roles_get_403(client, example, grader, name):
    client.force_login(grader)
    assert client.get(url(example.benchmark, name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_outsider_gets_404(client, example, outsider, name):
    client.force_login(outsider)
    assert client.get(url(example.benchmark, name)).status_code == 404


def test_anonymous_is_sent_to_login(client, benchmark):
    response = client.get(url(benchmark))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_post_is_not_allowed(as_manager, benchmark):
    assert as_manager.post(url(benchmark)).status_code == 405


# --- API ---


def test_api_gives_the_compute_stats_object(as_manager, example):
    response = as_manager.get(
        reverse("api-stats", kwargs={"slug": example.benchmark.slug}), {"k": 2, "by": "difficulty"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"k", "inter_rater", "judges", "models", "by"}
    assert body["models"]["model-a"]["rubric_accuracy"] == pytest.approx(0.5)
    assert list(body["by"]["difficulty"]) == ["low", "high"]


def test_api_tables_carry_intervals(as_manager, example):
    response = as_manager.get(reverse("api-stats-tables", kwargs={"slug": example.benchmark.slug}))
    assert response.status_code == 200
    leaderboard = response.json()["tables"]["leaderboard"]
    assert "rubric_accuracy_low" in leaderboard[0]


def test_api_unknown_judge_is_a_400_with_the_reason(as_manager, example):
    response = as_manager.get(
        reverse("api-stats", kwargs={"slug": example.benchmark.slug}), {"labels": "judge:nobody"}
    )
    assert response.status_code == 400
    assert "Unknown judge" in response.json()["errors"][0]["message"]


def test_api_roles(client, example, grader, outsider):
    target = reverse("api-stats", kwargs={"slug": example.benchmark.slug})
    assert client.get(target).status_code in (401, 403)
    client.force_login(grader)
    assert client.get(target).status_code == 403
    client.force_login(outsider)
    assert client.get(target).status_code == 404
