"""Adjudication pages: queue, screen, decide, flag, settings, gold set — rules, refusals,
blinding, permissions for every persona, query counts."""

import pytest
from django.db.models import Count
from django.urls import reverse

from curation.models import AuditEvent, Benchmark
from grading.adjudication_views import PAGE_SIZE
from grading.models import (
    AdjudicationItem,
    AdjudicationSettings,
    Campaign,
    CampaignItem,
    CampaignItemResponse,
    Consensus,
    CriterionFlag,
    Label,
    Rater,
)
from grading.services.adjudication import adjudication_decide, adjudication_flag
from grading.services.consensus import consensus_refresh, counted_labels
from tests.factories import (
    CaseFactory,
    CaseVersionFactory,
    CriterionFactory,
    LabelFactory,
    ModelUnderTestFactory,
    RaterFactory,
    ResponseFactory,
)


def disagreement(benchmark, *, first_rater=None, model_name="secret-model-x"):
    version = CaseVersionFactory(
        case=CaseFactory(benchmark=benchmark),
        messages=[{"role": "user", "content": "胸痛两小时 **怎么办**？"}],
    )
    response = ResponseFactory(
        case_version=version,
        model=ModelUnderTestFactory(name=model_name),
        text="Call 120 <script>alert(1)</script>",
    )
    criterion = CriterionFactory(version=version, text="Advises calling emergency services")
    LabelFactory(
        response=response,
        criterion=criterion,
        met=True,
        note="clearly said",
        rater=first_rater or RaterFactory(name="dr_wang"),
    )
    LabelFactory(
        response=response, criterion=criterion, met=False, rater=RaterFactory(name="dr_li")
    )
    LabelFactory(
        response=response,
        criterion=criterion,
        met=False,
        note="judge note",
        rater=RaterFactory(kind=Rater.Kind.JUDGE, name="judge-8b"),
    )
    consensus_refresh(items=[(response.pk, criterion.pk)])
    return AdjudicationItem.objects.get(response=response, criterion=criterion)


def url(name, benchmark, *args):
    return reverse(f"grading:{name}", args=[benchmark.slug, *args])


@pytest.fixture
def item(benchmark):
    return disagreement(benchmark)


# --- queue ---------------------------------------------------------------------------------


def test_queue_lists_open_items_oldest_first_with_counts(
    client, benchmark, adjudicator, django_assert_max_num_queries
):
    first = disagreement(benchmark)
    second = disagreement(benchmark)
    client.force_login(adjudicator)
    with django_assert_max_num_queries(13):
        response = client.get(url("adjudication_queue", benchmark))
    assert response.status_code == 200
    assert [i.pk for i in response.context["page"]] == [first.pk, second.pk]
    assert response.context["counts"]["open"] == 2
    assert "secret-model-x" not in response.content.decode()


def test_queue_filters_by_tag_and_term(client, benchmark, adjudicator):
    tagged = disagreement(benchmark)
    tagged.criterion.tags = ["axis:accuracy", "主题:急诊"]
    tagged.criterion.save()
    disagreement(benchmark)
    client.force_login(adjudicator)
    response = client.get(url("adjudication_queue", benchmark), {"tag": "主题:急诊"})
    assert [i.pk for i in response.context["page"]] == [tagged.pk]
    response = client.get(url("adjudication_queue", benchmark), {"tag": "unknown"})
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("size", [1, PAGE_SIZE + 2])
def test_queue_page_runs_the_same_queries_whatever_the_queue_size(
    client, benchmark, adjudicator, size, django_assert_max_num_queries
):
    items = [disagreement(benchmark).pk for _ in range(size)]
    client.force_login(adjudicator)
    client.get(url("adjudication_queue", benchmark))  # the tag menu cached
    with django_assert_max_num_queries(12):
        response = client.get(url("adjudication_queue", benchmark))
    assert [row.pk for row in response.context["rows"]] == items[:PAGE_SIZE]
    assert response.context["page"].paginator.count == size
    link = reverse("grading:adjudication_item", args=[benchmark.slug, items[0]])
    assert f'href="{link}"' in response.content.decode()
    last = client.get(url("adjudication_queue", benchmark), {"page": 2}).context["rows"]
    assert [row.pk for row in last] == (items[PAGE_SIZE:] or items)  # one page: page 1 again


