"""URLs of the worker's HIT; the signed assignment token names the worker's own assignment."""

from django.urls import path

from . import hit_views

app_name = "hit"

urlpatterns = [
    path("<slug:batch_slug>/", hit_views.hit_entry, name="entry"),
    path("<slug:batch_slug>/w/<str:token>/", hit_views.hit_resume, name="resume"),
    path("<slug:batch_slug>/w/<str:token>/p/<int:index>/", hit_views.hit_page, name="page"),
    path("<slug:batch_slug>/w/<str:token>/result/", hit_views.hit_result, name="result"),
    path("<slug:batch_slug>/w/<str:token>/events/", hit_views.hit_events, name="events"),
]
