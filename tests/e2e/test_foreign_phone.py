"""A phone the rig does not own: another process at the firmware's reader, tapped by a person.

The foreign phone (``python -m emulators.phone.foreign``) owns its key, learns its channel
from a wallet file the employer writes, is in the field only while a tap lasts and exports
what it signed. The rig's ``foreign-udp`` NFC part aims the firmware's reader at it, prompts
the person (here a shell command writing ``tap`` to the phone's control input) and reads
ground truth from the export.
"""

from __future__ import annotations

import json
import os
import random
import select
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

from rig.hardware import PartContext, create_part
from rig.hardware.parts.nfc_foreign_udp import ForeignReceiptError, ForeignUdpPhone
from rig.hardware.profile import PROFILES, load_profile
from rig.hardware.protocols import capabilities_of
from rig.harness.assemble import build_machine
from rig.harness.collect import collect_history
from rig.harness.control import ControlError
from rig.oracle import check
from rig.platform import Platform
from rig.platform.channels import channel_state

REPO = Path(__file__).resolve().parents[2]
ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"   # EIP-55's own example
SIGNATURE = "0x" + "ab" * 65


# -- the foreign phone process ----------------------------------------------------------------

@dataclass
class ForeignPhoneProc:
    proc: subprocess.Popen[bytes]
    address: str
    target: str
    taps: Path
    wallet: Path
    export: Path
    key: Path
    log: Path

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def stderr(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


def start_foreign_phone(d: Path, taps: Path, tap_timeout: float = 20.0) -> ForeignPhoneProc:
    d.mkdir(parents=True, exist_ok=True)
    key, wallet, export, log = d / "phone.key", d / "wallet.json", d / "receipts.jsonl", \
        d / "phone.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulators.phone.foreign", "--key-file", str(key),
             "--wallet-file", str(wallet), "--taps", str(taps), "--export", str(export),
             "--port", "0", "--tap-timeout", str(tap_timeout)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else b""
    if not line:
        proc.kill()
        proc.wait()
        pytest.fail(f"the foreign phone did not start: {log.read_text()}")
    hello = json.loads(line)
    return ForeignPhoneProc(proc, hello["address"], f"udp:127.0.0.1:{hello['port']}", taps,
                            wallet, export, key, log)


@pytest.fixture
def foreign_phone(tmp_path: Path) -> Iterator[ForeignPhoneProc]:
    taps = tmp_path / "phone" / "taps"
    taps.parent.mkdir()
    os.mkfifo(taps)
    phone = start_foreign_phone(tmp_path / "phone", taps)
    yield phone
    assert phone.stop() == 0, phone.stderr()


def foreign_profile(tmp_path: Path, phone: ForeignPhoneProc) -> Path:
    """profiles/emulated.toml with the phone named in its [nfc] table."""
    doc = tomllib.loads((PROFILES / "emulated.toml").read_text())
    doc["profile"]["name"] = "emulated-foreign-phone"
    doc["nfc"] = {"kind": "foreign-udp", "target": phone.target, "address": phone.address,
                  "receipts": str(phone.export),
                  "prompt": f"echo tap >> {shlex.quote(str(phone.taps))}"}
    path = tmp_path / "foreign.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


# -- end to end -------------------------------------------------------------------------------

def test_a_foreign_phone_pays_a_coffee_brewed_and_redeemed(
        foreign_phone: ForeignPhoneProc, platform: Platform, rng: random.Random,
        tmp_path: Path) -> None:
    supply = platform.token.functions.totalSupply().call()
    m = build_machine(tmp_path / "machine", platform, rng,
                      str(foreign_profile(tmp_path, foreign_phone)), phones=0)
    try:
        reader = m.parts["nfc"]
        assert isinstance(reader, ForeignUdpPhone)
        assert m.describe_parts()["nfc"] == {"kind": "foreign-udp",
                                             "driver": "nfcpy udp (foreign phone)",
                                             "device": foreign_phone.target}
        # The rig made the phone a signer of the rental's channel (as the employer does);
        # its wallet learns the channel from the onboarding file the phone's owner writes.
        customer = platform.actors.customer
        assert m.foreign_phones() == [foreign_phone.address]
        authorised = platform.payments.events.SignerAuthorized.get_logs(
            from_block=0, argument_filters={"channelId": m.rental.channel_id})
        assert foreign_phone.address in {e.args.signer for e in authorised}
        foreign_phone.wallet.write_text(json.dumps({
            "chain_id": m.chain.chain_id, "payment_provider": platform.payments.address,
            "channel_id": "0x" + m.rental.channel_id.hex(),
            "signers": [customer.address, foreign_phone.address]}))
        m.power_on()
        m.wait_synced()

        m.panel.select_product(1)
        mark = m.control.mark()
        assert m.reader.tap(None, 30) == "prompted"
        cp = m.control.wait_for("tap-done", timeout=30, after=mark)
        assert cp.data["verdict"] == "served", (cp.data, foreign_phone.stderr())
        assert cp.data["phone"] == foreign_phone.address and cp.data["sequence"] == 1

        price = m.rental.terms.prices[1]
        (dispensed,) = m.brew.dispenses()
        assert dispensed["product_id"] == 1 and dispensed["brew_id"] == cp.data["brew_id"]
        (signed,) = reader.foreign_receipts()
        assert signed["signer"] == foreign_phone.address
        assert (signed["sequence"], signed["cumulative_amount"], signed["price"],
                signed["product_id"]) == (1, price, price, 1)
        assert signed["channel_id"] == "0x" + m.rental.channel_id.hex()
        assert reader.foreign_addresses() == [foreign_phone.address]

        # The phone left with the tap: the reader polls on and never finds it again.
        polls = m.status()["nfc"]["polls"]
        m.wait_until(lambda s: s["nfc"]["polls"] >= polls + 2, timeout=10, mine=False,
                     what="two more poll cycles")
        assert m.status()["nfc"]["connected"] == 1
        with pytest.raises(ControlError):
            m.control.wait_for("tap-done", timeout=0.1, after=cp.seq)
        assert len(reader.foreign_receipts()) == 1

        m.control.request("redeem")
        m.wait_until(lambda s: any(t["kind"] == "redeem" and t["state"] == "confirmed"
                                   for t in s["outbox"]), what="redeem confirmed")
        assert channel_state(platform, m.rental.channel_id).redeemed == price

        # Ground truth: what the phone signed comes from its export, and the oracle decides
        # the invariants that read it from that.
        h = collect_history(m, "foreign-phone", 0, [], supply)
        assert h.unknown == {}
        assert [(x.phone, x.sequence, x.cumulative) for x in h.signed] == \
            [(foreign_phone.address, 1, price)]
        verdicts = {v.id: v.outcome for v in check(h).verdicts}
        assert (verdicts["INV-2"], verdicts["INV-8"]) == ("ok", "ok"), verdicts
    finally:
        m.close()


# -- the foreign phone on its own -------------------------------------------------------------

def test_the_foreign_phone_times_out_a_tap_nobody_reads_and_keeps_its_key(
        tmp_path: Path) -> None:
    taps = tmp_path / "phone" / "taps.txt"   # a plain file, followed
    phone = start_foreign_phone(tmp_path / "phone", taps, tap_timeout=0.2)
    try:
        with open(taps, "a") as f:
            f.write("tap\n")
        deadline = time.monotonic() + 10
        while "ended: timeout" not in phone.stderr():
            assert time.monotonic() < deadline, phone.stderr()
            time.sleep(0.05)
        assert "no wallet file" in phone.stderr()
    finally:
        assert phone.stop() == 0, phone.stderr()
    assert phone.export.read_text() == ""
    assert oct(phone.key.stat().st_mode & 0o777) == "0o600"
    again = start_foreign_phone(tmp_path / "phone", taps)
    try:
        assert again.address == phone.address
    finally:
        assert again.stop() == 0


# -- the part ---------------------------------------------------------------------------------

def _ctx(tmp_path: Path) -> PartContext:
    return PartContext(tmp_path, tmp_path, random.Random(0))


def _part(tmp_path: Path, **params: object) -> ForeignUdpPhone:
    settings: dict[str, object] = {"target": "udp:127.0.0.1:50201", "address": ADDRESS,
                                   "receipts": str(tmp_path / "receipts.jsonl"), **params}
    part = create_part("nfc", "foreign-udp", _ctx(tmp_path), **settings)
    assert isinstance(part, ForeignUdpPhone)
    return part


def _record(**overrides: object) -> dict[str, object]:
    return {"signer": ADDRESS, "sequence": 1, "cumulative_amount": 250, "price": 250,
            "product_id": 2, "signature": SIGNATURE, "signed_at": 1700000000.5, **overrides}


def test_the_part_configures_the_reader_and_presents_phones(tmp_path: Path) -> None:
    part = _part(tmp_path, address=ADDRESS.lower(), target="udp:localhost:50201")
    assert part.config() == {"device": "udp:localhost:50201", "poll_timeout": 0.3}
    assert part.describe() == {"driver": "nfcpy udp (foreign phone)",
                               "device": "udp:localhost:50201"}
    assert part.foreign_addresses() == [ADDRESS]
    assert "phone_presenter" in capabilities_of(part)
    assert part.foreign_receipts() == []   # the phone exported nothing yet
    part.remove()   # a person takes the phone away: nothing to do, nothing to fail
    part.close()


@pytest.mark.parametrize("target", [
    "udp:127.0.0.1", "127.0.0.1:50201", "usb:054c:06c3", "udp:127.0.0.1:0",
    "udp:127.0.0.1:70000", "udp::50201", "udp:127.0.0.1:port", "udp:bad host:50201", 50201,
])
def test_a_target_that_is_not_udp_host_port_is_refused_naming_the_setting(
        tmp_path: Path, target: object) -> None:
    with pytest.raises(ValueError, match=r"\[nfc\] target"):
        _part(tmp_path, target=target)


@pytest.mark.parametrize("address", [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",   # one letter's case off: bad checksum
    "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", "phone1", "", 42,
])
def test_an_address_that_is_not_a_wallet_address_is_refused(tmp_path: Path,
                                                            address: object) -> None:
    with pytest.raises(ValueError, match=r"\[nfc\] address"):
        _part(tmp_path, address=address)


def test_missing_settings_and_bad_timeouts_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs receipts"):
        create_part("nfc", "foreign-udp", _ctx(tmp_path), target="udp:127.0.0.1:1",
                    address=ADDRESS)
    with pytest.raises(ValueError, match="tap_timeout"):
        _part(tmp_path, tap_timeout=0)
    with pytest.raises(ValueError, match="poll_timeout"):
        _part(tmp_path, poll_timeout="fast")


def test_a_profile_can_name_a_foreign_phone(tmp_path: Path) -> None:
    doc = tomllib.loads((PROFILES / "emulated.toml").read_text())
    doc["nfc"] = {"kind": "foreign-udp", "target": "udp:127.0.0.1:50201", "address": ADDRESS,
                  "receipts": "receipts.jsonl"}
    (tmp_path / "p.toml").write_text(tomli_w.dumps(doc))
    profile = load_profile(tmp_path / "p.toml")
    assert profile.kind("nfc") == "foreign-udp"
    assert profile.params("nfc")["target"] == "udp:127.0.0.1:50201"


def test_the_export_is_read_and_a_malformed_line_is_named_with_its_number(
        tmp_path: Path) -> None:
    part = _part(tmp_path)
    export = tmp_path / "receipts.jsonl"
    second = _record(sequence=2, cumulative_amount=500, signer=ADDRESS.lower())
    export.write_text(json.dumps(_record()) + "\n\n" + json.dumps(second) + "\n")
    got = part.foreign_receipts()
    assert [r["sequence"] for r in got] == [1, 2] and got[1]["signer"] == ADDRESS
    export.write_text(json.dumps(_record()) + "\n" + json.dumps(second) + "\n"
                      + json.dumps(_record(sequence=3))[:40])   # a line being written
    assert len(part.foreign_receipts()) == 2
    for bad in ("{not json", json.dumps(_record(price=-1)), json.dumps([1, 2]),
                json.dumps({k: v for k, v in _record().items() if k != "signature"}),
                json.dumps(_record(signature="0x1234")), json.dumps(_record(signer="me"))):
        export.write_text(json.dumps(_record()) + "\n" + bad + "\n")
        with pytest.raises(ForeignReceiptError, match=r"receipts\.jsonl line 2: ") as e:
            part.foreign_receipts()
        assert (e.value.path, e.value.line) == (export, 2)


def test_a_tap_runs_the_prompt_with_the_address_and_returns_at_once(tmp_path: Path) -> None:
    out = tmp_path / "told"
    part = _part(tmp_path, prompt=f"sleep 0.2; echo {{phone}} >> {shlex.quote(str(out))}")
    started = time.monotonic()
    assert part.tap(None, 30) == "prompted"
    assert time.monotonic() - started < 0.2 and not out.exists()
    deadline = time.monotonic() + 10
    while not (out.exists() and out.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert out.read_text() == ADDRESS + "\n"
    with pytest.raises(ValueError, match="only by the foreign phone"):
        part.tap("0x" + "11" * 20, 30)   # a phone the rig owns cannot be put here
    part.close()


def test_the_default_prompt_tells_the_person_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    part = _part(tmp_path)
    part.tap(ADDRESS.lower(), 30)
    assert capsys.readouterr().err == f"tap the phone {ADDRESS} on the reader now\n"


def _sign_apdu(key: dict[str, object], sequence: int, cumulative: int, price: int,
               product: int) -> bytes:
    data = (int(str(key["chain_id"])).to_bytes(8, "big")
            + bytes.fromhex(str(key["payment_provider"])[2:])
            + bytes.fromhex(str(key["channel_id"])[2:]) + sequence.to_bytes(8, "big")
            + cumulative.to_bytes(32, "big") + price.to_bytes(32, "big")
            + product.to_bytes(2, "big") + bytes(65))
    return bytes([0x80, 0x10, 0, 0, len(data)]) + data + b"\x00"


def test_the_foreign_phone_exports_before_it_answers_and_remembers_after_a_restart(
        tmp_path: Path) -> None:
    from emulators.phone.foreign import ForeignPhone

    key, wallet, export = tmp_path / "k", tmp_path / "wallet.json", tmp_path / "r.jsonl"
    channel = {"chain_id": 31337, "payment_provider": ADDRESS, "channel_id": "0x" + "07" * 32,
               "signers": [ADDRESS]}
    wallet.write_text(json.dumps(channel))
    sign = _sign_apdu(channel, 1, 250, 250, 3)
    phone = ForeignPhone(key, wallet, export, seed=1)
    try:
        phone.learn_channel()
        answer = phone.phone.process_apdu(sign)
        assert answer.completes and answer.response is not None
        assert answer.response.endswith(b"\x90\x00")
        (line,) = export.read_text().splitlines()
        record = json.loads(line)
        assert record["signature"] == "0x" + answer.response[:-2].hex()
        assert {k: record[k] for k in ("signer", "sequence", "cumulative_amount", "price",
                                       "product_id")} == \
            {"signer": phone.address, "sequence": 1, "cumulative_amount": 250, "price": 250,
             "product_id": 3}
        address = phone.address
    finally:
        phone.close()
    with open(export, "a") as f:
        f.write('{"counter": 2, "sig')   # a line cut short as the phone stopped
    again = ForeignPhone(key, wallet, export, seed=1)
    try:
        assert again.address == address
        assert export.read_text() == line + "\n"   # the unfinished line was cut off
        again.learn_channel()
        stale = again.phone.process_apdu(sign)
        assert stale.response == b"\x69\x86"      # it already signed sequence 1
    finally:
        again.close()
