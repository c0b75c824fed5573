from django.contrib import admin
from django.urls import include, path

from consilium import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("consilium.api_urls")),
    path("b/<slug:slug>/", include("curation.urls")),
    path("b/<slug:slug>/", include("grading.urls")),
    path("b/<slug:slug>/", include("runner.urls")),
]
