"""Rate limits kept in Redis with the `limits` library, shared by every API process.

`RateLimits` (one per app, `app.state.rate_limits`) names the limits in the service's words:
comments per address and per site, calls per site key, failed authentications and sign-in
attempts per address. The rates come from the settings, a site's policy may override its own
(moderation/config.py says why the defaults are what they are). Each rate is a `limits`
sliding-window counter: one small Lua script per check, and unlike a fixed window it does not
let a client double its rate across a window's edge. An address is counted as
moderation/domain/rates.py says (an IPv6 address by its /64), after the app decided which
address to believe (MODERATION_TRUSTED_PROXIES).

Cost: on this kind of machine a round trip to Redis costs the API ~100 us of CPU (mostly the
kernel's loopback send), as much as a fifth of accepting a comment, and a comment is under three
rates by default. `limits` checks one rate per call, so `_Store.hit_all` sends the library's own
sliding-window script for every rate in one pipeline (one round trip), with the library's keys;
that leans on two private helpers of `limits` (pinned in constraints.txt, and
tests/moderation/http/test_rate_limits.py checks that the library reads back what was counted).
bench/ratelimits.py measures what the limiter adds to accepting a comment.

Redis away: a limit that cannot be checked is not applied (fail open). The limiter guards, it
is not the record: a comment it cannot check is stored and decided as always. Written here, not
taken from `limits` (which raises the client's error): after a failure the limits are not even
tried for `PAUSE_SECONDS`, so an outage costs requests nothing, and the warning is logged at
most every `WARN_EVERY_SECONDS`. Logs name the limit, never an address or a key.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast
from weakref import WeakKeyDictionary

from fastapi import Request
from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from moderation.config import Settings
from moderation.domain.errors import FieldProblem, ServiceError
from moderation.domain.rates import counted_address, parse_rates
from moderation.domain.redis_urls import RedisAddress
from moderation.messaging.redis_clients import async_client
from moderation.services.sites import SiteInfo

log = logging.getLogger(__name__)

KEY_PREFIX = "moderation:rate"
# A Redis that is away is found by the connect timeout: short, as such a check is not worth
# waiting for. The read timeout is longer on purpose: under a flood it is the API process, not
# Redis, that is slow to read the answer, and a short one can turn the limits off exactly while
# they are needed (with 0.25 s, a full test run on a heavily loaded machine let 695 of a
# 2,000-comment flood from one address in; read timeouts are the likely way).
CONNECT_TIMEOUT_SECONDS = 0.25
READ_TIMEOUT_SECONDS = 1.0
PAUSE_SECONDS = 2.0
WARN_EVERY_SECONDS = 10.0
_STORE_ERRORS = (RedisError, StorageError, OSError)

# What each limit tells the one who ran into it (the setting's name is the `rule`).
_WHAT = {
    "rate_per_address": "too many comments from this address",
    "rate_per_site": "too many comments to this site right now",
    "rate_per_key": "too many requests with this key",
    "rate_auth_failures_per_address": "too many failed authentications from this address",
    "rate_sign_ins_per_address": "too many sign-in attempts from this address",
    "rate_notices_per_address": "too many notices from this address",
    "rate_appeals_per_address": "too many appeals from this address",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request over a limit: which one (its setting's name), and when to come back."""

    limit: str
    retry_after: int  # whole seconds, at least 1

    @property
    def message(self) -> str:
        return f"{_WHAT[self.limit]}; try again in {self.retry_after} s"


class RateLimited(ServiceError):
    """Our JSON API's 429: `{"error": "rate_limited", ...}` with Retry-After."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(
            429,
            "rate_limited",
            refusal.message,
            [FieldProblem("request", refusal.limit, refusal.message)],
            {"Retry-After": str(refusal.retry_after)},
        )
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class _Check:
    limit: str
    rate: RateLimitItem
    who: str


class _Store:
    """One event loop's connections to Redis and the `limits` limiter over them."""

    def __init__(self, address: RedisAddress) -> None:
        # Our own client and its pool (which `limits` accepts in place of a URI's options):
        # short timeouts, no retries, and connections the app can close. Behind Sentinel the
        # pool asks the Sentinels for the master (`limits`' own Sentinel storage would open a
        # second pool, with the library's timeouts and retries).
        self._client = async_client(
            address,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=READ_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self.storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            connection_pool=self._client.connection_pool,  # type: ignore[arg-type]
        )
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self._bridge = cast(RedispyBridge, self.storage.bridge)

    async def close(self) -> None:
        await self._client.aclose()

    async def hit_all(self, checks: Sequence[_Check]) -> list[bool]:
        """`limiter.hit` for every check, in one round trip: the library's acquire script on
        the library's keys (what `acquire_sliding_window_entry` sends), pipelined."""
        if len(checks) == 1:
            check = checks[0]
            return [await self.limiter.hit(check.rate, check.limit, check.who)]
        storage, bridge = self.storage, self._bridge
        pipe = self._client.pipeline(transaction=False)
        for check in checks:
            key = check.rate.key_for(check.limit, check.who)
            pipe.evalsha(
                bridge.lua_acquire_sliding_window.sha,
                2,
                bridge.prefixed_key(storage._previous_window_key(key)),
                bridge.prefixed_key(storage._current_window_key(key)),
                check.rate.amount,
                check.rate.get_expiry(),
                1,
            )
        answers = await pipe.execute(raise_on_error=False)
        if any(isinstance(answer, NoScriptError) for answer in answers):
            # Redis restarted without the script (then no evalsha ran): the library's own call
            # loads it.
            return list(
                await asyncio.gather(*(self.limiter.hit(c.rate, c.limit, c.who) for c in checks))
            )
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        return [bool(answer) for answer in answers]


