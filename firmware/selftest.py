"""The machine's self-test: does each device answer through the driver the firmware uses?

``python -m firmware.selftest --nfc tty:AMA0:pn532 --sensors 1 --brew /dev/ttyUSB0`` (the
values of the config's ``[nfc] device``, ``[sensors] bus`` and ``[brew] port``) opens the NFC
reader, the I2C bus and the brew board exactly as the firmware does (nfcpy, smbus2 or the
socket bus, pyserial) and prints one JSON line per device:
``{"part": ..., "ok": ..., "detail": ..., "fix": ...}``. Exit 0 only if every device
answered. Run on the Pi itself (a bench's ``rig doctor`` runs it there), so a wrong device
path, a missing driver or an absent chip is found before a test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def _nfc(device: str) -> tuple[bool, str, str]:
    import nfc

    try:
        clf = nfc.ContactlessFrontend(device)
    except (OSError, ValueError, TypeError) as e:
        return False, f"{device}: {e}", ("check the reader's device path (udp:HOST:PORT, usb, "
                                         "usb:VID:PID, tty:NAME:pn532) and access rights")
    try:
        return True, f"{clf.device} ({device})", ""
    finally:
        clf.close()


def _i2c(bus: int | str) -> tuple[bool, str, str]:
    from firmware.sensors import MonitorConfig, open_bus

    c = MonitorConfig()
    want = {"TMP102": c.tmp102_address, "INA219": c.ina219_address,
            "status MCU": c.status_mcu_address}
    try:
        i2c = open_bus(bus)
    except OSError as e:
        return False, f"bus {bus!r}: {e}", "enable I2C (raspi-config) or fix [sensors] bus"
    found, missing = [], []
    try:
        for name, address in want.items():
            try:
                i2c.read_byte_data(address, 0)
                found.append(f"{name} 0x{address:02x}")
            except OSError as e:
                missing.append(f"{name} 0x{address:02x} ({e.strerror or e})")
    finally:
        i2c.close()
    detail = f"bus {bus}: found {', '.join(found) or 'nothing'}"
    if missing:
        return False, f"{detail}; no answer from {', '.join(missing)}", \
            "check the board's wiring, power and address jumpers"
    return True, detail, ""


def _brew(port: str) -> tuple[bool, str, str]:
    from firmware.brew.client import BrewBoard

    try:
        with BrewBoard(port) as board:
            status = board.status()
    except Exception as e:   # any failure of the board is the finding, said as it is
        return False, f"{port}: {type(e).__name__}: {e}", \
            "check the serial port path, its permissions (dialout) and the board's power"
    state = "ready" if status.ready else "not ready"
    return True, (f"{port}: board firmware {status.firmware}, protocol {status.protocol}, "
                  f"{state}, {status.dispensed} dispensed"), ""


def _bus(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m firmware.selftest", description=__doc__)
    ap.add_argument("--nfc", metavar="DEVICE", help="the reader's nfcpy device path")
    ap.add_argument("--sensors", metavar="BUS", type=_bus, help="the I2C bus (1, unix:PATH)")
    ap.add_argument("--brew", metavar="PORT", help="the brew board's serial port")
    args = ap.parse_args(argv)
    checks: dict[str, Callable[[], tuple[bool, str, str]]] = {}
    if args.nfc:
        checks["nfc"] = lambda: _nfc(args.nfc)
    if args.sensors is not None:
        checks["sensors"] = lambda: _i2c(args.sensors)
    if args.brew:
        checks["brew"] = lambda: _brew(args.brew)
    if not checks:
        ap.error("name at least one device: --nfc, --sensors or --brew")
    ok_all = True
    for part, check in checks.items():
        ok, detail, fix = check()
        ok_all &= ok
        print(json.dumps({"part": part, "ok": ok, "detail": detail, "fix": fix}), flush=True)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
