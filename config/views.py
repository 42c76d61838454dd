"""Project-level views."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis import Redis
from redis.exceptions import RedisError

from operations.metrics import metric_counts


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and the compose healthcheck.

    The database is required: without it the answer is 503. Redis is not: with it down the
    app serves on (no cache, no rate limits, matching left to the sweeper), so it is reported
    ``degraded`` with 200, beside this process's counts of what it survived.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready", whatever its type
        return JsonResponse({"status": "database unavailable"}, status=503)
    body: dict[str, object] = {"status": "ok", "database": "ok"}
    if settings.REDIS_URL:
        body["redis"] = _redis_state(settings.REDIS_URL)
    counts = metric_counts()
    if counts:
        body["counts"] = counts
    return JsonResponse(body)


def _redis_state(url: str) -> str:
    timeout = settings.REDIS_TIMEOUT_SECONDS
    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except RedisError:
        return "degraded"
    finally:
        client.close()
    return "ok"
