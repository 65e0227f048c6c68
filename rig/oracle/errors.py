"""The one error the oracle raises: the history it was given cannot be checked."""

from __future__ import annotations


class HistoryError(ValueError):
    """A History is incomplete or malformed; the message names the record and the field.

    A bad history is a rig failure (infrastructure), never an invariant verdict: the oracle
    refuses to guess rather than report ok or fail on data it cannot read.
    """
