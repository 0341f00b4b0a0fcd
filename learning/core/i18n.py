"""Language and time zone of the viewer, and the formatting helpers templates use.

The locale is the signed-in user's preferred language, else the browser's best match, else
English. Dates and times are stored in UTC and shown in the viewer's time zone, always with
the zone named on the page.
"""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from flask import Flask, current_app, request
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
    to_user_timezone,
)
from flask_login import current_user

from learning.core.locales import language_name
from learning.extensions import babel

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return (
        request.accept_languages.best_match(list(languages))
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return Locale.parse(str(get_locale())).territories.get(code, code)


def local_datetime(value: datetime | None, format: str = "medium") -> str:
    """A UTC datetime in the viewer's zone and locale, with the zone named."""
    if value is None:
        return ""
    zone = str(get_timezone())
    return f"{format_datetime(value, format)} ({zone})"


def local_date(value: datetime | None, format: str = "medium") -> str:
    """The date of a UTC datetime in the viewer's zone and locale."""
    if value is None:
        return ""
    return format_date(to_user_timezone(value), format)


def interface_language() -> str:
    """The language the page text is really in: the locale if translated, else English."""
    locale = str(get_locale())
    translated = current_app.extensions["capacity_translated_languages"]
    return locale if locale in translated else current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    with app.app_context():
        app.extensions["capacity_translated_languages"] = frozenset(
            str(t.language) for t in babel.list_translations()
        )
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["format_percent"] = format_percent
    app.jinja_env.filters["format_number"] = format_decimal
    app.jinja_env.filters["language_name"] = lambda code: language_name(code, str(get_locale()))
    app.jinja_env.filters["country_name"] = country_name

    @app.context_processor
    def i18n_context() -> dict:
        language = interface_language()
        return {
            "page_language": language,
            "page_direction": "rtl" if language in RTL_LANGUAGES else "ltr",
            "viewer_timezone": str(get_timezone()),
        }
