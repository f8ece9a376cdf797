"""Per-worker search rate limits over the Django cache (fixed windows, atomic counters)."""

import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from .exceptions import SearchThrottled

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600}
_PERIODS |= {"hour": 3600, "d": 86400, "day": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """Return (requests, seconds) for a rate such as "30/minute" (DRF's notation); raise ValueError."""
    count, sep, period = rate.strip().partition("/")
    if not sep or not count.strip().isdigit() or period.strip().lower() not in _PERIODS:
        raise ValueError(f"{rate!r} is not a rate like 30/minute")
    return int(count), _PERIODS[period.strip().lower()]


def throttle_check(*, worker_id: int, now: float | None = None) -> None:
    """Count one search for `worker_id` against every SEARCH_THROTTLE_RATES entry.

    Raises SearchThrottled when a limit is exceeded. Counters live in the shared cache (Redis in
    production), so the limit holds across web processes; the counting is atomic there. Fixed
    windows can let through up to twice a limit across a window boundary, which is enough to stop
    a script from burning a paid API quota.
    """
    now = time.time() if now is None else now
    windows = []
    for rate in settings.SEARCH_THROTTLE_RATES:
        limit, period = rate_parse(rate)
        window = int(now // period)
        windows.append((f"search:throttle:{worker_id}:{period}:{window}", period, limit, window))
    counts = _count(windows)
    for (_, period, limit, window), count in zip(windows, counts, strict=True):
        if count > limit:
            raise SearchThrottled(retry_after=max(1, int((window + 1) * period - now)))


def _count(windows: list[tuple]) -> list[int]:
    """Add one to each window's counter (created with its expiry) and return the new values."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip for all windows: SET NX EX creates a counter with its expiry, INCR
        # counts, inside MULTI/EXEC. Django's incr() alone costs two (EXISTS, then INCRBY).
        # Django's RedisCache has no pipeline API, hence its redis-py client via `_cache`.
        pipe = backend._cache.get_client(write=True).pipeline(transaction=True)
        for key, period, *_ in windows:
            key = backend.make_and_validate_key(key)
            pipe.set(key, 0, ex=period + 1, nx=True)
            pipe.incr(key)
        return pipe.execute()[1::2]
    counts = []
    for key, period, *_ in windows:
        try:
            counts.append(backend.incr(key))
        except ValueError:  # first search of this window
            counts.append(1 if backend.add(key, 1, timeout=period + 1) else backend.incr(key))
    return counts
