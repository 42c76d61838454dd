"""
WSGI config for config project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load the URL configuration while the worker starts, not in its first request: importing
# every app's views (the feed parsers, the API) and indexing the URL names for reverse() took
# the first visitor after a start one to five seconds.
reverse("home")
