import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from curation.models import AuditEvent, Case, CaseStatus, CaseVersion
from tests.factories import (
    BenchmarkFactory,
    CaseVersionFactory,
    CriterionFactory,
    FacetFactory,
    MembershipFactory,
    TermFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["author", "reviewer", "grader", "adjudicator", "manager", "outsider", "anonymous"]


@pytest.fixture
def specialty(benchmark):
    facet = FacetFactory(benchmark=benchmark, key="specialty", name="Specialty")
    TermFactory(facet=facet, value="心血管内科")
    TermFactory(facet=facet, value="儿科")
    return facet


def make_case(benchmark, external_id, *, author, status=CaseStatus.DRAFT, criteria=2, terms=()):
    submitted = None if status == CaseStatus.DRAFT else timezone.now()
    version = CaseVersionFactory(
        case__benchmark=benchmark,
        case__external_id=external_id,
        case__status=status,
        title=f"胸痛 {external_id}",
        author=author,
        submitted_at=submitted,
        source_fields={"clinconsensus": {"user_role": "患者"}},
    )
    version.terms.set(terms)
    for n in range(1, criteria + 1):
        CriterionFactory(
            version=version,
            key=f"c{n:02d}",
            position=n,
            text=f"建议立即拨打120（评分项{n}）",
            points=-2 if n == 2 else 1,
            tags=["axis:safety"] if n == 2 else [],
        )
    return version.case


@pytest.fixture
def draft_case(benchmark, author, specialty):
    return make_case(benchmark, "CC-0001", author=author, terms=[specialty.terms.get(value="儿科")])


@pytest.fixture
def approved_case(benchmark, author, specialty):
    return make_case(
        benchmark,
        "CC-0002",
        author=author,
        status=CaseStatus.APPROVED,
        terms=[specialty.terms.get(value="心血管内科")],
    )


@pytest.fixture
def as_user(request):
    """An API client logged in (session) as the named persona; anonymous is not logged in."""

    def client_for(persona: str) -> APIClient:
        client = APIClient()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return client_for


def cases_url(benchmark, rest: str = "") -> str:
    return f"/api/v1/benchmarks/{benchmark.slug}/cases/{rest}"


def native_file(*lines, name="cases.jsonl") -> SimpleUploadedFile:
    body = "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    )
    return SimpleUploadedFile(name, body.encode(), content_type="application/jsonl")


def native_line(case_id: str, **overrides) -> dict:
    line = {
        "id": case_id,
        "title": "发热三天",
        "messages": [{"role": "user", "content": "孩子发热三天，体温39℃，怎么办？"}],
        "facets": {"specialty": ["儿科"]},
        "criteria": [{"id": "c01", "text": "建议就医", "points": 1, "tags": []}],
    }
    line.update(overrides)
    return line


# --- who may do what -------------------------------------------------------------------------

READ = {
    "author": 200,
    "reviewer": 200,
    "grader": 403,
    "adjudicator": 200,
    "manager": 200,
    "outsider": 404,
    "anonymous": 401,
}
AUTHOR_ONLY = dict.fromkeys(PERSONAS, 403) | {"author": 200, "outsider": 404, "anonymous": 401}
MANAGER_ONLY = AUTHOR_ONLY | {"author": 403, "manager": 200}
ENDPOINTS = {
    "list": ("get", "", None, READ),
    "detail": ("get", "CC-0001/", None, READ),
    "versions": ("get", "CC-0001/versions/", None, READ),
    "version": ("get", "CC-0001/versions/1/", None, READ),
    "create": (
        "post",
        "",
        {"external_id": "CC-0100", "messages": [{"role": "user", "content": "头痛"}]},
        AUTHOR_ONLY | {"author": 201},
    ),
    "draft": ("patch", "CC-0001/draft/", {"revision": 1, "title": "新标题"}, AUTHOR_ONLY),
    "submit": ("post", "CC-0001/submit/", {}, AUTHOR_ONLY),
    "new-draft": ("post", "CC-0002/new-draft/", None, AUTHOR_ONLY | {"author": 201}),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_endpoint_answers_each_persona(
    endpoint, persona, as_user, benchmark, draft_case, approved_case
):
    method, rest, payload, expected = ENDPOINTS[endpoint]
    client = as_user(persona)

    response = getattr(client, method)(cases_url(benchmark, rest), payload, format="json")

    assert response.status_code == expected[persona], response.content
    if response.status_code >= 400:
        assert set(response.json()) >= {"detail", "errors"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_managers_import(persona, as_user, benchmark, specialty):
    client = as_user(persona)
    upload = native_file(native_line("CC-0200"))

    response = client.post(
        f"/api/v1/benchmarks/{benchmark.slug}/import/",
        {"file": upload, "format": "native", "dry_run": True},
        format="multipart",
    )

    assert response.status_code == MANAGER_ONLY[persona], response.content


def test_anonymous_is_told_to_authenticate_with_a_token(benchmark):
    response = APIClient().get(cases_url(benchmark))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_outsider_cannot_learn_that_the_benchmark_exists(as_user, benchmark):
    existing = as_user("outsider").get(cases_url(benchmark))
    missing = as_user("outsider").get("/api/v1/benchmarks/no-such-benchmark/cases/")

    assert existing.status_code == missing.status_code == 404
    assert existing.json() == missing.json()


def test_grader_cannot_read_reference_answers_through_the_api(as_user, benchmark, draft_case):
    response = as_user("grader").get(cases_url(benchmark, "CC-0001/versions/1/"))

    assert response.status_code == 403
    assert "reference_answer" not in response.json()


def test_wrong_methods_are_refused(as_user, benchmark, draft_case):
    client = as_user("author")

    assert client.delete(cases_url(benchmark, "CC-0001/")).status_code == 405
    assert client.get(cases_url(benchmark, "CC-0001/submit/")).status_code == 405
    assert client.post(cases_url(benchmark, "CC-0001/draft/"), {}).status_code == 405


def test_token_authentication_works(benchmark, draft_case, reviewer):
    _token, key = api_token_create(user=reviewer, name="script", days=30)
    client = APIClient()

    with_token = client.get(cases_url(benchmark), HTTP_AUTHORIZATION=f"Token {key}")
    bad_token = client.get(cases_url(benchmark), HTTP_AUTHORIZATION="Token not-a-real-key")

    assert with_token.status_code == 200
    assert with_token.json()["count"] == 1
    assert bad_token.status_code == 401


# --- benchmarks ------------------------------------------------------------------------------


def test_benchmarks_lists_mine_with_my_roles(as_user, benchmark, author):
    MembershipFactory(benchmark=benchmark, user=author, role="manager")
    BenchmarkFactory(name="Not mine")

    response = as_user("author").get("/api/v1/benchmarks/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": benchmark.slug,
            "name": benchmark.name,
            "description": "",
            "default_k": 10,
            "languages": [],
            "roles": ["author", "manager"],
        }
    ]


# --- reading ---------------------------------------------------------------------------------


def test_case_detail_shows_the_current_version_with_criteria_and_terms(
    as_user, benchmark, draft_case
):
    response = as_user("reviewer").get(cases_url(benchmark, "CC-0001/"))

    assert response.status_code == 200
    data = response.json()
    assert (data["external_id"], data["status"]) == ("CC-0001", "draft")
    version = data["current_version"]
    assert version["number"] == 1
    assert version["author"] == "alice_author"
    assert version["frozen"] is False
    assert version["revision"] == 1
    assert version["messages"] == [{"role": "user", "content": "胸痛两小时，怎么办？"}]
    assert version["terms"] == {"specialty": ["儿科"]}
    assert version["source_fields"] == {"clinconsensus": {"user_role": "患者"}}
    assert [(c["key"], c["points"], c["tags"]) for c in version["criteria"]] == [
        ("c01", 1, []),
        ("c02", -2, ["axis:safety"]),
    ]


def test_unknown_case_is_404_with_a_message(as_user, benchmark, draft_case):
    response = as_user("author").get(cases_url(benchmark, "CC-9999/"))

    assert response.status_code == 404
    assert "CC-9999" in response.json()["detail"]


def test_versions_list_each_version_with_its_parent(as_user, benchmark, approved_case, author):
    as_user("author").post(cases_url(benchmark, "CC-0002/new-draft/"))

    response = as_user("manager").get(cases_url(benchmark, "CC-0002/versions/"))

    assert response.status_code == 200
    assert [(v["number"], v["parent"], v["frozen"]) for v in response.json()] == [
        (2, 1, False),
        (1, None, True),
    ]


def test_version_detail_and_missing_version(as_user, benchmark, approved_case):
    client = as_user("adjudicator")

    found = client.get(cases_url(benchmark, "CC-0002/versions/1/"))
    missing = client.get(cases_url(benchmark, "CC-0002/versions/7/"))

    assert found.status_code == 200
    assert found.json()["terms"] == {"specialty": ["心血管内科"]}
    assert len(found.json()["criteria"]) == 2
    assert missing.status_code == 404


def test_case_list_filters(as_user, benchmark, draft_case, approved_case, specialty):
    other_author = UserFactory(username="bo_author")
    MembershipFactory(benchmark=benchmark, user=other_author, role="author")
    make_case(benchmark, "HB-0003", author=other_author, status=CaseStatus.IN_REVIEW)
    client = as_user("reviewer")

    def ids(**params) -> list[str]:
        response = client.get(cases_url(benchmark), params)
        assert response.status_code == 200, response.content
        return [row["external_id"] for row in response.json()["results"]]

    assert ids() == ["CC-0001", "CC-0002", "HB-0003"]
    assert ids(status=["draft", "approved"]) == ["CC-0001", "CC-0002"]
    assert ids(term="specialty:心血管内科") == ["CC-0002"]
    assert ids(term=["specialty:心血管内科", "specialty:儿科"]) == ["CC-0001", "CC-0002"]
    assert ids(author="bo_author") == ["HB-0003"]
    assert ids(q="hb-0") == ["HB-0003"]
    assert ids(q="胸痛两小时") == ["CC-0001", "CC-0002", "HB-0003"]
    assert ids(sort="status") == ["CC-0001", "HB-0003", "CC-0002"]


def test_case_list_rows_and_pagination(as_user, benchmark, draft_case, approved_case):
    response = as_user("manager").get(cases_url(benchmark), {"limit": 1, "offset": 1})

    data = response.json()
    assert data["count"] == 2
    assert data["next"] is None
    assert data["previous"] is not None
    assert data["results"] == [
        {
            "external_id": "CC-0002",
            "status": "approved",
            "updated_at": data["results"][0]["updated_at"],
            "version": 1,
            "title": "胸痛 CC-0002",
            "author": "alice_author",
            "frozen": True,
            "criteria": 2,
            "positive_points": 1,
            "terms": {"specialty": ["心血管内科"]},
        }
    ]


def test_bad_filters_are_a_400_listing_each(as_user, benchmark):
    response = as_user("author").get(cases_url(benchmark), {"status": "lost", "term": "nocolon"})

    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"status[0]", "term[0]"}


def _queries_for(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


LIST_QUERIES = 7  # session, user, membership, count, ids of the page, its rows, their terms


def test_case_list_query_count_does_not_grow_with_rows(
    as_user, benchmark, author, specialty, django_assert_num_queries
):
    client = as_user("reviewer")
    terms = list(specialty.terms.all())
    make_case(benchmark, "CC-0001", author=author, terms=terms)
    _queries_for(client, cases_url(benchmark), django_assert_num_queries, LIST_QUERIES)
    for n in range(2, 40):
        make_case(benchmark, f"CC-{n:04d}", author=author, criteria=3, terms=terms)
    _queries_for(client, cases_url(benchmark), django_assert_num_queries, LIST_QUERIES)


DETAIL_QUERIES = 7  # session, user, membership, case, version, terms, criteria
VERSIONS_QUERIES = 5  # session, user, membership, case, versions


def test_case_detail_query_count_does_not_grow_with_criteria(
    as_user, benchmark, author, specialty, django_assert_num_queries
):
    client = as_user("reviewer")
    make_case(benchmark, "CC-0001", author=author, criteria=1, terms=specialty.terms.all()[:1])
    make_case(benchmark, "CC-0002", author=author, criteria=30, terms=specialty.terms.all())

    for case_id in ("CC-0001", "CC-0002"):
        url = cases_url(benchmark, f"{case_id}/")
        _queries_for(client, url, django_assert_num_queries, DETAIL_QUERIES)
        _queries_for(client, f"{url}versions/1/", django_assert_num_queries, DETAIL_QUERIES)
        _queries_for(client, f"{url}versions/", django_assert_num_queries, VERSIONS_QUERIES)


# --- writing ---------------------------------------------------------------------------------


def test_author_creates_a_case_with_terms_and_criteria(as_user, benchmark, specialty, author):
    payload = {
        "external_id": "CC-0100",
        "title": "孕期高血压",
        "messages": [
            {"role": "user", "content": "我怀孕32周，血压150/100。"},
            {"role": "assistant", "content": "请问有头痛吗？"},
            {"role": "user", "content": "有一点。"},
        ],
        "reference_answer": "立即就医评估子痫前期。",
        "terms": {"specialty": ["心血管内科"]},
        "criteria": [
            {"text": "建议立即就医", "points": 5, "tags": ["axis:safety"]},
            {"text": "推荐自行服用降压药", "points": -3},
        ],
    }

    response = as_user("author").post(cases_url(benchmark), payload, format="json")

    assert response.status_code == 201, response.content
    case = Case.objects.get(benchmark=benchmark, external_id="CC-0100")
    version = case.current_version
    assert case.status == CaseStatus.DRAFT
    assert version.author == author
    assert len(version.messages) == 3
    assert list(version.criteria.values_list("key", "text", "points")) == [
        ("c01", "建议立即就医", 5),
        ("c02", "推荐自行服用降压药", -3),
    ]
    assert list(version.terms.values_list("value", flat=True)) == ["心血管内科"]
    assert AuditEvent.objects.filter(action="case.create", object_id=str(case.pk)).exists()
    assert response.json()["current_version"]["criteria"][1]["points"] == -3


def test_create_refuses_unknown_terms_and_bad_turns_listing_fields(as_user, benchmark, specialty):
    payload = {
        "external_id": "CC-0100",
        "messages": [{"role": "doctor", "content": "?"}],
        "terms": {"specialty": ["骨科"]},
    }

    response = as_user("author").post(cases_url(benchmark), payload, format="json")

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["messages[0].role"]
    payload["messages"] = [{"role": "user", "content": "?"}]
    response = as_user("author").post(cases_url(benchmark), payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "terms.specialty"
    assert "骨科" in response.json()["errors"][0]["message"]
    assert not Case.objects.filter(external_id="CC-0100").exists()


def test_create_refuses_a_duplicate_case_id(as_user, benchmark, draft_case):
    payload = {"external_id": "CC-0001", "messages": [{"role": "user", "content": "?"}]}

    response = as_user("author").post(cases_url(benchmark), payload, format="json")

    assert response.status_code == 400
    assert Case.objects.filter(external_id="CC-0001").count() == 1


def test_put_replaces_the_draft_and_bumps_the_revision(as_user, benchmark, draft_case):
    payload = {
        "revision": 1,
        "title": "胸痛（修订）",
        "messages": [{"role": "user", "content": "胸痛三小时。"}],
        "reference_answer": "立即拨打120。",
        "terms": {"specialty": ["心血管内科"]},
        "change_note": "更准确的时间",
        "criteria": [
            {"key": "c02", "text": "未建议自行驾车就医", "points": -2},
            {"text": "建议嚼服阿司匹林", "points": 2},
        ],
    }

    response = as_user("author").put(cases_url(benchmark, "CC-0001/draft/"), payload, format="json")

    assert response.status_code == 200, response.content
    version = draft_case.current_version
    version.refresh_from_db()
    assert version.revision == 2
    assert version.title == "胸痛（修订）"
    assert version.messages == [{"role": "user", "content": "胸痛三小时。"}]
    assert list(version.criteria.values_list("key", "points")) == [("c02", -2), ("c03", 2)]
    assert list(version.terms.values_list("value", flat=True)) == ["心血管内科"]
    assert response.json()["revision"] == 2


def test_put_requires_the_whole_content(as_user, benchmark, draft_case):
    response = as_user("author").put(
        cases_url(benchmark, "CC-0001/draft/"), {"revision": 1}, format="json"
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"messages", "criteria"}


def test_patch_changes_only_what_is_given(as_user, benchmark, draft_case):
    response = as_user("author").patch(
        cases_url(benchmark, "CC-0001/draft/"), {"revision": 1, "title": "新标题"}, format="json"
    )

    assert response.status_code == 200, response.content
    version = draft_case.current_version
    version.refresh_from_db()
    assert (version.title, version.revision) == ("新标题", 2)
    assert version.messages == [{"role": "user", "content": "胸痛两小时，怎么办？"}]
    assert version.criteria.count() == 2
    assert list(version.terms.values_list("value", flat=True)) == ["儿科"]


def test_patch_without_revision_is_refused(as_user, benchmark, draft_case):
    response = as_user("author").patch(
        cases_url(benchmark, "CC-0001/draft/"), {"title": "x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "revision"


def test_second_save_on_a_stale_revision_gets_409_with_the_stored_content(
    as_user, benchmark, draft_case
):
    url = cases_url(benchmark, "CC-0001/draft/")
    first = as_user("author").patch(url, {"revision": 1, "title": "第一位"}, format="json")

    second = as_user("author").patch(url, {"revision": 1, "title": "第二位"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 409
    body = second.json()
    assert body["stored"]["title"] == "第一位"
    assert body["stored"]["revision"] == 2
    version = draft_case.current_version
    version.refresh_from_db()
    assert (version.title, version.revision) == ("第一位", 2)


def test_saving_a_submitted_version_is_a_conflict(as_user, benchmark, approved_case):
    response = as_user("author").patch(
        cases_url(benchmark, "CC-0002/draft/"), {"revision": 1, "title": "x"}, format="json"
    )

    assert response.status_code == 409
    assert "new draft" in response.json()["detail"]
    approved_case.current_version.refresh_from_db()
    assert approved_case.current_version.title == "胸痛 CC-0002"


def test_service_validation_errors_are_400_by_field(as_user, benchmark, draft_case):
    response = as_user("author").patch(
        cases_url(benchmark, "CC-0001/draft/"),
        {"revision": 1, "criteria": [{"text": "零分", "points": 0}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "criteria"
    draft_case.current_version.refresh_from_db()
    assert draft_case.current_version.criteria.count() == 2


def test_submit_freezes_the_draft_and_sends_it_to_review(as_user, benchmark, draft_case):
    response = as_user("author").post(
        cases_url(benchmark, "CC-0001/submit/"), {"revision": 1}, format="json"
    )

    assert response.status_code == 200, response.content
    draft_case.refresh_from_db()
    draft_case.current_version.refresh_from_db()
    assert draft_case.status == CaseStatus.IN_REVIEW
    assert draft_case.current_version.is_frozen
    assert response.json()["current_version"]["frozen"] is True


def test_submit_with_a_stale_revision_is_a_conflict(as_user, benchmark, draft_case):
    response = as_user("author").post(
        cases_url(benchmark, "CC-0001/submit/"), {"revision": 5}, format="json"
    )

    assert response.status_code == 409
    draft_case.refresh_from_db()
    assert draft_case.status == CaseStatus.DRAFT


def test_submit_is_blocked_by_identifying_information(as_user, benchmark, draft_case):
    client = as_user("author")
    client.patch(
        cases_url(benchmark, "CC-0001/draft/"),
        {"revision": 1, "messages": [{"role": "user", "content": "请回电13812345678。"}]},
        format="json",
    )

    response = client.post(cases_url(benchmark, "CC-0001/submit/"), {}, format="json")

    assert response.status_code == 400
    hits = [e for e in response.json()["errors"] if "13812345678" in e["message"]]
    assert [e["field"] for e in hits] == ["messages[0].content"]
    draft_case.refresh_from_db()
    assert draft_case.status == CaseStatus.DRAFT


def test_submit_is_blocked_without_a_positive_criterion(as_user, benchmark, author):
    make_case(benchmark, "CC-0003", author=author, criteria=0)

    response = as_user("author").post(cases_url(benchmark, "CC-0003/submit/"), {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]


def test_submitting_a_frozen_version_is_a_conflict(as_user, benchmark, approved_case):
    response = as_user("author").post(cases_url(benchmark, "CC-0002/submit/"), {}, format="json")

    assert response.status_code == 409


def test_new_draft_copies_the_approved_version(as_user, benchmark, approved_case, author):
    response = as_user("author").post(cases_url(benchmark, "CC-0002/new-draft/"))

    assert response.status_code == 201, response.content
    approved_case.refresh_from_db()
    draft = approved_case.current_version
    assert (draft.number, draft.parent.number, draft.is_frozen) == (2, 1, False)
    assert approved_case.status == CaseStatus.DRAFT
    assert list(draft.criteria.values_list("key", flat=True)) == ["c01", "c02"]
    assert response.json()["current_version"]["number"] == 2


def test_new_draft_of_a_draft_is_a_conflict(as_user, benchmark, draft_case):
    response = as_user("author").post(cases_url(benchmark, "CC-0001/new-draft/"))

    assert response.status_code == 409
    assert CaseVersion.objects.filter(case=draft_case).count() == 1


# --- import ----------------------------------------------------------------------------------


def import_url(benchmark) -> str:
    return f"/api/v1/benchmarks/{benchmark.slug}/import/"


def test_manager_imports_a_native_file(as_user, benchmark, specialty, manager):
    upload = native_file(native_line("CC-0200"), native_line("CC-0201", title="咳嗽"))

    response = as_user("manager").post(
        import_url(benchmark), {"file": upload, "format": "native"}, format="multipart"
    )

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["created"] == ["CC-0200", "CC-0201"]
    assert report["counts"] == {"created": 2, "revised": 0, "unchanged": 0, "criteria": 2}
    assert report["file_name"] == "cases.jsonl"
    case = Case.objects.get(benchmark=benchmark, external_id="CC-0201")
    assert case.current_version.title == "咳嗽"
    assert case.current_version.author == manager


def test_import_approved_freezes_the_versions(as_user, benchmark, specialty):
    upload = native_file(native_line("CC-0200"))

    response = as_user("manager").post(
        import_url(benchmark),
        {"file": upload, "format": "native", "approved": True},
        format="multipart",
    )

    assert response.status_code == 200
    case = Case.objects.get(external_id="CC-0200")
    assert case.status == CaseStatus.APPROVED
    assert case.current_version.is_frozen


def test_import_dry_run_reports_and_writes_nothing(as_user, benchmark, specialty):
    upload = native_file(native_line("CC-0200"))

    response = as_user("manager").post(
        import_url(benchmark),
        {"file": upload, "format": "native", "dry_run": True},
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json()["created"] == ["CC-0200"]
    assert response.json()["dry_run"] is True
    assert not Case.objects.filter(external_id="CC-0200").exists()


def test_import_refuses_a_bad_file_listing_every_bad_line(as_user, benchmark, specialty):
    upload = native_file(
        native_line("CC-0200"),
        "{not json",
        native_line("CC-0202", criteria=[{"id": "c01", "text": ""}]),
        native_line("CC-0200"),
    )

    response = as_user("manager").post(
        import_url(benchmark), {"file": upload, "format": "native"}, format="multipart"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (2, ""),
        (3, "criteria[0].text"),
        (4, "id"),
    ]
    assert all(e["message"] for e in errors)
    assert not Case.objects.filter(benchmark=benchmark).exists()


def test_import_requires_a_file_and_a_known_format(as_user, benchmark):
    response = as_user("manager").post(
        import_url(benchmark), {"format": "docx"}, format="multipart"
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"file", "format"}


GAPS = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/gaps_nsclc/GAPS-NSCLC-preview.xlsx"
)


def test_import_of_the_gaps_spreadsheet_needs_a_points_map(as_user, benchmark):
    client = as_user("manager")

    def upload(**extra):
        with GAPS.open("rb") as sheet:
            return client.post(
                import_url(benchmark),
                {"file": sheet, "format": "xlsx", "dry_run": True, **extra},
                format="multipart",
            )

    refused = upload()
    accepted = upload(points_map="gaps")

    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["points_map"]
    assert accepted.status_code == 200, accepted.content
    report = accepted.json()
    assert report["counts"]["created"] == 92
    assert report["points_map"] == "gaps"
    assert len(report["answer_models"]) == 3
    assert not Case.objects.filter(benchmark=benchmark).exists()
