"""The fleet: many rented machines on one chain through a simulated office day."""

from rig.fleet.assemble import RedeemPolicy
from rig.fleet.faults import FleetFaults
from rig.fleet.office_day import OfficeDay
from rig.fleet.run import FleetOptions, FleetResult, run_fleet

__all__ = ["FleetFaults", "FleetOptions", "FleetResult", "OfficeDay", "RedeemPolicy",
           "run_fleet"]
