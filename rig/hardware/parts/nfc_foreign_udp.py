"""NFC: a phone the rig does not own, reached by the firmware's reader over nfcpy's udp driver.

The phone is another team's emulator (or a real phone) answering as an nfcpy ``udp:`` target
at ``target``. The rig cannot put it on the reader: a person does, when the rig's prompt
tells them to. What it signed comes from the receipt export the phone writes, never from the
rig's own objects::

    [nfc]
    kind = "foreign-udp"
    target = "udp:127.0.0.1:50201"
    address = "0x…"                      # the phone's wallet address
    receipts = "/srv/phone/receipts.jsonl"
    prompt = "notify-send 'tap {phone}'"  # optional; {phone} is the address
    tap_timeout = 30                     # optional: how long a person has to tap
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import math
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from emulators.nfc.udp_port import nfcpy_opens
from rig.hardware.protocols import ForeignPhones, Part, PhonePresenter
from rig.hardware.registry import PartContext, register

log = logging.getLogger(__name__)

DEFAULT_PROMPT_TEXT = "tap the phone {phone} on the reader now"
PROMPTED = "prompted"   # what tap() returns: the person was told; the machine says the rest
RECEIPT_FIELDS = ("signer", "sequence", "cumulative_amount", "price", "product_id",
                  "signature", "signed_at")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


class ForeignReceiptError(ValueError):
    """A line of a foreign phone's receipt export is not a receipt record."""

    def __init__(self, path: Path, line: int, why: str):
        super().__init__(f"{path} line {line}: {why}")
        self.path, self.line = path, line


def parse_target(target: object) -> str:
    """``udp:HOST:PORT`` checked (HOST an IPv4 address or a host name, PORT 1-65535)."""
    expected = "expected 'udp:HOST:PORT', e.g. 'udp:127.0.0.1:50201'"
    if not isinstance(target, str):
        raise ValueError(f"[nfc] target must be a string ({expected}), got {target!r}")
    parts = target.split(":")
    if len(parts) != 3 or parts[0] != "udp":
        raise ValueError(f"[nfc] target {target!r} is not an nfcpy udp device path; {expected}")
    _, host, port = parts
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        if not _HOSTNAME.match(host):
            raise ValueError(f"[nfc] target {target!r}: {host!r} is not a host; "
                             f"{expected}") from None
    if not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"[nfc] target {target!r}: port {port!r} is not 1-65535; {expected}")
    if not nfcpy_opens(int(port)):
        raise ValueError(f"[nfc] target {target!r}: nfcpy's udp driver reads port {port} back "
                         f"as the service name {socket.getservbyport(int(port), 'tcp')!r} "
                         f"(/etc/services) and cannot open it; choose another port")
    return f"udp:{host}:{int(port)}"


def is_wallet_address(value: object) -> bool:
    """0x and 40 hex digits, all one case or with a valid EIP-55 checksum (a mixed-case
    address with a wrong checksum is a typo, not another address)."""
    if not isinstance(value, str) or not is_hex_address(value) or value[:2] != "0x":
        return False
    digits = value[2:]
    return digits in (digits.lower(), digits.upper()) or is_checksum_address(value)


def parse_address(address: object) -> str:
    """The wallet's address in EIP-55 form; a mixed-case address must carry a valid checksum."""
    if is_wallet_address(address):
        return to_checksum_address(str(address))
    why = (" (mixed case, but not a valid EIP-55 checksum: a typo?)"
           if isinstance(address, str) and is_hex_address(address) else "")
    raise ValueError(f"[nfc] address {address!r} is not a 0x wallet address{why}")


def _seconds(value: object, setting: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"[nfc] {setting} must be a positive number of seconds, got {value!r}")
    return float(value)


