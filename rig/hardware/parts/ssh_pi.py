"""Power: the Pi reached over SSH, its mains switched by a network plug (labgrid's driver).

The paths a bench with a real Pi uses: the firmware is deployed and started detached over
SSH, stopped with SIGTERM over SSH, and its console collected onto this host
(``rig/hardware/ssh_host.py``); the power goes through labgrid's ``NetworkPowerDriver``
(``on``/``off``/``get``) to a networked plug.

Profile parameters (``[power] kind = "ssh-pi"``), defaults for CI on 127.0.0.1:

- ``host = "local"``: an OpenSSH server started on 127.0.0.1 (``rig/hosts/local.py``) plays
  the Pi. It shares this host's files: the firmware runs from this checkout with this
  virtualenv's Python, reads the rig's ``machine.toml`` where the rig writes it, and writes
  its console straight into ``console`` (the watcher over SSH only reports its end).
  Otherwise ``"user@host[:port]"``, a Pi elsewhere: ``identity`` (private key; default the
  agent and ~/.ssh), ``known_hosts`` (default ~/.ssh/known_hosts; an unknown host key is
  refused), ``python`` (default ``python3``; it needs the firmware's dependencies) and
  ``workdir`` there (default ``coffeepay`` in the login's home). The firmware tree is
  deployed to ``workdir/tree`` when it changed, ``machine.toml`` uploaded at each power-on,
  and the console streamed over SSH into ``console`` while the firmware runs.
- ``plug = "emulated"``: a Shelly gen1 plug on 127.0.0.1 (``emulators/plug``) whose relay
  cuts the emulated Pi's power as ``emulated-pi`` does (SIGKILL of the firmware's process
  group; with the volatile SD card, unsynced writes are lost) and boots it when switched on
  (the firmware started over SSH). Or a real plug,
  ``{model = "shelly_gen1", host = "192.168.1.50", index = 0}`` (any model of labgrid's
  ``NetworkPowerDriver``): after it switched on, the rig waits up to ``boot_timeout`` for the
  Pi's SSH server and starts the firmware; after it switched off the Pi's connection is
  dropped, not waited for.
- ``sdcard = "volatile"``: the firmware runs on the emulated Pi's volatile SD card
  (``emulators/pi/sdcard.py``, deployed beside it), so ``arm_sdcard`` works as on
  ``emulated-pi``; ``"host"`` runs it on the Pi's own storage. ``boot_seconds`` as there.
- ``settle``: seconds ``power_on`` waits to report a firmware that exited at once, with its
  console's tail (0: do not wait; the rig's wait for ``booted`` notices it then).

What the firmware reaches on the rig host, the rig's control socket and its RPC proxy, is
carried to a Pi elsewhere over the SSH connection (``reach``): a remote forward listens on
the Pi's 127.0.0.1 (its sshd must allow it: ``AllowTcpForwarding yes`` or ``remote``), and the
machine's config names that port (``tcp:127.0.0.1:PORT`` for the control socket,
``http://127.0.0.1:PORT`` for the proxy). The forwards belong to the connection, not to a boot
of the firmware; after the connection dropped (a real plug cut the Pi) they are opened again
on the same ports when the rig connects at the next boot. A Pi that does not answer when the
config is written (a real plug off) gets ports picked here, from ``LATER_PORTS``, opened when
the rig first connects. The reader's and board's devices the config names are the Pi's own on
a bench; the emulated ones exist only on the rig host. The paths themselves (deploy, start,
stop, cut, console) are the same as on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib.util
import json
import os
import posixpath
import random
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from emulators.pi.bootrom import BOOT_SECONDS_ENV, SDCARD_ENV
from emulators.plug import Relay, ShellyPlug
from rig.hardware.protocols import (
    CardCopies,
    Diagnosable,
    Finding,
    FirmwareHost,
    FirmwareTools,
    Part,
    StorageFaults,
)
from rig.hardware.registry import PartContext, register
from rig.hosts.local import LocalHosts

# labgrid and paramiko (rig.hardware.ssh_host) are imported when a part of this kind is
# built (0.2 s), not by every process that imports the registry of part kinds.
if TYPE_CHECKING:
    from labgrid import Target
    from labgrid.driver import NetworkPowerDriver

    from rig.hardware.ssh_host import ForwardTarget, SshHost

ROOT = Path(__file__).resolve().parents[3]
SITE = "emulators/pi/site"
FIRMWARE_TREE = ("firmware",)
SDCARD_TREE = ("emulators/__init__.py", "emulators/pi", "rig/__init__.py", "rig/proc.py")
"""What the volatile SD card needs beside the firmware (emulators.pi imports rig.proc)."""
SDCARDS = ("volatile", "host")
CUT_TIMEOUT = 10.0
LATER_PORTS = range(20000, 32768)
"""Ports a forward is given when the Pi does not answer yet: below Linux's ephemeral ports
(32768-60999), so no outgoing connection on the Pi holds one."""
REACH_PROBE = 2.0        # seconds reach waits for the Pi's SSH port to tell whether it is up


class SshPiError(RuntimeError):
    """The profile's parameters are wrong, or the power state does not allow the request."""


