"""``python -m firmware --config machine.toml``: the program that runs on the Pi."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from firmware.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="firmware", description="CoffeePay machine firmware")
    ap.add_argument("--config", required=True, help="path to machine.toml")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        print(f"firmware: bad config: {e}", file=sys.stderr)
        return 2
    from firmware.machine import Machine

    machine = Machine(cfg)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, machine.stop)
        await machine.run()

    try:
        asyncio.run(run())
    finally:
        machine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
