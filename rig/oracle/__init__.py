"""Truth about a channel from ground truth only: phones, the brew board, the chain."""

from rig.oracle.ledger import Ledger, channel_ledger

__all__ = ["Ledger", "channel_ledger"]
