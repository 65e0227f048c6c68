"""One rental's whole life on-chain, with receipts signed by the employees' keys.

The firmware-free walk: it proves the contracts and the rig's chain layer end to end and
prints what moved where.
"""

from __future__ import annotations

from rig.chain.node import Chain
from rig.chain.tx import events
from rig.demo.challenge import challenge_period, pass_deadline
from rig.demo.narrator import Narrator, euros
from rig.platform import deploy_platform
from rig.platform.channels import channel_state, signed
from rig.platform.rental import start_rental


def run(chain: Chain, narrator: Narrator, coffees: int = 12) -> dict:
    p = deploy_platform(chain, challenge_period=challenge_period(chain))
    a = p.actors
    narrator.step("platform deployed", **p.addresses())
    supply_before = p.token.functions.totalSupply().call()
    watched = {"customer": a.customer.address, "manufacturer": a.manufacturer.address,
               "supplier": a.supplier.address, "service": a.service.address,
               "payee": a.payee.address}
    start = {k: p.balance(v) for k, v in watched.items()}

    r = start_rental(p)
    narrator.step("rental accepted: fee paid, security deposit locked, channel opened",
                  rental=r.rental_id, channel=r.channel_id.hex()[:16],
                  deposit=euros(r.terms.channel_deposit))

    p.tx(a.machine, p.rental.functions.checkIn(r.rental_id))
    narrator.step("machine checked in at the customer: delivery attested, supplier paid",
                  supplier_paid=euros(r.terms.supply_fee))

    prices = list(r.terms.prices.values())
    cumulative, latest = 0, None
    for n in range(1, coffees + 1):
        phone = a.employees[(n - 1) % len(a.employees)]
        cumulative += prices[(n - 1) % len(prices)]
        latest = (cumulative, n, signed(p, phone, r.channel_id, cumulative, n))
    narrator.step(f"{coffees} coffees paid offline by {len(a.employees)} phones",
                  latest_cumulative=euros(cumulative))

    assert latest is not None, "the walk needs at least one coffee"
    receipt = p.tx(a.machine, p.payments.functions.redeem(r.channel_id, *latest))
    narrator.step("machine redeemed its latest receipt", amount=euros(cumulative),
                  gas=receipt["gasUsed"])

    rcpt = p.tx(a.machine, p.rental.functions.reportFault(r.rental_id, 0x0101))
    ticket = events(p.rental, "FaultReported", rcpt)[0]["ticketId"]
    p.tx(a.service, p.rental.functions.acceptTicket(ticket))
    p.tx(a.service, p.rental.functions.resolveTicket(ticket))
    p.tx(a.machine, p.rental.functions.attestFix(ticket))
    narrator.step("fault reported, accepted, resolved, fix attested: service paid",
                  ticket=ticket, service_paid=euros(r.terms.service_fee))

    p.tx(a.customer, p.rental.functions.terminate(r.rental_id))
    deadline = channel_state(p, r.channel_id).close_deadline
    narrator.step("customer terminated the rental: deposit back, challenge period started",
                  deadline=deadline)
    pass_deadline(chain, deadline)
    p.tx(a.customer, p.payments.functions.settle(r.channel_id))
    state = channel_state(p, r.channel_id)
    refund = state.deposit - state.redeemed
    narrator.step("challenge period over: channel settled", redeemed=euros(state.redeemed),
                  refunded=euros(refund))

    end = {k: p.balance(v) for k, v in watched.items()}
    ledger = {
        "deposit": state.deposit, "redeemed": state.redeemed, "refunded": refund,
        "locked": p.balance(p.payments.address),
        "balances_change": {k: end[k] - start[k] for k in watched},
        "token_supply_unchanged": p.token.functions.totalSupply().call() == supply_before,
    }
    ok = (ledger["deposit"] == ledger["redeemed"] + ledger["refunded"] + ledger["locked"]
          and ledger["token_supply_unchanged"])
    ledger["conserved"] = ok
    return ledger
