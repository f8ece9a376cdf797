"""Researcher accounts: staff users in the researcher group."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from .roles import researcher_group_sync


@transaction.atomic
def researcher_account_ensure(*, username: str) -> tuple[object, str]:
    """Create or reset the researcher `username` with a fresh random password; return both."""
    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = True
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(researcher_group_sync())
    return user, password
