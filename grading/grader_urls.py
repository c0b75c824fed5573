"""Grader quality control pages of a benchmark (included by grading/urls.py)."""

from django.urls import path

from grading import grader_views as views

GRADER = "graders/<int:user_id>/"

urlpatterns = [
    path("graders/", views.graders, name="graders"),
    path("graders/threshold/", views.grader_threshold_view, name="graders_threshold"),
    path(GRADER, views.grader_detail, name="grader"),
    path(f"{GRADER}pause/", views.grader_pause_view, name="grader_pause"),
    path(f"{GRADER}calibrate/", views.grader_calibrate_view, name="grader_calibrate"),
    path(f"{GRADER}exclude/", views.grader_exclude_view, name="grader_exclude"),
    path("calibration/", views.calibration, name="calibration"),
    path("calibration/mark/", views.calibration_mark, name="calibration_mark"),
    path("calibration/responses/<int:pk>/", views.calibration_gold, name="calibration_gold"),
    path("calibration/items/<int:pk>/retire/", views.calibration_retire, name="calibration_retire"),
    path(
        "calibration/campaigns/<int:pk>/",
        views.campaign_calibration,
        name="campaign_calibration",
    ),
    path("grading/feedback/", views.feedback, name="grading_feedback"),
]
