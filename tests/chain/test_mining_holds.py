"""Faults that stop mining nest: mining comes back when the last hold lets go."""

from __future__ import annotations

from rig.chain.node import Chain
from rig.faults.chain import mining


def test_overlapping_holds_release_in_any_order(isolated_chain: Chain):
    c = isolated_chain
    assert c.automine()
    mining.hold(c)                       # e.g. chain.drop_tx
    mining.hold(c)                       # chain.hold_mining inside it
    assert mining.release(c) is False    # the drop ended by itself: mining stays held
    assert not c.automine()
    assert mining.release(c) is True     # the hold is healed: mining as before
    assert c.automine()
    assert mining.release(c) is False    # nothing held: nothing changes


def test_mining_off_before_the_first_hold_stays_off(isolated_chain: Chain):
    c = isolated_chain
    c.set_automine(False)
    mining.hold(c)
    assert mining.release(c) is True
    assert not c.automine()


def test_a_node_reset_under_a_forgotten_hold_starts_the_count_afresh(isolated_chain: Chain):
    c = isolated_chain
    mining.hold(c)                       # never released (its example failed)
    c.set_automine(True)                 # the chain was reset between examples
    mining.hold(c)
    assert mining.release(c) is True
    assert c.automine()
