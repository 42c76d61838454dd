"""The worker tests' throw-away Redis server, Celery app and worker processes, shared."""

from tests.exposure.test_worker import broker, sending_app, workers  # noqa: F401
