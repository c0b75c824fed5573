from django.urls import path, re_path

from curation.views import audit, cases, importing, jobs, manage, review

app_name = "curation"

urlpatterns = [
    path("", cases.benchmark_home, name="benchmark_home"),
    path("cases/mine/", cases.my_cases, name="my_cases"),
    path("review/", review.review_queue, name="review_queue"),
    path("review/<str:external_id>/", review.review_case, name="review_case"),
    path("review/<str:external_id>/start/", review.review_start, name="review_start"),
    path("review/<str:external_id>/decide/", review.review_decide, name="review_decide"),
    path("manage/spot-check/", review.spot_check, name="spot_check"),
    # Authoring. "cases/mine/" and "cases/new/" come before the case pages they would shadow.
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_create, name="case_create"),
    path("cases/<str:external_id>/", cases.case_detail, name="case_detail"),
    path("cases/<str:external_id>/edit/", cases.case_edit, name="case_edit"),
    path("cases/<str:external_id>/diff/", cases.case_diff, name="case_diff"),
    path("cases/<str:external_id>/submit/", cases.case_submit, name="case_submit"),
    path("cases/<str:external_id>/new-version/", cases.case_new_version, name="case_new_version"),
    path("cases/<str:external_id>/retire/", cases.case_retire, name="case_retire"),
    path(
        "cases/<str:external_id>/versions/<int:number>/restore/",
        cases.case_version_restore,
        name="case_version_restore",
    ),
    path("cases/<str:external_id>/criteria/", cases.criterion_add, name="criterion_add"),
    path(
        "cases/<str:external_id>/criteria/<str:key>/",
        cases.criterion_row,
        name="criterion_row",
    ),
    path(
        "cases/<str:external_id>/criteria/<str:key>/edit/",
        cases.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "cases/<str:external_id>/criteria/<str:key>/move/",
        cases.criterion_move,
        name="criterion_move",
    ),
    path(
        "cases/<str:external_id>/criteria/<str:key>/delete/",
        cases.criterion_delete,
        name="criterion_delete",
    ),
    path("manage/", manage.members, name="manage"),
    path("manage/members/add/", manage.member_add, name="member_add"),
    path("manage/members/<int:user_id>/roles/", manage.member_roles, name="member_roles"),
    path("manage/members/<int:user_id>/remove/", manage.member_remove, name="member_remove"),
    path("manage/taxonomy/", manage.taxonomy, name="taxonomy"),
    path("manage/audit/", audit.audit, name="audit"),
    path("manage/audit/csv/", audit.audit_csv, name="audit_csv"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry_view, name="job_retry"),
    # Import (managers). Tokens are 32 hex digits, so "import/responses/" (grading) is not one.
    path("import/", importing.import_cases, name="import_cases"),
    re_path(
        r"^import/(?P<token>[0-9a-f]{32})/$",
        importing.import_cases_preview,
        name="import_cases_preview",
    ),
    re_path(
        r"^import/(?P<token>[0-9a-f]{32})/confirm/$",
        importing.import_cases_confirm,
        name="import_cases_confirm",
    ),
    re_path(
        r"^import/(?P<token>[0-9a-f]{32})/discard/$",
        importing.import_cases_discard,
        name="import_cases_discard",
    ),
    path("manage/taxonomy/facets/add/", manage.facet_add, name="facet_add"),
    path("manage/taxonomy/facets/<int:facet_id>/", manage.facet_edit, name="facet_edit"),
    path("manage/taxonomy/facets/<int:facet_id>/delete/", manage.facet_remove, name="facet_delete"),
    path("manage/taxonomy/facets/<int:facet_id>/terms/add/", manage.term_add, name="term_add"),
    path("manage/taxonomy/terms/<int:term_id>/", manage.term_edit, name="term_edit"),
    path("manage/taxonomy/terms/<int:term_id>/delete/", manage.term_remove, name="term_delete"),
]
