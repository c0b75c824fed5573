"""The grading API, mounted at /api/v1/benchmarks/<slug>/grading/ (consilium/api_urls.py)."""

from django.urls import include, path

from grading import api
from grading.grade_qc import api as grade_qc_api

ITEM = "items/<int:pk>/"

urlpatterns = [
    path("queue/", api.QueueApi.as_view(), name="api-grading-queue"),
    path("next/", api.NextApi.as_view(), name="api-grading-next"),
    path(ITEM, api.ItemApi.as_view(), name="api-grading-item"),
    path(
        f"{ITEM}labels/<str:letter>/<str:key>/",
        api.LabelApi.as_view(),
        name="api-grading-label",
    ),
    path(f"{ITEM}submit/", api.SubmitApi.as_view(), name="api-grading-submit"),
    path("campaigns/", api.CampaignsApi.as_view(), name="api-campaigns"),
    path("campaigns/<int:pk>/", api.CampaignDetailApi.as_view(), name="api-campaign"),
    path("campaigns/<int:pk>/cases/", api.CampaignCasesApi.as_view(), name="api-campaign-cases"),
    path("", include("grading.grader_api")),
    path("qc/", grade_qc_api.QcQueueApi.as_view(), name="api-grade-qc-queue"),
    path("qc/<int:pk>/", grade_qc_api.QcCheckApi.as_view(), name="api-grade-qc-check"),
    path("qc/<int:pk>/verdict/", grade_qc_api.QcVerdictApi.as_view(), name="api-grade-qc-verdict"),
]
