"""Django's Redis cache, failing soft: with Redis down a read is a miss and a write is
skipped, so that whatever was cached is computed from the database instead; each failure is
counted (``cache.unavailable``) and logged at most once a minute.

The cache only ever holds what can be computed again (the overview's figures), so losing it
for a while costs time, never data. Only the cache's public methods are wrapped; the ones the
app does not use (counters, versions) keep Django's behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from operations.metrics import metric_count

METRIC = "cache.unavailable"


class FailSoftRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that survives Redis being down."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return default

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return False

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return False

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return list(data)

    def touch(
        self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
            return False

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            metric_count(METRIC, reason=error)
