"""Swarm fault profiles: drawn per example, off families are never chosen, rates decide."""

from __future__ import annotations

from hypothesis import given

from tests.property.rig_swarm import FAMILIES, RATES, RPC_LOSS, FaultProfile, fault_profiles


@given(fault_profiles())
def test_a_drawn_profile_covers_every_family_with_a_known_rate(profile: FaultProfile) -> None:
    assert set(profile.rates) == set(FAMILIES)
    assert set(profile.rates.values()) <= set(RATES) and profile.rpc_loss in RPC_LOSS
    for family, rate in profile.rates.items():
        assert profile.on(family) is (rate > 0)
        assert [profile.fires(family, roll) for roll in range(100)].count(True) == rate


def test_the_profile_is_described_in_one_line_and_as_data() -> None:
    profile = FaultProfile({"power": 30, "net": 0}, rpc_loss=0)
    assert profile.describe() == "fault profile: power 30%, net off; rpc loss off"
    assert profile.doc() == {"rates_percent": {"power": 30, "net": 0}, "rpc_loss_percent": 0}
    assert FaultProfile({"net": 10}, 20).describe().endswith("rpc loss 20%")