def test_tag_menu_offers_the_tags_of_items_opened_since_it_was_last_read(
    client, benchmark, adjudicator
):
    disagreement(benchmark)
    client.force_login(adjudicator)
    client.get(url("adjudication_queue", benchmark))
    tagged = disagreement(benchmark)
    tagged.criterion.tags = ["主题:急诊"]
    tagged.criterion.save()
    LabelFactory(response=tagged.response, criterion=tagged.criterion, met=True)
    consensus_refresh(items=[(tagged.response_id, tagged.criterion_id)])  # opened again, now
    response = client.get(url("adjudication_queue", benchmark), {"tag": "主题:急诊"})
    assert not response.context["form"].errors
    assert [i.pk for i in response.context["page"]] == [tagged.pk]


def test_navigation_counts_open_disagreements_for_adjudicators(client, benchmark, adjudicator):
    disagreement(benchmark)
    client.force_login(adjudicator)
    response = client.get(url("adjudication_queue", benchmark))
    entry = next(e for e in response.context["nav"].entries if e.key == "adjudication")
    assert entry.count == 1


# --- the screen ----------------------------------------------------------------------------


def test_screen_is_blind_by_default_and_hides_judges_and_models(
    client, benchmark, adjudicator, item, django_assert_max_num_queries
):
    client.force_login(adjudicator)
    with django_assert_max_num_queries(9) as queries:
        response = client.get(url("adjudication_item", benchmark, item.pk))
    assert not [q for q in queries.captured_queries if "modelundertest" in q["sql"]]
    body = response.content.decode()
    assert "Grader 1" in body
    assert "Grader 2" in body
    assert "clearly said" in body
    assert "dr_wang" not in body
    assert "judge note" not in body
    assert "secret-model-x" not in body
    assert "<script>alert" not in body
    assert "<strong>怎么办</strong>" in body


def test_manager_unblinds_graders_and_shows_judges(client, benchmark, manager, adjudicator, item):
    client.force_login(manager)
    response = client.post(
        url("adjudication_settings", benchmark),
        {"show_grader_names": "on", "show_judge_labels": "on"},
    )
    assert response.status_code == 302
    settings = AdjudicationSettings.objects.get(benchmark=benchmark)
    assert settings.show_grader_names
    assert settings.show_judge_labels
    client.force_login(adjudicator)
    body = client.get(url("adjudication_item", benchmark, item.pk)).content.decode()
    assert "dr_wang" in body
    assert "judge note" in body
    assert "secret-model-x" not in body


# --- deciding ------------------------------------------------------------------------------


def decide(client, benchmark, item, **data):
    payload = {"met": "true", "rationale": "The response says call 120.", "revision": item.revision}
    payload.update(data)
    return client.post(url("adjudication_decide", benchmark, item.pk), payload)


def test_adjudicator_decides_with_a_rationale(client, benchmark, adjudicator, item):
    client.force_login(adjudicator)
    response = decide(client, benchmark, item)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.DECIDED
    consensus = Consensus.objects.get(response=item.response, criterion=item.criterion)
    assert (consensus.met, consensus.method, consensus.adjudicator) == (
        True,
        Consensus.Method.ADJUDICATED,
        adjudicator,
    )
    assert consensus.rationale == "The response says call 120."
    assert AuditEvent.objects.filter(action="adjudication.decide").exists()


def test_decision_without_rationale_is_refused_and_keeps_the_choice(
    client, benchmark, adjudicator, item
):
    client.force_login(adjudicator)
    response = decide(client, benchmark, item, rationale="   ", met="false")
    assert response.status_code == 422
    assert "Write the rationale" in response.content.decode()
    assert response.context["decision_form"]["met"].value() == "false"
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.OPEN
    assert not Consensus.objects.exists()


