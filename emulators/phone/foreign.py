"""A phone the rig does not own: a stand-alone wallet process at an nfcpy udp reader.

It plays another team's phone emulator (or a real phone in someone's hand): its own key,
its own receipt log, its own process. It is an nfcpy ``udp:`` target on ``--host/--port``
and is in the field only while a tap lasts: each line ``tap`` on its control input
(``--taps``, a FIFO or a file it follows) is a person holding it to the reader until the
machine is done with it (or ``--tap-timeout`` passes). Between taps the field is silent,
so the machine never finds it twice for one tap.

It learns its channel from a wallet file (``--wallet-file``, JSON, re-read before every
tap), as a wallet app learns it from the employer's onboarding::

    {"chain_id": 31337, "payment_provider": "0x…", "channel_id": "0x…(32 bytes)",
     "signers": ["0x…customer", "0x…this phone"]}

Every receipt it signs is appended to ``--export`` as one JSON line (flushed and fsynced)
before the signature leaves the phone, so the export is what the phone has signed:
``signer, sequence, cumulative_amount, price, product_id, signature, signed_at`` plus the
channel (``chain_id, contract, channel_id``) and the wallet's ``counter``. On start it reads
the export back, so a restarted phone still refuses to sign a sequence twice.

Started, it prints one JSON line on stdout, ``{"address": ..., "port": ..., "target": ...}``;
it logs each tap on stderr and exits with status 0 on SIGTERM or SIGINT.

    python -m emulators.phone.foreign --key-file phone.key --wallet-file wallet.json \\
        --taps taps.fifo --export receipts.jsonl --port 50201
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import queue
import random
import secrets
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from eth_account import Account
from eth_keys.constants import SECPK1_N

from emulators.nfc import Field, FieldClosed, FieldError
from emulators.phone.channels import ChannelKey, checksum
from emulators.phone.errors import PhoneError
from emulators.phone.phone import Phone
from emulators.phone.receipts import ReceiptLog, SignedReceipt
from emulators.phone.wallet import Wallet
from emulators.ready import ready

log = logging.getLogger("emulators.phone.foreign")

CONTROL_POLL = 0.1   # seconds between looks at a followed file and at the stop flag


class ForeignPhoneError(PhoneError, ValueError):
    """A key file, wallet file, export or control input the phone cannot use."""


# -- the key --------------------------------------------------------------------------------

def load_or_create_key(path: Path) -> bytes:
    """The phone's private key from ``path`` (0x hex); a fresh one written there (mode 0600)
    when the file does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as f:
        secret = _fresh_secret()
        f.write("0x" + secret.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(path.parent)
    return secret


def _fresh_secret() -> bytes:
    while True:
        secret = secrets.token_bytes(32)
        if 0 < int.from_bytes(secret, "big") < SECPK1_N:
            return secret


def _read_key(path: Path) -> bytes:
    text = path.read_text().strip()
    hexpart = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        secret = bytes.fromhex(hexpart)
    except ValueError:
        secret = b""
    if len(secret) != 32 or not 0 < int.from_bytes(secret, "big") < SECPK1_N:
        raise ForeignPhoneError(f"{path}: not a private key (expected 32 bytes as 0x hex); "
                                "remove the file to have a new key made")
    return secret


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- the wallet file --------------------------------------------------------------------------

def read_wallet_file(path: Path) -> tuple[ChannelKey, frozenset[str]]:
    """The channel and its authorised signers named by the wallet file at ``path``."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise ForeignPhoneError(f"{path}: not a wallet file (JSON): {exc}") from exc
    if not isinstance(data, dict):
        raise ForeignPhoneError(f"{path}: a wallet file is a JSON object, got {data!r}")
    missing = [k for k in ("chain_id", "payment_provider", "channel_id", "signers")
               if k not in data]
    if missing:
        raise ForeignPhoneError(f"{path}: the wallet file lacks {', '.join(missing)}")
    signers = data["signers"]
    if not isinstance(signers, list):
        raise ForeignPhoneError(f"{path}: signers must be a list of addresses, got {signers!r}")
    try:
        key = ChannelKey(data["chain_id"], data["payment_provider"], data["channel_id"])
        return key, frozenset(checksum(s, "signer") for s in signers)
    except (PhoneError, ValueError, TypeError) as exc:
        raise ForeignPhoneError(f"{path}: {exc}") from exc


# -- the receipt export ---------------------------------------------------------------------

class ExportingLog(ReceiptLog):
    """The wallet's receipt log, every new entry also appended to the export file and
    synced before ``append`` returns (the applet appends before it answers the reader)."""

    def __init__(self, entries: list[SignedReceipt], export: BinaryIO):
        super().__init__(entries)
        self._export = export

    def append(self, entry: SignedReceipt) -> None:
        self._check_next(entry.counter)
        line = json.dumps(entry.to_dict(), separators=(",", ":")) + "\n"
        self._export.write(line.encode())
        self._export.flush()
        os.fsync(self._export.fileno())
        super().append(entry)


def read_export(path: Path, address: str) -> list[SignedReceipt]:
    """The receipts a previous run of this phone exported to ``path``. A final line without
    its newline was being written when the phone stopped: its signature never left the
    phone, and it is cut off (a complete record just gets its newline)."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    entries = [_export_entry(path, n, line, address)
               for n, line in enumerate(lines, 1) if line.strip()]
    if tail.strip():
        try:
            entries.append(_export_entry(path, len(lines) + 1, tail, address))
            fix = b"\n"
        except ForeignPhoneError:
            fix = b""
            log.warning("%s: cutting off an unfinished last line (%d bytes)", path, len(tail))
            with open(path, "r+b") as f:
                f.truncate(len(raw) - len(tail))
        if fix:
            with open(path, "ab") as f:
                f.write(fix)
    return entries


