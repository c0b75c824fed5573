"""Statistics pages of a benchmark, under /b/<slug>/stats/ (included by grading/urls.py)."""

from django.urls import path

from grading import stats_views

urlpatterns = [
    path("stats/", stats_views.models, name="stats"),
    path("stats/agreement/", stats_views.agreement, name="stats_agreement"),
    path("stats/judges/", stats_views.judges, name="stats_judges"),
    path("stats/graders/", stats_views.graders, name="stats_graders"),
    path("stats/recompute/", stats_views.recompute, name="stats_recompute"),
]
