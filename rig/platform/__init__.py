"""The platform on a chain: deployed contracts and the people and machines using them."""

from rig.platform.actors import Actors
from rig.platform.deploy import Platform, deploy_platform

__all__ = ["Actors", "Platform", "deploy_platform"]