def test_adjudicating_an_item_one_graded_is_refused(client, benchmark, adjudicator):
    own = disagreement(benchmark, first_rater=RaterFactory(name="adam", user=adjudicator))
    client.force_login(adjudicator)
    page = client.get(url("adjudication_item", benchmark, own.pk)).content.decode()
    assert "You labelled this item yourself" in page
    assert 'id="decision-form"' not in page
    response = decide(client, benchmark, own)
    assert response.status_code == 422
    assert "You labelled this item yourself" in response.content.decode()
    assert not Consensus.objects.exists()


def test_deciding_an_item_already_decided_is_refused(client, benchmark, adjudicator, item):
    client.force_login(adjudicator)
    revision = item.revision
    decide(client, benchmark, item)
    response = decide(client, benchmark, item, revision=revision, met="false")
    assert response.status_code == 422
    assert "already has a consensus label" in response.content.decode()
    assert Consensus.objects.get().met is True


def test_deciding_after_the_labels_changed_is_refused(client, benchmark, adjudicator, item):
    shown = item.revision
    LabelFactory(response=item.response, criterion=item.criterion, met=True)
    consensus_refresh(items=[(item.response_id, item.criterion_id)])
    client.force_login(adjudicator)
    response = decide(client, benchmark, item, revision=shown)
    assert response.status_code == 422
    assert "changed after you opened it" in response.content.decode()
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.OPEN
    assert not Consensus.objects.exists()


# --- flagging ------------------------------------------------------------------------------


