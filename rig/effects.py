"""What a fault or a scenario step does to the machine's world, declared where it is defined.

Every fault kind declares its effects (``Fault.effects``, an explicit empty set for none) and
the timeline actions at which they begin and end (``Fault.begins_on`` / ``Fault.ends_on``);
every scenario step declares the effects it begins and ends (``@step(..., begins=...,
ends=...)``). The oracle reads these declarations to decide when the machine was powered and
could reach the chain (rig/oracle/online.py), never a list of names, so a new fault that cuts
the power or the uplink is judged by what it says it does.
"""

from __future__ import annotations

from enum import StrEnum


class Effect(StrEnum):
    CUTS_POWER = "cuts-power"              # the Pi has no power
    CUTS_UPLINK = "cuts-uplink"            # requests to the chain vanish, fail or lose answers
    SLOWS_UPLINK = "slows-uplink"          # the link is slow or thin
    HOLDS_MINING = "holds-mining"          # the machine's transactions wait outside any block
    REFUSES_TRANSACTIONS = "refuses-transactions"  # the node refuses them, or the firmware
    #                                        must not send (another chain id)
    RESTARTS_NODE = "restarts-node"        # the chain node is down until it is back
    REORGS_CHAIN = "reorgs-chain"          # the last blocks are replaced
    MOVES_CHAIN_TIME = "moves-chain-time"  # chain time jumps by the entry's seconds (+ hours,
    #                                        days): instantaneous
    FILLS_STORAGE = "fills-storage"        # durable writes that grow the store fail
    REPLACES_STORAGE = "replaces-storage"  # the SD card is swapped for an old backup
    SETS_MACHINE_CLOCK = "sets-machine-clock"  # the firmware's clock is set elsewhere
    DEVICE_ONLY = "device-only"            # a device of the payment path (NFC, I2C, brew
    #                                        board) misbehaves; power and uplink untouched
    REQUESTS_CLOSE = "requests-close"      # the customer starts closing the channel
    SETTLES_CHANNEL = "settles-channel"    # the customer settles the closing channel


NONE: frozenset[Effect] = frozenset()
