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


class MissingCapability(ChainError):
    """The node does not serve a dev method the call needs (probed when the Chain attached).

    Tests and scenarios that need it skip with ``capability`` named; a rig run never retries
    it: the same node will lack it the next time too.
    """

    def __init__(self, capability: str, client: str, url: str = "", why: str = ""):
        where = f" at {url}" if url else ""
        serves = f"must not be asked for {capability} ({why})" if why else \
            f"does not serve {capability}"
        super().__init__(
            f"the node {client!r}{where} {serves}; run against the rig's "
            f"own anvil (leave out --chain-url) or a node that has it, or mark the test "
            f"@pytest.mark.needs({capability!r})")
        self.capability, self.client, self.url = capability, client, url


class AnvilOnlyError(MissingCapability):
    """An Anvil-only RPC (no standard ``evm_*`` or Hardhat equivalent) on a node without it."""

    def __init__(self, method: str, client: str, url: str = ""):
        ChainError.__init__(
            self, f"{method} is an anvil-only RPC method, but the node is {client!r}; "
                  f"run against the rig's own anvil or mark the test "
                  f"@pytest.mark.needs({method!r})")
        self.capability, self.client, self.url = method, client, url
        self.method = method


class NodeUnsuitable(ChainError):
    """The node cannot run the platform's contracts (hardfork, funded accounts): nothing was
    deployed. The message says what is missing and how to start the node."""


class NodeInconsistent(ChainError):
    """The node failed to return something it had just shown: a block at or below its head, or
    the receipt of a transaction inside one of its blocks (anvil has answered ``null`` for a
    receipt right after mining; foundry-rs/foundry#10944). The read was retried first."""

    def __init__(self, method: str, what: str, client: str, url: str, attempts: int):
        super().__init__(f"the node {client!r} at {url} answered null to {method} for {what} "
                         f"{attempts} times although it had shown it; the run's History "
                         "cannot be read from this node")
        self.method, self.what = method, what
