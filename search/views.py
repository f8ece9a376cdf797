"""Worker-facing search endpoints (JSON), addressed by the signed assignment token in the path."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .exceptions import SearchThrottled, SearchUnavailable


def _error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _json_errors(view):
    """Turn the errors services and selectors raise into JSON answers the search box can show."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return _error(str(exc) or "Not found.", 404)
        except PermissionDenied as exc:
            return _error(str(exc) or "Not allowed.", 403)
        except ValidationError as exc:
            return _error(" ".join(exc.messages), 400, code=getattr(exc, "code", None))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _int(value, default=None) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise ValidationError("Expected a whole number.", code="bad_number") from exc


@never_cache  # every search must reach the server, to be logged
@require_GET
@_json_errors
def query(request, token):
    """GET ?statement=<id>&q=<text>&page=<n>: one page of results for the worker's statement."""
    assignment, statement = selectors.search_context_get(
        token=token, statement_id=request.GET.get("statement")
    )
    try:
        page = services.search_perform(
            assignment=assignment,
            statement=statement,
            query=request.GET.get("q", ""),
            page=_int(request.GET.get("page"), 1),
        )
    except SearchThrottled as exc:
        response = _error(str(exc), 429, retry_after=exc.retry_after)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except SearchUnavailable as exc:
        return _error(str(exc), 503)
    return JsonResponse(
        {
            "query_id": page.query_id,
            "page": page.page,
            "has_next": page.has_next,
            "blocked_count": page.blocked_count,
            "results": [
                {
                    "rank": r.rank,
                    "url": r.url,
                    "title": r.title,
                    "snippet": r.snippet,
                    "domain": r.domain,
                }
                for r in page.results
            ],
        }
    )


@require_POST
@_json_errors
def click(request, token):
    """POST statement, query_id, rank, url: the worker opened a result."""
    assignment, statement = selectors.search_context_get(
        token=token, statement_id=request.POST.get("statement")
    )
    services.result_click_record(
        assignment=assignment,
        statement=statement,
        query_id=_int(request.POST.get("query_id")),
        rank=_int(request.POST.get("rank")),
        url=request.POST.get("url", ""),
    )
    return JsonResponse({"ok": True})


@require_POST
@_json_errors
def select(request, token):
    """POST statement, url: the worker chose a result as evidence (refused unless shown to them)."""
    assignment, statement = selectors.search_context_get(
        token=token, statement_id=request.POST.get("statement")
    )
    selection = services.evidence_select_record(
        assignment=assignment, statement=statement, url=request.POST.get("url", "")
    )
    return JsonResponse({"ok": True, "url": selection.url})
