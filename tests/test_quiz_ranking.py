"""Ranking is a pure function: properties hold for any set of attempts, ties at every level included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.domain.quiz.ranking import Entry, GroupStat, counted_attempts, rank_groups, rank_individuals

BASE = datetime(2023, 9, 10, tzinfo=UTC)

# Small value ranges force ties on every level.
entries = st.lists(
    st.builds(
        Entry,
        user_id=st.integers(1, 12),
        attempt_id=st.integers(1, 10_000),
        score=st.integers(0, 3),
        duration_ms=st.sampled_from([1000, 2000]),
        submitted_at=st.sampled_from([BASE, BASE + timedelta(seconds=1)]),
        prediction=st.one_of(st.none(), st.integers(0, 6)),
        name=st.one_of(st.none(), st.just("Lan")),
    ),
    max_size=40,
    unique_by=lambda entry: entry.attempt_id,
)


def _key(ranked, entrants):
    entry = ranked.entry
    distance = abs(entry.prediction - entrants) if entry.prediction is not None else None
    return (-entry.score, distance is None, distance or 0, entry.duration_ms, entry.submitted_at)


@given(entries, st.integers(0, 8))
@hsettings(max_examples=300)
def test_order_positions_and_ties(items, entrants):
    ranked = rank_individuals(items, entrants)
    assert len(ranked) == len({entry.user_id for entry in items})
    keys = [_key(r, entrants) for r in ranked]
    assert keys == sorted(keys)
    for index, current in enumerate(ranked):
        if index == 0:
            assert current.position == 1
            continue
        previous = ranked[index - 1]
        if keys[index] == keys[index - 1]:
            assert current.position == previous.position  # a full tie shares the position
        else:
            assert current.position == index + 1


@given(entries)
def test_the_counted_attempt_is_each_persons_best(items):
    counted = {entry.user_id: entry for entry in counted_attempts(items)}
    for entry in items:
        best = counted[entry.user_id]
        assert (best.score, -best.duration_ms) >= (entry.score, -entry.duration_ms)


@given(entries, st.integers(0, 8))
def test_missing_prediction_ranks_after_any_prediction_on_equal_score(items, entrants):
    ranked = rank_individuals(items, entrants)
    for a in ranked:
        for b in ranked:
            if a.entry.score == b.entry.score and a.entry.prediction is not None and b.entry.prediction is None:
                assert a.position < b.position


@given(entries)
def test_anonymised_people_keep_their_place(items):
    named = rank_individuals(items, 5)
    anonymous = rank_individuals([Entry(**{**{f: getattr(e, f) for f in e.__slots__}, "name": None}) for e in items], 5)
    assert [(r.position, r.entry.user_id) for r in named] == [(r.position, r.entry.user_id) for r in anonymous]


@given(entries, st.lists(st.integers(1, 3), max_size=3))
def test_prize_tiers_follow_positions(items, counts):
    tiers = [(f"tier{index}", count) for index, count in enumerate(counts)]
    ranked = rank_individuals(items, 4, tiers)
    reach = sum(counts)
    for r in ranked:
        assert (r.prize is not None) == (r.position <= reach)
    if not any(r.position == ranked[i - 1].position for i, r in enumerate(ranked) if i):
        assert sum(1 for r in ranked if r.prize) == min(reach, len(ranked))


def test_worked_example_score_then_prediction_then_duration_then_time():
    e = lambda uid, score, pred, dur, sec: Entry(uid, uid, score, dur, BASE + timedelta(seconds=sec), pred)  # noqa: E731
    ranked = rank_individuals(
        [
            e(1, 18, 100, 900, 5),
            e(2, 19, None, 999, 9),
            e(3, 18, 102, 800, 1),
            e(4, 18, 100, 900, 3),
            e(5, 18, 100, 900, 3),
        ],
        entrants=101,
        tiers=[("first", 1), ("second", 2)],
    )
    assert [(r.entry.user_id, r.position, r.prize) for r in ranked] == [
        (2, 1, "first"),
        (3, 2, "second"),
        (4, 3, "second"),
        (5, 3, "second"),
        (1, 5, None),
    ]
    # equal distance (1 either side), so the shorter attempt goes first; 4 and 5 tie fully and share a prize


def test_groups_by_participation_rate_skip_units_without_headcount():
    stats = [GroupStat("a", "A", 100, 10, 50), GroupStat("b", "B", 10, 5, 5), GroupStat("c", "C", None, 90, 90)]
    ranked = rank_groups(stats, "participation_rate", prizes=2)
    assert [(g.stat.code, g.prize) for g in ranked] == [("b", True), ("a", True), ("c", False)]
    assert [g.stat.code for g in rank_groups(stats, "entrants")] == ["c", "a", "b"]
    assert [g.stat.code for g in rank_groups(stats, "average_score")] == ["a", "c", "b"]
