"""A process that uses /dev/i2c-N the way the firmware does, driven line by line by a test.

Started with the sensors part's ``firmware_env()`` (umockdev's preload library); opens the
bus with unmodified ``smbus2.SMBus``. Each stdin line is a JSON request, each answer one JSON
line: ``{"ok": result}`` or ``{"errno": n, "error": "..."}`` for an ``OSError``.

- ``{"call": "read_word_data", "args": [72, 0]}``: any ``SMBus`` method;
- ``{"rdwr": [["w", 72, [0]], ["r", 72, 2]]}``: one ``i2c_rdwr``, answers the reads' bytes;
- ``{"monitor": true}``: one read of the firmware's ``SensorMonitor`` on this bus;
- ``{"tty": "/dev/pts/N"}``: open another terminal with pyserial, as the firmware opens
  the brew board's port, and ask how many bytes wait in it;
- ``{"spin": true}``: answers ``"spinning"``, then reads the TMP102 until killed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import serial
from smbus2 import SMBus, i2c_msg

from firmware.sensors import MonitorConfig, SensorMonitor


def handle(bus: SMBus, monitor: SensorMonitor, request: dict[str, Any]) -> Any:
    if "call" in request:
        return getattr(bus, request["call"])(*request.get("args", []))
    if "rdwr" in request:
        msgs = [i2c_msg.write(addr, bytes(arg)) if kind == "w" else i2c_msg.read(addr, arg)
                for kind, addr, arg in request["rdwr"]]
        bus.i2c_rdwr(*msgs)
        return [list(m) for m in msgs if m.flags & 1]
    if "monitor" in request:
        snap = monitor.read()
        return {"boiler_c": snap.boiler_c, "heater_a": snap.heater_a, "bus_v": snap.bus_v,
                "water_pct": snap.water_pct, "health": {str(k): str(v)
                                                        for k, v in snap.health.items()}}
    if "tty" in request:
        with serial.Serial(request["tty"], 115200, timeout=0) as port:
            return port.in_waiting   # ioctl TIOCINQ
    if "spin" in request:
        print(json.dumps({"ok": "spinning"}), flush=True)
        while True:
            bus.read_word_data(0x48, 0)
    raise ValueError(f"unknown request {request!r}")


def main() -> int:
    bus = SMBus(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    monitor = SensorMonitor(bus, MonitorConfig())
    print(json.dumps({"ok": {"funcs": int(bus.funcs)}}), flush=True)
    for line in sys.stdin:
        try:
            reply = {"ok": handle(bus, monitor, json.loads(line))}
        except OSError as exc:
            reply = {"errno": exc.errno, "error": str(exc)}
        print(json.dumps(reply), flush=True)
    bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
