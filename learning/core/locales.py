"""Reference lists for locale settings (time zones, countries), without Flask.

Services validate against these; forms offer them as choices.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale

# Prefixes of legacy aliases and non-geographic zones that nobody should have to scroll past.
_LEGACY_ZONE_PREFIXES = (
    "Etc/",
    "SystemV/",
    "US/",
    "Canada/",
    "Mexico/",
    "Brazil/",
    "Chile/",
    "posix",
    "right/",
)
# Babel's territories include regions that are not countries.
_NOT_COUNTRIES = {"ZZ", "EU", "UN", "EZ", "QO"}


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Canonical IANA zones a person picks from, ``UTC`` first."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(_LEGACY_ZONE_PREFIXES)
    }
    return ("UTC", *sorted(names))


@lru_cache(maxsize=1)
def _timezone_set() -> frozenset[str]:
    return frozenset(timezone_names())


def is_valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _timezone_set()


@lru_cache(maxsize=16)
def country_names(locale: str = "en") -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-2 codes with their names in ``locale``, sorted by name."""
    territories = Locale.parse(locale).territories
    pairs = [
        (code, name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


def is_known_country(code: str | None) -> bool:
    return bool(code) and code in dict(country_names("en"))


def language_name(code: str, locale: str = "en") -> str:
    """The name of language ``code`` (``ko`` -> ``Korean``), or the code if unknown."""
    try:
        return Locale.parse(locale).languages.get(code.split("-")[0], code)
    except (ValueError, TypeError):
        return code
