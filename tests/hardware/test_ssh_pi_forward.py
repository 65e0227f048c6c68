"""The rig's endpoints carried to a Pi elsewhere over the ``ssh-pi`` part's SSH connection
(an OpenSSH server on 127.0.0.1 from ``rig/hosts/local.py`` plays the Pi, reached by its
address, not as ``host = "local"``): ``reach`` opens a remote forward on the Pi's loopback
and gives its address; a JSON-RPC call through it is answered by the server here, the
firmware's rig port reports checkpoints through it and its end is noticed, bytes pass both
ways whole, the forwards come back on their ports after the connection dropped, and a whole
machine on such a Pi boots, syncs and serves a tap with only forwarded addresses in its
config. And the firmware's ``tcp:HOST:PORT`` form of ``[test] control``.
"""

from __future__ import annotations

import getpass
import hashlib
import http.server
import json
import os
import random
import socket
import sys
import threading
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w

from firmware.clock import Clock
from firmware.rigport import RigPort, parse_control
from rig.hardware import PartContext, create_part
from rig.hardware.parts import ssh_pi
from rig.hardware.parts.ssh_pi import SshPiError, SshPiPower
from rig.hardware.ssh_host import ForwardRefused
from rig.harness.assemble import build_machine
from rig.harness.control import ControlError, RigControl
from rig.harness.machine_rig import MachineRig
from rig.hosts import local
from rig.hosts.local import LocalHosts

ROOT = Path(__file__).resolve().parents[2]
TAP_TIMEOUT = 10.0


# ---------------------------------------------------------------------- the firmware's side
@pytest.mark.parametrize(("spec", "where"), [
    ("/tmp/cp-x/rig.sock", "/tmp/cp-x/rig.sock"),
    ("rig.sock", "rig.sock"),
    ("tcp:127.0.0.1:40123", ("127.0.0.1", 40123)),
    ("tcp:localhost:1", ("localhost", 1)),
    ("tcp:[::1]:65535", ("::1", 65535)),
])
def test_rigport_control_is_a_socket_path_or_tcp(spec: str, where: object):
    assert parse_control(spec) == where


