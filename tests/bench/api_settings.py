"""Settings of the API benchmark's server: the app's own, plus the floor endpoint's URL."""

from config.settings import *  # noqa: F403 (the benchmark serves the app exactly as configured)

ROOT_URLCONF = "tests.bench.api_urls"
