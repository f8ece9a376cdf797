"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from assessments.views import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("hit/", include("assessments.hit_urls")),
    path("search/", include("search.urls", namespace="search")),
]
