"""The firmware's BrewBoard client against the emulated board, through a real pty."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import serial

from emulators.brewboard import (
    DispenseLog,
    EmulatedBrewBoard,
    FaultConfigError,
    FlashError,
    Garble,
    LostReply,
    NoWater,
    Product,
    Silence,
    SlowBrew,
    make_fault,
)
from firmware.brew import (
    BrewBoard,
    BrewBoardClosed,
    BrewBoardTimeout,
    BrewBoardUnavailable,
    BrewState,
)
from firmware.brew.messages import Ack, encode_brew, encode_query, parse_reply

SCALE = 0.015
ESPRESSO, HOT_WATER, SHOT, MARATHON = 1, 6, 9, 42
PRODUCTS = {p.product_id: p for p in (
    Product(ESPRESSO, "espresso", 25.0),      # 0.375 s at SCALE: longer than one reply timeout
    Product(HOT_WATER, "hot water", 20.0),
    Product(SHOT, "test shot", 1.0),          # 15 ms: for tests that only need outcomes
    Product(MARATHON, "descaling", 600.0),    # 9 s: still running when the test ends
)}
TIMEOUT = 0.3   # below the espresso (0.375 s), with room for a slow reply on a busy host


def make_board(tmp_path: Path, **options) -> EmulatedBrewBoard:
    options.setdefault("products", PRODUCTS)
    options.setdefault("time_scale", SCALE)
    options.setdefault("dispense_log_path", tmp_path / "dispensed.jsonl")
    return EmulatedBrewBoard(tmp_path / "flash.json", **options)


def make_client(board: EmulatedBrewBoard, **options) -> BrewBoard:
    options.setdefault("timeout", TIMEOUT)
    options.setdefault("brew_timeout", 10.0)
    options.setdefault("poll_interval", 0.5)
    return BrewBoard(board.port, **options)


@pytest.fixture
def board(tmp_path):
    board = make_board(tmp_path)
    yield board
    board.close()


@pytest.fixture
def client(board):
    client = make_client(board)
    yield client
    client.close()


def dispensed_ids(board: EmulatedBrewBoard) -> list[int]:
    return [record.brew_id for record in board.dispenses.records()]


# -- the normal path ----------------------------------------------------------------------

def test_brew_returns_done_and_records_exactly_one_dispense(board):
    with make_client(board, poll_interval=None) as client:  # the DONE line alone must do
        outcome = client.brew(1, ESPRESSO)

    assert outcome.state is BrewState.DONE and outcome.dispensed
    assert (outcome.product_id, outcome.dispense_no) == (ESPRESSO, 1)
    [record] = board.dispenses.records()
    assert (record.seq, record.brew_id, record.product_id) == (1, 1, ESPRESSO)
    assert record.started_at <= record.ended_at
    [entry] = board.nv_entries()
    assert (entry.brew_id, entry.state, entry.dispense_no) == (1, "DONE", 1)


def test_status_reports_versions_counters_and_high_water(board, client):
    client.brew(7, SHOT)
    status = client.status()
    assert status.ready and status.current == 0
    assert (status.protocol, status.firmware) == (1, "emu-1.0")
    assert (status.resets, status.dispensed, status.high_water) == (1, 1, 7)
    client.ping()


def test_dispense_log_serialises_to_json_and_back(board, client):
    client.brew(1, SHOT)
    client.brew(2, HOT_WATER)
    text = board.dispenses.to_json()
    assert [item["brew_id"] for item in json.loads(text)] == [1, 2]
    assert DispenseLog.from_json(text) == board.dispenses.records()


# -- brew failures ------------------------------------------------------------------------

def test_no_water_fails_after_ack_and_dispenses_nothing(board, client):
    board.inject(NoWater())

    outcome = client.brew(1, ESPRESSO)

    assert (outcome.state, outcome.reason) == (BrewState.FAILED, "NO_WATER")
    assert not outcome.dispensed
    assert dispensed_ids(board) == []
    assert client.query(1).reason == "NO_WATER"
    assert client.brew(2, SHOT).dispensed, "no_water must fire once only"
    assert dispensed_ids(board) == [2]
    assert [e.fault for e in board.fault_events()] == ["no_water"]


def test_busy_board_refuses_a_second_brew_without_logging_it(tmp_path, board, client):
    with serial.serial_for_url(board.port, timeout=2) as raw:
        raw.write(encode_brew(900, 1, MARATHON))
        assert parse_reply(raw.readline()) == Ack(900, 1)

    outcome = client.brew(2, SHOT)

    assert (outcome.state, outcome.reason) == (BrewState.REJECTED, "BUSY")
    assert client.status().current == 1
    assert client.query(2).state is BrewState.UNKNOWN


def test_slow_brew_holds_the_running_brew_busy_until_healed(board, client):
    board.inject(SlowBrew())
    with serial.serial_for_url(board.port, timeout=2) as raw:
        raw.write(encode_brew(900, 1, SHOT))
        assert parse_reply(raw.readline()) == Ack(900, 1)

    assert not board.wait_idle(0.3), "the 15 ms shot must still be running"
    assert client.query(1).state is BrewState.RUNNING
    assert not client.status().ready
    assert client.brew(2, SHOT).reason == "BUSY"

    assert board.heal("slow_brew") == 1
    assert board.wait_idle(5)
    assert client.query(1).dispensed
    assert client.brew(2, SHOT).dispensed
    assert dispensed_ids(board) == [1, 2]


def test_unknown_product_and_reused_id_with_other_product_are_rejected(board, client):
    assert client.brew(1, 777).reason == "BAD_PRODUCT"
    assert client.brew(1, SHOT).dispensed, "a refused id may be used again"
    assert client.brew(1, HOT_WATER).reason == "CONFLICT"
    assert dispensed_ids(board) == [1]


def test_brew_id_below_high_water_is_rejected_as_stale(board, client):
    client.brew(5, SHOT)
    outcome = client.brew(3, SHOT)
    assert (outcome.state, outcome.reason) == (BrewState.REJECTED, "STALE")
    assert client.query(3).state is BrewState.UNKNOWN
    assert dispensed_ids(board) == [5]


# -- idempotency --------------------------------------------------------------------------

def test_duplicate_brew_id_never_dispenses_twice(board, client):
    first = client.brew(4, ESPRESSO)
    again = client.brew(4, ESPRESSO)

    assert first == again and again.dispense_no == 1
    assert dispensed_ids(board) == [4]


def test_duplicate_brew_while_running_is_acked_and_dispenses_once(board):
    with serial.serial_for_url(board.port, timeout=2) as raw:
        raw.write(encode_brew(1, 8, ESPRESSO) + encode_brew(2, 8, ESPRESSO))
        replies = [parse_reply(raw.readline()) for _ in range(3)]
    assert replies[:2] == [Ack(1, 8), Ack(2, 8)]
    assert replies[2].brew_id == 8 and replies[2].dispense_no == 1
    assert board.wait_idle(5)
    assert dispensed_ids(board) == [8]


# -- line faults --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["corrupt", "junk"])
def test_garbled_ack_is_skipped_and_the_brew_happens_once(board, client, mode):
    board.inject(Garble(random.Random(7), mode=mode, verb="ACK"))

    outcome = client.brew(1, ESPRESSO)

    assert outcome.dispensed
    assert dispensed_ids(board) == [1]
    assert sum(client.stats.garbled.values()) >= 1
    assert [e.hook for e in board.fault_events()] == ["tx"]


def test_garbled_command_gets_err_and_is_resent(board, client):
    board.inject(Garble(random.Random(3), direction="rx"))

    assert client.brew(1, ESPRESSO).dispensed

    assert client.stats.board_errors == 1 and client.stats.resent >= 1
    assert dispensed_ids(board) == [1]


def test_garbage_forever_ends_in_timeout_not_a_crash(board, client):
    board.inject(Garble(random.Random(5), direction="rx", count=None))

    with pytest.raises(BrewBoardTimeout):
        client.brew(1, SHOT)

    assert client.stats.board_errors == 3
    assert dispensed_ids(board) == []
    board.heal("garble")
    assert client.brew(1, SHOT).dispensed


@pytest.mark.parametrize("executed", [True, False])
def test_lost_ack_is_resent_with_the_same_id_and_dispenses_once(board, client, executed):
    board.inject(LostReply(verb="ACK", executed=executed))

    outcome = client.brew(1, ESPRESSO)

    assert outcome.dispensed
    assert client.stats.resent >= 1
    assert dispensed_ids(board) == [1]
    assert [e.brew_id for e in board.nv_entries()] == [1]


def test_lost_done_is_recovered_by_polling(board, client):
    board.inject(LostReply(verb="DONE"))

    outcome = client.brew(1, ESPRESSO)

    assert (outcome.state, outcome.dispense_no) == (BrewState.DONE, 1)
    assert dispensed_ids(board) == [1]
    assert [e.fault for e in board.fault_events()] == ["lost_reply"]


def test_lost_done_without_polling_times_out_then_query_tells_done(board):
    board.inject(LostReply(verb="DONE"))
    with make_client(board, poll_interval=None) as client:
        with pytest.raises(BrewBoardTimeout) as raised:
            client.brew(1, ESPRESSO, max_wait=1.0)
        assert raised.value.acknowledged
        assert board.wait_idle(5)

        outcome = client.query(1)

    assert (outcome.state, outcome.dispense_no) == (BrewState.DONE, 1)
    assert dispensed_ids(board) == [1]


def test_silent_board_raises_timeout_naming_what_was_sent(board, client):
    board.inject(Silence())

    with pytest.raises(BrewBoardTimeout) as raised:
        client.brew(1, SHOT)

    error = raised.value
    assert (error.attempts, error.acknowledged) == (3, False)
    assert "BREW brew_id=1 product_id=9" in str(error) and board.port in str(error)
    assert error.waited > 0
    assert dispensed_ids(board) == []
    assert board.heal() == 1
    assert client.query(1).state is BrewState.UNKNOWN


def test_silence_with_a_duration_heals_itself(board, client):
    board.inject(Silence(duration=0.1))
    client.ping()
    assert client.stats.resent >= 1
    assert board.active_faults() == ()


# -- persistence: the board's flash and the board's power ---------------------------------

def test_nv_log_survives_recreating_the_board_object(tmp_path):
    with make_board(tmp_path) as board, make_client(board) as client:
        client.brew(1, SHOT)
        board.inject(NoWater())
        client.brew(2, SHOT)

    with make_board(tmp_path) as board, make_client(board) as client:
        assert client.query(1).state is BrewState.DONE
        assert client.query(2).reason == "NO_WATER"
        status = client.status()
        assert (status.resets, status.dispensed, status.high_water) == (2, 1, 2)
        assert client.brew(1, SHOT).dispense_no == 1
        assert dispensed_ids(board) == [1], "duplicate after restart must not dispense"


def test_power_cut_mid_brew_is_reported_as_power_loss(tmp_path):
    with make_board(tmp_path) as board, make_client(board) as client:
        with serial.serial_for_url(board.port, timeout=2) as raw:
            raw.write(encode_brew(1, 3, MARATHON))
            assert parse_reply(raw.readline()) == Ack(1, 3)
        assert client.query(3).state is BrewState.RUNNING

    with make_board(tmp_path) as board, make_client(board) as client:
        outcome = client.query(3)
        assert (outcome.state, outcome.reason) == (BrewState.FAILED, "POWER_LOSS")
        assert [e.brew_id for e in board.interrupted_at_boot] == [3]
        assert dispensed_ids(board) == []


def test_ids_evicted_from_the_nv_log_are_expired_and_never_rebrewed(tmp_path):
    with make_board(tmp_path, nv_capacity=2) as board, make_client(board) as client:
        for brew_id in (1, 2, 3):
            client.brew(brew_id, SHOT)
        assert client.query(1).state is BrewState.EXPIRED
        assert client.query(2).state is BrewState.DONE
        assert client.brew(1, SHOT).reason == "STALE"
        assert client.query(4).state is BrewState.UNKNOWN
        assert dispensed_ids(board) == [1, 2, 3]


def test_corrupt_flash_file_is_refused_with_its_path(tmp_path):
    (tmp_path / "flash.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FlashError, match=r"flash\.json"):
        make_board(tmp_path)


# -- configuration and misuse -------------------------------------------------------------

def test_fault_catalog_builds_by_name_and_explains_mistakes():
    fault = make_fault("lost_reply", verb="DONE")
    assert fault.describe() == "lost_reply (1 left): DONE after acting"
    with pytest.raises(FaultConfigError, match=r"known: .*no_water"):
        make_fault("flood")
    with pytest.raises(FaultConfigError, match="bad parameters"):
        make_fault("no_water", reason="NO_BEANS")
    with pytest.raises(FaultConfigError, match=r"random\.Random"):
        make_fault("garble", rng=7)
    with pytest.raises(FaultConfigError, match="executed=False"):
        LostReply(verb="DONE", executed=False)


def test_client_on_a_missing_port_and_after_close(tmp_path, board):
    with pytest.raises(BrewBoardUnavailable, match="no-such-tty"):
        BrewBoard(str(tmp_path / "no-such-tty"))
    client = make_client(board)
    client.close()
    with pytest.raises(BrewBoardClosed):
        client.status()


def test_stale_reply_from_before_a_firmware_restart_is_not_taken_as_new(board):
    with serial.serial_for_url(board.port, timeout=2) as raw:
        raw.write(encode_brew(7, 1, ESPRESSO))
        assert parse_reply(raw.readline()) == Ack(7, 1)
        raw.write(encode_query(1, 1))  # its "RESULT 1 1 RUNNING" is left unread in the tty
    assert board.wait_idle(5)
    with make_client(board, first_tag=1) as client:
        assert client.query(1).state is BrewState.DONE
