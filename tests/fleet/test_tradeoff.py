"""The policy trade-off: parsing, the recommendation rule, a self-contained chart."""

from __future__ import annotations

import re

import pytest

from rig.fleet.tradeoff import Point, PolicyError, chart, parse_policies, recommend
from rig.platform.deploy import CREDIT


def _point(name: str, cost: float, mean_peak: float, outcome: str = "passed") -> Point:
    return Point(name, 1, 3600, cost, mean_peak, mean_peak * 3, 5, outcome)


def test_policies_parse_as_euros_and_seconds():
    got = parse_policies("1:900, 5.5:3600")
    assert [(p.threshold, p.interval) for p in got] == [(CREDIT, 900), (5_500_000, 3600)]


@pytest.mark.parametrize("text", ["5", "5:x", "0:3600", "5:-1", " , "])
def test_a_bad_policy_is_named(text):
    with pytest.raises(PolicyError, match=r"policy"):
        parse_policies(text)


def test_the_recommendation_is_the_cheapest_whose_machines_stay_within_the_limit_on_average():
    points = [_point("cheap but risky", 100, 30), _point("fits", 200, 8),
              _point("fits, dearer", 400, 2), _point("cheaper, failed", 50, 1, "violated")]
    assert recommend(points, 10).policy == "fits"
    assert recommend(points, 1) is None


def test_the_chart_is_an_svg_with_every_policy_and_no_external_assets():
    svg = chart([_point("1 EUR / 900 s", 300, 2), _point("5 EUR / 3600 s", 100, 6)], 5000, 10)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "1 EUR / 900 s" in svg and "5 EUR / 3600 s" in svg and "transfer per coffee" in svg
    links = re.findall(r'(?:href|src)="([^"]+)"', svg)
    assert not [u for u in links if u.startswith(("http", "//"))], links