def test_flag_keeps_the_criterion_out_of_the_gold_set_and_asks_the_authors(
    client, benchmark, adjudicator, item
):
    client.force_login(adjudicator)
    response = client.post(
        url("adjudication_flag", benchmark, item.pk),
        {"reason": "“Promptly” is not defined.", "revision": item.revision},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.FLAGGED
    flag = CriterionFlag.objects.get(criterion=item.criterion)
    assert flag.flagged_by == adjudicator
    event = AuditEvent.objects.get(action="criterion.flag")
    assert event.object_id == str(item.criterion.version.case_id)
    assert event.data["reason"] == "“Promptly” is not defined."
    # Later labels on the flagged criterion make no consensus.
    LabelFactory(response=item.response, criterion=item.criterion, met=False)
    consensus_refresh(items=[(item.response_id, item.criterion_id)])
    assert not Consensus.objects.exists()


def test_flag_without_reason_is_refused(client, benchmark, adjudicator, item):
    client.force_login(adjudicator)
    response = client.post(
        url("adjudication_flag", benchmark, item.pk), {"reason": "", "revision": item.revision}
    )
    assert response.status_code == 422
    assert not CriterionFlag.objects.exists()


# --- gold set ------------------------------------------------------------------------------


def test_gold_set_counts_coverage_methods_and_open_items(
    client, benchmark, adjudicator, manager, item, django_assert_max_num_queries
):
    version = CaseVersionFactory(case=CaseFactory(benchmark=benchmark))
    response = ResponseFactory(case_version=version)
    criterion = CriterionFactory(version=version)
    for _ in range(2):
        LabelFactory(response=response, criterion=criterion, met=True)
    consensus_refresh(items=[(response.pk, criterion.pk)])
    client.force_login(manager)
    with django_assert_max_num_queries(9):
        page = client.get(url("gold_set", benchmark))
    gold = page.context["gold"]
    assert (gold.labelled, gold.consensus, gold.open) == (2, 1, 1)
    assert gold.by_method == {"unanimous": 1, "majority": 0, "adjudicated": 0}
    assert gold.coverage == 0.5
    assert "50%" in page.content.decode()


def labelled(benchmark, *votes):
    """A response x criterion item with one counted human label per vote."""
    version = CaseVersionFactory(case=CaseFactory(benchmark=benchmark))
    response = ResponseFactory(case_version=version)
    criterion = CriterionFactory(version=version)
    for met in votes:
        LabelFactory(response=response, criterion=criterion, met=met)
    return response.pk, criterion.pk


def test_gold_set_coverage_counts_every_item_with_two_counted_labels(
    client, benchmark, adjudicator, manager, django_assert_max_num_queries
):
    benchmark.consensus_rule = Benchmark.ConsensusRule.STRICT_MAJORITY
    benchmark.save()
    unanimous, majority, split, decided, flagged, flagged_too = (
        labelled(benchmark, True, True),
        labelled(benchmark, True, True, False),
        labelled(benchmark, True, False),
        labelled(benchmark, False, True),
        labelled(benchmark, True, False, False, True),
        labelled(benchmark, False, True),
    )
    lone = labelled(benchmark, True)
    LabelFactory(response_id=lone[0], criterion_id=lone[1], met=False, excluded=True)
    judge = RaterFactory(kind=Rater.Kind.JUDGE)
    LabelFactory(response_id=lone[0], criterion_id=lone[1], met=False, rater=judge)
    dropped = labelled(benchmark, True, True)
    consensus_refresh(
        items=[unanimous, majority, split, decided, flagged, flagged_too, lone, dropped]
    )
    Label.objects.filter(pk=Label.objects.filter(response_id=dropped[0]).first().pk).update(
        excluded=True
    )
    consensus_refresh(items=[dropped])  # as a grader's exclusion does: its consensus goes
    to_decide, *to_flag = (
        AdjudicationItem.objects.get(response_id=r, criterion_id=c)
        for r, c in (decided, flagged, flagged_too)
    )
    adjudication_decide(
        item=to_decide, by=adjudicator, met=True, rationale="Said so.", revision=to_decide.revision
    )
    for each in to_flag:
        adjudication_flag(item=each, by=adjudicator, reason="Vague.", revision=each.revision)
    campaign = Campaign.objects.create(benchmark=benchmark, name="Round 1", created_by=manager)
    for position, (response, _criterion) in enumerate([unanimous, flagged], 1):
        screen = CampaignItem.objects.create(
            campaign=campaign,
            case_version_id=Label.objects.filter(response_id=response)[0].response.case_version_id,
            position=position,
            slots_open=0,
        )
        CampaignItemResponse.objects.create(item=screen, response_id=response, position=1)
    client.force_login(manager)
    with django_assert_max_num_queries(9):
        gold = client.get(url("gold_set", benchmark)).context["gold"]
    # The figure as first defined: grouping every counted label.
    by_item = Label.objects.filter(counted_labels()).values("response_id", "criterion_id")
    by_item = by_item.annotate(n=Count("pk")).filter(n__gte=2)
    assert gold.labelled == by_item.count() == 6
    assert gold.by_method == {"unanimous": 1, "majority": 1, "adjudicated": 1}
    assert (gold.consensus, gold.open) == (3, 1)
    with django_assert_max_num_queries(10):  # and which of the flagged items are in it
        page = client.get(url("gold_set", benchmark), {"campaign": campaign.pk})
    gold = page.context["gold"]
    in_campaign = by_item.filter(response__in=[unanimous[0], flagged[0]])
    assert gold.labelled == in_campaign.count() == 2
    assert (gold.consensus, gold.open) == (1, 0)


# --- permissions ---------------------------------------------------------------------------

READ_VIEWS = ["adjudication_queue", "gold_set"]
STATUS = {"adjudicator": 200, "manager": 403, "grader": 403, "author": 403, "reviewer": 403}


@pytest.mark.parametrize("name", READ_VIEWS)
@pytest.mark.parametrize(
    "persona", ["adjudicator", "manager", "grader", "author", "reviewer", "outsider"]
)
def test_read_pages_by_persona(client, request, benchmark, name, persona):
    client.force_login(request.getfixturevalue(persona))
    expected = 404 if persona == "outsider" else STATUS[persona]
    if name == "gold_set" and persona == "manager":
        expected = 200  # managers read the gold set (and set what adjudicators see there)
    assert client.get(url(name, benchmark)).status_code == expected


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("adjudicator", 200),
        ("manager", 403),
        ("grader", 403),
        ("author", 403),
        ("reviewer", 403),
        ("outsider", 404),
    ],
)
def test_item_page_by_persona(client, request, benchmark, item, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("adjudication_item", benchmark, item.pk)).status_code == status


