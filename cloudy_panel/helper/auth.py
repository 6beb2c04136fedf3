"""auth.login and auth.change_password: PAM checked as root, only for members of the admin group."""

from __future__ import annotations

from typing import Any

from cloudy_panel.helper.args import PASSWORD, USER_NAME
from cloudy_panel.helper.context import Context
from cloudy_panel.helper.registry import verb
from cloudy_panel.protocol import BAD_ARGS, DENIED, FAILED, LOCKED, HelperError

# The same answer for a wrong password, an unknown user and a non-admin: it tells an attacker nothing.
REFUSED = "wrong user name or password, or not a panel administrator"


def check_password(ctx: Context, user: str, password: str) -> None:
    """Raise locked or denied unless USER is an admin whose PASSWORD PAM accepts; count failures."""
    if not ctx.lockout.attempt(user):
        raise HelperError(LOCKED, "too many failed logins; try again in 15 minutes")
    if not (ctx.member(user, ctx.admin_group) and ctx.authenticate(ctx.pam_service, user, password)):
        raise HelperError(DENIED, REFUSED)  # the attempt stays counted
    ctx.lockout.clear(user)


@verb("auth.login", user=USER_NAME, password=PASSWORD)
def login(ctx: Context, user: str, password: str) -> dict[str, Any]:
    check_password(ctx, user, password)
    return {"user": user}


@verb("auth.change_password", user=USER_NAME, old=PASSWORD, new=PASSWORD)
def change_password(ctx: Context, user: str, old: str, new: str) -> dict[str, Any]:
    if len(new) < 8:
        raise HelperError(BAD_ARGS, "the new password needs at least 8 characters")
    check_password(ctx, user, old)
    # chpasswd reads "user:password" lines on stdin: the password never shows in a process list.
    done = ctx.run(["chpasswd"], input=f"{user}:{new}\n")
    if done.returncode != 0:
        raise HelperError(FAILED, "chpasswd refused the new password")
    return {}
