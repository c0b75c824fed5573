"""Who may do what: every route of the URL configuration, every method it accepts, every persona.

The routes are read from the URL configuration itself (the API's and the admin's included), so a
new route is checked the moment it exists: without a row in MATRIX below it fails
`test_every_route_has_a_row_in_the_matrix`. MATRIX is the one table of who may do what; each
cell is the status a persona gets. A method a row does not list must answer 405.

The personas: the five roles of one benchmark, `staff` (is_staff, a member of nothing),
`outsider` (logged in, a member of nothing) and `anonymous`. Every request runs in a transaction
that is rolled back (and stored uploads are put back), so each cell starts from the same data.
"""

import copy
from fnmatch import fnmatchcase

import pytest
from django.db import transaction

from tests.factories import UserFactory
from tests.matrix_support import METHODS, PERSONAS, Route, World, build_world, site_routes
from tests.release_support import media  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

AUTHOR, REVIEWER, GRADER, ADJUDICATOR, MANAGER = ROLES = (
    "author",
    "reviewer",
    "grader",
    "adjudicator",
    "manager",
)
LOGGED_IN = (*ROLES, "staff", "outsider")


def page(*allowed: str, ok: int = 200, **other: int) -> dict[str, int]:
    """A page inside a benchmark: the `allowed` roles get `ok`, the other members 403, staff and
    outsiders 404 (to them the benchmark does not exist), anonymous 302 to the login page.
    `other` sets single personas."""
    cells = {role: ok if role in allowed else 403 for role in ROLES}
    return cells | {"staff": 404, "outsider": 404, "anonymous": 302} | other


def api(*allowed: str, ok: int = 200, **other: int) -> dict[str, int]:
    """An API endpoint inside a benchmark: as `page`, but anonymous gets 401."""
    return page(*allowed, ok=ok, anonymous=401, **other)


def everyone(ok: int = 200, anonymous: int = 302, **other: int) -> dict[str, int]:
    """Anyone logged in gets `ok`."""
    return dict.fromkeys(LOGGED_IN, ok) | {"anonymous": anonymous} | other


def staff_only(staff: int) -> dict[str, int]:
    """The admin: staff get `staff`, everybody else is sent to the admin's login page."""
    return dict.fromkeys(PERSONAS, 302) | {"staff": staff}


