import itertools

from hypothesis import given
from hypothesis import strategies as st

from learning.courses import intervals as spans

pair = st.tuples(
    st.floats(min_value=0, max_value=600, allow_nan=False),
    st.floats(min_value=0, max_value=600, allow_nan=False),
).map(lambda p: (min(p), max(p)))
pairs = st.lists(pair, max_size=30)


@given(pairs)
def test_merged_is_sorted_and_disjoint(raw):
    merged = spans.merge(raw)
    for (s1, e1), (s2, e2) in itertools.pairwise(merged):
        assert s1 < e1 and e1 + spans.JOIN_GAP < s2 < e2


@given(pairs)
def test_merge_is_idempotent_and_rewatching_adds_nothing(raw):
    merged = spans.merge(raw)
    assert spans.merge(merged) == merged
    assert spans.merge(raw + raw) == merged
    assert spans.total(spans.merge(merged + raw)) == spans.total(merged)


@given(pairs, pairs)
def test_union_grows_only_by_new_ground(a, b):
    union = spans.total(spans.merge(a + b))
    assert union >= spans.total(spans.merge(a)) - 1e-9
    assert (
        union
        <= spans.total(spans.merge(a))
        + spans.total(spans.merge(b))
        + spans.JOIN_GAP * (len(a) + len(b))
        + 1e-6
    )


@given(pairs)
def test_total_never_exceeds_the_covered_span(raw):
    merged = spans.merge(raw)
    if merged:
        assert spans.total(merged) <= merged[-1][1] - merged[0][0] + 1e-9


def test_skipping_ahead_counts_only_what_was_played():
    played = spans.merge([(0, 10), (50, 60)])
    assert spans.total(played) == 20


def test_clip_keeps_the_part_inside_the_video():
    assert spans.clip([(-5, 3), (90, 120), (200, 210)], 100) == [(0.0, 3), (90, 100)]
