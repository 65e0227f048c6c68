"""The machine's link to the chain: channel sync, a durable outbox, redeem and service."""

from firmware.chain.client import ChainClient

__all__ = ["ChainClient"]
