"""Faults of the emulated brew board: one kind per module, registered by name."""

from emulators.brewboard.faults.base import BoardFault, FaultEvent
from emulators.brewboard.faults.brew_failure import BrewFailure, NoWater
from emulators.brewboard.faults.garble import Garble
from emulators.brewboard.faults.lost_reply import LostReply
from emulators.brewboard.faults.registry import FAULTS, make_fault, register
from emulators.brewboard.faults.silence import Silence
from emulators.brewboard.faults.slow_brew import SlowBrew

__all__ = [
    "FAULTS",
    "BoardFault",
    "BrewFailure",
    "FaultEvent",
    "Garble",
    "LostReply",
    "NoWater",
    "Silence",
    "SlowBrew",
    "make_fault",
    "register",
]