@pytest.mark.parametrize("persona", ["manager", "grader", "author", "reviewer", "outsider"])
def test_only_adjudicators_decide_or_flag(client, request, benchmark, item, persona):
    client.force_login(request.getfixturevalue(persona))
    expected = 404 if persona == "outsider" else 403
    assert decide(client, benchmark, item).status_code == expected
    flag = client.post(
        url("adjudication_flag", benchmark, item.pk), {"reason": "x", "revision": item.revision}
    )
    assert flag.status_code == expected
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.OPEN


@pytest.mark.parametrize("persona", ["adjudicator", "grader", "outsider"])
def test_only_managers_change_visibility(client, request, benchmark, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url("adjudication_settings", benchmark), {"show_grader_names": "on"})
    assert response.status_code == (404 if persona == "outsider" else 403)
    assert not AdjudicationSettings.objects.exists()


def test_item_of_another_benchmark_is_404(client, benchmark, adjudicator):
    other = disagreement(CaseFactory().benchmark)
    client.force_login(adjudicator)
    assert client.get(url("adjudication_item", benchmark, other.pk)).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("adjudication_queue", "post"),
        ("gold_set", "post"),
        ("adjudication_settings", "get"),
    ],
)
def test_wrong_method(client, benchmark, manager, name, method):
    client.force_login(manager)
    assert getattr(client, method)(url(name, benchmark)).status_code == 405


def test_wrong_method_on_item_actions(client, benchmark, adjudicator, item):
    client.force_login(adjudicator)
    assert client.get(url("adjudication_decide", benchmark, item.pk)).status_code == 405
    assert client.get(url("adjudication_flag", benchmark, item.pk)).status_code == 405
    assert client.post(url("adjudication_item", benchmark, item.pk)).status_code == 405


@pytest.mark.parametrize("name", READ_VIEWS)
def test_anonymous_is_sent_to_login(client, benchmark, name):
    response = client.get(url(name, benchmark))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_a_decided_item_reopens_when_a_label_changes(client, benchmark, adjudicator, item):
    adjudication_decide(item=item, by=adjudicator, met=True, rationale="Said.", revision=1)
    assert Consensus.objects.get().method == Consensus.Method.ADJUDICATED
    LabelFactory(response=item.response, criterion=item.criterion, met=False)
    assert Label.objects.filter(criterion=item.criterion).count() == 4
    consensus_refresh(items=[(item.response_id, item.criterion_id)])
    item.refresh_from_db()
    assert item.status == AdjudicationItem.Status.OPEN
    assert item.reopened_count == 1
    assert not Consensus.objects.exists()
    client.force_login(adjudicator)
    page = client.get(url("adjudication_queue", benchmark))
    assert [i.pk for i in page.context["page"]] == [item.pk]
    assert "Reopened" in page.content.decode()


def test_queue_and_gold_set_filter_by_campaign(client, benchmark, adjudicator, manager, item):
    other = disagreement(benchmark)
    campaign = Campaign.objects.create(benchmark=benchmark, name="Round 1", created_by=manager)
    screen = CampaignItem.objects.create(
        campaign=campaign, case_version=item.response.case_version, position=1, slots_open=0
    )
    CampaignItemResponse.objects.create(item=screen, response=item.response, position=1)
    client.force_login(adjudicator)
    page = client.get(url("adjudication_queue", benchmark), {"campaign": campaign.pk})
    assert [i.pk for i in page.context["page"]] == [item.pk]
    assert other.pk not in [i.pk for i in page.context["page"]]
    gold = client.get(url("gold_set", benchmark), {"campaign": campaign.pk}).context["gold"]
    assert (gold.labelled, gold.open) == (1, 1)


def test_queue_leaves_out_items_the_adjudicator_labelled(client, benchmark, adjudicator, item):
    disagreement(benchmark, first_rater=RaterFactory(name="adam", user=adjudicator))
    client.force_login(adjudicator)
    page = client.get(url("adjudication_queue", benchmark))
    assert [i.pk for i in page.context["page"]] == [item.pk]


def test_htmx_filter_returns_only_the_results_fragment(client, benchmark, adjudicator, item):
    client.force_login(adjudicator)
    page = client.get(url("adjudication_queue", benchmark), headers={"HX-Request": "true"})
    body = page.content.decode()
    assert body.lstrip().startswith('<div id="queue-results">')
    assert f'id="item-{item.pk}"' in body
