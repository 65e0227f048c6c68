"""The firmware's checkpoint names: part of its test interface (DESIGN.md, docs/firmware.md).

Kept here, not imported from the firmware: the rig also drives firmware running on a bench
Pi. A test checks both lists agree.
"""

CHECKPOINTS = (
    "booted", "tap", "tap-done", "receipt-recovered", "receipt-signed", "receipt-persisted",
    "brew-started", "brew-done", "brew-failed", "credit-granted",
    "redeem-signed", "redeem-broadcast", "redeem-mined", "redeem-confirmed",
    "tx-signed", "tx-broadcast", "tx-confirmed", "synced",
)
