from django.urls import include, path, re_path

from grading import adjudication_views, import_views, release_views, views
from grading.grade_qc import views as grade_qc_views

app_name = "grading"
VERSION = r"\d+\.\d+\.\d+"

urlpatterns = [
    path("grading/", views.queue, name="queue"),
    path("grading/next/", views.next_item, name="next"),
    # An item as one grader sees it: `pk` is their assignment.
    path("grading/items/<int:pk>/", views.grade, name="grade"),
    path(
        "grading/items/<int:pk>/cells/<str:letter>/<str:key>/",
        views.mark,
        name="mark",
    ),
    path("grading/items/<int:pk>/submit/", views.submit, name="submit"),
    path("grading/campaigns/", views.campaigns, name="campaigns"),
    path("grading/campaigns/new/", views.campaign_new, name="campaign_new"),
    path("grading/campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("grading/campaigns/<int:pk>/status/", views.campaign_status, name="campaign_status"),
    path("", include("grading.stats_urls")),
    path("", include("grading.grader_urls")),
    path("releases/", release_views.releases, name="releases"),
    path("releases/new/", release_views.release_new, name="release_new"),
    re_path(rf"^releases/(?P<version>{VERSION})/$", release_views.release_detail, name="release"),
    re_path(
        rf"^releases/(?P<version>{VERSION})/build/$",
        release_views.release_build_view,
        name="release_build",
    ),
    re_path(
        rf"^releases/(?P<version>{VERSION})/publish/$",
        release_views.release_publish_view,
        name="release_publish",
    ),
    re_path(
        rf"^releases/(?P<version>{VERSION})/files/(?P<name>[\w./-]+)$",
        release_views.release_download,
        name="release_file",
    ),
    path("adjudication/", adjudication_views.queue, name="adjudication_queue"),
    path("adjudication/settings/", adjudication_views.settings, name="adjudication_settings"),
    path("adjudication/items/<int:pk>/", adjudication_views.item, name="adjudication_item"),
    path(
        "adjudication/items/<int:pk>/decide/",
        adjudication_views.decide,
        name="adjudication_decide",
    ),
    path("adjudication/items/<int:pk>/flag/", adjudication_views.flag, name="adjudication_flag"),
    path("grade-qc/", grade_qc_views.queue, name="grade_qc_queue"),
    path("grade-qc/settings/", grade_qc_views.settings, name="grade_qc_settings"),
    path("grade-qc/draw/", grade_qc_views.draw, name="grade_qc_draw"),
    path("grade-qc/checks/<int:pk>/", grade_qc_views.item, name="grade_qc_item"),
    path("grade-qc/checks/<int:pk>/verdict/", grade_qc_views.verdict, name="grade_qc_verdict"),
    path("gold/", adjudication_views.gold, name="gold_set"),
    path("import/labels/", adjudication_views.import_labels, name="import_labels"),
    re_path(
        r"^import/labels/(?P<token>[0-9a-f]{32})/$",
        adjudication_views.import_labels_preview,
        name="import_labels_preview",
    ),
    re_path(
        r"^import/labels/(?P<token>[0-9a-f]{32})/confirm/$",
        adjudication_views.import_labels_confirm,
        name="import_labels_confirm",
    ),
    re_path(
        r"^import/labels/(?P<token>[0-9a-f]{32})/discard/$",
        adjudication_views.import_labels_discard,
        name="import_labels_discard",
    ),
    path("import/responses/", import_views.import_responses, name="import_responses"),
    re_path(
        r"^import/responses/(?P<token>[0-9a-f]{32})/$",
        import_views.import_responses_preview,
        name="import_responses_preview",
    ),
    re_path(
        r"^import/responses/(?P<token>[0-9a-f]{32})/confirm/$",
        import_views.import_responses_confirm,
        name="import_responses_confirm",
    ),
    re_path(
        r"^import/responses/(?P<token>[0-9a-f]{32})/discard/$",
        import_views.import_responses_discard,
        name="import_responses_discard",
    ),
]
