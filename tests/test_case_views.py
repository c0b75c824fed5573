import pytest
from django.urls import reverse

from curation.models import CaseStatus, CaseVersion
from curation.services import authoring
from tests.factories import FacetFactory, TermFactory, UserFactory

PROMPT = [{"role": "user", "content": "患者女，52岁，反复胸闷3个月，活动后加重。需要做哪些检查？"}]


@pytest.fixture
def specialty(benchmark):
    facet = FacetFactory(benchmark=benchmark, key="specialty", name="Specialty")
    TermFactory(facet=facet, value="心血管内科")
    TermFactory(facet=facet, value="呼吸内科")
    return facet


@pytest.fixture
def case(benchmark, author, specialty):
    return authoring.case_create(
        benchmark=benchmark,
        external_id="CC-0001",
        by=author,
        title="胸闷待查",
        messages=PROMPT,
        reference_answer="建议**心电图**与运动负荷试验。",
        terms=[specialty.terms.get(value="心血管内科")],
        criteria=[
            {"text": "建议做心电图", "points": 3},
            {"text": "建议运动负荷试验", "points": 2, "tags": ["axis:completeness"]},
            {"text": "直接建议冠脉搭桥", "points": -5},
        ],
    )


def case_url(name, case, *args):
    return reverse(f"curation:{name}", args=[case.benchmark.slug, case.external_id, *args])


def draft_data(version, **changes):
    """The editor form as a browser posts it for `version`, with some fields changed."""
    data = {
        "expected_revision": version.revision,
        "title": version.title,
        "turn_role": [m["role"] for m in version.messages],
        "turn_content": [m["content"] for m in version.messages],
        "reference_answer": version.reference_answer,
        "change_note": version.change_note,
        "facet_specialty": [t.pk for t in version.terms.all()],
    }
    data.update(changes)
    return data


def approve(case):
    case.refresh_from_db()
    case.status = CaseStatus.APPROVED
    case.save(update_fields=["status"])


# --- who may do what ---

PERSONAS = ["author", "reviewer", "grader", "adjudicator", "manager", "outsider"]
READERS = {"author": 200, "reviewer": 200, "manager": 200, "grader": 403, "adjudicator": 403}
WRITERS = {"author": 200, "reviewer": 403, "manager": 403, "grader": 403, "adjudicator": 403}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("page", "allowed"),
    [
        ("case_list", READERS),
        ("case_detail", READERS),
        ("case_diff", READERS),
        ("case_edit", WRITERS),
        ("case_create", WRITERS),
    ],
)
def test_page_access_by_role(client, request, case, persona, page, allowed):
    client.force_login(request.getfixturevalue(persona))
    target = (
        case_url(page, case)
        if page not in {"case_list", "case_create"}
        else reverse(f"curation:{page}", args=[case.benchmark.slug])
    )

    response = client.get(target)

    assert response.status_code == allowed.get(persona, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["case_list", "case_detail", "case_edit", "case_diff"])
def test_anonymous_visitors_are_sent_to_log_in(client, case, page):
    target = (
        case_url(page, case)
        if page != "case_list"
        else reverse("curation:case_list", args=[case.benchmark.slug])
    )

    response = client.get(target)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["reviewer", "grader", "manager"])
@pytest.mark.parametrize(
    "action",
    ["criterion_add", "case_submit", "case_new_version", "criterion_move", "criterion_delete"],
)
def test_only_authors_change_cases(client, request, case, persona, action):
    client.force_login(request.getfixturevalue(persona))
    args = ["c01"] if action.startswith("criterion_") and action != "criterion_add" else []

    response = client.post(case_url(action, case, *args), {"expected_revision": 1})

    assert response.status_code == 403
    case.current_version.refresh_from_db()
    assert case.current_version.revision == 1


@pytest.mark.django_db
def test_outsiders_cannot_learn_that_a_case_exists(client, case, outsider):
    client.force_login(outsider)

    response = client.post(case_url("case_submit", case), {"expected_revision": 1})

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action", ["criterion_add", "case_submit", "case_new_version", "case_retire"]
)
def test_actions_refuse_get(client, case, author, action):
    client.force_login(author)

    response = client.get(case_url(action, case))

    assert response.status_code == 405


