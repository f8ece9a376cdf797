"""Who may use the researcher API, what they may change, and how often they may call it."""

import hashlib

from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from ..selectors.researcher import user_is_researcher


class IsResearcher(BasePermission):
    """Researchers (and superusers) only; anyone else gets 401 (no credentials) or 403."""

    message = "The API is for researchers only."

    def has_permission(self, request, view):
        return user_is_researcher(request.user)


class IsBatchOwnerOrReadOnly(BasePermission):
    """Anyone who can see a batch may read it; only its owner (or a superuser) may change it.

    Visibility itself comes from the view's queryset, so a batch that is neither owned nor shared
    is a 404, not a 403: its existence is not revealed.
    """

    message = "Only the batch's owner may change it; it is shared with you read-only."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return request.user.is_superuser or obj.owner_id == request.user.pk


class TokenRateThrottle(SimpleRateThrottle):
    """Limits requests per API token (per user for session logins) to settings.API_THROTTLE_RATE."""

    scope = "researcher"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, Token):
            # A digest, so that the cache never holds a usable token.
            ident = "token:" + hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
