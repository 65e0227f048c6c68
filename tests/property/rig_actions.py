"""What the property test may do to a machine, as scenario steps.

Every rule of the state machine is a short list of scenario steps (``rig/scenario/steps``):
the live run executes exactly these through the scenario runner's own step functions, and a
failing schedule is written out as the same steps, so ``rig run`` replays what Hypothesis
ran. The menus below are the parameter choices the rules draw from; each entry is checked
against the fault catalog when a scenario file is loaded.
"""

from __future__ import annotations

from typing import Any

ScheduleStep = tuple[str, dict[str, Any]]   # (step kind, arguments)

TAP_CHECKPOINTS = ("receipt-signed", "receipt-persisted", "brew-started", "brew-done")
REDEEM_CHECKPOINTS = ("redeem-signed", "redeem-broadcast", "redeem-mined", "redeem-confirmed")
CUT_DELAYS = (0.0, 0.05, 0.2, 0.5)
WARPS = (600, 3600, 86_400)
TOP_UPS = (500_000, 1_000_000)
# With 2 confirmations, depths 2 and 3 can remove a transaction the firmware already took as
# final: beyond its finality assumption, kept on purpose (see docs/property-testing.md).
REORG_DEPTHS = (1, 2, 3)
HEALABLE = ("net.", "chain.drop_tx", "chain.hold_mining", "i2c.", "serial.", "nfc.")
# (the heal rule's families; power comes back with power_on)
# Seconds an armed checkpoint cut waits for its checkpoint: long enough for a slow tap
# (network faults slow the firmware's view) to reach brew-done. A cut that did not come with
# its tap (or redeem) is healed at once, which ends the watch.
CUT_WINDOW = 5.0
DROP_WINDOW = 3.0      # seconds chain.drop_tx holds mining while it waits for the redeem

NET_FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("net.blackhole", {}),
    ("net.reset", {}),
    ("net.latency", {"ms": 100.0, "jitter_ms": 50.0}),
    ("net.latency", {"ms": 400.0}),
    ("net.bandwidth", {"bytes_per_second": 2000}),
    ("net.response_lost", {"method": "eth_sendRawTransaction", "count": 1}),
    ("net.response_lost", {"method": "*", "count": 2}),
    ("net.flapping", {"period_seconds": 1.0, "duty": 0.5}),
    ("net.flapping", {"period_seconds": 0.6, "duty": 0.3, "mode": "reset"}),
    ("net.loss", {"percent": 10.0}),   # the example's fault profile sets the share
)
SENSOR_FAULTS: tuple[tuple[str, dict[str, Any]], ...] = tuple(
    (kind, {"device": device})
    for kind in ("i2c.nack", "i2c.stuck", "i2c.out_of_range", "i2c.missing")
    for device in ("tmp102", "ina219", "status_mcu"))
CHAIN_EVENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("chain.node_restart", {"down_seconds": 0.0}),
    ("chain.node_restart", {"down_seconds": 0.5}),
    *(("chain.time_warp", {"seconds": s}) for s in WARPS),
    *(("mine", {"blocks": b}) for b in (1, 2, 3)),
)
BOARD_FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("serial.no_water", {"count": 1}),
    ("serial.lost_reply", {"verb": "ACK"}),
    ("serial.lost_reply", {"verb": "DONE"}),
    ("serial.lost_reply", {"verb": "ACK", "executed": False}),
    ("serial.garbage", {"max_lines": 2}),
    ("serial.timeout", {"seconds": 1.5}),
    ("serial.timeout", {}),
)
PHONE_FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("nfc.pull_away", {"when": "after-select"}),
    ("nfc.pull_away", {"when": "mid-sign"}),
    ("nfc.pull_away", {"when": "before-response"}),
    ("nfc.slow", {"seconds": 0.3}),
    ("nfc.decline", {}),
    ("nfc.bad_signature", {"mode": "wrong-key"}),
    ("nfc.bad_signature", {"mode": "corrupted"}),
    ("nfc.replay_signature", {}),
    ("nfc.sign_other_amount", {"delta": -1}),
    ("nfc.sign_other_amount", {"delta": 100_000}),
)


def boot() -> list[ScheduleStep]:
    return [("boot", {})]


def power_on() -> list[ScheduleStep]:
    return [("boot", {"synced": False})]


def tap(phone: int, product: int) -> list[ScheduleStep]:
    return [("tap", {"phone": phone, "product": product, "expect": "any"})]


def fault(kind: str, name: str, **params: Any) -> list[ScheduleStep]:
    return [("fault", {"kind": kind, **params, "name": name})]


def heal(name: str) -> list[ScheduleStep]:
    return [("heal", {"name": name})]


def wait(seconds: float) -> list[ScheduleStep]:
    return [("wait", {"seconds": round(float(seconds), 2)})]


def cut_at_checkpoint(name: str, checkpoint: str, phone: int, product: int
                      ) -> list[ScheduleStep]:
    """Arm the cut, then do what reaches the checkpoint: a tap, or the redeem button and the
    blocks that mine and confirm the redeem."""
    armed = fault("power.cut_at_checkpoint", name, checkpoint=checkpoint,
                  wait_seconds=CUT_WINDOW)
    if checkpoint in TAP_CHECKPOINTS:
        return armed + tap(phone, product)
    return armed + redeem() + wait(1.0) + mine(2)


def cut_settle_seconds(checkpoint: str) -> float:
    """How long after its trigger a checkpoint cut may still come: a tap's checkpoints are
    all reported before the tap ends; a redeem's come with the next sync rounds."""
    return 0.2 if checkpoint in TAP_CHECKPOINTS else 1.0


def cut_at_write(name: str, k: int, torn: bool, phone: int, product: int
                 ) -> list[ScheduleStep]:
    kind = "power.torn_write" if torn else "power.cut_at_write"
    return fault(kind, name, k=k) + tap(phone, product)


def cut_after(name: str, delay: float, phone: int, product: int) -> list[ScheduleStep]:
    """A cut ``delay`` seconds from now; with a delay the phone is on the reader meanwhile."""
    steps = fault("power.cut", name, after_seconds=delay)
    return steps + tap(phone, product) if delay > 0 else steps


def drop_redeem(name: str) -> list[ScheduleStep]:
    return [*fault("chain.drop_tx", name, which="redeem", wait_seconds=DROP_WINDOW),
            ("redeem", {})]


def top_up(amount: int) -> list[ScheduleStep]:
    return [("top_up", {"amount": amount})]


def close(via: str) -> list[ScheduleStep]:
    return [("close", {"via": via})]


def revoke_signer(phone: int) -> list[ScheduleStep]:
    return [("revoke_signer", {"phone": phone})]


def settle() -> list[ScheduleStep]:
    return [("settle", {"warp": True})]


def redeem() -> list[ScheduleStep]:
    return [("redeem", {})]


def mine(blocks: int) -> list[ScheduleStep]:
    return [("mine", {"blocks": blocks})]


def backup(label: str) -> list[ScheduleStep]:
    return [("backup", {"label": label})]


def storage_full_tap(name: str, phone: int, product: int) -> list[ScheduleStep]:
    """The SD card is full while a phone pays; then space is freed."""
    return fault("power.storage_full", name) + tap(phone, product) + heal(name)


def restore_backup(name: str, label: str, first: int) -> list[ScheduleStep]:
    """The old card goes back in; phone ``first`` (the newest receipt's) taps, then the
    other: GET LAST RECEIPT brings the newest receipts back."""
    return fault("machine.restore_backup", name, label=label) + tap(first, 1) \
        + tap(3 - first, 1)