def _export_entry(path: Path, n: int, line: bytes, address: str) -> SignedReceipt:
    try:
        entry = SignedReceipt.from_dict(json.loads(line))
    except (ValueError, KeyError, TypeError, AttributeError, PhoneError) as exc:
        raise ForeignPhoneError(f"{path} line {n}: not a receipt record: {exc}") from exc
    if entry.signer != address:
        raise ForeignPhoneError(f"{path} line {n}: signed by {entry.signer}, not by this "
                                f"phone ({address}); give each phone its own export")
    return entry


# -- the control input ----------------------------------------------------------------------

class ControlInput:
    """Lines from a FIFO (kept open for writing too, so writers may come and go) or from a
    regular file followed from its end, like ``tail -f -n0`` (created when absent)."""

    def __init__(self, path: Path):
        self.path = path
        self._buf = b""
        self._keep: int | None = None
        self._file: BinaryIO | None = None
        self._fd: int | None = None
        if not path.exists():
            path.touch()
        if stat.S_ISFIFO(path.stat().st_mode):
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            self._keep = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        else:
            self._open_file(at_end=True)

    def _open_file(self, at_end: bool) -> None:
        if self._file is not None:
            self._file.close()
        self._file = open(self.path, "rb")  # noqa: SIM115 (kept open while followed)
        if at_end:
            self._file.seek(0, os.SEEK_END)
        self._inode = os.fstat(self._file.fileno()).st_ino

    def lines(self, wait: float) -> list[str]:
        """Complete lines that arrived, waiting up to ``wait`` seconds for some."""
        data = self._read_fifo(wait) if self._fd is not None else self._read_file(wait)
        self._buf += data
        *done, self._buf = self._buf.split(b"\n")
        return [d.decode(errors="replace").strip() for d in done]

    def _read_fifo(self, wait: float) -> bytes:
        assert self._fd is not None
        readable, _ = ready([self._fd], timeout=wait)
        if not readable:
            return b""
        try:
            return os.read(self._fd, 4096)
        except BlockingIOError:
            return b""

    def _read_file(self, wait: float) -> bytes:
        assert self._file is not None
        data = self._file.read()
        if data:
            return data
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_ino != self._inode or now.st_size < self._file.tell()):
            self._open_file(at_end=False)   # replaced or truncated: read it from the start
            self._buf = b""
            return self._file.read()
        time.sleep(wait)
        return b""

    def close(self) -> None:
        for fd in (self._fd, self._keep):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._file is not None:
            self._file.close()
        self._fd = self._keep = self._file = None


# -- the phone ------------------------------------------------------------------------------

