"""Deadlines of a learner's courses, from whichever domains set them (quiz close dates, action
plan due dates ...), for calendars.

A domain above courses registers a source in ``DEADLINE_SOURCES`` when it is imported, so
this module knows none of them: a source takes the user and the clock and returns that
user's deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from learning.accounts.models import User


@dataclass(frozen=True)
class Deadline:
    uid: str  # stable across calls: calendars match events on it
    title: str
    due_at: datetime  # UTC
    url_path: str | None = None  # a path on this site, e.g. /courses/x/quizzes/3


DeadlineSource = Callable[[User, datetime], list[Deadline]]
DEADLINE_SOURCES: list[DeadlineSource] = []


def deadlines_for(user: User, *, now: datetime) -> list[Deadline]:
    """Every registered source's deadlines for ``user``, by due date."""
    found = [deadline for source in DEADLINE_SOURCES for deadline in source(user, now)]
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.uid))
