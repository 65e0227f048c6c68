"""The seeded-defect catalog: each defect, where it lives, and the detectors that must catch it.

Three layers, three switches:
- ``firmware``: a name in ``firmware.config.DEFECTS``, set in the machine config's
  ``[defects]`` table (``RunOptions(defects=...)``); caught by scenarios and the oracle;
- ``contract``: a source mutant in ``contracts.mutants.MUTANTS``, selected for the contract
  tests by ``COFFEEPAY_CONTRACT_MUTANT``;
- ``phone``: an emulated-phone bug in ``emulators.phone.defects.PHONE_DEFECTS``, selected by
  ``COFFEEPAY_PHONE_DEFECTS`` (the rig's own ground truth under test).

A defect is caught when at least one of its checks fails for it: a scenario must end
``violated`` with one of the named invariants failing, a pytest selection must report a
failed test. The same checks must pass on the correct build (no false alarms).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts.mutants import MUTANTS
from emulators.phone.defects import PHONE_DEFECTS
from firmware.config import DEFECTS

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
INVARIANTS = frozenset(f"INV-{i}" for i in range(1, 11))  # the oracle's rig/oracle/inv*.py
LAYERS = ("firmware", "contract", "phone")


class CatalogError(ValueError):
    """The catalog disagrees with the defects the code offers, or a check is malformed."""


@dataclass(frozen=True)
class ScenarioCheck:
    """Run ``scenarios/<scenario>.yaml``; caught when one of ``invariants`` fails."""

    scenario: str
    invariants: frozenset[str]

    @property
    def label(self) -> str:
        return f"scenario {self.scenario}"

    @property
    def path(self) -> Path:
        return SCENARIOS / f"{self.scenario}.yaml"


@dataclass(frozen=True)
class PytestCheck:
    """Run pytest on ``paths``; caught when a test fails."""

    paths: tuple[str, ...]

    @property
    def label(self) -> str:
        return "pytest " + " ".join(self.paths)


Check = ScenarioCheck | PytestCheck


@dataclass(frozen=True)
class Defect:
    name: str
    layer: str            # firmware | contract | phone
    where: str            # the file (and function) the defect lives in
    summary: str
    checks: tuple[Check, ...]


def _scenario(name: str, *invariants: str) -> ScenarioCheck:
    return ScenarioCheck(name, frozenset(invariants))


PAYMENT_TESTS = PytestCheck(("tests/contracts/test_payment_channel.py",
                             "tests/contracts/test_payment_adversarial.py"))
IDENTITY_TESTS = PytestCheck(("tests/contracts/test_identity.py",))
RENTAL_TESTS = PytestCheck(("tests/contracts/test_rental.py",
                            "tests/contracts/test_role_violations.py"))
PHONE_TESTS = PytestCheck(("tests/unit/test_phone_wallet.py",))

CATALOG: tuple[Defect, ...] = (
    # ------------------------------------------------------------------ firmware
    Defect("brew_before_persist", "firmware", "firmware/payment.py PaymentDesk._serve",
           "the coffee starts before the receipt is durable",
           (_scenario("power-cut-at-brew-started", "INV-1", "INV-2", "INV-3"),)),
    Defect("no_fsync", "firmware", "firmware/machine.py (Store sync=False)",
           "the store never syncs: acknowledged receipts vanish at a power cut",
           (_scenario("power-cut-at-receipt-persisted", "INV-2", "INV-3"),)),
    Defect("skip_signature_check", "firmware", "firmware/payment.py PaymentDesk._verify",
           "any signature is accepted",
           (_scenario("misbehaving-phones", "INV-1", "INV-2", "INV-3"),
            _scenario("phone-signs-another-amount", "INV-1", "INV-2", "INV-3"))),
    Defect("accept_stale_receipt", "firmware", "firmware/payment.py PaymentDesk._recover",
           "a receipt that does not extend the latest one replaces it",
           (_scenario("close-request-online", "INV-2", "INV-3"),)),
    Defect("resign_redeem", "firmware", "firmware/chain/outbox.py Outbox._broadcast",
           "after a lost response the redeem is signed again with a new nonce",
           (_scenario("send-raw-response-lost", "INV-5"),)),
    Defect("ignore_offline_bound", "firmware", "firmware/payment.py PaymentDesk._charge",
           "sells beyond the deposit last seen on-chain",
           (_scenario("deposit-exhausted-offline", "INV-6"),)),
    Defect("ignore_close_request", "firmware", "firmware/chain/client.py "
           "ChainClient._maybe_redeem", "does not hurry to redeem when the customer closes",
           (_scenario("close-request-online", "INV-7"),)),
    Defect("offline_bound_off_by_one", "firmware", "firmware/payment.py PaymentDesk._charge",
           "the bound is checked before adding the charge: deposit + one price is sold",
           (_scenario("deposit-exhausted-offline", "INV-6"),)),
    Defect("credit_granted_twice", "firmware", "firmware/payment.py PaymentDesk._settle_brew",
           "a failed brew's credit is granted twice",
           (_scenario("no-water-after-payment", "INV-3"),)),
    Defect("broadcast_before_persist", "firmware", "firmware/chain/outbox.py Outbox.submit",
           "the signed transaction is sent before the outbox holds it",
           (_scenario("power-cut-with-redeem-in-flight", "INV-5"),)),
    Defect("final_at_first_inclusion", "firmware", "firmware/chain/outbox.py Outbox.pump",
           "confirmation depth ignored: a reorg that removes the redeem is never noticed",
           (_scenario("reorg-removes-redeem", "INV-2", "INV-3"),)),
    Defect("signature_not_bound_to_receipt", "firmware",
           "firmware/payment.py PaymentDesk._verify",
           "a signature verified once is accepted for any sequence and amount",
           (_scenario("misbehaving-phones", "INV-1", "INV-2", "INV-3"),)),
    Defect("late_redeem", "firmware", "firmware/chain/client.py ChainClient._maybe_redeem",
           "the redeem threshold and interval are ignored: only a close or a demand redeems",
           (_scenario("redeem-threshold-and-interval", "INV-9"),)),
    Defect("skip_chain_id_check", "firmware", "firmware/chain/client.py "
           "ChainClient._check_chain_id", "transactions go to a node of any chain id",
           (_scenario("chain-id-mismatch-and-time-warp", "INV-10"),)),
    # ------------------------------------------------------------------ contracts
    *(Defect(m.name, "contract", f"contracts/src/{m.file}", m.summary, (check,))
      for m, check in (
          (MUTANTS["redeem_accepts_equal_cumulative"], PAYMENT_TESTS),
          (MUTANTS["settle_at_deadline"], PAYMENT_TESTS),
          (MUTANTS["anyone_requests_close"], PAYMENT_TESTS),
          (MUTANTS["redeem_beyond_deposit"], PAYMENT_TESTS),
          (MUTANTS["revocation_never_expires_signer"], PAYMENT_TESTS),
          (MUTANTS["last_admin_revocable"], IDENTITY_TESTS),
          (MUTANTS["anyone_resolves_ticket"], RENTAL_TESTS),
      )),
    # ------------------------------------------------------------------ phone
    Defect("phone_no_predecessor_check", "phone", "emulators/phone/applet.py "
           "CoffeePayApplet._refusal", "the wallet signs after any predecessor signature",
           (PHONE_TESTS,)),
    Defect("phone_no_stale_check", "phone", "emulators/phone/applet.py "
           "CoffeePayApplet._refusal", "the wallet signs a sequence it already signed",
           (PHONE_TESTS,)),
    Defect("phone_no_log", "phone", "emulators/phone/applet.py CoffeePayApplet._sign_receipt",
           "the wallet does not record what it signed: the oracle's ground truth has a gap",
           (PHONE_TESTS, _scenario("send-raw-response-lost", "INV-2", "INV-8"))),
)


def by_name() -> dict[str, Defect]:
    return {d.name: d for d in CATALOG}


def validate(catalog: tuple[Defect, ...] = CATALOG) -> None:
    """The catalog names exactly the defects the code offers, each with well-formed checks."""
    names = [d.name for d in catalog]
    if len(names) != len(set(names)):
        raise CatalogError(f"defect names repeat: {sorted(n for n in names if names.count(n) > 1)}")
    offered = {"firmware": set(DEFECTS), "contract": set(MUTANTS), "phone": set(PHONE_DEFECTS)}
    for layer, known in offered.items():
        listed = {d.name for d in catalog if d.layer == layer}
        if listed != known:
            raise CatalogError(f"{layer} defects: the catalog lists {sorted(listed - known)} "
                               f"that the code lacks and misses {sorted(known - listed)}")
    for d in catalog:
        if d.layer not in LAYERS:
            raise CatalogError(f"{d.name}: layer {d.layer!r} is not one of {LAYERS}")
        if not d.checks:
            raise CatalogError(f"{d.name}: no check would catch it")
        for c in d.checks:
            _validate_check(d, c)


def _validate_check(d: Defect, c: Check) -> None:
    if isinstance(c, ScenarioCheck):
        if d.layer == "contract":
            raise CatalogError(f"{d.name}: scenarios deploy the correct contracts; catch a "
                               "contract mutant with contract tests")
        if not c.path.is_file():
            raise CatalogError(f"{d.name}: no scenario file {c.path}")
        if not c.invariants or not c.invariants <= INVARIANTS:
            raise CatalogError(f"{d.name}: scenario {c.scenario} names invariants "
                               f"{sorted(c.invariants)}; known: {sorted(INVARIANTS)}")
    else:
        if d.layer == "firmware":
            raise CatalogError(f"{d.name}: firmware defects are switched on in the machine "
                               "config of a scenario run, not in a pytest run")
        missing = [p for p in c.paths if not (ROOT / p).exists()]
        if not c.paths or missing:
            raise CatalogError(f"{d.name}: pytest paths {missing or '(none)'} do not exist")
