"""The live view: a local web page showing a running rig (or a finished run's record)."""

from rig.live.board import LiveBoard
from rig.live.server import LiveServer, LiveServerError

__all__ = ["LiveBoard", "LiveServer", "LiveServerError"]
