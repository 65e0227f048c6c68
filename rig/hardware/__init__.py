"""Hardware parts of the machine under test, chosen by a profile (``profiles/*.toml``).

Each part kind is one small module in ``rig/hardware/parts/`` that registers itself; the
profile names a kind per part. Adding a bench relay or another sensor board is adding one
file there.
"""

from rig.hardware import parts  # noqa: F401 - imports every part kind, which registers it
from rig.hardware.profile import Profile, ProfileError, load_profile
from rig.hardware.registry import Part, PartContext, create_part, kinds

__all__ = ["Part", "PartContext", "Profile", "ProfileError", "create_part", "kinds",
           "load_profile"]
