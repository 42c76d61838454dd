"""How django-allauth signs people in to Vendorwatch.

Accounts are made by administrators, by the demo loader or by an identity provider at first
sign-in; nobody signs themselves up with a local password.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
