"""Login, role and ownership decorators for views.

Flask-Login's ``login_required`` handles "who are you"; ``roles_required`` handles "may
someone with your roles do this at all". Ownership of a particular object (a plan, an
attempt) is a business rule and lives in the owning domain's services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from learning.core.errors import Forbidden
from learning.extensions import login_manager


def roles_required(*roles: str) -> Callable:
    """Allow the view to users holding at least one of ``roles`` (admins hold every door)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_any_role(*roles, "admin"):
                raise Forbidden(_("You do not have permission to see this page."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_safe_redirect(target: str | None) -> bool:
    """True when ``target`` stays on this site: a relative path, never another host."""
    if not target:
        return False
    # Browsers treat backslashes like slashes and ignore leading control characters.
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    host_url = request.host_url
    try:
        test = urlsplit(urljoin(host_url, target))
    except ValueError:  # e.g. "//[" (an unclosed IPv6 host): not a place to send anyone
        return False
    ref = urlsplit(host_url)
    return (
        target.startswith("/")
        and not target.startswith("//")
        and test.scheme in ("http", "https")
        and test.netloc == ref.netloc
    )
