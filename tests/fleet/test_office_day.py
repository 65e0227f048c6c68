"""The office day follows the paper's figures and replays from its seed."""

from __future__ import annotations

import random
import statistics

import pytest

from rig.fleet.office_day import (
    HOURLY_SHARE,
    OfficeDay,
    arrivals,
    coffees_per_person_day,
)


def test_the_papers_consumption_is_5_25_coffees_per_person_per_working_day():
    assert coffees_per_person_day() == pytest.approx(164 / 0.125 / 250)
    assert 40 * coffees_per_person_day() == pytest.approx(209.92)


def test_a_day_at_many_offices_averages_the_papers_count_within_opening_hours():
    day = OfficeDay()
    todo = arrivals(day, 50, random.Random(3))
    per_office = [sum(a.machine == m for a in todo) for m in range(50)]
    assert statistics.fmean(per_office) == pytest.approx(209.92, rel=0.03)
    assert all(day.opens <= a.at < day.closes for a in todo)
    assert todo == sorted(todo)
    assert {a.product for a in todo} == {1, 2, 3, 4}
    assert {a.employee for a in todo} == set(range(40))


def test_the_morning_peak_is_the_busiest_hour():
    todo = arrivals(OfficeDay(), 30, random.Random(4))
    hours = [int((a.at - OfficeDay().opens) // 3600) for a in todo]
    busiest = max(range(len(HOURLY_SHARE)), key=hours.count)
    assert busiest == HOURLY_SHARE.index(max(HOURLY_SHARE))


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    day = OfficeDay(employees=5)
    assert arrivals(day, 3, random.Random(9)) == arrivals(day, 3, random.Random(9))
    assert arrivals(day, 3, random.Random(9)) != arrivals(day, 3, random.Random(10))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"employees": 0}, "at least one employee"),
    ({"coffees_per_person": -1}, "coffees per person"),
    ({"hourly_share": (0.5, 0.4)}, "add up to 1"),
])
def test_a_bad_day_is_refused_with_what_was_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OfficeDay(**kwargs)
