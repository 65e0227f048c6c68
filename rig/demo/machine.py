"""The machine's happy path, as a user would watch it (``make rig`` until the scenario suite).

The machine is delivered and checks in (supplier paid); three employees buy 30 coffees
while the machine cannot reach the chain; the link comes back and the machine redeems; a
boiler fault opens a service ticket that is resolved and paid; the customer ends the rental
and the channel settles. The run is collected into a History and the oracle checks every
invariant from ground truth: the ledger must reconcile.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from rig.chain.node import Chain
from rig.chain.tx import events_in_range
from rig.demo.challenge import challenge_period, pass_deadline
from rig.demo.narrator import Narrator, euros
from rig.harness.assemble import build_machine
from rig.harness.collect import collect_history
from rig.harness.machine_rig import MachineRig
from rig.history import TimelineEntry
from rig.oracle import check
from rig.platform import deploy_platform
from rig.platform.channels import channel_state
from rig.platform.rental import RentalTerms

OFFLINE_COFFEES = 30


def _redeemed_through(m: MachineRig, cumulative: int) -> dict:
    return m.wait_until(
        lambda s: s["view"]["redeemed"] >= cumulative and not s["open_tx"],
        timeout=60, what=f"redeemed through {cumulative} and no open transaction")


def _step(timeline: list[TimelineEntry], m: MachineRig, name: str, note: str = "") -> None:
    """Record a step the way the scenario runner does (kind = step name, action = step)."""
    last = m.control.last()
    timeline.append(TimelineEntry(time.time(), name, "step", {}, last.name if last else None,
                                  note))


def _link(timeline: list[TimelineEntry], m: MachineRig, action: str, note: str) -> None:
    """The link going down (``fire``) or up (``heal``), recorded as the fault that does the
    same (``set_online(False)`` is the proxy's blackhole), so the oracle knows it."""
    last = m.control.last()
    timeline.append(TimelineEntry(time.time(), "net.blackhole", action,
                                  {"timeout_seconds": 0.0}, last.name if last else None, note))


def run(chain: Chain, narrator: Narrator, seed: int, profile: str = "emulated",
        workdir: Path | None = None) -> dict:
    rng = random.Random(seed)
    p = deploy_platform(chain, challenge_period=challenge_period(chain))
    supply_before = p.token.functions.totalSupply().call()
    a = p.actors
    narrator.step("platform deployed on the chain", chain_id=chain.chain_id, **p.addresses())
    terms = RentalTerms()
    supplier_before = p.balance(a.supplier.address)
    service_before = p.balance(a.service.address)
    m = build_machine(workdir or Path(tempfile.mkdtemp(prefix="coffeepay-demo-")), p, rng,
                      profile, terms=terms, redeem_threshold=1_000_000, confirmations=2)
    try:
        timeline: list[TimelineEntry] = []
        _story(m, narrator, supplier_before, service_before, timeline)
        report = check(collect_history(m, "demo", seed, timeline, supply_before),
                       replay=f"rig demo --seed {seed}")
    finally:
        m.close()
    narrator.step("the oracle checked every invariant from ground truth",
                  verdict=report.outcome, **{v.id: v.outcome for v in report.verdicts})
    return report.ledger.to_json() | {
        "verdicts": {f"{v.id} {v.name}": v.outcome != "fail" for v in report.verdicts},
        "reconciled": report.ok, "oracle": report.to_json()}


def _story(m: MachineRig, narrator: Narrator, supplier_before: int,
           service_before: int, timeline: list[TimelineEntry]) -> None:
    p, a, r = m.platform, m.platform.actors, m.rental
    narrator.step("rental accepted: channel opened", rental=r.rental_id,
                  channel="0x" + r.channel_id.hex()[:16], deposit=euros(r.terms.channel_deposit),
                  phones=len(m.phones), profile=m.profile.name)

    _step(timeline, m, "boot")
    m.power_on()
    m.wait_until(lambda s: s["checked_in"] and not s["open_tx"], what="check-in confirmed")
    narrator.step("machine booted at the customer and checked in: supplier paid",
                  supplier_paid=euros(p.balance(a.supplier.address) - supplier_before))

    _link(timeline, m, "fire", "the machine's link to the chain goes down")
    m.set_online(False)
    products = sorted(r.terms.prices)
    served = 0
    for n in range(OFFLINE_COFFEES):
        phone = m.phones[n % len(m.phones)]
        out = m.tap(phone, product=products[n % len(products)])
        if out.verdict != "served":
            raise RuntimeError(f"coffee {n + 1} was not served: {out}")
        served += 1
    latest = m.status()["latest"]
    narrator.step(f"{served} coffees bought by {len(m.phones)} phones while the machine was "
                  "offline", signed=euros(latest["cumulative"]), receipts=latest["sequence"],
                  dispensed=len(m.brew.dispenses()))

    _link(timeline, m, "heal", "the link comes back")
    m.set_online(True)
    for _ in range(3):
        m.mine()
    s = _redeemed_through(m, latest["cumulative"])
    narrator.step("link back: the machine synced and redeemed its latest receipt",
                  redeemed=euros(s["view"]["redeemed"]))

    m.sensor_values.set_temperature(180.0)
    s = m.wait_until(lambda s: any(t.get("state") == "open" for t in s["tickets"].values()),
                     what="service ticket opened")
    (ticket_id,) = [t["ticket"] for t in s["tickets"].values() if t.get("state") == "open"]
    narrator.step("boiler over temperature: the machine opened a service ticket",
                  ticket=ticket_id, fault=s["sensor_faults"])
    p.tx(a.service, p.rental.functions.acceptTicket(ticket_id))
    p.tx(a.service, p.rental.functions.resolveTicket(ticket_id))
    m.sensor_values.set_temperature(92.0)
    m.wait_until(lambda s: all(t["state"] == "done" for t in s["tickets"].values())
                 and not s["open_tx"], what="fix attested")
    narrator.step("service provider accepted and resolved it; sensors normal again, the "
                  "machine attested the fix: service paid",
                  service_paid=euros(p.balance(a.service.address) - service_before))

    for n in range(2):
        out = m.tap(m.phones[n], product=products[-1])
        if out.verdict != "served":
            raise RuntimeError(f"coffee after the repair was not served: {out}")
    latest = m.status()["latest"]
    _step(timeline, m, "close", "the customer terminates the rental")
    p.tx(a.customer, p.rental.functions.terminate(r.rental_id))
    deadline = channel_state(p, r.channel_id).close_deadline
    narrator.step("2 more coffees; the customer ended the rental: challenge period started",
                  deadline=deadline)
    for _ in range(3):
        m.mine()
    _redeemed_through(m, latest["cumulative"])
    narrator.step("the machine saw the close request and redeemed its latest receipt in time",
                  redeemed=euros(channel_state(p, r.channel_id).redeemed))
    pass_deadline(m.chain, deadline, m.advance)   # the firmware's clock moves along
    _step(timeline, m, "settle")
    p.tx(a.customer, p.payments.functions.settle(r.channel_id))
    (settled,) = events_in_range(p.payments, "Settled", channelId=r.channel_id)
    narrator.step("after the deadline the customer settled: the rest refunded",
                  refunded=euros(settled["refunded"]))
