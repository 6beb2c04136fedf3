"""The closed registry of verbs: name -> function with typed arguments. Nothing else is callable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudy_panel.helper.args import Arg, check_all, mask_all
from cloudy_panel.protocol import BAD_VERB, FAILED, HelperError

if TYPE_CHECKING:
    from cloudy_panel.helper.context import Context

log = logging.getLogger("cloudy-panel-helper")

VerbFunc = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Verb:
    name: str
    func: VerbFunc
    args: dict[str, Arg]
    optional: frozenset[str]


VERBS: dict[str, Verb] = {}


def verb(name: str, optional: tuple[str, ...] = (), **args: Arg) -> Callable[[VerbFunc], VerbFunc]:
    """Register FUNC(ctx, **checked_args) as verb NAME taking ARGS (all required but OPTIONAL)."""

    def register(func: VerbFunc) -> VerbFunc:
        if name in VERBS:
            raise ValueError(f"verb {name} registered twice")
        VERBS[name] = Verb(name, func, args, frozenset(optional))
        return func

    return register


def dispatch(ctx: Context, name: str, raw_args: dict[str, Any], peer_uid: int) -> dict[str, Any]:
    """Check and run one verb; every call is logged with its secrets masked, whatever the outcome."""
    entry = VERBS.get(name)
    if entry is None:
        # Names only: the values of a request we cannot type may hold a password.
        log.warning("refused unknown verb %r from uid %d (args %s)", name, peer_uid, sorted(raw_args))
        raise HelperError(BAD_VERB, f"unknown verb {name}")
    shown = mask_all(entry.args, raw_args)
    try:
        args = check_all(entry.args, raw_args, frozenset(entry.args) - entry.optional)
        result = entry.func(ctx, **args)
    except HelperError as exc:
        log.warning("%s %s from uid %d: %s (%s)", name, shown, peer_uid, exc.code, exc.message)
        raise
    except Exception as exc:
        log.exception("%s %s from uid %d failed", name, shown, peer_uid)
        raise HelperError(FAILED, f"{name} failed: {type(exc).__name__}") from exc
    log.info("%s %s from uid %d: ok", name, shown, peer_uid)
    return result


def load_verbs() -> dict[str, Verb]:
    """Import the modules that register verbs (once) and return the registry."""
    from cloudy_panel.helper import auth, clouder, jobs, services, system  # noqa: F401

    return VERBS
