"""Line the store up with the brew board after a boot, before anything is sold.

A store restored from an old backup (or a new SD card) has forgotten brews the board made.
Two things follow. Brew ids must resume above the board's high-water mark (the board never
brews an id twice). And coffees the board dispensed that the store does not know of were
paid for already: a receipt recovered for them later with GET LAST RECEIPT must not become
a credit, or the customer would get them twice.
"""

from __future__ import annotations

from firmware.brew import BrewBoard, BrewBoardError, BrewState
from firmware.log import log
from firmware.store import Store

_MAX_PER_BOOT = 100_000


def sync_with_board(store: Store, board: BrewBoard, prices: dict[int, int]) -> bool:
    """True once done (durably); False if the board did not answer (try again later)."""
    try:
        status = board.status()
        forgotten = _forgotten_dispenses(store, board, status.high_water)
    except BrewBoardError as e:
        log("board-sync-failed", error=str(e))
        return False
    value = sum(prices.get(product, 0) for _, product in forgotten)
    with store.tx() as db:
        unaccounted = store.get_int("unrecorded_dispensed")
        store.put(db, "unrecorded_dispensed", unaccounted + value)
    next_id = store.resume_above(status.high_water)
    log("board-synced", high_water=status.high_water, next_brew_id=next_id,
        forgotten_brews=[b for b, _ in forgotten], forgotten_value=value)
    return True


def _forgotten_dispenses(store: Store, board: BrewBoard, high_water: int
                         ) -> list[tuple[int, int]]:
    """(brew id, product) of every brew the board finished above the store's last known id.

    Brew ids are ``boot << 32 | n`` with n counting up from 1 in each boot, so the board's
    log is walked boot by boot until an id it does not know."""
    known = store.brews()
    last = max((b.brew_id for b in known), default=0)
    if high_water <= last:
        return []
    found = []
    for boot in range(last >> 32, (high_water >> 32) + 1):
        start = (last & 0xFFFF_FFFF) + 1 if boot == last >> 32 else 1
        for n in range(start, _MAX_PER_BOOT):
            brew_id = (boot << 32) | n
            if brew_id > high_water:
                break
            outcome = board.query(brew_id)
            if outcome.state in (BrewState.UNKNOWN, BrewState.EXPIRED):
                break
            if outcome.state is BrewState.DONE:
                found.append((brew_id, outcome.product_id or 0))
    return found
