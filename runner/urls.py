"""Model-run pages of a benchmark, under /b/<slug>/runs/."""

from django.urls import path

from runner import views

app_name = "runner"

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/new/<str:kind>/", views.run_new, name="run_new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/resume/", views.run_resume_view, name="run_resume"),
    path("runs/<int:pk>/unparsed/", views.run_unparsed, name="run_unparsed"),
    path("runs/endpoints/", views.endpoints, name="endpoints"),
    path("runs/endpoints/new/", views.endpoint_new, name="endpoint_new"),
    path("runs/endpoints/<int:pk>/", views.endpoint_edit, name="endpoint"),
    path("runs/judges/", views.dual_judge, name="dual_judge"),
]