@pytest.mark.parametrize(("spec", "message"), [
    ("tcp:127.0.0.1", r"'tcp:127\.0\.0\.1': write tcp:HOST:PORT with a port from 1 to 65535"),
    ("tcp::40123", r"write tcp:HOST:PORT"),
    ("tcp:127.0.0.1:0", r"write tcp:HOST:PORT"),
    ("tcp:127.0.0.1:65536", r"write tcp:HOST:PORT"),
    ("tcp:127.0.0.1:http", r"write tcp:HOST:PORT"),
    ("http://127.0.0.1:8545", r"'http://127\.0\.0\.1:8545' is neither a Unix socket's path "
                              r"\(/tmp/cp-x/rig\.sock\) nor tcp:HOST:PORT"),
    ("udp:127.0.0.1:9", r"is neither a Unix socket's path"),
    ("", r"'' is neither"),
])
def test_rigport_names_a_control_it_cannot_use(spec: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_control(spec)
    with pytest.raises(ValueError, match=message):
        RigPort(spec, (), Clock())


def test_rigport_reports_over_tcp():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = RigPort(f"tcp:127.0.0.1:{server.getsockname()[1]}", (), Clock())
        conn, _ = server.accept()
        with conn:
            port.checkpoint("booted", boot=1)
            line = conn.makefile("rb").readline()
    assert json.loads(line) == {"type": "checkpoint", "name": "booted", "held": False,
                                "data": {"boot": 1}}


# ---------------------------------------------------------------------- the rig's side
@pytest.fixture(scope="module")
def far() -> Iterator[LocalHosts]:
    with LocalHosts(count=1, prefix="far") as hosts:
        yield hosts


def _far_params(far: LocalHosts, remote: Path) -> dict[str, object]:
    """``[power]`` of a Pi elsewhere: the local server by its address, not "local"."""
    return {"host": f"{getpass.getuser()}@127.0.0.1:{far.ports[far.names[0]]}",
            "identity": str(far.identity), "known_hosts": str(far.known_hosts),
            "python": sys.executable, "workdir": str(remote)}


def _part(tmp_path: Path, **params: object) -> SshPiPower:
    part = create_part("power", "ssh-pi", PartContext(tmp_path, tmp_path, random.Random(1)),
                       **params)
    assert isinstance(part, SshPiPower)
    return part


@pytest.fixture
def pi(far: LocalHosts, tmp_path: Path) -> Iterator[SshPiPower]:
    part = _part(tmp_path, **_far_params(far, tmp_path / "far-pi"))
    assert not part.host.same_host
    yield part
    part.close()


class _JsonRpc(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict]]

    def do_POST(self) -> None:
        call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.path, call))
        body = json.dumps({"jsonrpc": "2.0", "id": call["id"],
                           "result": {"method": call["method"], "params": call["params"],
                                      "pad": "x" * 50_000}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rpc_server() -> Iterator[tuple[str, list[tuple[str, dict]]]]:
    seen: list[tuple[str, dict]] = []
    handler = type("Handler", (_JsonRpc,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _call(url: str, method: str, *params: object) -> dict:
    request = urllib.request.Request(
        url, json.dumps({"jsonrpc": "2.0", "id": 7, "method": method,
                         "params": list(params)}).encode(),
        {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _port(address: str) -> int:
    return int(address.rpartition(":")[2].split("/")[0])


def test_reach_forwards_a_json_rpc_call_to_the_server_here(pi, rpc_server):
    url, seen = rpc_server
    carried = pi.reach(url + "/rpc")
    assert carried != url + "/rpc" and carried.startswith("http://127.0.0.1:")
    assert carried.endswith("/rpc") and _port(carried) != _port(url)
    assert pi.reach(url + "/rpc") == carried                  # once per endpoint
    assert pi.host.forwards == {_port(carried): ("127.0.0.1", _port(url))}

    answer = _call(carried, "eth_chainId", "latest")
    assert answer["id"] == 7 and answer["result"]["method"] == "eth_chainId"
    assert answer["result"]["params"] == ["latest"] and len(answer["result"]["pad"]) == 50_000
    assert seen == [("/rpc", {"jsonrpc": "2.0", "id": 7, "method": "eth_chainId",
                              "params": ["latest"]})]
    with pytest.raises(SshPiError, match=r"'https://x:1' cannot be carried to the Pi"):
        pi.reach("https://x:1")


def test_the_firmware_reports_through_the_forwarded_control(pi, tmp_path):
    control = RigControl(tmp_path / "rig.sock")
    try:
        address = pi.reach(str(control.path))
        assert address.startswith("tcp:127.0.0.1:") and str(control.path) not in address
        port = RigPort(address, (), Clock())
        control.wait_boot(1, timeout=5)
        port.checkpoint("booted", boot=1)
        assert control.wait_for("booted", timeout=5).data == {"boot": 1}
        ack = control.hold("tap")                          # the rig's commands reach it too
        assert ack.result == {"held": ["tap"], "released": 0} and ack.boot == 1
        assert pi.host.forwarded_connections == 1

        # A firmware gone: its connection ends, the rig notices, the channel closes.
        gone = socket.create_connection(("127.0.0.1", _port(address)))
        control.wait_boot(2, timeout=5)
        gone.sendall(b'{"type": "checkpoint", "name": "booted", "data": {}}\n')
        control.wait_for("booted", timeout=5, after=1)
        assert pi.host.forwarded_connections == 2
        gone.close()
        with pytest.raises(ControlError, match="boot 2 ended before it reached 'tap'"):
            control.wait_reached("tap", boot=2, after=0, timeout=5)
        _until(lambda: pi.host.forwarded_connections == 1, "the closed channel's pipe gone")
    finally:
        control.close()


def _until(ok: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _echo(server: socket.socket, ended: threading.Event) -> None:
    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)
        ended.set()
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


@pytest.mark.parametrize("kind", ["unix", "tcp"])
def test_bytes_pass_both_ways_whole_and_an_end_there_ends_it_here(pi, tmp_path, kind):
    if kind == "unix":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(tmp_path / "echo.sock"))
        endpoint = str(tmp_path / "echo.sock")
    else:
        server = socket.create_server(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    server.listen()
    ended = threading.Event()
    threading.Thread(target=_echo, args=(server, ended), daemon=True).start()
    try:
        port = _port(pi.reach(endpoint))
        data = os.urandom(6 * 2**20)
        with socket.create_connection(("127.0.0.1", port)) as conn:
            def send() -> None:
                for i in range(0, len(data), 100_000):
                    conn.sendall(data[i:i + 100_000])
            sender = threading.Thread(target=send)      # both ways at once
            sender.start()
            got = bytearray()
            while len(got) < len(data) and (chunk := conn.recv(65536)):
                got += chunk
            sender.join()
            assert pi.host.forwarded_connections == 1
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
        assert ended.wait(5)                           # closed there: closed here
        _until(lambda: pi.host.forwarded_connections == 0, "the channel closed")
    finally:
        server.close()


def test_forwards_come_back_on_their_ports_after_the_connection_dropped(pi, rpc_server):
    url, _ = rpc_server
    carried = pi.reach(url)
    assert _call(carried, "a")["result"]["method"] == "a"
    pi.host.forget()                     # as after a real plug's cut: the connection gone
    with pytest.raises(OSError):
        _call(carried, "b")
    pi.host.connect()                    # the next boot connects again
    assert pi.reach(url) == carried
    assert _call(carried, "c")["result"]["method"] == "c"
    pi.close()                           # closed with the part
    with pytest.raises(OSError):
        _call(carried, "d")


def test_a_pi_that_is_off_gets_its_ports_when_the_rig_connects(tmp_path, rpc_server,
                                                               monkeypatch):
    url, _ = rpc_server
    later = LocalHosts(count=1, prefix="late")
    ssh_port = local._free_port()
    monkeypatch.setattr(local, "_free_port", lambda: ssh_port)
    part = _part(tmp_path, host=f"{getpass.getuser()}@127.0.0.1:{ssh_port}",
                 identity=str(later.identity), known_hosts=str(later.known_hosts),
                 python=sys.executable, workdir=str(tmp_path / "late-pi"))
    try:
        carried = part.reach(url)        # nothing answers there yet
        assert _port(carried) in ssh_pi.LATER_PORTS
        later.start()
        part.host.connect()
        assert _call(carried, "eth_blockNumber")["result"]["method"] == "eth_blockNumber"
    finally:
        part.close()
        later.stop()


def test_a_port_taken_there_is_named(pi):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ForwardRefused, match=rf"did not listen on port {port} of its "
                                                 r"127\.0\.0\.1 .*must be free there"):
            pi.host.forward_remote(("127.0.0.1", 1), port)


def test_the_emulated_pi_and_a_local_ssh_pi_reach_endpoints_as_they_are(tmp_path):
    emulated = create_part("power", "emulated-pi",
                           PartContext(tmp_path, tmp_path, random.Random(1)))
    try:
        assert emulated.reach("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
        assert emulated.reach("/tmp/cp-x/rig.sock") == "/tmp/cp-x/rig.sock"
    finally:
        emulated.close()
    on_this_host = _part(tmp_path / "local")
    try:
        assert on_this_host.reach("/tmp/cp-x/rig.sock") == "/tmp/cp-x/rig.sock"
        assert on_this_host.host.forwards == {}
    finally:
        on_this_host.close()


# ---------------------------------------------------------------------- a whole machine
def _profile(tmp_path: Path, **power: object) -> Path:
    doc = tomllib.loads((ROOT / "profiles" / "emulated.toml").read_text())
    doc["profile"]["name"] = "ssh-pi-elsewhere"
    doc["power"] = {"kind": "ssh-pi", **power}
    path = tmp_path / "ssh-pi-elsewhere.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


def _leaves(doc: object) -> Iterator[str]:
    if isinstance(doc, dict):
        for value in doc.values():
            yield from _leaves(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _leaves(value)
    elif isinstance(doc, str):
        yield doc


def test_a_machine_on_a_pi_elsewhere_reaches_the_rig_only_through_forwards(
        far, platform, rng, tmp_path):
    remote = tmp_path / "far-pi"
    m: MachineRig = build_machine(tmp_path / "machine", platform, rng,
                                  str(_profile(tmp_path, **_far_params(far, remote))))
    try:
        part = m.parts["power"]
        text = m.config_path.read_text()
        config = tomllib.loads(text)
        rpc, control = config["chain"]["rpc_url"], config["test"]["control"]
        assert rpc.startswith("http://127.0.0.1:") and _port(rpc) != m.proxy.port
        assert control.startswith("tcp:127.0.0.1:")
        assert str(m.control.path) not in text
        addresses = [v for v in _leaves(config) if v.startswith(("http:", "tcp:"))]
        assert addresses == [rpc, control]             # the rig's endpoints: forwarded only
        assert set(part.host.forwards) == {_port(rpc), _port(control)}

        m.power_on()
        assert (remote / "machine.toml").read_text() == text
        m.wait_synced()
        out = m.tap(m.phones[0], product=2, timeout=TAP_TIMEOUT)
        assert out.verdict == "served", out
        assert m.proxy.connections > 0                 # the firmware's calls came through

        # A cut that drops the connection too (a real plug): forwards back on their ports.
        m.power_cut()
        part.host.forget()
        m.power_on()
        assert part.boots == 2 and m.control.boots == 2
        assert set(part.host.forwards) == {_port(rpc), _port(control)}
        m.wait_synced()
        assert m.tap(m.phones[1], product=1, timeout=TAP_TIMEOUT).verdict == "served"
        assert len(m.board.dispenses.records()) == 2
    finally:
        m.close()
