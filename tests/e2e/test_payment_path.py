"""End to end with real processes: firmware on the emulated Pi, phones, board, anvil."""

from __future__ import annotations

from rig.platform.channels import channel_state


def test_one_coffee_paid_brewed_and_redeemed(machine_factory):
    m = machine_factory()
    m.power_on()
    m.wait_synced()
    phone = m.phones[0]
    out = m.tap(phone, product=2)
    assert out.verdict == "served", out
    price = m.rental.terms.prices[2]
    (signed,) = phone.wallet.receipts()
    assert (signed.sequence, signed.cumulative_amount) == (1, price)
    (dispensed,) = m.board.dispenses.records()
    assert dispensed.product_id == 2 and dispensed.brew_id == out.brew_id
    m.control.request("redeem")
    m.wait_until(lambda s: any(t["kind"] == "redeem" and t["state"] == "confirmed"
                               for t in s["outbox"]), what="redeem confirmed")
    assert channel_state(m.platform, m.rental.channel_id).redeemed == price
