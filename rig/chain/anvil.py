"""Start and stop the npm-installed anvil binary.

anvil is started on ``--port 0``; the port is read from its "Listening on" line and the node
is ready once ``eth_chainId`` answers. Every anvil is an owned process (``rig.proc``), so no
anvil outlives the Python process that started it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.chain.errors import AnvilNotInstalled, AnvilStartError, ChainError
from rig.proc import kill_group, spawn_owned

ROOT = Path(__file__).resolve().parents[2]
ANVIL_BIN = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
_LISTENING = re.compile(rb"Listening on ([0-9.]+):(\d+)")

MNEMONIC = "test test test test test test test test test test test junk"
DUMP_TIMEOUT = 180.0
"""Seconds a restart waits for the state dump: a fleet's chain, with every historical state,
took more than 30 s to dump on a loaded host."""


@dataclass(frozen=True)
class AnvilOptions:
    """What anvil is started with. ``block_time`` None and ``no_mining`` False = automine."""

    chain_id: int = 31337
    accounts: int = 20
    balance_eth: int = 10_000
    block_time: float | None = None
    no_mining: bool = False
    mixed_mining: bool = False
    order: str = "fees"
    state: Path | None = None
    state_interval: int | None = None
    gas_limit: int | None = None
    base_fee: int | None = None
    hardfork: str | None = None
    extra: tuple[str, ...] = ()
    # A restart's RPC dump keeps every block's historical state too. A fleet's chain (tens of
    # thousands of blocks) takes longer than DUMP_TIMEOUT and gigabytes to dump them; its
    # restart keeps blocks, receipts, logs and the current state only.
    dump_history: bool = True

    def __post_init__(self) -> None:
        if self.order not in ("fees", "fifo"):
            raise ValueError(f"order must be 'fees' or 'fifo', not {self.order!r}")
        if self.no_mining and self.block_time is not None:
            raise ValueError("no_mining and block_time exclude each other")
        if self.mixed_mining and self.block_time is None:
            raise ValueError("mixed_mining needs a block_time")

    def argv(self, port: int = 0) -> list[str]:
        args = ["--port", str(port), "--host", "127.0.0.1", "--chain-id", str(self.chain_id),
                "--accounts", str(self.accounts), "--balance", str(self.balance_eth),
                "--mnemonic", MNEMONIC, "--order", self.order]
        if self.block_time is not None:
            args += ["--block-time", _num(self.block_time)]
        if self.no_mining:
            args.append("--no-mining")
        if self.mixed_mining:
            args.append("--mixed-mining")
        if self.state is not None:
            args += ["--state", str(self.state)]
        if self.state_interval is not None:
            args += ["--state-interval", str(self.state_interval)]
        if self.gas_limit is not None:
            args += ["--gas-limit", str(self.gas_limit)]
        if self.base_fee is not None:
            args += ["--base-fee", str(self.base_fee)]
        if self.hardfork is not None:
            args += ["--hardfork", self.hardfork]
        return args + list(self.extra)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass
class Anvil:
    """One running anvil process. Use as a context manager or call ``stop()``."""

    options: AnvilOptions = field(default_factory=AnvilOptions)
    binary: Path = ANVIL_BIN
    log_path: Path | None = None
    startup_timeout: float = 15.0
    port: int = 0
    restart_block: int | None = None    # the head when it last came back with state reloaded
    _proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._proc is not None, "anvil is not started"
        return self._proc.pid

    def version(self) -> str:
        out = subprocess.run([str(self.binary), "--version"], capture_output=True, text=True,
                             check=False)
        return out.stdout.splitlines()[0] if out.stdout else "unknown"

    def start(self) -> Anvil:
        if not self.binary.exists():
            raise AnvilNotInstalled(f"anvil binary not found at {self.binary}: run `make deps` "
                                    "(npm ci installs @foundry-rs/anvil)")
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self.log_path.write_bytes(b"")
        return self._launch(self.options.argv())

    def _launch(self, argv: list[str]) -> Anvil:
        self._proc = spawn_owned([str(self.binary), *argv], log=self.log_path)
        self.port = self._wait_port()
        self._wait_ready()
        return self

    def _log_tail(self) -> str:
        assert self.log_path is not None
        return self.log_path.read_bytes()[-2000:].decode(errors="replace")

    def _wait_port(self) -> int:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            m = _LISTENING.search(self.log_path.read_bytes())  # type: ignore[union-attr]
            if m:
                return int(m.group(2))
            code = self._proc.poll()  # type: ignore[union-attr]
            if code is not None:
                raise AnvilStartError(f"anvil exited with {code} before listening:\n"
                                      f"{self._log_tail()}")
            time.sleep(0.005)
        self.stop()
        raise AnvilStartError(f"anvil printed no 'Listening on' line in "
                              f"{self.startup_timeout}s:\n{self._log_tail()}")

    def _wait_ready(self) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                           "params": []}).encode()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            try:
                req = urllib.request.Request(self.url, body,
                                             {"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1) as resp:
                    if "result" in json.loads(resp.read()):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.005)
        self.stop()
        raise AnvilStartError(f"anvil on port {self.port} never answered eth_chainId:\n"
                              f"{self._log_tail()}")

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM lets anvil write its ``--state`` file; SIGKILL follows after ``timeout``."""
        if self._proc is not None:
            kill_group(self._proc, signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Power-cut the node: no state dump."""
        if self._proc is not None:
            kill_group(self._proc)

    def restart(self, keep_state: bool = True, down_seconds: float = 0.0) -> Anvil:
        """Stop the node and start it again on the same port, after ``down_seconds``.

        With ``keep_state`` the chain comes back as it was: blocks, receipts, logs, balances
        and nonces. With ``options.state`` anvil writes its state file itself on SIGTERM;
        otherwise the state is dumped over RPC (``anvil_dumpState``, historical states
        included) just before the stop and loaded with ``--load-state``. The time offset of
        ``evm_increaseTime`` is not part of anvil's state and is put back explicitly, so chain
        time never runs backwards. A node that is not running (killed) comes back from its
        last dump, or from genesis if there is none. Without ``keep_state`` the node restarts
        from genesis.

        A node that reloaded its state has no history below the block it came back at:
        ``restart_block`` remembers it (None after a restart from genesis), and no reorg may
        reach below it (``deepest_reorg``).

        Call from the main thread: the new process dies with the thread that spawned it.
        """
        if not self.port or self.log_path is None:
            raise ChainError("anvil was never started: restart() needs the port it ran on")
        if down_seconds < 0:
            raise ValueError(f"down_seconds must be >= 0, got {down_seconds}")
        port, offset = self.port, 0
        dump = self.log_path.with_suffix(".state.json")
        if self.running():
            if keep_state:
                offset = int(self._rpc("evm_increaseTime", 0))
                if self.options.state is None:
                    state = self._rpc("anvil_dumpState", self.options.dump_history,
                                      timeout=DUMP_TIMEOUT)
                    dump.write_bytes(gzip.decompress(bytes.fromhex(state.removeprefix("0x"))))
            self.stop()
        argv = self.options.argv(port)
        if not keep_state:
            if self.options.state is not None:
                self.options.state.unlink(missing_ok=True)
            dump.unlink(missing_ok=True)
        elif self.options.state is None and dump.exists():
            argv += ["--load-state", str(dump)]
        time.sleep(down_seconds)
        self.log_path.write_bytes(b"")
        self._launch(argv)
        restored = int(self._rpc("evm_increaseTime", 0))
        if offset > restored:
            self._rpc("evm_increaseTime", offset - restored)
        self.restart_block = int(self._rpc("eth_blockNumber"), 16) if keep_state else None
        return self

    def deepest_reorg(self, head: int) -> int:
        """How many blocks below ``head`` a reorg may replace: down to genesis, or after a
        restart with state kept down to ``restart_block`` (the node lost the states before
        it: a deeper reorg rebuilds on an empty state, without the contracts)."""
        return head - (self.restart_block or 0)

    def _rpc(self, method: str, *params: object, timeout: float = 30.0) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                reply = json.loads(resp.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            raise ChainError(f"anvil on port {self.port} did not answer {method}: {e}") from e
        if "error" in reply:
            raise ChainError(f"anvil on port {self.port} refused {method}: {reply['error']}")
        return reply["result"]

    def __enter__(self) -> Anvil:
        return self.start() if not self.running() else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
