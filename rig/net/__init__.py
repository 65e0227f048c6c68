"""The network between the firmware and the chain's RPC, and its faults.

``proxy.RpcProxy`` relays HTTP JSON-RPC through the toxics put on it (``toxics/``, one per
file, like toxiproxy's); ``link`` is one client connection's relay loop, ``http`` just
enough HTTP/1.1 framing to pair requests with responses, ``stats`` what the proxy saw.
"""

from rig.net.proxy import ProxyError, RpcProxy

__all__ = ["ProxyError", "RpcProxy"]
