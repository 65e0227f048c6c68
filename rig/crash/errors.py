"""Errors of the crash explorer itself (never a finding about the firmware)."""


class CrashExplorationError(ValueError):
    """The exploration was misconfigured or its recording is unusable; says which and why."""
