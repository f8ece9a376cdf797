"""Search logs open in the admin for a superuser, read-only."""

import pytest
from django.urls import reverse

from search import services
from search.models import SearchQuery
from tests.factories import UserFactory


@pytest.mark.parametrize("model", ["searchquery", "resultclick", "evidenceselection", "document"])
def test_changelists_open(client, settings, assignment, statement, documents, model):
    settings.SEARCH_BACKEND = "fake"
    services.search_perform(assignment=assignment, statement=statement, query="q")
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse(f"admin:search_{model}_changelist")).status_code == 200


def test_logs_cannot_be_edited(client, settings, assignment, statement):
    settings.SEARCH_BACKEND = "fake"
    page = services.search_perform(assignment=assignment, statement=statement, query="q")
    client.force_login(UserFactory(is_superuser=True))
    url = reverse("admin:search_searchquery_change", args=[page.query_id])
    response = client.get(url)
    assert response.status_code == 200 and b"Result 1 for q" in response.content
    client.post(url, {"text": "edited"})
    assert SearchQuery.objects.get(pk=page.query_id).text == "q"
    assert client.get(reverse("admin:search_document_add")).status_code == 403