class ForeignPhone:
    """The wallet, the field it is presented on, and the taps a person makes with it."""

    def __init__(self, key_file: Path, wallet_file: Path, export: Path, host: str = "127.0.0.1",
                 port: int = 0, tap_timeout: float = 30.0, seed: int | None = None):
        self.wallet_file = wallet_file
        self.tap_timeout = tap_timeout
        secret = load_or_create_key(key_file)
        account = Account.from_key(secret)
        entries = read_export(export, account.address)
        export.parent.mkdir(parents=True, exist_ok=True)
        self._export = open(export, "ab")  # noqa: SIM115 (open for the phone's whole life)
        _fsync_dir(export.parent)
        self.wallet = Wallet(account, log=ExportingLog(entries, self._export))
        self.phone = Phone(self.wallet, name="foreign")
        rng = random.Random(seed if seed is not None else secrets.randbits(64))
        self.field = Field(rng, host=host, port=port).start()
        self._taps: queue.Queue[bool] = queue.Queue()
        self._worker = threading.Thread(target=self._tap_loop, name="foreign-phone-taps",
                                        daemon=True)
        self.taps_done = 0

    @property
    def address(self) -> str:
        return self.wallet.address

    def start(self) -> ForeignPhone:
        self._worker.start()
        return self

    def request_tap(self) -> None:
        self._taps.put(True)

    def learn_channel(self) -> None:
        """The wallet knows exactly the wallet file's channel; a file it cannot read leaves
        the wallet as it was (the tap still happens: the machine hears what the phone knows)."""
        try:
            key, signers = read_wallet_file(self.wallet_file)
        except FileNotFoundError:
            log.warning("no wallet file %s yet: the phone knows the channels it knew",
                        self.wallet_file)
            return
        except ForeignPhoneError as exc:
            log.error("%s; the phone keeps the channels it knew", exc)
            return
        with self.wallet.lock:
            self.wallet.channels = {key: signers}

    def tap_once(self) -> str:
        """Hold the phone to the reader until the machine is done with it (or the tap
        timeout): how the tap ended."""
        self.learn_channel()
        before = len(self.wallet.log)
        end = self.field.tap(self.phone, self.tap_timeout)
        self.taps_done += 1
        log.info("tap %d ended: %s; signed %d receipt(s)", self.taps_done, end.value,
                 len(self.wallet.log) - before)
        return end.value

    def _tap_loop(self) -> None:
        while self._taps.get():
            try:
                self.tap_once()
            except FieldClosed:
                return
            except Exception:   # one broken tap must not end the phone
                log.exception("the tap failed")

    def close(self) -> None:
        self._taps.put(False)
        self.field.close()   # a tap in progress ends (field-closed)
        if self._worker.is_alive():
            self._worker.join(timeout=5)
        with self.wallet.lock:
            self._export.close()


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m emulators.phone.foreign",
                                description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--key-file", type=Path, required=True,
                   help="the phone's private key (0x hex); created when absent")
    p.add_argument("--wallet-file", type=Path, required=True,
                   help="JSON: chain_id, payment_provider, channel_id, signers; re-read per tap")
    p.add_argument("--taps", type=Path, required=True,
                   help="control input: a FIFO or a file followed; each line 'tap' is one tap")
    p.add_argument("--export", type=Path, required=True,
                   help="JSON lines, one per receipt signed (appended, fsynced)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="udp port (default 0: a free one)")
    p.add_argument("--tap-timeout", type=float, default=30.0,
                   help="seconds a tap lasts at most (default 30)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the anticollision UIDs (default: random)")
    args = p.parse_args(argv)
    if not (args.tap_timeout > 0 and args.tap_timeout < float("inf")):
        p.error(f"--tap-timeout must be a positive number of seconds, got {args.tap_timeout}")
    return args


@contextlib.contextmanager
def _stop_signals() -> Iterator[list[bool]]:
    """A flag set by SIGTERM or SIGINT (the handler only sets it)."""
    stop = [False]

    def handler(signum: int, frame: Any) -> None:
        stop[0] = True

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="foreign-phone %(levelname)s %(message)s")
    with _stop_signals() as stop:
        try:
            phone = ForeignPhone(args.key_file, args.wallet_file, args.export, args.host,
                                 args.port, args.tap_timeout, args.seed)
        except (ValueError, FieldError, OSError) as exc:   # ForeignPhoneError is a ValueError
            print(f"foreign phone: {exc}", file=sys.stderr)
            return 2
        try:
            control = ControlInput(args.taps)
        except OSError as exc:
            phone.close()
            print(f"foreign phone: cannot read taps from {args.taps}: {exc}", file=sys.stderr)
            return 2
        phone.start()
        print(json.dumps({"address": phone.address, "port": phone.field.port,
                          "target": phone.field.device_path}), flush=True)
        try:
            while not stop[0]:
                for line in control.lines(CONTROL_POLL):
                    if line == "tap":
                        phone.request_tap()
                    elif line and not line.startswith("#"):
                        log.warning("ignoring control line %r (expected 'tap')", line)
        finally:
            control.close()
            phone.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
