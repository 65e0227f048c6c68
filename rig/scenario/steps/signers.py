"""The customer revokes a phone's signer on the channel (``PaymentProvider.revokeSigner``).

The revocation takes effect one challenge period later: until then the contract still
redeems that phone's receipts (``isDelegate`` is read at redeem time, not at signing), so
the machine must stop taking new taps from it as soon as it sees ``SignerRevoked`` and
redeem what it holds from it inside that window (docs/oracle.md, "Revoked signers").
"""

from __future__ import annotations

from rig.effects import NONE
from rig.scenario.context import RunContext
from rig.scenario.model import Step
from rig.scenario.steps.registry import step


@step("revoke_signer", begins=NONE, ends=NONE, phone=(int, 1))
def revoke_signer(ctx: RunContext, s: Step, phone: int) -> None:
    """The customer's revocation transaction for phone ``phone`` (mined when the step ends)."""
    m = ctx.machine
    p = m.platform
    who = ctx.phone(s, phone)
    p.tx(p.actors.customer, p.payments.functions.revokeSigner(m.rental.channel_id,
                                                              who.address))
    ctx.record_op("revoke_signer", phone=phone, signer=who.address)
