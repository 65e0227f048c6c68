"""A Shelly gen1 smart plug on 127.0.0.1: its relay HTTP API, and a callback per switch.

What a client of the real plug calls (labgrid's ``NetworkPowerDriver`` with model
``shelly_gen1`` among them), as in Shelly's gen1 device API:

- ``GET /relay/N``: the relay's state, ``{"ison": bool, "has_timer": false, ...}``;
- ``POST /relay/N`` with the form field ``turn=on|off|toggle`` (or ``GET /relay/N?turn=...``):
  switch it, answered with its new state;
- ``GET /shelly`` and ``GET /status``: what device this is, and every relay's state.

A relay that changes state calls its ``on_switch(on)`` before the request is answered, in the
server's thread: that is where the emulated Pi loses its power (off) or boots (on). Switching
a relay to the state it is in calls nothing, as a real relay does nothing then. A callback
that raises is answered ``500`` with its message (the relay has switched all the same);
requests are served one switch at a time. The flip-back ``timer`` parameter is not emulated
and is refused with ``400``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODEL = "SHPLG-S"       # the type a Shelly Plug S reports at /shelly
FIRMWARE = "20230913-114008/v1.14.0-gcb84623"


@dataclass
class Relay:
    """One relay; ``on_switch(on)`` runs whenever it changes state."""

    on_switch: Callable[[bool], None] | None = None
    ison: bool = False
    source: str = "input"           # what last switched it: "http" once a client has
    switches: int = 0

    def state(self) -> dict[str, Any]:
        return {"ison": self.ison, "has_timer": False, "timer_started": 0,
                "timer_duration": 0, "timer_remaining": 0, "overpower": False,
                "source": self.source}


@dataclass
class ShellyPlug:
    """The plug's HTTP server (``start``/``stop``, or a ``with`` block) and its relays."""

    relays: list[Relay] = field(default_factory=lambda: [Relay()])
    host: str = "127.0.0.1"
    port: int = 0                   # 0: a free one, see ``url`` once started
    mac: str = "C45BBE000001"
    served: int = 0                 # requests answered

    def __post_init__(self) -> None:
        self._switching = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """What a client names as the plug's host: ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the plug is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> ShellyPlug:
        plug = self

        class Handler(_Handler):
            device = plug

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"shelly-plug-{self._server.server_address[1]}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> ShellyPlug:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def turn(self, index: int, turn: str, source: str = "http") -> dict[str, Any]:
        """Switch relay ``index`` (``on``, ``off`` or ``toggle``); its state afterwards.
        Raises ``IndexError`` for a relay the plug lacks, ``ValueError`` for another
        ``turn``; whatever the relay's callback raises comes through as it is."""
        relay = self.relays[index]
        if turn not in ("on", "off", "toggle"):
            raise ValueError(f"turn must be on, off or toggle, not {turn!r}")
        with self._switching:
            on = (not relay.ison) if turn == "toggle" else turn == "on"
            if on == relay.ison:
                return relay.state()
            relay.ison, relay.source = on, source
            relay.switches += 1
            if relay.on_switch is not None:
                relay.on_switch(on)
            return relay.state()

    def info(self) -> dict[str, Any]:
        return {"type": MODEL, "mac": self.mac, "auth": False, "fw": FIRMWARE, "longid": 1,
                "num_outputs": len(self.relays), "num_meters": 0}

    def status(self) -> dict[str, Any]:
        return {"mac": self.mac, "relays": [r.state() for r in self.relays],
                "has_update": False, "cloud": {"enabled": False, "connected": False}}


class _Handler(BaseHTTPRequestHandler):
    device: ShellyPlug
    server_version = "Shelly-gen1-emulator"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self._answer(url.path, parse_qs(url.query))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
        self._answer(url.path, {**parse_qs(url.query), **form})

    def _answer(self, path: str, params: dict[str, list[str]]) -> None:
        plug = self.device
        plug.served += 1
        parts = path.strip("/").split("/")
        if parts == ["shelly"]:
            return self._json(200, plug.info())
        if parts == ["status"]:
            return self._json(200, plug.status())
        if len(parts) != 2 or parts[0] != "relay" or not parts[1].isdigit() \
                or int(parts[1]) >= len(plug.relays):
            return self._text(404, "Not Found")
        index = int(parts[1])
        if "timer" in params:
            return self._text(400, "the flip-back timer is not emulated")
        if "turn" not in params:
            return self._json(200, plug.relays[index].state())
        try:
            return self._json(200, plug.turn(index, params["turn"][-1]))
        except ValueError:
            return self._text(400, "Bad turn!")
        except Exception as e:  # the callback's failure: say it, the relay has switched
            return self._text(500, f"relay {index} switched, but its load failed: {e}")

    def _json(self, code: int, body: dict[str, Any]) -> None:
        self._send(code, json.dumps(body).encode(), "application/json")

    def _text(self, code: int, body: str) -> None:
        self._send(code, body.encode(), "text/plain")

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:   # quiet, as a device is
        pass
