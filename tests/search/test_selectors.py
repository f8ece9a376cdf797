"""search_context_get: the assignment, batch and statement behind a token, read in one query."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from assessments.hit_tokens import assignment_token_make
from search.selectors import search_context_get
from tests.factories import StatementFactory


@pytest.fixture
def token(assignment):
    return assignment_token_make(assignment.pk)


def test_one_query_loads_what_a_search_needs(
    token, assignment, statement, django_assert_num_queries
):
    statement.metadata = {"liar_id": "7159.json"}
    statement.source_url = "https://www.politifact.com/factchecks/x/"
    statement.save()
    with django_assert_num_queries(1):
        got_assignment, got_statement = search_context_get(token=token, statement_id=statement.pk)
        assert got_assignment.pk == assignment.pk
        assert got_assignment.worker_id == assignment.worker_id
        assert got_assignment.statement_order == [statement.pk]
        assert got_assignment.batch.blocked_domains == ["politifact", "abc"]
        assert got_assignment.batch.domain_match == "domain"
        assert got_statement.pk == statement.pk
        assert got_statement.metadata == {"liar_id": "7159.json"}
        assert got_statement.source_url == statement.source_url


def test_other_fields_load_on_first_access(token, assignment, statement):
    got_assignment, got_statement = search_context_get(token=token, statement_id=str(statement.pk))
    assert got_statement.text == statement.text
    assert got_assignment.batch.slug == assignment.batch.slug
    assert got_assignment.started_at == assignment.started_at


def test_refusals(token, assignment, statement):
    with pytest.raises(Http404, match="Unknown assignment"):
        search_context_get(token=token[:-2] + "xx", statement_id=statement.pk)
    with pytest.raises(Http404, match="Unknown assignment"):
        search_context_get(token=assignment_token_make(assignment.pk + 1000), statement_id=1)
    with pytest.raises(Http404, match="Unknown statement"):
        search_context_get(token=token, statement_id="abc")
    with pytest.raises(Http404, match="not part of your task"):
        search_context_get(token=token, statement_id=StatementFactory().pk)
    with pytest.raises(Http404, match="not part of your task"):
        search_context_get(token=token, statement_id="9" * 30)
    assignment.statement_order = [statement.pk, statement.pk + 1000]
    assignment.save()
    with pytest.raises(Http404, match="Unknown statement"):
        search_context_get(token=token, statement_id=statement.pk + 1000)
    assignment.status = "returned"
    assignment.save()
    with pytest.raises(PermissionDenied):
        search_context_get(token=token, statement_id=statement.pk)
