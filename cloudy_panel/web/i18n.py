"""Catalan, Spanish, English: the session's choice, else Accept-Language, else English."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = {"ca": "Català", "es": "Español", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_babel(app: Flask) -> None:
    # Flask-Babel 3 and later take the selector as an argument; Debian 12's 2.0 has a decorator.
    try:
        Babel(app, locale_selector=select_locale)
    except TypeError:
        Babel(app).localeselector(select_locale)