# An empty POST to a form answers 422 (the form with its errors), a refused API call 400 or 409;
# 302 is a done action (or, for `anonymous`, the way to the login page).
MATRIX: dict[str, dict[str, dict[str, int]]] = {
    # --- the site ---
    "dashboard": {"GET": everyone()},
    "healthz": {"GET": everyone(anonymous=200)},
    # Django's login view: a signed-in user is sent on, whatever the method.
    "login": {m: everyone(302, anonymous=200) for m in ("GET", "POST", "PUT")}
    | {m: everyone(302, anonymous=405) for m in ("PATCH", "DELETE")},
    "logout": {"POST": everyone(302)},
    "password_change": {m: everyone() for m in ("GET", "POST", "PUT")},
    "password_change_done": {"GET": everyone()},
    "set_language": {m: everyone(302, anonymous=302) for m in METHODS},
    "api_tokens": {"GET": everyone(), "POST": everyone(422)},
    # The token is the manager's: to anybody else it does not exist.
    "api_token_revoke": {"POST": everyone(404, manager=302)},
    # --- the API's own pages ---
    "api-schema": {"GET": everyone(anonymous=200)},
    "api-docs": {"GET": everyone(anonymous=200)},
    "api-benchmarks": {"GET": everyone(anonymous=401)},
    # --- curation: cases ---
    "curation:benchmark_home": {"GET": page(*ROLES)},
    "curation:my_cases": {"GET": page(AUTHOR)},
    "curation:case_list": {"GET": page(AUTHOR, REVIEWER, MANAGER)},
    "curation:case_create": {"GET": page(AUTHOR), "POST": page(AUTHOR, ok=422)},
    "curation:case_detail": {"GET": page(AUTHOR, REVIEWER, MANAGER)},
    "curation:case_edit": {"GET": page(AUTHOR), "POST": page(AUTHOR, ok=422)},
    "curation:case_diff": {"GET": page(AUTHOR, REVIEWER, MANAGER)},
    "curation:case_submit": {"POST": page(AUTHOR, ok=400)},
    "curation:case_new_version": {"POST": page(AUTHOR, ok=302)},
    "curation:case_retire": {"POST": page(MANAGER, ok=302)},
    "curation:case_version_restore": {"POST": page(AUTHOR, ok=302)},
    "curation:criterion_add": {"POST": page(AUTHOR, ok=422)},
    # Without htmx a criterion's row and edit form are the case editor's: a redirect there.
    "curation:criterion_row": {"GET": page(AUTHOR, ok=302)},
    "curation:criterion_edit": {"GET": page(AUTHOR, ok=302), "POST": page(AUTHOR, ok=422)},
    "curation:criterion_move": {"POST": page(AUTHOR, ok=400)},
    "curation:criterion_delete": {"POST": page(AUTHOR, ok=400)},
    # --- curation: QC review (the case is the author's own: 403 to them) ---
    "curation:review_queue": {"GET": page(REVIEWER)},
    "curation:review_case": {"GET": page(REVIEWER)},
    "curation:review_start": {"POST": page(REVIEWER, ok=302)},
    "curation:review_decide": {"POST": page(REVIEWER, ok=400)},
    "curation:spot_check": {"GET": page(MANAGER), "POST": page(MANAGER)},
    # --- curation: members, taxonomy, imports, background jobs (managers) ---
    "curation:manage": {"GET": page(MANAGER)},
    "curation:member_add": {"POST": page(MANAGER, ok=422)},
    "curation:member_roles": {"POST": page(MANAGER, ok=422)},
    "curation:member_remove": {"POST": page(MANAGER, ok=302)},
    "curation:taxonomy": {"GET": page(MANAGER)},
    "curation:facet_add": {"POST": page(MANAGER, ok=422)},
    "curation:facet_edit": {"POST": page(MANAGER, ok=422)},
    "curation:facet_delete": {"POST": page(MANAGER, ok=302)},
    "curation:term_add": {"POST": page(MANAGER, ok=422)},
    "curation:term_edit": {"POST": page(MANAGER, ok=422)},
    "curation:term_delete": {"POST": page(MANAGER, ok=302)},
    "curation:job": {"GET": page(MANAGER)},
    "curation:job_retry": {"POST": page(MANAGER, ok=302)},
    "curation:import_cases": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "curation:import_cases_preview": {"GET": page(MANAGER)},
    "curation:import_cases_confirm": {"POST": page(MANAGER, ok=302)},
    "curation:import_cases_discard": {"POST": page(MANAGER, ok=302)},
    # --- grading (the item is the grader's assignment) ---
    "grading:queue": {"GET": page(GRADER)},
    "grading:next": {"POST": page(GRADER, ok=302)},
    "grading:grade": {"GET": page(GRADER)},
    "grading:mark": {"POST": page(GRADER, ok=302)},
    "grading:submit": {"POST": page(GRADER, ok=422)},
    "grading:campaigns": {"GET": page(MANAGER)},
    "grading:campaign_new": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "grading:campaign": {"GET": page(MANAGER)},
    "grading:campaign_status": {"POST": page(MANAGER, ok=302)},
    "grading:import_responses": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "grading:import_responses_preview": {"GET": page(MANAGER)},
    "grading:import_responses_confirm": {"POST": page(MANAGER, ok=302)},
    "grading:import_responses_discard": {"POST": page(MANAGER, ok=302)},
    # --- adjudication and the gold set ---
    "grading:adjudication_queue": {"GET": page(ADJUDICATOR)},
    "grading:adjudication_settings": {"POST": page(MANAGER, ok=302)},
    "grading:adjudication_item": {"GET": page(ADJUDICATOR)},
    "grading:adjudication_decide": {"POST": page(ADJUDICATOR, ok=422)},
    "grading:adjudication_flag": {"POST": page(ADJUDICATOR, ok=422)},
    "grading:gold_set": {"GET": page(ADJUDICATOR, MANAGER)},
    "grading:import_labels": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "grading:import_labels_preview": {"GET": page(MANAGER)},
    "grading:import_labels_confirm": {"POST": page(MANAGER, ok=302)},
    "grading:import_labels_discard": {"POST": page(MANAGER, ok=302)},
    # --- grader quality: calibration, grade QC, feedback ---
    "grading:graders": {"GET": page(MANAGER)},
    "grading:graders_threshold": {"POST": page(MANAGER, ok=302)},
    "grading:grader": {"GET": page(MANAGER)},
    "grading:grader_pause": {"POST": page(MANAGER, ok=302)},
    "grading:grader_calibrate": {"POST": page(MANAGER, ok=302)},
    "grading:grader_exclude": {"POST": page(MANAGER, ok=302)},
    "grading:calibration": {"GET": page(MANAGER)},
    "grading:calibration_mark": {"POST": page(MANAGER, ok=404)},  # names no response
    "grading:calibration_gold": {"GET": page(MANAGER), "POST": page(MANAGER)},
    "grading:calibration_retire": {"POST": page(MANAGER, ok=302)},
    "grading:campaign_calibration": {"POST": page(MANAGER, ok=302)},
    "grading:grading_feedback": {"GET": page(GRADER)},
    "grading:grade_qc_queue": {"GET": page(ADJUDICATOR, MANAGER)},
    "grading:grade_qc_settings": {"POST": page(MANAGER, ok=422)},
    "grading:grade_qc_draw": {"POST": page(ADJUDICATOR, MANAGER, ok=302)},
    "grading:grade_qc_item": {"GET": page(ADJUDICATOR)},
    "grading:grade_qc_verdict": {"POST": page(ADJUDICATOR, ok=422)},
    # --- model runs: endpoints, response collection and judging (managers) ---
    "runner:runs": {"GET": page(MANAGER)},
    "runner:run_new": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "runner:run": {"GET": page(MANAGER)},
    "runner:run_resume": {"POST": page(MANAGER, ok=302)},
    "runner:run_unparsed": {"GET": page(MANAGER, ok=404)},  # a collection run has no verdicts
    "runner:endpoints": {"GET": page(MANAGER)},
    "runner:endpoint_new": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "runner:endpoint": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "runner:dual_judge": {"GET": page(MANAGER)},
    # --- the audit trail (managers) ---
    "curation:audit": {"GET": page(MANAGER)},
    "curation:audit_csv": {"GET": page(MANAGER)},
    # --- statistics and releases (managers) ---
    "grading:stats": {"GET": page(MANAGER)},
    "grading:stats_agreement": {"GET": page(MANAGER)},
    "grading:stats_judges": {"GET": page(MANAGER)},
    "grading:stats_graders": {"GET": page(MANAGER)},
    "grading:stats_recompute": {"POST": page(MANAGER, ok=302)},
    "grading:releases": {"GET": page(MANAGER)},
    "grading:release_new": {"GET": page(MANAGER), "POST": page(MANAGER, ok=422)},
    "grading:release": {"GET": page(MANAGER)},
    "grading:release_publish": {"POST": page(MANAGER, ok=302)},
    "grading:release_build": {"POST": page(MANAGER, ok=302)},
    "grading:release_file": {"GET": page(MANAGER)},
    # --- API: cases ---
    "api-cases": {"GET": api(AUTHOR, REVIEWER, ADJUDICATOR, MANAGER), "POST": api(AUTHOR, ok=400)},
    "api-import": {"POST": api(MANAGER, ok=400)},
    "api-case": {"GET": api(AUTHOR, REVIEWER, ADJUDICATOR, MANAGER)},
    "api-case-versions": {"GET": api(AUTHOR, REVIEWER, ADJUDICATOR, MANAGER)},
    "api-case-version": {"GET": api(AUTHOR, REVIEWER, ADJUDICATOR, MANAGER)},
    "api-case-draft": {"PUT": api(AUTHOR, ok=400), "PATCH": api(AUTHOR, ok=400)},
    "api-case-submit": {"POST": api(AUTHOR)},
    "api-case-new-draft": {"POST": api(AUTHOR, ok=409)},
    # --- API: QC review ---
    "api-review-queue": {"GET": api(REVIEWER)},
    "api-review-item": {"GET": api(REVIEWER)},
    "api-review-start": {"POST": api(REVIEWER, ok=400)},
    "api-review-decision": {"POST": api(REVIEWER, ok=400)},
    "api-review-spot-checks": {"POST": api(MANAGER, ok=400)},
    # --- API: grading, campaigns, adjudication ---
    "api-grading-queue": {"GET": api(GRADER)},
    "api-grading-next": {"POST": api(GRADER)},
    "api-grading-item": {"GET": api(GRADER)},
    "api-grading-label": {"PUT": api(GRADER, ok=400)},
    "api-grading-submit": {"POST": api(GRADER, ok=409)},
    "api-campaigns": {"GET": api(MANAGER), "POST": api(MANAGER, ok=400)},
    "api-campaign": {"GET": api(MANAGER)},
    "api-campaign-cases": {"GET": api(MANAGER)},
    "api-adjudication-queue": {"GET": api(ADJUDICATOR)},
    "api-adjudication-item": {"GET": api(ADJUDICATOR)},
    "api-adjudication-decide": {"POST": api(ADJUDICATOR, ok=400)},
    "api-adjudication-flag": {"POST": api(ADJUDICATOR, ok=400)},
    "api-gold-set": {"GET": api(ADJUDICATOR, MANAGER)},
    # --- API: statistics and releases ---
    "api-stats": {"GET": api(MANAGER)},
    "api-stats-tables": {"GET": api(MANAGER)},
    "api-releases": {"GET": api(MANAGER), "POST": api(MANAGER, ok=400)},
    "api-release": {"GET": api(MANAGER)},
    "api-release-publish": {"POST": api(MANAGER)},
    "api-release-file": {"GET": api(MANAGER)},
    # --- API: grader quality, model runs, the audit trail ---
    "api-graders": {"GET": api(MANAGER)},
    "api-graders-threshold": {"PUT": api(MANAGER, ok=400)},
    "api-grader-pause": {"POST": api(MANAGER, ok=400)},
    "api-grader-calibration": {"POST": api(MANAGER, ok=400)},
    "api-grader-exclude": {"POST": api(MANAGER, ok=400)},
    "api-calibration-items": {"GET": api(MANAGER), "POST": api(MANAGER, ok=400)},
    "api-calibration-retire": {"POST": api(MANAGER)},
    "api-campaign-calibration": {"PUT": api(MANAGER, ok=400)},
    "api-grading-feedback": {"GET": api(GRADER)},
    "api-grade-qc-queue": {"GET": api(ADJUDICATOR)},
    "api-grade-qc-check": {"GET": api(ADJUDICATOR)},
    "api-grade-qc-verdict": {"POST": api(ADJUDICATOR, ok=400)},
    "api-runner-endpoints": {"GET": api(MANAGER), "POST": api(MANAGER, ok=400)},
    "api-runner-endpoint": {"GET": api(MANAGER)},
    "api-runner-runs": {"GET": api(MANAGER), "POST": api(MANAGER, ok=400)},
    "api-runner-run": {"GET": api(MANAGER)},
    "api-runner-run-resume": {"POST": api(MANAGER, ok=409)},  # a queued run is not stopped
    "api-runner-run-items": {"GET": api(MANAGER)},
    "api-audit": {"GET": api(MANAGER)},
    # --- the Django admin: staff only; a staff user holds no model permission by default ---
    "admin:login": {"GET": everyone(200, anonymous=200, staff=302), "POST": everyone(200, 200)},
    "admin:logout": {"GET": staff_only(405), "POST": staff_only(302)},
    "admin:index": {"GET": staff_only(200), "POST": staff_only(200)},
    "admin:password_change": {"GET": staff_only(200), "POST": staff_only(200)},
    "admin:password_change_done": {"GET": staff_only(200), "POST": staff_only(405)},
    "admin:jsi18n": {"GET": staff_only(200), "POST": staff_only(405)},
    "admin:autocomplete": {"GET": staff_only(403), "POST": staff_only(405)},
    "admin:view_on_site": {"GET": staff_only(404), "POST": staff_only(404)},
    # A history page names an object that exists for no model (tests/matrix_support.py: the
    # admin sends staff to its list before asking for permission); "<id>/" alone redirects to the
    # change page.
    "admin:*_history": {"GET": staff_only(302)},
    "admin:<path:object_id>/": {"GET": staff_only(302)},
    "admin:app_list": {"GET": staff_only(404)},  # no model the staff user may see
    "admin:(?P<url>.*)$": {"GET": staff_only(404)},
    "admin:*": {"GET": staff_only(403)},
}
# The admin answers any method as it answers GET or POST: its rows are not checked for 405, and
# its model pages (one set per model, all alike) only with GET.
ANY_METHOD = ("admin:",)


