"""Sign-ins enter the audit trail. Django reports them only through signals, so this is the
one place the audit listens to signals rather than being called by a service."""

from typing import Any

from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login_success")
def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failure")
def record_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The password is never recorded; Django already masks it, but only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed",
        object_type="auth.user",
        object_repr=username,
        after={"username": username},
        request=request,
    )


# Second factors (allauth.mfa) are set up, replaced and removed through allauth's own pages,
# which report it only through its signals.
@receiver(authenticator_added, dispatch_uid="audit_mfa_added")
def record_authenticator_added(
    sender: Any, request: HttpRequest | None, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    _record_authenticator("auth.mfa_added", request, user, authenticator)


@receiver(authenticator_removed, dispatch_uid="audit_mfa_removed")
def record_authenticator_removed(
    sender: Any, request: HttpRequest | None, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    _record_authenticator("auth.mfa_removed", request, user, authenticator)


@receiver(authenticator_reset, dispatch_uid="audit_mfa_reset")
def record_authenticator_reset(
    sender: Any, request: HttpRequest | None, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    _record_authenticator("auth.mfa_reset", request, user, authenticator)


@receiver(authentication_failed, dispatch_uid="audit_mfa_failed")
def record_second_factor_failure(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    audit_record(action="auth.mfa_failed", obj=user, request=request)


def _record_authenticator(
    action: str, request: HttpRequest | None, user: Any, authenticator: Any
) -> None:
    # The kind only: secrets and recovery codes never enter the trail.
    audit_record(
        action=action, actor=user, obj=user, after={"type": authenticator.type}, request=request
    )
