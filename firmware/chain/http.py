"""The firmware's JSON-RPC transport: web3 over one HTTP session, with no per-request work
that cannot change while the firmware runs.

requests looks up proxy and CA-bundle settings in the environment on every request (a walk
over ``os.environ`` each time, at several rounds per second); they are read once here, for
the node's URL, and the session then keeps them. web3's validation middleware asks the node
for its chain id before every ``eth_call`` and gas estimate to check a transaction's chain
id; the firmware signs locally with the configured chain id and checks the node's chain id
itself at the start of every round (``ChainClient._check_chain_id``), so that middleware only
doubled the round trips.
"""

from __future__ import annotations

import requests
from web3 import Web3


def node_session(url: str) -> requests.Session:
    """A session with the environment's proxy and TLS settings for ``url`` read once."""
    session = requests.Session()
    env = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(env["proxies"])
    session.verify = env["verify"]
    session.trust_env = False
    return session


def connect(url: str, timeout: float) -> Web3:
    # One try per call: web3's default retries (5, with back-off) stretched one round over a
    # dead link to ~7 timeouts, so short outages went unseen and a round begun before a heal
    # finished after it with stale data. The sync loop is the retry.
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout},
                                session=node_session(url), exception_retry_configuration=None))
    w3.middleware_onion.remove("validation")
    return w3