def row_of(route: Route) -> dict[str, dict[str, int]] | None:
    if route.name in MATRIX:
        return MATRIX[route.name]
    return next((row for key, row in MATRIX.items() if fnmatchcase(route.name, key)), None)


def test_every_route_has_a_row_in_the_matrix():
    missing = [route.name for route in site_routes() if row_of(route) is None]
    assert not missing, (
        f"Routes without a row in MATRIX (tests/test_permission_matrix.py): {missing}. Add one "
        "per route: the methods it accepts and, for each, the status every persona should get."
    )


def test_every_row_of_the_matrix_is_a_route():
    names = [route.name for route in site_routes()]
    stale = [key for key in MATRIX if not any(fnmatchcase(name, key) for name in names)]
    assert not stale, f"Rows of MATRIX without a route (renamed or removed?): {stale}"


def test_every_row_names_every_persona():
    incomplete = [
        f"{key} {method}"
        for key, row in MATRIX.items()
        for method, cells in row.items()
        if set(cells) != set(PERSONAS) or method not in METHODS
    ]
    assert not incomplete, incomplete


class _Rollback(Exception):
    pass


def send(world: World, persona: str, method: str, route: Route) -> int:
    """The status `persona` gets; whatever the request changed is undone."""
    client = world.clients[persona]
    cookies = copy.deepcopy(client.cookies)  # logging out would end the session
    if "token" in route.parameters:
        world.restore_uploads()
    status = 0
    try:
        with transaction.atomic():
            body = {"content_type": "application/json"} if method in ("PUT", "PATCH") else {}
            status = client.generic(method, world.url(route), **body).status_code
            raise _Rollback
    except _Rollback:
        pass
    client.cookies = cookies
    return status


@pytest.fixture
def world(settings, tmp_path, media, benchmark, author, reviewer, grader, adjudicator, manager):  # noqa: F811
    settings.API_THROTTLE_RATES = {"anon": "100000/minute", "user": "100000/minute"}
    personas = {
        "author": author,
        "reviewer": reviewer,
        "grader": grader,
        "adjudicator": adjudicator,
        "manager": manager,
        "staff": UserFactory(username="stella_staff", is_staff=True),
        "outsider": UserFactory(username="oscar_outsider"),
    }
    return build_world(benchmark, personas, tmp_path)


def test_every_persona_gets_the_status_in_the_matrix_on_every_route(world):
    wrong, cells = [], 0
    for route in site_routes():
        row = row_of(route)
        assert row is not None, route.name
        for method in METHODS:
            if method in row:
                expected = row[method]
            elif route.name.startswith(ANY_METHOD):
                continue
            else:
                expected = {"manager": 405}
            for persona, status in expected.items():
                got = send(world, persona, method, route)
                cells += 1
                if got != status:
                    wrong.append(f"{route.name} {method} as {persona}: {got}, expected {status}")
    assert not wrong, "\n".join(wrong)
    assert cells > 1500
