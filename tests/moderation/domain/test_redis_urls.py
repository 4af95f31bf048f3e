"""MODERATION_REDIS_URL as operators write it: one Redis, or its Sentinels; and what an operator
reads when it is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from moderation.config import Settings
from moderation.domain.redis_urls import InvalidRedisUrl, parse_redis_url
from tests.conftest import run_moderation


@pytest.mark.parametrize(
    ("url", "client_url"),
    [
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("rediss://:pw@cache.example:6380/2", "rediss://:pw@cache.example:6380/2"),
        ("unix:///run/redis.sock?db=1", "unix:///run/redis.sock?db=1"),
        # `moderation up`'s embedded Redis, in Kombu's spelling.
        ("redis+socket:///srv/.moderation/redis.sock", "unix:///srv/.moderation/redis.sock"),
    ],
)
def test_one_redis_is_reached_at_its_url(url: str, client_url: str) -> None:
    address = parse_redis_url(url)
    assert not address.is_sentinel
    assert address.client_url == client_url
    assert address.url == url


def test_sentinels_are_read_as_celery_reads_them() -> None:
    address = parse_redis_url(
        "sentinel://:master-pw@10.0.0.1:26380/3;sentinel://10.0.0.2;sentinel://10.0.0.3:26381/3",
        master_name="cache",
        sentinel_password="sentinel-pw",
    )
    assert address.is_sentinel
    assert address.sentinels == (("10.0.0.1", 26380), ("10.0.0.2", 26379), ("10.0.0.3", 26381))
    assert (address.master_name, address.db) == ("cache", 3)
    assert (address.password, address.sentinel_password) == ("master-pw", "sentinel-pw")
    assert "master-pw" not in repr(address) and "sentinel-pw" not in repr(address)


def test_the_database_may_be_named_on_the_last_sentinel_only_if_it_is_the_first_ones() -> None:
    address = parse_redis_url("sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26379/0")
    assert (address.db, address.master_name) == (0, "mymaster")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("localhost:6379", "a URL without a scheme is not a Redis URL"),
        ("http://cache:6379", "http:// is not a Redis URL"),
        ("redis://:6379/0", "redis:// names no host"),
        ("redis://cache:63x9/0", "has a port that is not a number"),
        ("redis://cache:6379/zero", "the database after the last '/' must be a number"),
        ("unix://", "unix:// names no socket path"),
        ("sentinel://", "entry 1 of the Sentinel URL names no host"),
        ("sentinel://a:26379,sentinel://b:26379", "separate the Sentinels with ';'"),
        ("sentinel://a:26379;redis://b:6379", "entry 2 of the Sentinel URL does not start"),
        ("sentinel://a;sentinel://b/1", "entry 2 of the Sentinel URL names another database"),
        ("sentinel://:x@a;sentinel://:y@b", "Celery reads them from the first entry only"),
    ],
)
def test_a_url_the_service_cannot_use_is_refused_in_words(url: str, reason: str) -> None:
    with pytest.raises(InvalidRedisUrl) as refused:
        parse_redis_url(url)
    assert reason in str(refused.value)


def test_settings_refuse_a_bad_url_when_loaded() -> None:
    with pytest.raises(ValidationError, match="entry 2 of the Sentinel URL does not start"):
        Settings(redis_url="sentinel://a:26379;b:26379")


def test_the_command_names_the_setting_and_never_its_password() -> None:
    ran = run_moderation(
        "status", settings={"redis_url": "sentinel://:hunter2@a:26379;redis://:hunter2@b"}
    )
    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        "error: MODERATION_REDIS_URL: entry 2 of the Sentinel URL does not start with "
        "sentinel://; join the Sentinels with ';', as in "
        "sentinel://host1:26379;sentinel://host2:26379/0"
    )
    assert "hunter2" not in ran.stdout + ran.stderr
