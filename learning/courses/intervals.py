"""Time ranges actually played, kept as a sorted union of disjoint ``[start, end]`` pairs.

Counting the union, not the playhead, is what makes video progress honest: watching the
same minute twice counts once, and skipping ahead counts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Interval = tuple[float, float]

# Gaps shorter than this (rounding between two reports of one continuous play) are closed.
JOIN_GAP = 0.25


def merge(intervals: Iterable[Sequence[float]], *, join_gap: float = JOIN_GAP) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint pairs; empty ranges vanish."""
    ordered = sorted((float(s), float(e)) for s, e in intervals if e > s)
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1] + join_gap:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def total(intervals: Iterable[Sequence[float]]) -> float:
    """Length covered by already-merged ``intervals``."""
    return sum(end - start for start, end in intervals)


def clip(intervals: Iterable[Sequence[float]], duration: float) -> list[Interval]:
    """Keep the parts of ``intervals`` inside ``[0, duration]``."""
    return [(max(0.0, s), min(duration, e)) for s, e in intervals if min(duration, e) > max(0.0, s)]