def read_receipts(path: Path) -> list[dict[str, Any]]:
    """The records of a receipt export (JSON lines). A missing file is no records. A final
    line without its newline that is not (yet) a complete record is being written and is
    left out; any other line that is not a receipt record raises ``ForeignReceiptError``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = raw.split(b"\n")
    tail = lines.pop()
    records = [_record(path, n, line) for n, line in enumerate(lines, 1) if line.strip()]
    if tail.strip():
        with contextlib.suppress(ForeignReceiptError):
            records.append(_record(path, len(lines) + 1, tail))
    return records


def _record(path: Path, n: int, line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as e:
        raise ForeignReceiptError(path, n, f"not JSON ({e})") from None
    if not isinstance(record, dict):
        raise ForeignReceiptError(path, n, f"a record is a JSON object, got {record!r}")
    missing = [f for f in RECEIPT_FIELDS if f not in record]
    if missing:
        raise ForeignReceiptError(path, n, f"the record lacks {', '.join(missing)}")
    for f in ("sequence", "cumulative_amount", "price", "product_id"):
        v = record[f]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ForeignReceiptError(path, n, f"{f} must be a non-negative integer, got {v!r}")
    signer = record["signer"]
    if not is_wallet_address(signer):
        raise ForeignReceiptError(path, n, f"signer {signer!r} is not an address")
    sig = record["signature"]
    if not (isinstance(sig, str) and sig[:2] in ("0x", "0X")
            and re.fullmatch(r"[0-9a-fA-F]{130}", sig[2:])):
        raise ForeignReceiptError(path, n, "signature must be 65 bytes as 0x hex, got "
                                           f"{sig!r}")
    at = record["signed_at"]
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise ForeignReceiptError(path, n, f"signed_at must be a number (unix time), got {at!r}")
    return {**record, "signer": to_checksum_address(signer), "signature": "0x" + sig[2:].lower()}


@register("nfc", "foreign-udp")
class ForeignUdpPhone(Part, PhonePresenter, ForeignPhones):
    """The firmware's reader aimed at a foreign phone's ``udp:HOST:PORT``.

    ``tap`` tells a person to tap (the prompt) and returns at once; the rig then waits for
    the firmware's ``tap-done``. ``remove`` does nothing: the person takes the phone away.
    Ground truth is ``foreign_addresses()`` and ``foreign_receipts()`` (the phone's export).
    """

    def __init__(self, ctx: PartContext, target: str | None = None, address: str | None = None,
                 receipts: str | None = None, prompt: str | None = None,
                 tap_timeout: float = 30.0, poll_timeout: float = 0.3) -> None:
        for name, value in (("target", target), ("address", address), ("receipts", receipts)):
            if value is None:
                raise ValueError(f"[nfc] kind 'foreign-udp' needs {name} (docs/foreign-phone.md)")
        self.target = parse_target(target)
        self.address = parse_address(address)
        if not isinstance(receipts, str) or not receipts.strip():
            raise ValueError(f"[nfc] receipts must be the path of the phone's receipt export, "
                             f"got {receipts!r}")
        self.receipts_path = Path(receipts).expanduser()
        if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
            raise ValueError(f"[nfc] prompt must be a shell command, got {prompt!r}")
        self.prompt = prompt
        self.tap_timeout = _seconds(tap_timeout, "tap_timeout")
        self.poll_timeout = _seconds(poll_timeout, "poll_timeout")
        self._prompts: list[subprocess.Popen[bytes]] = []

    # -- Part ------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"device": self.target, "poll_timeout": self.poll_timeout}

    def describe(self) -> dict[str, str]:
        return {"driver": "nfcpy udp (foreign phone)", "device": self.target}

    def close(self) -> None:
        """Stop prompts still running (a prompt waiting on a person or a full pipe)."""
        for proc in self._prompts:
            if proc.poll() is None:
                proc.terminate()
        for proc in self._prompts:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._reap()

    # -- PhonePresenter --------------------------------------------------------------------

    def tap(self, phone: Any, timeout: float) -> str:
        """Tell the person to tap the foreign phone; returns at once (``"prompted"``).

        ``phone`` is None, the foreign phone's address, or an object with that ``address``:
        a rig-owned phone cannot be presented on this reader."""
        wanted = phone if isinstance(phone, str) or phone is None \
            else getattr(phone, "address", phone)
        if wanted is not None and (not is_wallet_address(wanted)
                                   or to_checksum_address(wanted) != self.address):
            raise ValueError(f"this reader is tapped only by the foreign phone {self.address}; "
                             f"{phone!r} is not it and the rig cannot present it here")
        self._reap()
        if self.prompt is None:
            print(DEFAULT_PROMPT_TEXT.format(phone=self.address), file=sys.stderr, flush=True)
        else:
            command = self.prompt.replace("{phone}", self.address)
            self._prompts.append(subprocess.Popen(command, shell=True,
                                                  stdin=subprocess.DEVNULL))
        return PROMPTED

    def remove(self) -> None:
        """Nothing to do: the person holding the phone takes it away."""
        return None

    # -- ground truth ----------------------------------------------------------------------

    def foreign_addresses(self) -> list[str]:
        return [self.address]

    def foreign_receipts(self) -> list[dict[str, Any]]:
        """Every receipt the phone exported, oldest first (a missing export: none yet)."""
        return read_receipts(self.receipts_path)

    def _reap(self) -> None:
        """Forget finished prompts; a prompt that failed is logged (the person may not have
        been told)."""
        running = []
        for proc in self._prompts:
            code = proc.poll()
            if code is None:
                running.append(proc)
            elif code != 0:
                log.warning("the tap prompt %r exited with status %d: the person may not have "
                            "been told to tap", proc.args, code)
        self._prompts = running
