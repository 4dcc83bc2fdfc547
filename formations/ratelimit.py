"""Rate limits held in Django's shared cache (settings.CACHES, the database cache by
default), so that they count across every process and server.

The count is approximate under races (the database cache's `incr` reads then writes):
two simultaneous hits may count as one. Good enough to stop a flood, not a quota."""

import hashlib
import time

from django.core.cache import cache


def rate_limit_hit(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Counts one hit of ``key`` in ``scope`` for the current window; True while at most
    ``limit`` hits were counted in it, False beyond. The key is hashed (it may be an
    e-mail address: none is written to the cache in clear)."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    window = int(time.time()) // window_seconds
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
