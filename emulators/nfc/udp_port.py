"""UDP ports nfcpy's udp driver can open.

nfcpy 1.0.4 (``nfc/clf/udp.py``) turns the port of a ``udp:HOST:PORT`` path back into a
string with ``socket.getnameinfo`` without ``NI_NUMERICSERV`` and then ``int()``s it: a port
that ``/etc/services`` names (60179 is ``fido``) becomes the service's name and the device
cannot be opened ("invalid literal for int() with base 10: 'fido'"). A free port chosen by
the kernel falls on such a name now and then, which made one firmware boot in a few hundred
fail. Ports handed to nfcpy are therefore chosen among those it reads back as numbers.
"""

from __future__ import annotations

import socket

ATTEMPTS = 64


def nfcpy_opens(port: int) -> bool:
    """Whether nfcpy's udp driver reads ``port`` back as a number (the lookup is by port:
    the host plays no part in it)."""
    return socket.getnameinfo(("127.0.0.1", port), socket.NI_NUMERICHOST)[1].isdigit()


def bind_for_nfcpy(host: str) -> socket.socket:
    """A UDP socket bound to a free port of ``host`` that nfcpy can open."""
    for _ in range(ATTEMPTS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((host, 0))
        except OSError:
            sock.close()
            raise
        if nfcpy_opens(sock.getsockname()[1]):
            return sock
        sock.close()
    raise OSError(f"no free udp port on {host} that nfcpy can open in {ATTEMPTS} tries")


def free_port_for_nfcpy(host: str = "127.0.0.1") -> int:
    """A port free now (released again) that nfcpy can open, for a device path."""
    with bind_for_nfcpy(host) as sock:
        return int(sock.getsockname()[1])
