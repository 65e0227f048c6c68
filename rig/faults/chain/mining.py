"""Faults that stop mining share one switch per node.

``chain.hold_mining`` and ``chain.drop_tx`` both turn automine off and back on. Each saving
and restoring the switch on its own breaks as soon as they overlap: healed out of order, or
with a drop that ends by itself inside a hold, the last one to let go restores "off". Here
they count: mining comes back, as it was before the first hold, when the last one lets go.
"""

from __future__ import annotations

import threading

from rig.chain.node import Chain

_lock = threading.Lock()
_holds: dict[str, tuple[int, bool]] = {}  # node URL -> (holds, automine before the first)


def hold(chain: Chain) -> None:
    """Stop mining until every hold is released."""
    with _lock:
        count, before = _holds.get(chain.url, (0, True))
        if count and chain.automine():
            count = 0  # mining is on although held: the node was reset or restarted since
        if count == 0:
            before = chain.automine()
        chain.set_automine(False)
        _holds[chain.url] = (count + 1, before)


def release(chain: Chain) -> bool:
    """Let one hold go; True when it was the last and mining is back as it was."""
    with _lock:
        count, before = _holds.get(chain.url, (0, True))
        if count == 0:
            return False
        if count > 1:
            _holds[chain.url] = (count - 1, before)
            return False
        del _holds[chain.url]
        chain.set_automine(before)
        return True
