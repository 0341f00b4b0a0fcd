"""iCalendar (RFC 5545) for sessions and deadlines, written with the ``icalendar`` package.

Times are in UTC (``...Z``), so no VTIMEZONE is needed and every client agrees on the
instant. A session's UID never changes and its SEQUENCE rises with every change, so calendar
programs update (or, with STATUS:CANCELLED, remove) the event they already hold. The join
link is not in the file: it appears on the session page (``URL``) when it is time to join.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from learning.courses.deadlines import Deadline
from learning.live.models import LiveSession

PRODID = "-//CapaCity//Live sessions//EN"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def session_uid(live: LiveSession, domain: str) -> str:
    return f"live-session-{live.id}@{domain}"


def session_event(live: LiveSession, *, url: str, domain: str) -> Event:
    event = Event()
    event.add("uid", session_uid(live, domain))
    event.add("sequence", live.sequence)
    # The moment the event was last revised: calendars compare it with SEQUENCE.
    event.add("dtstamp", _utc(live.updated_at))
    event.add("created", _utc(live.created_at))
    event.add("last-modified", _utc(live.updated_at))
    event.add("dtstart", _utc(live.starts_at))
    event.add("dtend", _utc(live.ends_at))
    event.add("summary", live.title)
    description = live.description.strip()
    event.add("description", f"{description}\n\n{url}" if description else url)
    event.add("url", url)
    event.add("status", "CANCELLED" if live.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def deadline_event(deadline: Deadline, *, base_url: str, domain: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", deadline.uid if "@" in deadline.uid else f"{deadline.uid}@{domain}")
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(deadline.due_at))
    event.add("summary", deadline.title)
    if deadline.url_path:
        url = base_url.rstrip("/") + deadline.url_path
        event.add("url", url)
        event.add("description", url)
    # A deadline does not make anyone busy.
    event.add("transp", "TRANSPARENT")
    return event


def calendar(
    events: Iterable[Event], *, name: str | None = None, method: str | None = None
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        # Feeds: how often subscribed clients should fetch again.
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def session_file(live: LiveSession, *, url: str, domain: str) -> bytes:
    """One session as a downloadable ``.ics``."""
    return calendar([session_event(live, url=url, domain=domain)], method="PUBLISH")


def feed(
    sessions: Iterable[LiveSession],
    deadlines: Iterable[Deadline],
    *,
    session_url: Callable[[LiveSession], str],
    base_url: str,
    domain: str,
    name: str,
    now: datetime,
) -> bytes:
    """A user's private feed: their sessions and their courses' deadlines."""
    events = [session_event(s, url=session_url(s), domain=domain) for s in sessions]
    events += [deadline_event(d, base_url=base_url, domain=domain, now=now) for d in deadlines]
    return calendar(events, name=name)
