"""Pseudonymous worker ids for researchers: a keyed hash of platform and platform id (pure)."""

import hashlib
import hmac


def worker_pseudonym(platform: str, platform_id: str, *, salt: str) -> str:
    """Return a worker's export id: HMAC-SHA256 of "platform:platform_id" keyed with `salt`.

    Stable per deployment (same salt, same id across batches and exports) so researchers can follow
    a worker across studies, but not reversible without the salt; 32 hex digits (128 bits).
    """
    if not salt:
        raise ValueError("a non-empty salt is required")
    message = f"{platform}:{platform_id}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:32]
