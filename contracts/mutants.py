"""Seeded contract defects: the source edits the rig's contract tests must catch.

Each mutant is one explicit text replacement in one file under ``contracts/src``. The
original text must occur exactly once in the current source, so a refactor that moves or
rewrites it breaks the mutant loudly instead of silently compiling the correct contract.
``compile_contracts(mutant=NAME)`` builds the mutated sources under their own cache key;
``load_artifacts(mutant=NAME)`` loads them. ``python -m bench.mutants`` runs the detectors.
"""

from __future__ import annotations

from dataclasses import dataclass


class MutantError(ValueError):
    """An unknown mutant, or one that no longer applies to the sources; the message says which
    file and text."""


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str            # path relative to contracts/src
    original: str        # must occur exactly once in that file
    replacement: str
    summary: str         # what goes wrong on-chain

    def apply(self, text: str) -> str:
        """``text`` (the file's source) with the mutation applied."""
        found = text.count(self.original)
        if found != 1:
            raise MutantError(
                f"contract mutant {self.name!r}: contracts/src/{self.file} contains the original "
                f"text {found} times, expected exactly once (update contracts/mutants.py to the "
                f"current source): {self.original!r}")
        return text.replace(self.original, self.replacement)


_ALL = (
    Mutant("redeem_accepts_equal_cumulative", "PaymentProvider.sol",
           "if (cumulativeAmount <= redeemed) revert CumulativeNotIncreasing",
           "if (cumulativeAmount < redeemed) revert CumulativeNotIncreasing",
           "a receipt that adds nothing is redeemed (its sequence is consumed for free)"),
    Mutant("settle_at_deadline", "PaymentProvider.sol",
           "if (block.timestamp <= ch.closeDeadline) {\n            revert ChallengePeriodActive",
           "if (block.timestamp < ch.closeDeadline) {\n            revert ChallengePeriodActive",
           "settle is accepted at the deadline itself, the last second the machine may redeem"),
    Mutant("anyone_requests_close", "PaymentProvider.sol",
           "        if (msg.sender != ch.customer && msg.sender != ch.opener) {\n"
           "            revert NotCustomer(channelId, msg.sender);\n"
           "        }\n"
           "        if (ch.status == Status.Closing)",
           "        if (ch.status == Status.Closing)",
           "requestClose has no role check: anyone starts a channel's challenge period"),
    Mutant("redeem_beyond_deposit", "PaymentProvider.sol",
           "        if (cumulativeAmount > ch.deposit) revert ExceedsDeposit(cumulativeAmount, "
           "ch.deposit);\n",
           "",
           "redeem has no deposit cap: a receipt above the deposit is paid from other funds"),
    Mutant("revocation_never_expires_signer", "PaymentProvider.sol",
           "        if (_delegateUntil[channelId][signer] > until) "
           "_delegateUntil[channelId][signer] = until;\n",
           "",
           "revokeSigner has no effect: a revoked phone's receipts count forever"),
    Mutant("last_admin_revocable", "IdentityProvider.sol",
           "            if (adminCount == 1) revert LastAdmin(account);\n",
           "",
           "the last admin can be revoked, leaving the platform without an administrator"),
    Mutant("anyone_resolves_ticket", "RentalProvider.sol",
           "        if (t.serviceProvider != msg.sender) revert NotTicketServiceProvider(ticketId, "
           "msg.sender);\n",
           "",
           "resolveTicket has no role check: anyone marks a service ticket resolved"),
)

MUTANTS: dict[str, Mutant] = {m.name: m for m in _ALL}


def mutant(name: str) -> Mutant:
    """The mutant called ``name``, or a ``MutantError`` listing the known ones."""
    try:
        return MUTANTS[name]
    except KeyError:
        raise MutantError(f"unknown contract mutant {name!r}; known: "
                          f"{', '.join(MUTANTS)}") from None
