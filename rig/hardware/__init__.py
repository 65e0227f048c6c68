"""Hardware parts of the machine under test, chosen by a profile (``profiles/*.toml``).

Each part kind is one small module that registers itself; the profile names a kind per
part. Adding a bench relay or another sensor board is adding one file.
"""

from rig.hardware import brew_board, nfc_field, pi_power, sensor_bus  # noqa: F401 - register
from rig.hardware.profile import Profile, ProfileError, load_profile
from rig.hardware.registry import Part, PartContext, create_part, kinds

__all__ = ["Part", "PartContext", "Profile", "ProfileError", "create_part", "kinds",
           "load_profile"]
