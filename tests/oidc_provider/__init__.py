"""A real OpenID Connect provider for the single sign-on tests: a small Django project built
on django-oauth-toolkit, run in its own process on 127.0.0.1 (``tests/sso/conftest.py``).

Its people and their groups live in Django's own user and group tables, in a SQLite file of
its own; the ``groups`` claim names the groups a person is in, as Keycloak's and Entra ID's
group claims do.
"""
