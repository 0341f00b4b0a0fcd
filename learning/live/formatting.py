"""A session's times as words, in a given zone and locale (Babel, no Flask), for pages and
e-mails alike: a viewer's and an organiser's wall clock differ only by these arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_timezone_name

from learning.core.locales import is_valid_timezone


@dataclass(frozen=True)
class When:
    start_date: str
    start_time: str
    end_date: str
    end_time: str
    zone: str  # IANA name, e.g. Asia/Seoul
    zone_name: str  # in the locale, with summer time named, e.g. "British Summer Time"
    crosses_midnight: bool
    iso_start: str  # for <time datetime="...">
    iso_end: str


def when(starts_at: datetime, ends_at: datetime, zone: str, locale: str) -> When:
    """From ``starts_at`` to ``ends_at`` (UTC) on the wall clock of ``zone``, worded in ``locale``."""
    tz = ZoneInfo(zone if is_valid_timezone(zone) else "UTC")
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    try:
        name = get_timezone_name(start, locale=locale)
    except (LookupError, ValueError):
        name = tz.key
    return When(
        start_date=format_skeleton("yMMMEd", start, locale=locale),
        start_time=format_time(start, "short", tzinfo=tz, locale=locale),
        end_date=format_skeleton("yMMMEd", end, locale=locale),
        end_time=format_time(end, "short", tzinfo=tz, locale=locale),
        zone=tz.key,
        zone_name=name,
        crosses_midnight=start.date() != end.date(),
        iso_start=start.replace(microsecond=0).isoformat(),
        iso_end=end.replace(microsecond=0).isoformat(),
    )


def moment(instant: datetime, zone: str, locale: str) -> str:
    """One instant as "Tue, Dec 8, 2026, 9:45 PM (Asia/Seoul)", without seconds."""
    tz = ZoneInfo(zone if is_valid_timezone(zone) else "UTC")
    local = instant.astimezone(tz)
    day = format_skeleton("yMMMEd", local, locale=locale)
    return f"{day}, {format_time(local, 'short', tzinfo=tz, locale=locale)} ({tz.key})"
