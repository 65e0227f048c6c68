"""The emulated Pi boots its program cold (a fresh interpreter) or warm (a fork of one that has
imported it already): the same argv, cwd, environment, SD card, console and exit status
either way, SIGKILL for a cut, and nothing left behind when the rig dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from emulators.pi import EmulatedPi, PiError
from emulators.pi.warm_boot import WarmBootError, WarmInterpreter
from tests.chain.test_anvil import _alive, _wait_dead

PROGRAM = "tests.component.pi_program"


def _pi(tmp_path: Path, boot: str, **kw: object) -> EmulatedPi:
    return EmulatedPi(config=tmp_path / "unused.toml", console=tmp_path / "console.log",
                      program=PROGRAM, boot=boot, preload=("apsw",),
                      extra_env={"PI_PROGRAM_MARKER": "m-1"}, **kw)  # type: ignore[arg-type]


def _boot(pi: EmulatedPi, *args: str) -> int:
    """Boot with ``args`` in place of the firmware's ``--config PATH``; wait for the exit."""
    pi.program_args = args
    pi.power_on()
    assert pi._proc is not None
    return pi._proc.wait(timeout=30)


@pytest.mark.parametrize("boot", ["cold", "warm"])
def test_the_program_sees_its_argv_cwd_environment_and_the_volatile_card(
        tmp_path: Path, boot: str) -> None:
    pi = _pi(tmp_path, boot)
    assert _boot(pi, "report", "x") == 0
    report = json.loads(pi.console.read_text().splitlines()[-1])
    assert report["argv"] == ["report", "x"]
    assert report["cwd"] == str(Path(__file__).resolve().parents[2])
    assert report["marker"] == "m-1"
    assert report["vfs"] == "volatile-sd"
    assert report["pid"] == pi.pid
    assert not pi.powered


@pytest.mark.parametrize("boot", ["cold", "warm"])
def test_exit_status_and_an_uncaught_exception_reach_the_rig(tmp_path: Path, boot: str) -> None:
    pi = _pi(tmp_path, boot)
    assert _boot(pi, "exit", "3") == 3
    assert pi.exit_code() == 3
    assert _boot(pi, "raise") == 1
    assert "RuntimeError: the program fell over" in pi.console.read_text()


@pytest.mark.parametrize("boot", ["cold", "warm"])
def test_a_power_cut_is_sigkill_of_the_process_group(tmp_path: Path, boot: str) -> None:
    pi = _pi(tmp_path, boot, program_args=("sleep",))
    pi.power_on()
    deadline = time.monotonic() + 30
    while not pi.console.exists() or not pi.console.read_text().strip():
        assert time.monotonic() < deadline, "the program never started"
        time.sleep(0.02)
    assert pi.powered
    assert os.getpgid(pi.pid) == pi.pid          # its own session: a cut kills all of it
    if boot == "warm":                            # named after its program in top / ps -o comm
        assert Path(f"/proc/{pi.pid}/comm").read_text().strip() == PROGRAM[:15]
    pi.power_off()
    assert not pi.powered
    assert pi.exit_code() == -signal.SIGKILL


def test_an_unknown_boot_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PiError, match="boot 'lukewarm' is not one of cold, warm"):
        _pi(tmp_path, "lukewarm")


def test_a_console_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    server = WarmInterpreter.shared((PROGRAM,))
    with pytest.raises(WarmBootError, match=r"cannot open the console .*no-such-dir"):
        server.boot(PROGRAM, ["exit", "0"], dict(os.environ), tmp_path,
                    tmp_path / "no-such-dir" / "console.log")
    # and the server still boots the next request
    proc = server.boot(PROGRAM, ["exit", "4"], dict(os.environ), tmp_path,
                       tmp_path / "console.log")
    assert proc.wait(timeout=30) == 4


def test_nothing_survives_the_rig_being_sigkilled(tmp_path: Path) -> None:
    """The rig dies by SIGKILL: the warm interpreter and the program it booted die too."""
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(root)!r})
        from emulators.pi.warm_boot import WarmInterpreter
        server = WarmInterpreter.shared(({PROGRAM!r},))
        proc = server.boot({PROGRAM!r}, ["sleep"], dict(os.environ), {str(tmp_path)!r},
                           {str(tmp_path / "c.log")!r})
        print(server._proc.pid, proc.pid, flush=True)
        time.sleep(60)
    """))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    server_pid, program_pid = map(int, owner.stdout.readline().split())
    assert _alive(server_pid) and _alive(program_pid)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert _wait_dead(server_pid), f"the warm interpreter {server_pid} survived the rig"
    assert _wait_dead(program_pid), f"the booted program {program_pid} survived the rig"


def test_a_killed_warm_interpreter_takes_its_programs_with_it(tmp_path: Path) -> None:
    server = WarmInterpreter((PROGRAM,)).start()
    proc = server.boot(PROGRAM, ["sleep"], dict(os.environ), tmp_path, tmp_path / "c.log")
    assert server._proc is not None
    server._proc.kill()
    assert _wait_dead(proc.pid), "a program outlived its warm interpreter"
    with pytest.raises(WarmBootError, match="warm interpreter"):
        server.boot(PROGRAM, ["exit", "0"], dict(os.environ), tmp_path, tmp_path / "c.log")


def test_the_cpu_of_warm_booted_programs_is_accounted_to_their_interpreter(
        tmp_path: Path) -> None:
    """The rig cannot see a warm boot's CPU in its own rusage; benchmarks read it here."""
    server = WarmInterpreter((PROGRAM,)).start()
    try:
        before = server.cpu_seconds()
        proc = server.boot(PROGRAM, ["burn", "0.5"], dict(os.environ), tmp_path,
                           tmp_path / "c.log")
        assert proc.wait(timeout=30) == 0
        assert server.cpu_seconds() - before >= 0.4
    finally:
        server.stop()


def test_a_boot_that_reuses_an_exited_programs_pid_is_not_taken_as_exited() -> None:
    """pids wrap (32,768 by default) and a night forks tens of thousands of firmware
    processes: the zygote reaps a child (its exit comes first), the kernel gives its pid to
    the next boot. The new process must not read as exited: the rig took a running
    firmware for a dead one and left it running unseen."""
    server = WarmInterpreter((PROGRAM,))
    server._receive({"exited": 4242, "code": 0})
    assert server.exit_status(4242) == 0
    server._receive({"id": 7, "pid": 4242})
    assert server.exit_status(4242) is None
    server._receive({"exited": 4242, "code": -9})
    assert server.exit_status(4242) == -9