@register("power", "ssh-pi")
class SshPiPower(Part, FirmwareHost, StorageFaults, CardCopies, FirmwareTools, Diagnosable):
    def __init__(self, ctx: PartContext, host: str = "local", identity: str | None = None,
                 known_hosts: str | None = None, python: str | None = None,
                 workdir: str = "coffeepay", plug: str | dict[str, Any] = "emulated",
                 sdcard: str = "volatile", boot_seconds: float = 0.0, settle: float = 0.0,
                 boot_timeout: float = 120.0) -> None:
        from rig.hardware.ssh_host import SshAddress, SshHost

        if sdcard not in SDCARDS:
            raise SshPiError(f"[power] sdcard {sdcard!r} is not one of {', '.join(SDCARDS)}")
        real_plug = _plug_spec(plug)
        self.model = real_plug[0] if real_plug else "shelly_gen1"
        self.config_path = ctx.workdir / "machine.toml"
        self.sdcard, self.boot_seconds, self.settle = sdcard, boot_seconds, settle
        self.boot_timeout = boot_timeout
        self.extra_env: dict[str, str] = {}
        self._boots = 0
        self._arm = 0
        self._lock = threading.RLock()
        self._relay_on = False
        self._boot_error: Exception | None = None
        self._ready = False
        self._tree = ""                 # where the firmware's tree is on the Pi
        self._local_hosts: LocalHosts | None = None
        self._plug: ShellyPlug | None = None
        self._reached: dict[str, str] = {}  # rig-host endpoint → the firmware's address
        console = ctx.workdir / "console.jsonl"
        self.host: SshHost
        if host == "local":
            self._local_hosts = LocalHosts(count=1, prefix="pi").start()
            name = self._local_hosts.names[0]
            self.host = SshHost(SshAddress("127.0.0.1", self._local_hosts.ports[name],
                                           getpass.getuser()),
                                console=console, workdir=str(ctx.workdir),
                                identity=self._local_hosts.identity,
                                known_hosts=self._local_hosts.known_hosts,
                                python=python or sys.executable, same_host=True,
                                owner=os.getpid())
        else:
            try:
                address = SshAddress.parse(host)
            except ValueError as e:
                raise SshPiError(f"[power] host: {e}") from e
            self.host = SshHost(address, console=console, workdir=workdir,
                                identity=_path(identity), known_hosts=_path(known_hosts),
                                python=python or "python3")
        try:
            self._driver, self._target = self._power_driver(real_plug)
        except Exception:
            self.close()
            raise

    # ------------------------------------------------------------------ the plug
    def _power_driver(self, plug: tuple[str, str, int] | None
                      ) -> tuple[NetworkPowerDriver, Target]:
        """labgrid's driver bound to the plug (None: start the emulated one)."""
        from labgrid import Target
        from labgrid.driver import NetworkPowerDriver
        from labgrid.resource import NetworkPowerPort

        if plug is None:
            self._plug = ShellyPlug([Relay(on_switch=self._relay_switched)]).start()
            plug = ("shelly_gen1", self._plug.url, 0)
        model, url, index = plug
        target = Target(f"coffee-machine-{id(self):x}")
        NetworkPowerPort(target, name=None, model=model, host=url, index=index)
        driver = NetworkPowerDriver(target, name=None, delay=1.0)
        target.activate(driver)
        return driver, target

    def _switch(self, on: bool) -> None:
        """Switch the plug through labgrid's driver; with the emulated plug the relay's
        callback has cut or booted the Pi when this returns."""
        import requests

        self._boot_error = None
        was, self._relay_on = self._relay_on, on
        try:
            self._driver.on() if on else self._driver.off()
        except requests.RequestException as e:
            if self._boot_error is not None:    # the relay switched; the boot failed
                raise self._boot_error from None
            self._relay_on = was
            raise SshPiError(f"the plug ({self.model} at {self._driver.port.host}) did not "
                             f"switch {'on' if on else 'off'}: {e}") from e

    def _relay_switched(self, on: bool) -> None:
        """The emulated relay changed state (in the plug's server thread)."""
        if not on:
            self._cut()
            return
        try:
            self._boot()
        except Exception as e:
            self._boot_error = e
            raise

    def _cut(self) -> None:
        """The emulated Pi loses its power: SIGKILL of the firmware's whole process group.
        On this host the relay does it at once, as emulated-pi's cut does; a Pi elsewhere
        is reached over SSH."""
        host = self.host
        if not host.alive or host.pid is None:
            return
        if host.same_host:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(host.pid, signal.SIGKILL)
            host.wait_exit(CUT_TIMEOUT)
        else:
            host.kill(CUT_TIMEOUT)

    # ------------------------------------------------------------------ booting
    def _boot(self) -> None:
        """What the Pi does once its power is on: the firmware started over SSH."""
        from rig.hardware.ssh_host import ProgramExitedAtOnce, wait_reachable

        if self._plug is None:
            wait_reachable(self.host.address, self.boot_timeout)
        self._prepare()
        config = str(self.config_path)
        if not self.host.same_host:
            config = self.host.deploy_file(self.config_path)
        try:
            self.host.start([self.host.python, "-m", "firmware", "--config", config],
                            env=self._env(), cwd=self._tree, settle=self.settle)
        except ProgramExitedAtOnce:
            self._boots += 1            # it booted, and fell over
            raise
        self._boots += 1

    def _prepare(self) -> None:
        """Once: reach the Pi, check its Python, deploy the firmware tree (elsewhere)."""
        if self._ready:
            return
        self.host.connect()
        self.host.python_version()
        if self.host.same_host:
            self._tree = str(ROOT)
        else:
            self._tree = self.host.path("tree")
            paths = FIRMWARE_TREE + (SDCARD_TREE if self.sdcard == "volatile" else ())
            self.host.deploy_tree(ROOT, paths, self._tree)
        self._ready = True

    def _env(self) -> dict[str, str]:
        """As EmulatedPi.power_on sets it, with the Pi's paths."""
        path = [self._tree]
        if self.sdcard == "volatile":
            path.insert(0, f"{self._tree}/{SITE}")
        return {**self.extra_env, "PYTHONPATH": ":".join(path),
                SDCARD_ENV: self.sdcard, BOOT_SECONDS_ENV: str(self.boot_seconds),
                "COFFEEPAY_SD_CONTROL": self._sdcard_control, "PYTHONUNBUFFERED": "1"}

    @property
    def _sdcard_control(self) -> str:
        """The file through which the rig arms the SD card's faults, on the Pi."""
        return self.host.path("sdcard-faults.json")

    def copy_dir(self, src: str, dst: str) -> None:
        """On the Pi: a copy beside ``dst``, then swapped in."""
        q = shlex.quote
        part = q(f"{dst}.partial")
        r = self.host.run(f"test -d {q(src)} || exit 3; mkdir -p {q(posixpath.dirname(dst))}"
                          f" && rm -rf {part} && cp -a {q(src)} {part} && rm -rf {q(dst)}"
                          f" && mv {part} {q(dst)}", check=False)
        if r.code == 3:
            raise FileNotFoundError(f"{src}: no such directory on {self.host.address}")
        if r.code != 0:
            raise OSError(f"{self.host.address}: copying {src} to {dst} failed ({r.code}): "
                          f"{r.err.strip()[-300:]}")

    # ------------------------------------------------------------------ doctor
    def run_tool(self, module: str, args: list[str], timeout: float) -> tuple[int, str]:
        """``python -m module args`` on the Pi, in the firmware's tree and environment."""
        self._prepare()
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self._env().items())
        argv = " ".join(shlex.quote(a) for a in [self.host.python, "-m", module, *args])
        r = self.host.run(f"cd {shlex.quote(self._tree)} && env {env} {argv}",
                          timeout=timeout, check=False)
        return r.code, r.out + r.err

    def probe(self) -> list[Finding]:
        """The plug answers with its relay's state; SSH reaches the Pi and its Python."""
        from rig.hardware.ssh_host import SshHostError

        found = []
        try:
            state = "on" if self.relay_on else "off"
            found.append(Finding("plug", True, f"{self.model} reports the relay {state}"))
        except Exception as e:   # whatever the plug's library raises is the finding
            found.append(Finding("plug", False, f"{self.model}: {type(e).__name__}: {e}",
                                 "check the plug's address, model and index in [power] plug"))
        try:
            self.host.connect()
            version = self.host.python_version()
            found.append(Finding("power", True, f"SSH to {self.host.address}: Python "
                                                f"{version}"))
        except SshHostError as e:
            found.append(Finding("power", False, str(e),
                                 "check [power] host, identity and known_hosts"))
        return found

    # ------------------------------------------------------------------ Part
    def config(self) -> dict[str, Any]:
        return {}

    def describe(self) -> dict[str, str]:
        return {"driver": f"ssh + labgrid NetworkPowerDriver({self.model})",
                "host": str(self.host.address)}

    # ------------------------------------------------------------------ FirmwareHost
    @property
    def pi(self) -> SshPiPower:
        # until the rig talks to FirmwareHost
        return self

    @property
    def boots(self) -> int:
        return self._boots

    @property
    def powered(self) -> bool:
        return self._relay_on and self.host.alive

    @property
    def relay_on(self) -> bool:
        """The plug's relay as the plug reports it (labgrid's ``get``, one request)."""
        return bool(self._driver.get())

    @property
    def pid(self) -> int | None:
        """The firmware's pid on the Pi, from its last boot."""
        return self.host.pid

    @property
    def console(self) -> Path:
        return self.host.console

    def set_env(self, env: dict[str, str]) -> None:
        self.extra_env.update(env)

    def reach(self, endpoint: str) -> str:
        """On 127.0.0.1 sharing this host's files (``host = "local"``): ``endpoint`` itself.
        A Pi elsewhere: a remote forward on its 127.0.0.1 to ``endpoint`` (an ``http://``
        URL or a Unix socket's absolute path), given as ``http://127.0.0.1:PORT`` with the
        URL's path, or ``tcp:127.0.0.1:PORT`` for a socket; once per endpoint."""
        if self.host.same_host:
            return endpoint
        from rig.hardware.ssh_host import is_port_open

        with self._lock:
            if endpoint in self._reached:
                return self._reached[endpoint]
            target, address = _carried(endpoint)
            a = self.host.address
            if is_port_open(a.host, a.port, REACH_PROBE):
                port = self.host.forward_remote(target)
            else:               # the Pi is off: opened when the rig connects at boot
                port = self.host.forward_remote(target, _spare(self.host.forwards), now=False)
            self._reached[endpoint] = address(port)
            return self._reached[endpoint]

    def power_on(self) -> None:
        """Plug on, the firmware started over SSH. On a plug that is on already (after a
        clean shutdown, or the SD card cut the power) the firmware is started again."""
        with self._lock:
            if self.powered:
                raise SshPiError("the Pi is already powered on")
            if self._relay_on:
                self._boot()
                return
            self._switch(True)
            if self._plug is None:
                self._boot()

    def power_off(self) -> None:
        """Plug off: a power cut, unsynced writes lost."""
        with self._lock:
            self._switch(False)
            if self._plug is None:
                self.host.forget()

    def shutdown(self, timeout: float = 10.0) -> int | None:
        """The clean way: SIGTERM over SSH, wait for the firmware to exit (SIGKILL after
        ``timeout``); the plug stays on. Returns the exit status, as EmulatedPi's does."""
        with self._lock:
            return self.host.stop(timeout)

    # ------------------------------------------------------------------ StorageFaults
    def arm_sdcard(self, **faults: object) -> None:
        """Rewrite the card's fault file on the Pi; a running firmware picks it up at its
        next sync (the file protocol of ``EmulatedPi.arm_sdcard``)."""
        if self.sdcard != "volatile":
            raise SshPiError("arm_sdcard needs sdcard = \"volatile\" in the profile's [power]")
        self._arm += 1
        self.host.write_file(self._sdcard_control,
                             json.dumps({"arm": self._arm, **faults}).encode())

    def close(self) -> None:
        from rig.hardware.ssh_host import SshHostError

        with self._lock:
            if self._relay_on and hasattr(self, "_driver"):
                with contextlib.suppress(Exception):
                    self.power_off()
            dark = self._plug is None and not self._relay_on    # a real plug cut the Pi
            if not dark and self.host.alive:
                with contextlib.suppress(SshHostError):
                    self.host.kill()
            self.host.close()                   # the forwards with it
            self._reached.clear()
            if hasattr(self, "_target"):
                with contextlib.suppress(Exception):
                    self._target.deactivate(self._driver)
            if self._plug is not None:
                self._plug.stop()
            if self._local_hosts is not None:
                self._local_hosts.stop()


