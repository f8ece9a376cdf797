"""Signed tokens that name a worker's assignment in HIT and search URLs (pure, no database)."""

from django.core import signing

_SALT = "truthcrowd.assignment"


def assignment_token_make(assignment_id: int) -> str:
    """Return an unforgeable token for `assignment_id`; only the server can make one."""
    return signing.dumps(assignment_id, salt=_SALT, compress=False)


def assignment_token_read(token: str) -> int:
    """Return the assignment id in `token`; raise signing.BadSignature if it was forged or altered."""
    value = signing.loads(token, salt=_SALT)
    if not isinstance(value, int):
        raise signing.BadSignature("token does not name an assignment")
    return value
