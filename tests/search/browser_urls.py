"""URLs for the search box browser test: the project's routes plus a page holding the box."""

from django.template import engines
from django.urls import include, path


def statement_page(request, token, statement_id):
    template = engines["django"].from_string(
        "<!doctype html><html><body><form method='post' action='/submitted'>"
        "{% include 'search/search_box.html' %}"
        "<label>Evidence <input name='evidence' data-evidence-input readonly></label>"
        "<button type='submit'>Next</button></form></body></html>"
    )
    return template.render({"search_token": token, "statement_id": statement_id}, request)


def page_view(request, token, statement_id):
    from django.http import HttpResponse

    return HttpResponse(statement_page(request, token, statement_id))


urlpatterns = [
    path("search/", include("search.urls", namespace="search")),
    path("page/<str:token>/<int:statement_id>", page_view),
]
