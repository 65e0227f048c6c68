"""Coverage-guided fuzzing of the same parsers as ``tests/fuzz/``, with atheris (libFuzzer).

    python -m bench.atheris_targets PARSER [libFuzzer flags and corpus dirs]
    python -m bench.atheris_targets PARSER --seeds DIR    # valid inputs to start a corpus
    python -m bench.atheris_targets brew_board --seeds build/corpus/brew_board
    python -m bench.atheris_targets brew_board -runs=100000 -artifact_prefix=build/fuzz/ \
        build/corpus/brew_board

Atheris is optional (not in requirements.lock): the Hypothesis fuzzers run without it. Each
target feeds the raw bytes to one parser and lets only the parser's documented errors pass;
anything else is a crash that libFuzzer saves as ``crash-<sha1>`` for replay. Known open
bugs (pinned by ``xfail`` tests) are tolerated unless ``COFFEEPAY_FUZZ_STRICT=1``.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

try:
    import atheris
except ImportError:  # pragma: no cover - depends on the optional install
    HAVE_ATHERIS = False
else:
    HAVE_ATHERIS = True

STRICT = os.environ.get("COFFEEPAY_FUZZ_STRICT") == "1"

# types-atheris (a partial stub) leaves out instrument_imports, which atheris exports.
with (atheris.instrument_imports(  # type: ignore[attr-defined]
        include=["firmware", "emulators", "rig"])
      if HAVE_ATHERIS else contextlib.nullcontext()):
    from emulators.brewboard import replies
    from emulators.brewboard.commands import parse_command as board_parse_command
    from emulators.brewboard.errors import CommandError
    from emulators.phone import apdu as phone_apdu
    from emulators.phone.applet import CoffeePayApplet
    from emulators.phone.channels import ChannelKey
    from emulators.phone.wallet import Wallet
    from emulators.sensors import wire as bus_wire
    from emulators.sensors.errors import FrameError
    from firmware.brew import messages as brew_messages
    from firmware.brew.errors import BrewCodecError
    from firmware.brew.messages import parse_reply
    from firmware.config import ConfigError, load_config
    from firmware.nfc import apdu as reader_apdu
    from firmware.nfc.errors import NfcError
    from firmware.nfc.messages import ZERO_SIGNATURE, ChannelRef, SignRequest
    from firmware.sensors import wire as fw_wire
    from firmware.sensors.errors import BusProtocolError
    from rig.scenario import ScenarioError, load_scenario

SCRATCH = Path(tempfile.mkdtemp(prefix="coffeepay-atheris-"))
ACCOUNT = Wallet.generate(random.Random(20240601)).account
KNOWN = ChannelKey(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", bytes(range(32)))
STATUS_WORDS = {v for k, v in vars(phone_apdu).items() if k.startswith("SW_")}


def _known_open_bug(exc: BaseException) -> bool:
    """The scenario loader's open bugs, each pinned by an xfail test in tests/fuzz/."""
    text = str(exc)
    return not STRICT and (
        isinstance(exc, UnicodeDecodeError | RecursionError)
        or (isinstance(exc, TypeError) and "not supported between instances" in text)
        or (isinstance(exc, ValueError) and "integer string conversion" in text)
        or (isinstance(exc, OverflowError) and "too large to convert to float" in text))


def nfc_reader(data: bytes) -> None:
    for decode in (reader_apdu.decode_select, reader_apdu.decode_sign_receipt,
                   reader_apdu.decode_get_last_receipt):
        try:
            decode(data)
        except NfcError as exc:
            assert str(exc), "NfcError without a message"


def phone_applet(data: bytes) -> None:
    wallet = Wallet(ACCOUNT)
    wallet.set_channel(KNOWN, [ACCOUNT.address])
    response = CoffeePayApplet(wallet).process(data)
    assert response[-2:] in STATUS_WORDS, f"unknown status word in {response.hex()}"
    with contextlib.suppress(phone_apdu.ApduLengthError):
        phone_apdu.parse_command(data)


def brew_firmware(data: bytes) -> None:
    try:
        parse_reply(data)
    except BrewCodecError as exc:
        assert exc.kind in {"checksum", "framing", "verb", "args", "range"}


def brew_board(data: bytes) -> None:
    try:
        board_parse_command(data)
    except CommandError as exc:
        assert exc.code in {"CHECKSUM", "FRAMING", "TOOLONG", "VERB", "ARGS", "RANGE"}


def sensor_wire_firmware(data: bytes) -> None:
    try:
        length = fw_wire.parse_result_header(data[:fw_wire.HEADER.size])
        fw_wire.parse_result_body(data[fw_wire.HEADER.size:fw_wire.HEADER.size + length])
    except BusProtocolError:
        pass


