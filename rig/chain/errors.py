"""Errors of the chain layer, each saying what to do about it."""

from __future__ import annotations


class ChainError(RuntimeError):
    """Base class for chain-layer failures."""


class AnvilNotInstalled(ChainError):
    """The npm-installed anvil binary is missing."""


class AnvilStartError(ChainError):
    """anvil did not come up; the message carries the tail of its log."""


class ChainUnreachable(ChainError):
    """The JSON-RPC endpoint does not answer."""


class RpcError(ChainError):
    """The node answered a JSON-RPC call with an error object."""

    def __init__(self, method: str, code: int, message: str, data: object = None):
        super().__init__(f"{method} failed: [{code}] {message}")
        self.method, self.code, self.rpc_message, self.data = method, code, message, data


class AnvilOnlyError(ChainError):
    """An anvil-only RPC was called on a node that is not anvil."""

    def __init__(self, method: str, client: str):
        super().__init__(
            f"{method} is an anvil-only RPC method, but the node is {client!r}; "
            f"run against the rig's own anvil or mark the test @pytest.mark.anvil_only")
        self.method = method
