"""Taps through the real nfcpy reader while other threads of the same process keep the GIL busy.

``python -m bench.nfc_under_load`` runs the same seeded taps (poll, SELECT, GET LAST RECEIPT,
SIGN RECEIPT, DESELECT) through the emulated field once per thread switch interval, side by
side in one run, beside ``--busy`` threads that only compute: the rig process's situation when
the test, the proxy and the device emulators run at once. Writes
``bench/results/nfc_under_load.json``: per interval, taps served and how the others failed.
It is the measurement behind ``emulators/realtime.py``. Exit status: 0 measured.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.args import at_least
from contracts.build import ROOT
from emulators.nfc import Field
from emulators.phone import ChannelKey, Phone
from firmware.nfc import ZERO_SIGNATURE, ChannelRef, NfcError, NfcReader, SignRequest

RESULTS = ROOT / "bench" / "results" / "nfc_under_load.json"
SCHEMA = "coffeepay-nfc-under-load/1"
INTERVALS = (0.005, 0.001, 0.0005)  # CPython's default first
CHAIN, CONTRACT, CHANNEL = 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", b"\x42" * 32


def _busy(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(10_000):
            x += i * i


def _one_tap(field: Field, reader: NfcReader, phone: Phone, pool: ThreadPoolExecutor) -> str:
    """'served', or what went wrong."""
    ending = pool.submit(field.tap, phone, 5.0)
    try:
        session = reader.poll(3.0)
        if session is None:
            return "not found by the poll"
        session.select()
        ref = ChannelRef(CHAIN, CONTRACT, CHANNEL)
        last = session.get_last_receipt(CHAIN, CONTRACT, CHANNEL)
        seq, cumulative, prev = last if last else (0, 0, ZERO_SIGNATURE)
        session.sign_receipt(SignRequest(ref, seq + 1, cumulative + 100, 100, 1, prev))
        session.close()
        return "served"
    except NfcError as e:
        return type(e).__name__
    finally:
        ending.result()


def measure(taps: int, busy: int, seed: int) -> list[dict]:
    rows = []
    for interval in INTERVALS:
        phone = Phone.generate(random.Random(seed), name="bench")
        phone.wallet.set_channel(ChannelKey(CHAIN, CONTRACT, CHANNEL), [phone.address])
        stop = threading.Event()
        with Field(random.Random(seed)) as field, NfcReader(field.device_path) as reader, \
                ThreadPoolExecutor(2) as pool:
            sys.setswitchinterval(interval)  # after start(), which lowers it
            hogs = [threading.Thread(target=_busy, args=(stop,), daemon=True)
                    for _ in range(busy)]
            for h in hogs:
                h.start()
            try:
                outcomes = Counter(_one_tap(field, reader, phone, pool) for _ in range(taps))
            finally:
                stop.set()
                for h in hogs:
                    h.join()
        rows.append({"switch_interval_ms": interval * 1000, "taps": taps,
                     "served": outcomes.pop("served", 0), "failed": dict(outcomes)})
        print(f"switch interval {interval * 1000:g} ms: {rows[-1]['served']}/{taps} served, "
              f"failed {dict(outcomes) or 'none'}")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.nfc_under_load",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--taps", type=at_least(1), default=100, help="taps per interval (default 100)")
    ap.add_argument("--busy", type=at_least(0), default=5, help="busy threads (default 5)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the phone and UIDs")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    args = ap.parse_args(argv)
    rows = measure(args.taps, args.busy, args.seed)
    doc = {"schema": SCHEMA, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "busy_threads": args.busy, "seed": args.seed, "intervals": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