def _plug_spec(plug: str | dict[str, Any]) -> tuple[str, str, int] | None:
    """A real plug's (model, URL, index) from the profile; None for the emulated one."""
    if plug == "emulated":
        return None
    if not (isinstance(plug, dict) and {"model", "host"} <= plug.keys()
            and plug.keys() <= {"model", "host", "index"}):
        raise SshPiError(f"[power] plug must be \"emulated\" or a table {{model = "
                         f"\"shelly_gen1\", host = \"192.168.1.50\", index = 0}}, not {plug!r}")
    model, url = str(plug["model"]), str(plug["host"])
    if importlib.util.find_spec(f"labgrid.driver.power.{model}") is None:
        raise SshPiError(f"[power] plug model {model!r} is not one of labgrid's "
                         "NetworkPowerDriver models (labgrid/driver/power/*.py)")
    return model, url if "://" in url else f"http://{url}", int(plug.get("index", 0))


def _carried(endpoint: str) -> tuple[ForwardTarget, Callable[[int], str]]:
    """What a forward to ``endpoint`` connects to on this host, and the address the firmware
    uses for it given the forward's port on the Pi."""
    if endpoint.startswith("/"):
        return endpoint, lambda port: f"tcp:127.0.0.1:{port}"
    url = urlsplit(endpoint)
    try:
        host, port = url.hostname, url.port or 80
    except ValueError:      # a port that is not a number
        host = None
    if url.scheme != "http" or not host:
        raise SshPiError(f"{endpoint!r} cannot be carried to the Pi: the rig forwards an "
                         "http://HOST:PORT URL or a Unix socket's absolute path")
    return (host, port), lambda p: urlunsplit(("http", f"127.0.0.1:{p}", url.path, url.query,
                                               url.fragment))


def _spare(taken: Iterable[int]) -> int:
    """A port of ``LATER_PORTS`` not in ``taken``."""
    used = set(taken)
    return random.SystemRandom().choice([p for p in LATER_PORTS if p not in used])


def _path(text: str | None) -> Path | None:
    return Path(text).expanduser() if text else None
