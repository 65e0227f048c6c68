"""Ports handed to nfcpy's udp driver are ones it can open: it reads a port that
/etc/services names back as that name and fails (nfcpy 1.0.4, ``nfc/clf/udp.py``)."""

from __future__ import annotations

import random
import socket

import nfc
import pytest

from emulators.nfc import Field, FieldStartError
from emulators.nfc.udp_port import bind_for_nfcpy, free_port_for_nfcpy, nfcpy_opens
from rig.hardware.parts.nfc_foreign_udp import parse_target


def _named_port() -> int:
    """A port in the kernel's ephemeral range that this machine's /etc/services names."""
    for port in range(32768, 61000):
        if not socket.getnameinfo(("127.0.0.1", port), socket.NI_NUMERICHOST)[1].isdigit():
            return port
    raise AssertionError("no service name in the ephemeral range: /etc/services (Debian's "
                         "netbase) is missing, so nfcpy cannot meet the case this guards")


NAMED = _named_port()


def test_nfcpy_cannot_open_a_port_etc_services_names() -> None:
    with pytest.raises(ValueError, match="invalid literal for int"):
        nfc.ContactlessFrontend(f"udp:127.0.0.1:{NAMED}")
    assert not nfcpy_opens(NAMED)


def test_the_ports_the_rig_picks_are_ones_nfcpy_opens() -> None:
    with bind_for_nfcpy("127.0.0.1") as sock:
        assert nfcpy_opens(sock.getsockname()[1])
    assert nfcpy_opens(free_port_for_nfcpy())


def test_a_field_on_a_named_port_is_refused_with_the_service_named() -> None:
    service = socket.getservbyport(NAMED, "tcp")
    with pytest.raises(FieldStartError, match=f"service name '{service}'"):
        Field(random.Random(1), port=NAMED).start()


def test_a_foreign_phone_on_a_named_port_is_refused() -> None:
    with pytest.raises(ValueError, match=r"reads port .* back as the service name"):
        parse_target(f"udp:127.0.0.1:{NAMED}")
