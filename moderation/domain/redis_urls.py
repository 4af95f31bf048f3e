"""Where Redis is, as operators write it in MODERATION_REDIS_URL: one server, or the Sentinels
that know which server is the master. Pure: parsing only; moderation/messaging/redis_clients.py
turns an address into clients, moderation/messaging/queues.py into Celery's broker options.

Hand-written rather than left to redis-py: its `from_url` knows no `sentinel://`, and Celery
(Kombu) reads a Sentinel URL its own way, which this parser follows so that the workers, the
API's producer and the redis-py clients all reach the same master:

- `sentinel://[:password@]host[:port][/db]`, several joined by `;`. Port 26379 by default.
- The database and the master's password are read from the first entry only (as Kombu does);
  a later entry may repeat them but not differ, so a URL never means two things.
- The master's name is not in the URL (Kombu has no place for it there): it is the setting
  MODERATION_REDIS_SENTINEL_MASTER, and the Sentinels' own password
  MODERATION_REDIS_SENTINEL_PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import SplitResult, unquote, urlsplit

SENTINEL_PORT = 26379
DIRECT_SCHEMES = ("redis", "rediss", "unix", "redis+socket")
SENTINEL_SCHEME = "sentinel"
_EXAMPLES = "redis://host:6379/0, or sentinel://host1:26379;sentinel://host2:26379/0"


class InvalidRedisUrl(ValueError):
    """A MODERATION_REDIS_URL this service cannot use; the message says why, never the
    password."""


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """How to reach the deployment's Redis.

    `url` is the configured URL (Celery's broker_url). A direct address has `client_url`, the
    URL redis-py's `from_url` reads; a Sentinel address has `sentinels` and `master_name`.
    """

    url: str = field(repr=False)  # may hold a password
    client_url: str = field(default="", repr=False)
    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str = "mymaster"
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)

    @property
    def is_sentinel(self) -> bool:
        return bool(self.sentinels)


def parse_redis_url(
    url: str, master_name: str = "mymaster", sentinel_password: str | None = None
) -> RedisAddress:
    """The address of ``url``; InvalidRedisUrl naming what is wrong."""
    url = url.strip()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == SENTINEL_SCHEME:
        return _sentinel_address(url, master_name, sentinel_password)
    if scheme in DIRECT_SCHEMES:
        _check_direct(url, scheme)
        return RedisAddress(url=url, client_url=_client_url(url))
    shown = f"{scheme}://" if scheme else "a URL without a scheme"
    raise InvalidRedisUrl(f"{shown} is not a Redis URL; write one such as {_EXAMPLES}")


def _client_url(url: str) -> str:
    """Kombu spells a Unix socket `redis+socket://`; redis-py spells it `unix://`."""
    return "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+") else url


def _check_direct(url: str, scheme: str) -> None:
    parts = _split(url)
    if scheme in ("redis", "rediss"):
        if not parts.hostname:
            raise InvalidRedisUrl(f"{scheme}:// names no host; write one such as {_EXAMPLES}")
        _db(parts.path, f"{scheme}://")
    elif not parts.path:
        raise InvalidRedisUrl(f"{scheme}:// names no socket path, as in unix:///run/redis.sock")


def _sentinel_address(url: str, master_name: str, sentinel_password: str | None) -> RedisAddress:
    if not master_name.strip():
        raise InvalidRedisUrl(
            "a Sentinel URL needs the master's name: set it in MODERATION_REDIS_SENTINEL_MASTER"
        )
    if "," in url:
        raise InvalidRedisUrl("separate the Sentinels with ';' (as Celery does), not ','")
    entries = [entry.strip() for entry in url.split(";")]
    sentinels: list[tuple[str, int]] = []
    first: tuple[int, str | None, str | None] | None = None
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number} of the Sentinel URL"
        if not entry.lower().startswith("sentinel://"):
            raise InvalidRedisUrl(
                f"{where} does not start with sentinel://; join the Sentinels with ';', as in "
                "sentinel://host1:26379;sentinel://host2:26379/0"
            )
        parts = _split(entry, where)
        if not parts.hostname:
            raise InvalidRedisUrl(f"{where} names no host")
        sentinels.append((parts.hostname, parts.port or SENTINEL_PORT))
        db = _db(parts.path, where)
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if first is None:
            first = (db, username, password)
        elif (parts.path.strip("/") and db != first[0]) or (
            password is not None and (username, password) != first[1:]
        ):
            # Celery reads only the first entry's: a different one later would be ignored there.
            raise InvalidRedisUrl(
                f"{where} names another database or password than the first; Celery reads "
                "them from the first entry only: give them there"
            )
    assert first is not None
    return RedisAddress(
        url=url,
        sentinels=tuple(sentinels),
        master_name=master_name.strip(),
        db=first[0],
        username=first[1],
        password=first[2],
        sentinel_password=sentinel_password or None,
    )


def _split(url: str, where: str | None = None) -> SplitResult:
    where = where or url.split("://", 1)[0] + "://"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise InvalidRedisUrl(f"{where} has a port that is not a number from 0 to 65535") from None
    return parts


def _db(path: str, where: str) -> int:
    number = path.strip("/")
    if not number:
        return 0
    if not number.isdigit():
        raise InvalidRedisUrl(f"{where}: the database after the last '/' must be a number, as /0")
    return int(number)