class RateLimits:
    """The service's rate limits over the deployment's Redis. Every method answers None when
    the request may go on, a Refusal when it may not."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._address = settings.redis_address
        self.enabled = settings.rate_limits_enabled and self._address is not None
        # redis.asyncio's connections belong to the event loop that opened them; a server has
        # one loop, a test client one per `with`.
        self._stores: WeakKeyDictionary[asyncio.AbstractEventLoop, _Store] = WeakKeyDictionary()
        self._paused_until = 0.0
        self._warned_at = -math.inf

    # The limits, in the service's words.

    async def comment(self, site: SiteInfo, address: str | None) -> Refusal | None:
        """A comment submitted to `site` for a reader at `address` (None: not known)."""
        policy = site.policy
        checks = self._checks("rate_per_site", policy.rate_per_site, f"site:{site.id}")
        if address is not None:
            checks += self._checks(
                "rate_per_address", policy.rate_per_address, f"site:{site.id}:{address}"
            )
        return await self._hit(checks)

    async def key_use(self, site: SiteInfo, api: str) -> Refusal | None:
        """A call to the `api` ("akismet", "perspective") with the site's key."""
        checks = self._checks("rate_per_key", site.policy.rate_per_key, f"{api}:site:{site.id}")
        return await self._hit(checks)

    async def failing_address(self, address: str | None) -> Refusal | None:
        """Whether `address` is over its failed authentications (counts nothing)."""
        if address is None:
            return None
        checks = self._checks("rate_auth_failures_per_address", None, address)
        return await self._over(checks)

    async def count_failure(self, address: str | None) -> None:
        """A wrong key or token from `address`."""
        if address is not None:
            await self._hit(self._checks("rate_auth_failures_per_address", None, address))

    async def sign_in(self, address: str | None) -> Refusal | None:
        """An attempt to sign in to the workspace from `address`."""
        if address is None:
            return None
        return await self._hit(self._checks("rate_sign_ins_per_address", None, address))

    async def notice(self, address: str | None) -> Refusal | None:
        """A notice of illegal content from `address`."""
        if address is None:
            return None
        return await self._hit(self._checks("rate_notices_per_address", None, address))

    async def appeal(self, address: str | None) -> Refusal | None:
        """An appeal against a removal from `address`."""
        if address is None:
            return None
        return await self._hit(self._checks("rate_appeals_per_address", None, address))

    async def close(self) -> None:
        """Close this event loop's connections (the app's shutdown)."""
        store = self._stores.pop(asyncio.get_running_loop(), None)
        if store is not None:
            await store.close()

    # How they are counted.

    def _checks(self, limit: str, override: str | None, who: str) -> list[_Check]:
        rates = parse_rates(override or getattr(self._settings, limit))
        return [_Check(limit, rate, who) for rate in rates]

    async def _hit(self, checks: Sequence[_Check]) -> Refusal | None:
        """Count the request against every check; a Refusal if one of them is over."""
        return await self._apply(checks, count=True)

    async def _over(self, checks: Sequence[_Check]) -> Refusal | None:
        """Like _hit, counting nothing."""
        return await self._apply(checks, count=False)

    async def _apply(self, checks: Sequence[_Check], count: bool) -> Refusal | None:
        store = self._store()
        if store is None or not checks:
            return None
        limiter = store.limiter
        try:
            if count:
                allowed = await store.hit_all(checks)
            else:
                allowed = await asyncio.gather(
                    *(limiter.test(c.rate, c.limit, c.who) for c in checks)
                )
            refused = [c for c, ok in zip(checks, allowed, strict=True) if not ok]
            return await self._refusal(limiter, refused) if refused else None
        except _STORE_ERRORS as error:
            self._failed(error)
            return None

    async def _refusal(
        self, limiter: SlidingWindowCounterRateLimiter, refused: Sequence[_Check]
    ) -> Refusal:
        """The refused check whose slot frees last, and when it does."""
        stats = await asyncio.gather(
            *(limiter.get_window_stats(c.rate, c.limit, c.who) for c in refused)
        )
        now = time.time()
        waits = [
            (max(1, math.ceil(s.reset_time - now)), c.limit)
            for c, s in zip(refused, stats, strict=True)
        ]
        retry_after, limit = max(waits)
        return Refusal(limit, retry_after)

    def _store(self) -> _Store | None:
        if not self.enabled or time.monotonic() < self._paused_until:
            return None
        loop = asyncio.get_running_loop()
        store = self._stores.get(loop)
        if store is None:
            assert self._address is not None  # enabled only with a Redis
            store = self._stores[loop] = _Store(self._address)
        return store

    def _failed(self, error: Exception) -> None:
        now = time.monotonic()
        self._paused_until = now + PAUSE_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "rate limits not applied for now (fail open): Redis did not answer (%s: %s)",
                type(error).__name__,
                error,
            )


def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


def request_address(request: Request) -> str | None:
    """The address the request is counted by: the one the app believes (see
    MODERATION_TRUSTED_PROXIES), an IPv6 address by its /64."""
    return counted_address(request.client.host if request.client else None)


async def refuse_failing_address(request: Request) -> None:
    """Raise RateLimited while the caller's address is over its failed authentications: asked
    before a key or token is looked at, so guessing gets no answer past the limit."""
    refusal = await rate_limits(request).failing_address(request_address(request))
    if refusal is not None:
        raise RateLimited(refusal)


async def count_failure(request: Request) -> None:
    await rate_limits(request).count_failure(request_address(request))
