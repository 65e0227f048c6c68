"""Money at risk and redeem latency from sampled signed/redeemed step functions."""

from __future__ import annotations

import pytest

from rig.fleet.exposure import Exposure, Sample


def _exposure(*points: tuple[float, int, int]) -> Exposure:
    e = Exposure()
    for p in points:
        e.add(Sample(*p))
    return e


def test_each_amount_waits_until_the_chain_redeems_it():
    # 100 signed at t=0, redeemed at t=600; 50 more at t=600, redeemed at t=1800.
    e = _exposure((0, 100, 0), (600, 150, 100), (1200, 150, 100), (1800, 150, 150))
    assert e.peak == 100
    assert e.area() == 100 * 600 + 50 * 600 + 50 * 600
    assert e.mean_latency() == pytest.approx((100 * 600 + 50 * 1200) / 150)
    assert e.worst_latency() == 1200


def test_an_amount_never_redeemed_has_no_worst_latency():
    e = _exposure((0, 0, 0), (600, 100, 0), (1200, 100, 0))
    assert e.worst_latency() is None
    assert e.mean_latency() is None
    assert e.peak == 100


def test_samples_out_of_time_order_are_refused():
    e = _exposure((600, 0, 0))
    with pytest.raises(ValueError, match="before the last one"):
        e.add(Sample(0, 0, 0))
