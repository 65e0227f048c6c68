"""An emulated network power plug: a Shelly gen1 relay on 127.0.0.1 whose switch calls back."""

from emulators.plug.shelly import Relay, ShellyPlug

__all__ = ["Relay", "ShellyPlug"]