def sensor_wire_emulator(data: bytes) -> None:
    try:
        length = bus_wire.parse_header(data[:bus_wire.HEADER.size])
        bus_wire.parse_body(data[bus_wire.HEADER.size:bus_wire.HEADER.size + length])
    except FrameError:
        pass


def scenario_loader(data: bytes) -> None:
    path = SCRATCH / "scenario.yaml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ScenarioError:
        pass
    except Exception as exc:
        if not _known_open_bug(exc):
            raise


def config(data: bytes) -> None:
    path = SCRATCH / "machine.toml"
    path.write_bytes(data)
    with contextlib.suppress(ConfigError):
        load_config(path)


TARGETS: dict[str, Callable[[bytes], None]] = {
    f.__name__: f for f in (nfc_reader, phone_applet, brew_firmware, brew_board,
                            sensor_wire_firmware, sensor_wire_emulator, scenario_loader, config)
}


def seeds() -> dict[str, list[bytes]]:
    """Valid inputs per target: a checksum or a length prefix is hard to find by mutation
    alone, easy to keep once a corpus starts past it."""
    ref = ChannelRef(KNOWN.chain_id, bytes.fromhex(KNOWN.contract[2:]), KNOWN.channel_id)
    sign = reader_apdu.encode_sign_receipt(SignRequest(ref, 1, 250, 250, 1, ZERO_SIGNATURE))
    root = Path(__file__).resolve().parents[1]
    return {
        "nfc_reader": [b"\x01" + bytes(20) + b"\x90\x00", bytes(65) + b"\x90\x00",
                       bytes(105) + b"\x90\x00", b"\x6a\x88", b"\x69\x85"],
        "phone_applet": [reader_apdu.encode_select(), sign,
                         reader_apdu.encode_get_last_receipt(ref)],
        "brew_firmware": [replies.ack(1, 2), replies.nak(1, 2, replies.NakReason.BUSY),
                          replies.done(2, 1, 9), replies.result(3, 2, "DONE", 1, 9),
                          replies.stat(4, busy=False, firmware="1.0", resets=0, dispensed=0,
                                       high_water=2, current=0), replies.err(None, "VERB")],
        "brew_board": [brew_messages.encode_brew(1, 2, 3), brew_messages.encode_query(1, 2),
                       brew_messages.encode_ping(1), brew_messages.encode_status(1)],
        "sensor_wire_firmware": [bus_wire.encode_result(0, b"\x12\x34"),
                                 bus_wire.encode_result(121, b"no device")],
        "sensor_wire_emulator": [fw_wire.encode_request([fw_wire.BusMessage.write(0x48, b"\0"),
                                                         fw_wire.BusMessage.read(0x48, 2)])],
        "scenario_loader": [p.read_bytes() for p in sorted((root / "scenarios").glob("*.yaml"))],
        "config": [SAMPLE_CONFIG.encode()],
    }


SAMPLE_CONFIG = """[machine]
key = "0x4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c"
data_dir = "/var/lib/coffeepay"
[chain]
rpc_url = "http://127.0.0.1:8545"
chain_id = 31337
payment_provider = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
rental_provider = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"
channel_id = "0xabababababababababababababababababababababababababababababababab"
rental_id = 7
sync_interval = 2.0
[prices]
1 = 2500000
[nfc]
device = "tty:AMA0"
[brew]
port = "/dev/ttyUSB0"
[sensors]
bus = 1
[test]
control = "/tmp/rig.sock"
hold = ["booted"]
[defects]
no_fsync = true
"""


def write_seeds(target: str, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    found = seeds()[target]
    for i, data in enumerate(found):
        (directory / f"seed-{i:03d}").write_bytes(data)
    return len(found)


def main(argv: list[str]) -> int:
    if not HAVE_ATHERIS:
        print("bench.atheris_targets: atheris is not installed (pip install atheris); the "
              "Hypothesis fuzzers (python -m bench.fuzz_nightly) need nothing extra",
              file=sys.stderr)
        return 2
    if len(argv) < 2 or argv[1] not in TARGETS:
        print(f"usage: python -m bench.atheris_targets {{{','.join(TARGETS)}}} "
              f"[libFuzzer flags] [corpus dirs]", file=sys.stderr)
        return 2
    if argv[2:3] == ["--seeds"] and len(argv) == 4:
        print(f"wrote {write_seeds(argv[1], Path(argv[3]))} seed(s) to {argv[3]}")
        return 0
    target = TARGETS[argv[1]]
    atheris.Setup([argv[0], *argv[2:]], target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
