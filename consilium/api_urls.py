from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from curation.api import audit, benchmarks, cases, imports
from grading import stats_api

CASE = "v1/benchmarks/<slug:slug>/cases/<str:external_id>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file: the Content-Security-Policy allows no inline one.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    # Curation: benchmarks, cases and their versions, case import.
    path("v1/benchmarks/", benchmarks.BenchmarkListApi.as_view(), name="api-benchmarks"),
    path("v1/benchmarks/<slug:slug>/cases/", cases.CasesApi.as_view(), name="api-cases"),
    path("v1/benchmarks/<slug:slug>/import/", imports.CaseImportApi.as_view(), name="api-import"),
    path(CASE, cases.CaseDetailApi.as_view(), name="api-case"),
    path(f"{CASE}versions/", cases.CaseVersionListApi.as_view(), name="api-case-versions"),
    path(
        f"{CASE}versions/<int:number>/",
        cases.CaseVersionDetailApi.as_view(),
        name="api-case-version",
    ),
    path(f"{CASE}draft/", cases.CaseDraftApi.as_view(), name="api-case-draft"),
    path(f"{CASE}submit/", cases.CaseSubmitApi.as_view(), name="api-case-submit"),
    path(f"{CASE}new-draft/", cases.CaseNewDraftApi.as_view(), name="api-case-new-draft"),
    path("v1/benchmarks/<slug:slug>/review/", include("curation.review_api")),
    path("v1/benchmarks/<slug:slug>/audit/", audit.AuditApi.as_view(), name="api-audit"),
    path("v1/benchmarks/<slug:slug>/stats/", stats_api.StatsApi.as_view(), name="api-stats"),
    path(
        "v1/benchmarks/<slug:slug>/stats/tables/",
        stats_api.StatsTablesApi.as_view(),
        name="api-stats-tables",
    ),
    path("v1/benchmarks/<slug:slug>/grading/", include("grading.api_urls")),
    path("v1/benchmarks/<slug:slug>/adjudication/", include("grading.adjudication_api")),
    path("v1/benchmarks/<slug:slug>/releases/", include("grading.release_api")),
    path("v1/benchmarks/<slug:slug>/runs/", include("runner.api")),
]
