"""Per-worker search rate limits over the Django cache (fixed windows, atomic counters)."""

import time

from django.conf import settings
from django.core.cache import cache

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
    production), so the limit holds across web processes; incr() and add() are atomic there. Fixed
    windows can let through up to twice a limit across a window boundary, which is enough to stop
    a script from burning a paid API quota.
    """
    now = time.time() if now is None else now
    for rate in settings.SEARCH_THROTTLE_RATES:
        limit, period = rate_parse(rate)
        window = int(now // period)
        key = f"search:throttle:{worker_id}:{period}:{window}"
        try:
            count = cache.incr(key)  # one round trip in the common case
        except ValueError:  # first search of this window
            count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
        if count > limit:
            raise SearchThrottled(retry_after=max(1, int((window + 1) * period - now)))
