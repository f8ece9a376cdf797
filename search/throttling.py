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
    throttle_check_and_get(worker_id=worker_id, key=None, now=now)


def throttle_check_and_get(*, worker_id: int, key: str | None, now: float | None = None):
    """throttle_check(), then return the cached value under `key` (None if absent or no key).

    On Redis the counting and the read share one round trip, the search path's first.
    """
    now = time.time() if now is None else now
    windows = []
    for rate in settings.SEARCH_THROTTLE_RATES:
        limit, period = rate_parse(rate)
        window = int(now // period)
        windows.append((f"search:throttle:{worker_id}:{period}:{window}", period, limit, window))
    counts, value = _count_and_get(windows, key)
    for (_, period, limit, window), count in zip(windows, counts, strict=True):
        if count > limit:
            raise SearchThrottled(retry_after=max(1, int((window + 1) * period - now)))
    return value


def _count_and_get(windows: list[tuple], key: str | None) -> tuple[list[int], object]:
    """Add one to each window's counter (created with its expiry) and return the new values,
    with the cached value under `key`."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip: SET NX EX creates a counter with its expiry, INCR counts, GET reads,
        # inside MULTI/EXEC. Django's incr() alone costs two (EXISTS, then INCRBY). Django's
        # RedisCache has no pipeline API, hence its redis-py client and serializer via `_cache`
        # (tests/search/test_services.py runs this against Redis).
        client = backend._cache
        pipe = client.get_client(write=True).pipeline(transaction=True)
        for name, period, *_ in windows:
            name = backend.make_and_validate_key(name)
            pipe.set(name, 0, ex=period + 1, nx=True)
            pipe.incr(name)
        if key is not None:
            pipe.get(backend.make_and_validate_key(key))
        replies = pipe.execute()
        counts = replies[1 : 2 * len(windows) : 2]
        raw = replies[-1] if key is not None else None
        return counts, None if raw is None else client._serializer.loads(raw)
    counts = []
    for name, period, *_ in windows:
        try:
            counts.append(backend.incr(name))
        except ValueError:  # first search of this window
            counts.append(1 if backend.add(name, 1, timeout=period + 1) else backend.incr(name))
    return counts, None if key is None else backend.get(key)
