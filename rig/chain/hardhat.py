"""Start and stop Hardhat's node (npm ``hardhat`` 2.x): the rig's proof that it runs on an
Ethereum dev node other than Anvil.

Hardhat reads its chain settings from a config file; one is written to a temporary
directory (chain id, the ``cancun`` hardfork the contracts need, the dev mnemonic with
funded accounts, automine or interval mining). The node runs from the repository root, where
the locally installed hardhat is (Hardhat refuses a non-local installation). Like anvil it is
an owned process in its own process group (``rig.proc``), ready once ``eth_chainId``
answers, and stopped at exit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rig.chain.anvil import MNEMONIC, ROOT
from rig.chain.errors import ChainError
from rig.proc import kill_group, spawn_owned

HARDHAT_BIN = ROOT / "node_modules" / ".bin" / "hardhat"


class HardhatNotInstalled(ChainError):
    """The npm-installed hardhat is missing."""


class HardhatStartError(ChainError):
    """Hardhat's node did not come up; the message carries the tail of its log."""


@dataclass(frozen=True)
class HardhatOptions:
    """What the node is started with. ``interval_ms`` None = automine (a block per tx)."""

    chain_id: int = 31337
    hardfork: str = "cancun"
    accounts: int = 20
    balance_eth: int = 10_000
    interval_ms: int | None = None

    def config(self) -> str:
        mining = ({"auto": True} if self.interval_ms is None
                  else {"auto": False, "interval": self.interval_ms})
        network = {
            "chainId": self.chain_id, "hardfork": self.hardfork,
            "accounts": {"mnemonic": MNEMONIC, "count": self.accounts,
                         "accountsBalance": str(self.balance_eth * 10**18)},
            "mining": mining,
            # Like any other node: a mined failure is a receipt with status 0, not an
            # error answer to eth_sendRawTransaction (the firmware reads receipts).
            "throwOnTransactionFailures": False,
            "throwOnCallFailures": True,
        }
        return ("// written by rig.chain.hardhat\nmodule.exports = "
                + json.dumps({"networks": {"hardhat": network}}, indent=1) + ";\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class HardhatNode:
    """One running Hardhat node. Use as a context manager or call ``stop()``."""

    options: HardhatOptions = field(default_factory=HardhatOptions)
    binary: Path = HARDHAT_BIN
    log_path: Path | None = None
    startup_timeout: float = 60.0
    port: int = 0
    _proc: subprocess.Popen | None = None
    _dir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def version(self) -> str:
        pkg = ROOT / "node_modules" / "hardhat" / "package.json"
        return f"hardhat {json.loads(pkg.read_text())['version']}" if pkg.exists() else "unknown"

    def start(self) -> HardhatNode:
        if not self.binary.exists():
            raise HardhatNotInstalled(f"hardhat not found at {self.binary}: run `make deps` "
                                      "(npm installs the locked hardhat 2.x)")
        self._dir = Path(tempfile.mkdtemp(prefix="rig-hardhat-"))
        config = self._dir / "hardhat.config.js"
        config.write_text(self.options.config())
        if self.log_path is None:
            self.log_path = self._dir / "node.log"
        self.log_path.write_bytes(b"")
        self.port = self.port or free_port()
        env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
               "DO_NOT_TRACK": "1"}
        self._proc = spawn_owned(
            [str(self.binary), "--config", str(config), "node", "--hostname", "127.0.0.1",
             "--port", str(self.port)], log=self.log_path, env=env, cwd=ROOT)
        self._wait_ready()
        return self

    def _log_tail(self) -> str:
        assert self.log_path is not None
        return self.log_path.read_bytes()[-2000:].decode(errors="replace")

    def _wait_ready(self) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                           "params": []}).encode()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()  # type: ignore[union-attr]
            if code is not None:
                raise HardhatStartError(f"hardhat exited with {code} before answering:\n"
                                        f"{self._log_tail()}")
            try:
                req = urllib.request.Request(self.url, body,
                                             {"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1) as resp:
                    if "result" in json.loads(resp.read()):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise HardhatStartError(f"hardhat on port {self.port} never answered eth_chainId "
                                f"within {self.startup_timeout} s:\n{self._log_tail()}")

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self._proc is not None:
            kill_group(self._proc, signal.SIGTERM, timeout)
        if self._dir is not None and self.log_path is not None \
                and not self.log_path.is_relative_to(self._dir):
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> HardhatNode:
        return self.start() if not self.running() else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