@pytest.mark.django_db
def test_only_managers_retire(client, case, author, manager):
    authoring.case_version_submit(version=case.current_version, by=author)
    approve(case)
    client.force_login(author)

    assert client.post(case_url("case_retire", case)).status_code == 403

    client.force_login(manager)
    response = client.post(case_url("case_retire", case))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RETIRED


# --- case list ---


def _many_cases(benchmark, author, specialty, count):
    term = specialty.terms.first()
    for n in range(count):
        authoring.case_create(
            benchmark=benchmark,
            external_id=f"MC-{n:04d}",
            by=author,
            title=f"病例 {n}",
            messages=PROMPT,
            reference_answer="",
            terms=[term],
            criteria=[{"text": "建议做心电图", "points": 2}, {"text": "漏诊", "points": -1}],
        )


@pytest.mark.django_db
def test_case_list_costs_the_same_queries_for_any_number_of_cases(
    client, benchmark, author, specialty, django_assert_max_num_queries
):
    _many_cases(benchmark, author, specialty, 60)
    client.force_login(author)
    target = reverse("curation:case_list", args=[benchmark.slug])
    term = specialty.terms.first()

    # session, user, access, navigation (2), facets + terms, authors, page of ids with their
    # count, their rows, their terms
    with django_assert_max_num_queries(11):
        response = client.get(
            target, {"q": "病例", "facet_specialty": term.pk, "author": author.pk}
        )

    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert len(rows) == 50
    assert (rows[0].criteria_count, rows[0].positive_points) == (2, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("search", ["", "病例"])  # the total counted, or carried by the rows
@pytest.mark.parametrize(
    ("asked", "shown", "rows"),
    [("2", 2, 10), ("99", 2, 10), ("0", 2, 10), ("00", 2, 10), ("x", 1, 50)],
)
def test_case_list_pages_like_the_paginator(
    client, benchmark, author, specialty, search, asked, shown, rows
):
    _many_cases(benchmark, author, specialty, 60)
    client.force_login(author)

    response = client.get(
        reverse("curation:case_list", args=[benchmark.slug]), {"page": asked, "q": search}
    )

    page = response.context["page"]
    assert (page.number, len(page.object_list), page.paginator.count) == (shown, rows, 60)
    assert "60 cases" in response.content.decode()


@pytest.mark.django_db
def test_case_list_toolbar_marks_the_chosen_options(client, case, author, specialty):
    TermFactory(facet=specialty, value="<b>外科</b>")
    term = specialty.terms.get(value="心血管内科")
    client.force_login(author)

    response = client.get(
        reverse("curation:case_list", args=[case.benchmark.slug]),
        {"status": "draft", "facet_specialty": term.pk},
    )

    html = response.content.decode()
    assert '<option value="draft" selected>' in html
    assert f'<option value="{term.pk}" selected>心血管内科</option>' in html
    assert "&lt;b&gt;外科&lt;/b&gt;</option>" in html
    assert '<select name="status" id="id_status">' in html


@pytest.mark.django_db
def test_case_list_finds_chinese_conversation_text(client, case, author):
    client.force_login(author)

    response = client.get(
        reverse("curation:case_list", args=[case.benchmark.slug]), {"q": "胸闷3个月"}
    )

    assert [c.external_id for c in response.context["page"].object_list] == ["CC-0001"]


@pytest.mark.django_db
def test_case_list_filters_by_status_term_and_author(
    client, benchmark, case, author, specialty, reviewer
):
    other_author = UserFactory(username="bo_author")
    benchmark.memberships.create(user=other_author, role="author")
    other = authoring.case_create(
        benchmark=benchmark,
        external_id="CC-0002",
        by=other_author,
        title="咳嗽",
        messages=[{"role": "user", "content": "咳嗽两周"}],
        reference_answer="",
        terms=[specialty.terms.get(value="呼吸内科")],
        criteria=[{"text": "询问吸烟史", "points": 1}],
    )
    authoring.case_version_submit(version=other.current_version, by=other_author)
    client.force_login(reviewer)
    target = reverse("curation:case_list", args=[benchmark.slug])

    def ids(**params):
        page = client.get(target, params).context["page"]
        return [c.external_id for c in page.object_list]

    assert ids(status="in_review") == ["CC-0002"]
    assert ids(facet_specialty=specialty.terms.get(value="心血管内科").pk) == ["CC-0001"]
    assert ids(author=other_author.pk) == ["CC-0002"]
    assert ids(sort="status") == ["CC-0001", "CC-0002"]
    assert ids(status="nonsense") == ["CC-0001", "CC-0002"]  # a bad value is reported, not a 500


@pytest.mark.django_db
def test_case_list_htmx_request_gets_only_the_results(client, case, author):
    client.force_login(author)

    response = client.get(
        reverse("curation:case_list", args=[case.benchmark.slug]),
        headers={"HX-Request": "true", "HX-Target": "case-results"},
    )

    html = response.content.decode()
    assert 'id="case-results"' in html
    assert "<html" not in html


# --- case page ---


@pytest.mark.django_db
def test_case_page_shows_the_version_as_graders_see_it(
    client, case, reviewer, django_assert_max_num_queries
):
    client.force_login(reviewer)

    # session, user, access, navigation (2), case, version, criteria, terms, history,
    # review history (rounds, status changes)
    with django_assert_max_num_queries(12):
        response = client.get(case_url("case_detail", case))

    html = response.content.decode()
    assert "需要做哪些检查" in html
    assert "<strong>心电图</strong>" in html
    assert "3 criteria" in html
    assert "5 points to earn" in html
    assert "-5 penalty points" in html
    assert "心血管内科" in html


@pytest.mark.django_db
def test_case_page_shows_an_earlier_version_on_request(client, case, author):
    authoring.case_version_submit(version=case.current_version, by=author)
    approve(case)
    v2 = authoring.case_new_draft(case=case, by=author)
    authoring.criterion_update(
        criterion=v2.criteria.get(key="c01"),
        by=author,
        expected_revision=1,
        text="建议12导联心电图",
        points=3,
        tags=[],
    )
    client.force_login(author)

    old = client.get(case_url("case_detail", case), {"version": 1}).content.decode()
    current = client.get(case_url("case_detail", case)).content.decode()

    assert "建议做心电图" in old
    assert "not the current version 2" in old
    assert "建议12导联心电图" in current
    assert client.get(case_url("case_detail", case), {"version": "x"}).status_code == 404
    assert client.get(case_url("case_detail", case), {"version": 9}).status_code == 404


@pytest.mark.django_db
def test_case_page_shows_identifying_information(client, case, author):
    authoring.criterion_add(
        version=case.current_version,
        by=author,
        expected_revision=1,
        text="电话随访 13912345678",
    )
    client.force_login(author)

    html = client.get(case_url("case_detail", case)).content.decode()

    assert "<mark>13912345678</mark>" in html
    assert "mobile number" in html


# --- creating ---


@pytest.mark.django_db
def test_create_a_case_then_go_on_to_its_criteria(client, benchmark, author, specialty):
    client.force_login(author)
    term = specialty.terms.first()

    response = client.post(
        reverse("curation:case_create", args=[benchmark.slug]),
        {
            "external_id": "CC-0100",
            "title": "头痛",
            "turn_role": ["system", "user"],
            "turn_content": ["你是一名全科医生。", "头痛三天怎么办？"],
            "reference_answer": "",
            "facet_specialty": [term.pk],
        },
    )

    case = benchmark.cases.get(external_id="CC-0100")
    assert response.status_code == 302
    assert response.url == case_url("case_edit", case)
    assert case.current_version.messages == [
        {"role": "system", "content": "你是一名全科医生。"},
        {"role": "user", "content": "头痛三天怎么办？"},
    ]
    assert list(case.current_version.terms.all()) == [term]


@pytest.mark.django_db
def test_create_form_keeps_what_was_typed_on_error(client, case, author):
    client.force_login(author)

    response = client.post(
        reverse("curation:case_create", args=[case.benchmark.slug]),
        {
            "external_id": "CC-0001",  # taken
            "title": "我的标题",
            "turn_role": ["user"],
            "turn_content": ["很长的一段病史……"],
            "reference_answer": "我的参考答案",
        },
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "A case with this id already exists" in html
    assert "我的标题" in html
    assert "很长的一段病史……" in html
    assert "我的参考答案" in html
    assert case.benchmark.cases.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("external_id", ["new", "a/b", "有空格 的"])
def test_create_refuses_ids_that_cannot_be_a_case_address(client, benchmark, author, external_id):
    client.force_login(author)

    response = client.post(
        reverse("curation:case_create", args=[benchmark.slug]),
        {"external_id": external_id, "turn_role": ["user"], "turn_content": ["?"]},
    )

    assert response.status_code == 422
    assert not benchmark.cases.exists()


@pytest.mark.django_db
def test_turn_buttons_reshape_the_conversation_without_saving(client, case, author):
    client.force_login(author)
    version = case.current_version
    data = draft_data(
        version,
        title="未保存的标题",
        turn_role=["user", "assistant"],
        turn_content=["第一轮", "第二轮"],
    )

    moved = client.post(case_url("case_edit", case), {**data, "turn_action": "down:0"})
    added = client.post(
        case_url("case_edit", case),
        {**data, "turn_action": "add"},
        headers={"HX-Request": "true"},
    )

    html = moved.content.decode()
    assert html.index("第二轮") < html.index("第一轮")
    assert "未保存的标题" in html
    assert added.content.decode().count('name="turn_content"') == 3
    assert "<html" not in added.content.decode()
    version.refresh_from_db()
    assert (version.revision, version.title) == (1, "胸闷待查")


@pytest.mark.django_db
def test_reference_answer_preview_is_sanitised(client, case, author):
    client.force_login(author)
    data = draft_data(
        case.current_version,
        reference_answer="| 药物 | 剂量 |\n|---|---|\n| 阿司匹林 | 100 mg |\n<script>x()</script>",
        action="preview",
    )

    response = client.post(case_url("case_edit", case), data, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<td>阿司匹林</td>" in html
    assert "<script" not in html


# --- editing and conflicts ---


@pytest.mark.django_db
def test_saving_the_draft_bumps_the_revision(client, case, author, specialty):
    client.force_login(author)
    version = case.current_version
    lung = specialty.terms.get(value="呼吸内科")

    response = client.post(
        case_url("case_edit", case),
        draft_data(version, title="胸闷（修订）", facet_specialty=[lung.pk]),
    )

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.revision, version.title) == (2, "胸闷（修订）")
    assert list(version.terms.all()) == [lung]


@pytest.mark.django_db
def test_a_stale_save_shows_both_texts_and_keeps_the_typed_one(client, case, author, reviewer):
    version = case.current_version
    stale = draft_data(version, title="我改的标题", reference_answer="我写的参考答案")
    authoring.case_version_save_draft(
        version=version,
        by=author,
        expected_revision=1,
        title="别人改的标题",
        messages=version.messages,
        reference_answer=version.reference_answer,
        terms=[],
        change_note="",
    )
    client.force_login(author)

    response = client.post(case_url("case_edit", case), stale)

    html = response.content.decode()
    assert response.status_code == 409
    assert "<del>别人</del>改的标题" in html  # stored, marked where it differs
    assert 'value="我改的标题"' in html  # typed, still in the form
    assert "我写的参考答案" in html
    assert 'name="expected_revision" id="content-revision" value="2"' in html
    version.refresh_from_db()
    assert version.title == "别人改的标题"

    again = client.post(case_url("case_edit", case), {**stale, "expected_revision": 2})

    assert again.status_code == 302
    version.refresh_from_db()
    assert (version.title, version.revision) == ("我改的标题", 3)


@pytest.mark.django_db
def test_a_save_racing_a_submission_keeps_the_text_to_copy(client, case, author, monkeypatch):
    from curation.views import cases as views

    loaded = case.current_version  # the editor loaded the draft, then it was submitted
    authoring.case_version_submit(version=loaded, by=author)
    monkeypatch.setattr(views, "_current_draft", lambda case: loaded)
    client.force_login(author)

    response = client.post(case_url("case_edit", case), draft_data(loaded, title="来晚了的修改"))

    html = response.content.decode()
    assert response.status_code == 409
    assert "submitted while you were editing" in html
    assert 'value="来晚了的修改" readonly' in html
    assert 'id="content-form"' not in html
    assert CaseVersion.objects.get(pk=loaded.pk).title == "胸闷待查"


@pytest.mark.django_db
def test_editor_of_a_frozen_version_leads_to_the_case_page(client, case, author):
    authoring.case_version_submit(version=case.current_version, by=author)
    client.force_login(author)

    response = client.get(case_url("case_edit", case), follow=True)

    assert response.redirect_chain[-1][0] == case_url("case_detail", case)
    assert "only a draft can be edited" in response.content.decode()


# --- criteria ---


def htmx(client, target, data):
    return client.post(target, data, headers={"HX-Request": "true"})


@pytest.mark.django_db
def test_adding_a_criterion_updates_the_list_and_the_counts(client, case, author):
    client.force_login(author)

    response = htmx(
        client,
        case_url("criterion_add", case),
        {"expected_revision": 1, "text": "询问家族史", "points": 1, "tags": "history，风险"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "询问家族史" in html
    assert "4 criteria" in html
    assert "6 points to earn" in html
    assert 'id="content-revision" value="2" hx-swap-oob="true"' in html
    added = case.current_version.criteria.get(key="c04")
    assert added.tags == ["history", "风险"]


@pytest.mark.django_db
def test_an_invalid_criterion_keeps_what_was_typed(client, case, author):
    client.force_login(author)

    response = htmx(
        client,
        case_url("criterion_add", case),
        {"expected_revision": 1, "text": "零分的评分项", "points": 0, "tags": ""},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "零分的评分项" in html
    assert "Points cannot be 0" in html
    assert case.current_version.criteria.count() == 3


@pytest.mark.django_db
def test_edit_in_place_shows_a_form_then_saves(client, case, author):
    client.force_login(author)

    form = client.get(case_url("criterion_edit", case, "c02"), headers={"HX-Request": "true"})
    saved = htmx(
        client,
        case_url("criterion_edit", case, "c02"),
        {"expected_revision": 1, "text": "建议平板运动试验", "points": -2, "tags": "axis:safety"},
    )

    assert 'name="text"' in form.content.decode()
    assert "建议运动负荷试验" in form.content.decode()
    assert saved.status_code == 200
    criterion = case.current_version.criteria.get(key="c02")
    assert (criterion.text, criterion.points, criterion.tags) == (
        "建议平板运动试验",
        -2,
        ["axis:safety"],
    )


@pytest.mark.django_db
def test_edit_link_without_javascript_opens_the_row_form_in_the_editor(client, case, author):
    client.force_login(author)

    response = client.get(case_url("criterion_edit", case, "c02"), follow=True)

    html = response.content.decode()
    assert "Edit criterion 2 (c02)" in html


@pytest.mark.django_db
def test_moving_a_criterion_up_reorders_and_keeps_focus_on_its_button(client, case, author):
    client.force_login(author)

    response = htmx(
        client, case_url("criterion_move", case, "c02"), {"expected_revision": 1, "direction": "up"}
    )

    keys = list(case.current_version.criteria.order_by("position").values_list("key", flat=True))
    assert keys == ["c02", "c01", "c03"]
    assert "autofocus" in response.content.decode()


@pytest.mark.django_db
def test_moving_without_javascript_returns_to_the_editor(client, case, author):
    client.force_login(author)

    response = client.post(
        case_url("criterion_move", case, "c03"), {"expected_revision": 1, "direction": "up"}
    )

    assert response.status_code == 302
    assert response.url.endswith("#criteria")


@pytest.mark.django_db
def test_deleting_a_criterion(client, case, author):
    client.force_login(author)

    response = htmx(client, case_url("criterion_delete", case, "c03"), {"expected_revision": 1})

    assert response.status_code == 200
    assert "2 criteria" in response.content.decode()
    assert not case.current_version.criteria.filter(key="c03").exists()


@pytest.mark.django_db
def test_a_stale_criterion_edit_shows_the_typed_text_and_stops_further_edits(
    client, case, author, reviewer
):
    authoring.criterion_add(
        version=case.current_version, by=reviewer, expected_revision=1, text="x"
    )
    client.force_login(author)

    response = htmx(
        client,
        case_url("criterion_edit", case, "c01"),
        {"expected_revision": 1, "text": "我刚写好的评分项", "points": 2, "tags": ""},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "我刚写好的评分项" in html
    assert "Reload the editor" in html
    assert 'id="criterion-add"' not in html
    assert "hx-swap-oob" not in html  # the content form keeps its revision
    assert case.current_version.criteria.get(key="c01").text == "建议做心电图"


# --- submitting, new versions, restore ---


@pytest.mark.django_db
def test_submitting_freezes_the_version(client, case, author):
    client.force_login(author)

    response = client.post(case_url("case_submit", case), {"expected_revision": 1})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert case.current_version.is_frozen


@pytest.mark.django_db
def test_submission_with_identifiers_is_refused_with_the_list(client, case, author):
    version = case.current_version
    authoring.case_version_save_draft(
        version=version,
        by=author,
        expected_revision=1,
        title=version.title,
        messages=[
            {"role": "user", "content": "患者身份证 11010519491231002X，邮箱 li@example.com"}
        ],
        reference_answer="",
        terms=[],
        change_note="",
    )
    client.force_login(author)

    response = client.post(case_url("case_submit", case), {"expected_revision": 2})

    html = response.content.decode()
    assert response.status_code == 422
    assert "<mark>11010519491231002X</mark>" in html
    assert "<mark>li@example.com</mark>" in html
    assert "resident ID number" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    assert not case.current_version.is_frozen


@pytest.mark.django_db
def test_a_stale_submission_goes_back_to_the_editor(client, case, author, reviewer):
    authoring.criterion_add(
        version=case.current_version, by=reviewer, expected_revision=1, text="y"
    )
    client.force_login(author)

    response = client.post(case_url("case_submit", case), {"expected_revision": 1})

    assert response.status_code == 302
    assert response.url == case_url("case_edit", case)
    assert not CaseVersion.objects.get(pk=case.current_version.pk).is_frozen


@pytest.mark.django_db
def test_revising_an_approved_case_starts_a_new_draft(client, case, author):
    authoring.case_version_submit(version=case.current_version, by=author)
    approve(case)
    client.force_login(author)

    response = client.post(case_url("case_new_version", case))

    assert response.status_code == 302
    assert response.url == case_url("case_edit", case)
    case.refresh_from_db()
    assert (case.current_version.number, case.status) == (2, CaseStatus.DRAFT)


@pytest.mark.django_db
def test_a_case_in_review_cannot_be_revised(client, case, author):
    authoring.case_version_submit(version=case.current_version, by=author)
    client.force_login(author)

    response = client.post(case_url("case_new_version", case), follow=True)

    assert "approved or sent back" in response.content.decode()
    assert case.versions.count() == 1


@pytest.mark.django_db
def test_restore_an_old_version_as_a_new_draft(client, case, author):
    authoring.case_version_submit(version=case.current_version, by=author)
    approve(case)
    v2 = authoring.case_new_draft(case=case, by=author)
    authoring.criterion_delete(criterion=v2.criteria.get(key="c03"), by=author, expected_revision=1)
    authoring.case_version_save_draft(
        version=v2,
        by=author,
        expected_revision=2,
        title=v2.title,
        messages=v2.messages,
        reference_answer="",
        terms=[],
        change_note="去掉罚分项",
    )
    authoring.case_version_submit(version=v2, by=author)
    approve(case)
    client.force_login(author)

    response = client.post(case_url("case_version_restore", case, 1))

    assert response.status_code == 302
    case.refresh_from_db()
    v3 = case.current_version
    assert v3.number == 3
    assert list(v3.criteria.values_list("key", flat=True)) == ["c01", "c02", "c03"]


@pytest.mark.django_db
def test_a_criterion_with_an_identifier_is_flagged_where_it_is(client, case, author):
    client.force_login(author)

    response = htmx(
        client,
        case_url("criterion_add", case),
        {"expected_revision": 1, "text": "随访电话 13812345678", "points": 1, "tags": ""},
    )

    html = response.content.decode()
    assert "Contains identifying information" in html
    assert '<div id="findings-notice" hx-swap-oob="true">' in html
    assert "<mark>13812345678</mark>" in html
