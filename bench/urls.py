from django.urls import include, path

from bench.server import trivial

urlpatterns = [path("bench/trivial/", trivial), path("", include("consilium.urls"))]
