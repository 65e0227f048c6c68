"""A real run collected into a History and checked by the oracle: all invariants hold."""

from __future__ import annotations

import json
import time

from rig.harness.collect import collect_history
from rig.history import History, TimelineEntry
from rig.oracle import check


def _step(m, name: str) -> TimelineEntry:
    """A step as the scenario runner records it (kind = the step kind, action ``step``)."""
    last = m.control.last()
    return TimelineEntry(time.time(), name, "step", {}, last.name if last else None)


def _redeem_confirmed(m, cumulative: int) -> None:
    m.control.request("redeem")
    m.wait_until(lambda s: s["view"]["redeemed"] >= cumulative and not s["open_tx"],
                 what=f"redeemed through {cumulative}")


def _run(machine_factory, rig_seed: int):
    m = machine_factory()
    p = m.platform
    supply = p.token.functions.totalSupply().call()
    timeline = [_step(m, "boot")]
    m.power_on()
    m.wait_synced()
    prices = m.rental.terms.prices
    for phone, product in ((m.phones[0], 2), (m.phones[1], 3)):
        timeline.append(_step(m, "tap"))
        assert m.tap(phone, product=product).verdict == "served"
    timeline.append(_step(m, "redeem"))
    _redeem_confirmed(m, prices[2] + prices[3])
    return m, collect_history(m, "e2e-collect", rig_seed, timeline, supply)


def test_two_taps_and_a_redeem_collect_into_a_history_that_holds(machine_factory, rig_seed,
                                                                 tmp_path):
    m, h = _run(machine_factory, rig_seed)
    prices = m.rental.terms.prices
    total = prices[2] + prices[3]
    assert [(s.sequence, s.cumulative) for s in sorted(h.signed, key=lambda s: s.sequence)] \
        == [(1, prices[2]), (2, total)]
    assert [d.product for d in h.dispensed] == [2, 3]
    redeemed = h.events_named("Redeemed")
    assert redeemed[-1].args["cumulativeAmount"] == total
    assert redeemed[-1].args["signer"].lower() == m.phones[1].address.lower()
    redeems = [t for t in h.machine_txs if t.kind == "redeem"]
    assert [t.status for t in redeems] == [1] * len(redeemed)
    assert redeems[-1].args["cumulativeAmount"] == total
    assert redeems[-1].args["channelId"] == h.channel_id
    assert {t.hash for t in redeems} == {e.tx for e in redeemed}
    assert any(t.kind == "check_in" for t in h.machine_txs)
    assert sorted(t.nonce for t in h.machine_txs) == list(range(len(h.machine_txs)))
    assert h.final_status["credits"] == 0 and h.channel["redeemed"] == total
    assert h.token_supply_before == h.token_supply_after > 0

    report = check(h)
    assert report.ok, report.render_text()
    assert {v.outcome for v in report.verdicts} == {"ok"}, report.render_text()
    led = report.ledger
    assert (led.redeemed, led.signed_max, led.acknowledged_max, led.dispensed_value) == \
        (total, total, total, total)
    assert led.deposit == m.rental.terms.channel_deposit
    assert led.locked == led.deposit - total
    taps = [op for op in report.operations if op["kind"] == "tap"]
    assert [op["outcome"] for op in taps] == ["ok", "ok"]

    # the history round-trips through JSON, and the oracle reads the copy the same way
    path = tmp_path / "history.json"
    h.save(path)
    again = History.load(path)
    assert again == h
    assert json.loads(path.read_text()) == json.loads(json.dumps(again.to_json()))
    assert check(again).to_json() == report.to_json()
