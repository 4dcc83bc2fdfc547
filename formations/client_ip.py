"""The client's IP address, one reader for every place that keeps or counts it: the audit
journal (`formations.audit`), the space's sign-in rate limit per address
(`formations.views_space`), the signatures (`sessions.views.signing.common`).

Without a reverse proxy, it is `REMOTE_ADDR`. Behind one, `REMOTE_ADDR` is the proxy's own
address (every visitor would share it: a per-IP limit would become site-wide), and the
client's is in `X-Forwarded-For`, a list each proxy appends the address it was reached from
to. Its leftmost entries come from the client, who can write anything there; only the
entries the trusted proxies appended can be believed. `SUIVI_TRUSTED_PROXY_COUNT` says how
many proxies stand in front of the application (0, the default: none, `REMOTE_ADDR` is
the client): with N, the client is the N-th address from the right. A header missing,
shorter than N or not holding an address there means a request that did not come through
them: `REMOTE_ADDR` again.
"""

import ipaddress

from django.conf import settings


def valid_ip(value: str | None) -> str | None:
    """``value`` as a normalised IP address, or None when it is not one."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "SUIVI_TRUSTED_PROXY_COUNT", 0) or 0))


def client_ip(request) -> str | None:
    """The address of the client of ``request`` (None when nothing holds an address)."""
    remote = valid_ip(request.META.get("REMOTE_ADDR"))
    count = trusted_proxy_count()
    if not count:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote
    return valid_ip(hops[-count]) or remote
