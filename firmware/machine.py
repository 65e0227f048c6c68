"""The machine: wires the ports chosen by configuration and runs the loops.

Three loops share one durable store: NFC taps (payment desk), the chain (sync, outbox,
redeem, service) and the sensors. Blocking drivers (nfcpy, pyserial, smbus2, web3) run in
worker threads so a slow chain never delays a coffee.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

from firmware.board_sync import sync_with_board
from firmware.brew import BrewBoard
from firmware.chain import ChainClient
from firmware.clock import Clock
from firmware.config import MachineConfig
from firmware.log import log
from firmware.nfc import NfcReader, ReaderUnavailable
from firmware.payment import PaymentDesk
from firmware.rigport import RigPort
from firmware.sensors import SensorMonitor, open_bus
from firmware.store import BrewState, Store, TxState


class Machine:
    def __init__(self, cfg: MachineConfig):
        self.cfg = cfg
        self.clock = Clock()
        test = cfg.test
        self.port = RigPort(test.control if test else None, test.hold if test else (),
                            self.clock)
        self.store = Store(cfg.data_dir / "machine.db", sync=not cfg.defect("no_fsync"))
        self.boot_no = self.store.boot()
        self.board = BrewBoard(cfg.brew_port, brew_timeout=cfg.brew_timeout)
        bus = open_bus(cfg.sensor_bus)
        self.sensors = SensorMonitor(bus)
        self._bus_driver = f"{type(bus).__module__}.{type(bus).__name__} on {cfg.sensor_bus}"
        self.chain = ChainClient(cfg, self.store, self.port, self.clock,
                                 active_faults=self._fault_codes)
        self._board_synced = False
        self.desk = PaymentDesk(cfg, self.store, self.board, self.port, self.chain.view,
                                self.sensors.brewing_unsafe_reason,
                                self.sensors.selected_product,
                                board_synced=lambda: self._board_synced,
                                closed_window_reason=self.chain.closed_window_reason,
                                deposit_now=self.chain.deposit_now)
        self.reader = NfcReader(cfg.nfc_device)
        self.port.handlers.update(status=lambda _m: self.status(),
                                  redeem=lambda _m: self.chain.request_redeem())
        self._stop = asyncio.Event()

    def _fault_codes(self) -> list[tuple[int, str]]:
        return [(f.code, f"{f.sensor}:{f.kind}") for f in self.sensors.faults()]

    def status(self) -> dict[str, Any]:
        latest = self.store.latest_receipt()
        return {
            "boot": self.boot_no,
            "online": self.chain.online,
            "latest": None if latest is None else {
                "sequence": latest.sequence, "cumulative": latest.cumulative,
                "signer": latest.signer, "origin": latest.origin},
            "credits": self.store.credit_balance(),
            "unfinished_brews": [b.brew_id for b in self.store.brews(BrewState.PAID,
                                                                      BrewState.STARTED)],
            "outbox": [{"kind": t.kind, "nonce": t.nonce, "hash": t.tx_hash,
                        "state": t.state.value, "meta": t.meta}
                       for t in self.store.outbox()],
            "open_tx": len(self.store.outbox(TxState.SIGNED, TxState.BROADCAST,
                                             TxState.MINED)),
            "view": self.chain.view().to_json(),
            "tickets": self.store.get("tickets", {}),
            "checked_in": bool(self.store.get("checked_in")),
            "sensor_faults": self._fault_codes(),
            "nfc": dataclasses.asdict(self.reader.stats),
        }

    def devices(self) -> dict[str, str]:
        """Which driver reached which device: the evidence of the code path a run used."""
        return {"nfc": self.reader.describe(), "sensors": self._bus_driver,
                "brew": f"pyserial on {self.cfg.brew_port}"}

    async def run(self) -> None:
        log("boot", boot=self.boot_no, config=str(self.cfg.source),
            defects=sorted(self.cfg.defects), devices=self.devices())
        self._board_synced = await asyncio.to_thread(sync_with_board, self.store, self.board,
                                                     self.cfg.prices)
        self.port.checkpoint("booted", boot=self.boot_no, devices=self.devices())
        loops = [self._loop(self._nfc_round, 0.0), self._loop(self._chain_round,
                                                              self.cfg.chain.sync_interval),
                 self._loop(self._sensor_round, self.cfg.sensor_interval),
                 self._loop(self._recovery_round, 1.0)]
        tasks = [asyncio.create_task(c) for c in loops]
        await self._stop.wait()
        for t in tasks:
            t.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks)

    def stop(self) -> None:
        self._stop.set()

    async def _loop(self, round_: Any, interval: float) -> None:
        while True:
            try:
                await asyncio.to_thread(round_)
            except ReaderUnavailable as e:
                log("nfc-reader-unavailable", error=str(e))
                await asyncio.sleep(1.0)
            except Exception as e:  # one failing round must not stop the machine
                log("loop-error", loop=round_.__name__, error=repr(e))
                await asyncio.sleep(0.5)
            if interval:
                await asyncio.sleep(interval)

    def _nfc_round(self) -> None:
        failed = self.reader.stats.failed
        session = self.reader.poll(self.cfg.nfc_poll_timeout)
        if self.reader.stats.failed > failed:
            log("nfc-activation-failed", count=self.reader.stats.failed - failed,
                error=self.reader.stats.last_failure)
        if session is None:
            return
        result = self.desk.serve(session)
        facts = {"verdict": result.verdict.value, "reason": result.reason,
                 "phone": result.phone, "brew_id": result.brew_id, "sequence": result.sequence,
                 "timings_ms": {k: round(v, 3) for k, v in result.timings.items()}}
        log("tap", **facts)
        self.port.checkpoint("tap-done", **facts)

    def _chain_round(self) -> None:
        self.chain.step()

    def _sensor_round(self) -> None:
        self.sensors.read()

    def _recovery_round(self) -> None:
        if not self._board_synced:
            self._board_synced = sync_with_board(self.store, self.board, self.cfg.prices)
            if not self._board_synced:
                return
        if self.store.brews(BrewState.PAID, BrewState.STARTED):
            self.desk.resolve_unfinished()

    def close(self) -> None:
        for closer in (self.reader.close, self.board.close, self.store.close):
            with contextlib.suppress(Exception):
                closer()
