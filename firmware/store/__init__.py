"""The machine's durable state on its SD card."""

from firmware.store.db import Store, StoreError
from firmware.store.records import Brew, BrewState, OutboxTx, StoredReceipt, TxState

__all__ = ["Brew", "BrewState", "OutboxTx", "Store", "StoreError", "StoredReceipt", "TxState"]
