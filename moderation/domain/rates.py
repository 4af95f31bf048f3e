"""Rate limits as operators write them, and the address a limit counts a request by.

Rates use the `limits` library's notation, several separated by `;`: "10/minute;100/hour"
allows a burst of ten a minute but no more than a hundred an hour. Pure: parsing only; the
counting is in moderation/http/ratelimits.py.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated

from limits import RateLimitItem, parse_many
from pydantic import AfterValidator

# An IPv6 subscriber is given a whole /64 (RFC 6177), so one person can use 2^64 addresses:
# counting them one by one would limit nothing.
IPV6_PREFIX = 64


@lru_cache(maxsize=256)
def parse_rates(text: str) -> tuple[RateLimitItem, ...]:
    """The limits of "10/minute;100/hour"; ValueError naming what is wrong. Cached: a site's
    override is parsed on every request that it governs."""
    try:
        items = tuple(parse_many(text))
    except ValueError as error:
        raise ValueError(
            f"{text!r} is not a rate such as '10/minute' or '10/minute;100/hour' ({error})"
        ) from None
    if not items:
        raise ValueError(f"{text!r} names no rate; write one such as '10/minute'")
    for item in items:
        if item.amount < 1:
            # 0/minute would refuse everything: switching limits off is a setting of its own.
            raise ValueError(f"{text!r}: a rate allows at least 1 per period")
    return items


def checked_rates(text: str) -> str:
    """For validators: the text itself if it parses, else ValueError."""
    parse_rates(text.strip())
    return text.strip()


# A setting or a site's override in that notation, checked when it is read.
Rate = Annotated[str, AfterValidator(checked_rates)]


@lru_cache(maxsize=4096)
def counted_address(host: str | None) -> str | None:
    """The address a request is counted by: an IPv4 address as it is, an IPv6 address as its
    /64 network (an IPv4-mapped one as its IPv4 address). Anything else (a Unix socket's
    name, a test client's) is counted as it is."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
