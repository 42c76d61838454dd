"""Sign-ins enter the audit trail. Django reports them only through signals, so this is the
one place the audit listens to signals rather than being called by a service."""

from typing import Any

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
