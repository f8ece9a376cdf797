"""Search endpoints; the worker is identified by the signed assignment token in the path."""

from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("<str:token>/query", views.query, name="query"),
    path("<str:token>/click", views.click, name="click"),
    path("<str:token>/select", views.select, name="select"),
]
