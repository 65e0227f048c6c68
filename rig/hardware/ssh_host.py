"""The computer the firmware runs on, reached over SSH: deploy to it, start the firmware
detached, stop it cleanly, kill it, say whether it runs, and collect its console here.

How the program runs there. One SSH command starts
``nohup setsid sh -c SUPERVISOR ... </dev/null >/dev/null 2>&1 &`` and returns at once (a
start that keeps a descriptor of the session open would hang until the program exits). The
supervisor shell starts the program in a session and process group of its own (``setsid``:
its pid is its process group id, so ``kill -- -PID`` reaches everything it spawned), writes
the pid (with the host's boot id) to ``program.pid``, waits for it and writes its exit status
to ``program.exit``. Waiting is what reaps it: the program never lingers as a zombie under an
init that reaps orphans late. "Running" is: pid written, no exit status yet,
``/proc/PID/stat`` not ``Z``. A start first kills a program an earlier rig left running there
(same boot, no exit status), so two firmwares never share the Pi's devices.

The console (the program's stdout and stderr, JSON lines for the firmware) goes to a log file
on that computer. A watcher, a few lines of Python run there over one SSH channel per start,
streams what the log gains to this host, where it is appended to ``console`` whole lines at a
time, and ends with the exit status once the program is gone, so this host learns of the end
without asking. With ``same_host`` (the SSH server runs on this machine and shares its files,
as the emulated Pi's does) the program appends to ``console`` itself, and the watcher only
reports the end; there it also kills the program if the process ``owner`` (the rig) dies
first, so a killed rig leaves no firmware behind.

Endpoints of this host reached from the program there (the rig's control socket, its RPC
proxy) are carried by SSH remote forwards (``forward_remote``): sshd listens on the host's
127.0.0.1, and each connection made there arrives here as a channel, piped to the TCP port
or Unix socket it stands for. The forwards belong to the connection: when it is made again
(after it dropped, or the host rebooted) they are reopened on the same ports, so a config
that names them stays right.

Measured on this kind of machine (2 cores, loaded): connect 60 ms, one command 85 ms (a
session costs the server a fork and a shell), the same through OpenSSH with a ControlMaster
130 ms and through labgrid's SSHDriver 93 ms; paramiko also gives the long-lived streaming
channel and SFTP without more processes.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import io
import posixpath
import shlex
import socket
import tarfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeAlias

import paramiko

SSH_PORT = 22
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 60.0
MIN_PYTHON = (3, 11)
PID_FILE, EXIT_FILE = "program.pid", "program.exit"
TREE_STAMP = ".tree-sha256"
WATCH_POLL = 0.05        # seconds between the watcher's looks at the log and the exit file
START_WAIT = 10.0        # seconds the start command waits for the supervisor's pid file
FORWARD_HOST = "127.0.0.1"   # where remote forwards listen on the host: only it reaches them
REFORWARD_WAIT = 10.0    # seconds a forward reopened on a new connection waits for its port

ForwardTarget: TypeAlias = tuple[str, int] | str
"""Where a forwarded connection goes on this host: a TCP ``(host, port)`` or a Unix socket's
path."""


class SshHostError(RuntimeError):
    """Something about the SSH host failed; the message says what, and what to do."""


class HostUnreachable(SshHostError):
    """No SSH server answered at the address (off, wrong address or port, no network)."""


class AuthRefused(SshHostError):
    """The SSH server refused our key."""


class HostKeyRejected(SshHostError):
    """The host's key is unknown, or is not the one known_hosts holds for it."""


class PythonMissing(SshHostError):
    """The host has no usable Python for the firmware."""


class RemoteCommandFailed(SshHostError):
    """A command run over SSH failed; the message holds its exit status and stderr."""


class ForwardRefused(SshHostError):
    """The SSH server did not open a remote forward (forwarding disabled there, or the port
    taken)."""


class ProgramExitedAtOnce(SshHostError):
    """The program ended within the settle time after its start; ``tail`` is its console's
    last lines."""

    def __init__(self, message: str, exit_code: int | None, tail: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.tail = tail


@dataclass(frozen=True)
class SshAddress:
    host: str
    port: int = SSH_PORT
    user: str = field(default_factory=getpass.getuser)

    @classmethod
    def parse(cls, spec: str) -> SshAddress:
        """``user@host[:port]`` (``host`` alone means this user, port 22; an IPv6 address
        with a port is written ``[::1]:2222``)."""
        user, _, rest = spec.rpartition("@")
        host, port = rest, SSH_PORT
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            if tail.startswith(":"):
                port = _port(tail[1:], spec)
        elif rest.count(":") == 1:
            host, _, p = rest.partition(":")
            port = _port(p, spec)
        if not host:
            raise ValueError(f"SSH address {spec!r}: no host; write user@host[:port]")
        return cls(host, port, user or getpass.getuser())

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user}@{host}:{self.port}"


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"SSH address {spec!r}: the port must be a number from 1 to 65535")
    return int(text)


@dataclass(frozen=True)
class CommandResult:
    code: int
    out: str
    err: str


BOOT_ID = "/proc/sys/kernel/random/boot_id"

# $1 log, $2 pid file, $3 exit file, then the program's argv. Runs detached, see above. The
# pid file holds the pid and the host's boot id: a pid of an earlier boot means nothing.
SUPERVISOR = f"""\
log=$1 pidf=$2 exitf=$3
shift 3
setsid "$@" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid $(cat {BOOT_ID})" >"$pidf.tmp" && mv -f "$pidf.tmp" "$pidf"
wait "$pid"
echo "$?" >"$exitf.tmp" && mv -f "$exitf.tmp" "$exitf"
"""

# $1 log, $2 pid file, $3 exit file, $4 cwd, $5 the supervisor, then the program's argv.
# A program an earlier rig left running (same boot of the host, no exit status) is killed
# first: two firmwares must not share the Pi's devices. Prints the log's size (where this
# start's console begins) and the new pid.
START = f"""\
log=$1 pidf=$2 exitf=$3 cwd=$4 supervisor=$5
shift 5
if [ -e "$pidf" ] && [ ! -e "$exitf" ]; then
  read -r old boot <"$pidf"
  if [ "$boot" = "$(cat {BOOT_ID})" ] && [ -e "/proc/$old" ]; then
    echo "killing the program an earlier start left running (pid $old)" >&2
    kill -s KILL -- "-$old" 2>/dev/null
    i=0; while [ ! -e "$exitf" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done
  fi
fi
mkdir -p "$(dirname "$log")" && cd "$cwd" && rm -f "$pidf" "$exitf" || exit 1
off=$(stat -c %s "$log" 2>/dev/null || echo 0)
nohup setsid sh -c "$supervisor" sh "$log" "$pidf" "$exitf" "$@" </dev/null >/dev/null 2>&1 &
i=0; while [ ! -e "$pidf" ] && [ $i -lt {int(START_WAIT * 100)} ]; do sleep 0.01; i=$((i+1)); done
read -r pid boot <"$pidf" || exit 1
echo "$off $pid"
"""

# argv: log, exit file, pid file, offset, copy (0/1), owner pid (0: none), poll seconds.
WATCHER = """\
import os, signal, sys, time
log, done, pidf = sys.argv[1:4]
pos, copy, owner, poll = int(sys.argv[4]), sys.argv[5] == "1", int(sys.argv[6]), \
    float(sys.argv[7])
out = sys.stdout.buffer

def pump():
    global pos
    if not copy:
        return
    try:
        with open(log, "rb") as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        return
    if data:
        out.write(data)
        out.flush()
        pos += len(data)

def owner_gone():
    if not owner:
        return False
    try:
        with open(f"/proc/{owner}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] in "ZX"
    except OSError:
        return True

while not os.path.exists(done):
    if owner_gone():
        owner = 0
        try:
            os.killpg(int(open(pidf).read().split()[0]), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    pump()
    time.sleep(poll)
pump()
sys.stderr.write("exit " + open(done).read().strip())
"""


class SshHost:
    """One computer over SSH (paramiko), and the one program the rig runs on it.

    ``workdir`` (made if missing; relative to the login's home unless absolute) holds the
    pid and exit files, and on a remote host the program's log (``console``'s name there).
    """

    def __init__(self, address: SshAddress, *, console: Path, workdir: str = "coffeepay",
                 identity: Path | None = None, known_hosts: Path | None = None,
                 python: str = "python3", same_host: bool = False, owner: int = 0,
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.address = address
        self.console = console
        self.identity = identity
        self.known_hosts = known_hosts
        self.python = python
        self.same_host = same_host
        self.owner = owner if same_host else 0
        self.connect_timeout = connect_timeout
        self._workdir_arg = workdir
        self._workdir: str | None = None
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._lock = threading.RLock()      # connecting, SFTP and the program's bookkeeping
        self._watch: _Watch | None = None
        self.pid: int | None = None         # the program's pid there, from its last start
        self._forwards: dict[int, ForwardTarget] = {}   # port on the host's loopback → here
        self._forwarded_on: paramiko.Transport | None = None   # the connection they are on
        self._open_ports: set[int] = set()  # those opened on that connection
        self._pipes: set[_Pipe] = set()     # forwarded connections being carried
        self._pipes_lock = threading.Lock()

    # ------------------------------------------------------------------ connection
    def connect(self) -> SshHost:
        """Connect (again, if the connection dropped). Raises ``HostUnreachable``,
        ``AuthRefused`` or ``HostKeyRejected`` with what to check."""
        self._transport()
        return self

    def _transport(self) -> paramiko.Transport:
        """The connection (made again if it dropped), with the forwards open on it."""
        with self._lock:
            transport = self._connection()
            if self._forwards and (self._forwarded_on is not transport
                                   or self._forwards.keys() - self._open_ports):
                self._reforward(transport)
            return transport

    def _connection(self) -> paramiko.Transport:
        with self._lock:
            client = self._client
            transport = client.get_transport() if client else None
            if transport is not None and transport.is_active():
                return transport
            self._drop_connection()
            client = paramiko.SSHClient()
            if self.known_hosts is not None:
                client.load_host_keys(str(self.known_hosts))
            else:
                client.load_system_host_keys()
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            a, key = self.address, self.identity
            try:
                client.connect(a.host, a.port, a.user,
                               key_filename=str(key) if key else None,
                               look_for_keys=key is None, allow_agent=key is None,
                               timeout=self.connect_timeout,
                               banner_timeout=self.connect_timeout,
                               auth_timeout=self.connect_timeout)
            except paramiko.AuthenticationException as e:
                client.close()
                which = f"the key {key}" if key else "the keys in ~/.ssh and the agent"
                raise AuthRefused(
                    f"{a} refused {which} ({e}): put the public key in "
                    f"~{a.user}/.ssh/authorized_keys there (`ssh-copy-id "
                    f"{f'-i {key} ' if key else ''}-p {a.port} {a.user}@{a.host}`), or name "
                    "the right one with identity = '...' in the profile's [power] table"
                ) from e
            except paramiko.BadHostKeyException as e:
                client.close()
                raise HostKeyRejected(
                    f"{a} showed a host key other than the one {self._known_hosts_name} "
                    f"holds for it: if the Pi was reinstalled, remove the old one "
                    f"(`ssh-keygen -R '[{a.host}]:{a.port}'`) and add the new one") from e
            except paramiko.SSHException as e:
                client.close()
                if "known_hosts" in str(e):
                    raise HostKeyRejected(
                        f"{a}'s host key is not in {self._known_hosts_name}: add it after "
                        f"checking it (`ssh-keyscan -p {a.port} {a.host} >> ~/.ssh/"
                        "known_hosts`), or name the file with known_hosts = '...' in the "
                        "profile's [power] table") from e
                raise HostUnreachable(f"{a}: no SSH session ({e}): is an SSH server "
                                      "listening on that port?") from e
            except (OSError, EOFError) as e:    # refused, no route, timeout, reset
                client.close()
                raise HostUnreachable(
                    f"{a}: cannot connect ({e or type(e).__name__}): is the Pi powered and on "
                    f"the network, and its SSH server running? `ssh -p {a.port} "
                    f"{a.user}@{a.host} true` must work from this host") from e
            self._client = client
            transport = client.get_transport()
            assert transport is not None
            transport.set_keepalive(5)
            if isinstance(transport.sock, socket.socket):      # small writes go at once
                with contextlib.suppress(OSError):
                    transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return transport

    @property
    def _known_hosts_name(self) -> str:
        return str(self.known_hosts) if self.known_hosts else "~/.ssh/known_hosts"

    def _drop_connection(self) -> None:
        self._forwarded_on = None
        self._open_ports.clear()
        if self._sftp is not None:
            with contextlib.suppress(Exception):
                self._sftp.close()
            self._sftp = None
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ forwards
    def forward_remote(self, target: ForwardTarget, port: int = 0, *, now: bool = True
                       ) -> int:
        """Listen on the host's 127.0.0.1 (``port``; 0 lets its SSH server choose) and carry
        each connection made there to ``target`` on this host: an SSH remote forward.
        Returns the port there. With ``now`` False the forward is only recorded (the host
        may be off) and opened when the rig next connects; ``port`` must be given then.
        ``ForwardRefused`` if the server does not open it."""
        with self._lock:
            if port in self._forwards:
                raise ForwardRefused(f"{self.address}: port {port} is forwarded already")
            if not now:
                if not 0 < port < 65536:
                    raise ValueError("a forward opened later needs its port, 1 to 65535")
                self._forwards[port] = target
                return port
            transport = self._transport()
            port = self._request_forward(transport, port)
            self._forwards[port] = target
            self._open_ports.add(port)
            return port

    @property
    def forwards(self) -> dict[int, ForwardTarget]:
        """The forwards: port on the host's 127.0.0.1 → where it goes on this host."""
        return dict(self._forwards)

    @property
    def forwarded_connections(self) -> int:
        """Connections made to a forward there that are being carried now."""
        with self._pipes_lock:
            return len(self._pipes)

    def close_forwards(self) -> None:
        """Stop listening there and end the connections being carried."""
        with self._lock:
            transport = self._forwarded_on
            if transport is not None and transport.is_active():
                for port in sorted(self._open_ports):
                    with contextlib.suppress(paramiko.SSHException, OSError, EOFError):
                        transport.cancel_port_forward(FORWARD_HOST, port)
            self._forwards.clear()
            self._open_ports.clear()
        with self._pipes_lock:
            pipes = list(self._pipes)
        for pipe in pipes:
            pipe.stop()

    def _request_forward(self, transport: paramiko.Transport, port: int) -> int:
        try:
            got = transport.request_port_forward(FORWARD_HOST, port, self._forwarded)
        except (paramiko.SSHException, OSError, EOFError) as e:
            which = f"port {port}" if port else "a port"
            raise ForwardRefused(
                f"{self.address}: the SSH server did not listen on {which} of its "
                f"{FORWARD_HOST} for the rig ({e}): its sshd must allow remote forwarding "
                "(AllowTcpForwarding yes or remote in /etc/ssh/sshd_config, then restart "
                f"sshd){' and the port must be free there' if port else ''}") from e
        self._forwarded_on = transport
        return int(got)

    def _reforward(self, transport: paramiko.Transport) -> None:
        """Open the recorded forwards on a new connection, on their ports. A port the
        dropped connection's session still holds there is waited for a little."""
        if self._forwarded_on is not transport:
            self._open_ports.clear()
        self._forwarded_on = transport
        deadline = time.monotonic() + REFORWARD_WAIT
        for port in sorted(self._forwards.keys() - self._open_ports):
            while True:
                try:
                    self._request_forward(transport, port)
                    break
                except ForwardRefused:
                    if time.monotonic() > deadline or not transport.is_active():
                        raise
                    time.sleep(0.05)
            self._open_ports.add(port)

    def _forwarded(self, chan: paramiko.Channel, origin: tuple[str, int],
                   server: tuple[str, int]) -> None:
        """paramiko's handler of a connection made to a forward (in its transport's thread:
        it must not block)."""
        target = self._forwards.get(server[1])
        if target is None:
            chan.close()
            return
        _Pipe(self, chan, target).start()

    # ------------------------------------------------------------------ commands
    def run(self, command: str, *, stdin: bytes | None = None,
            timeout: float = COMMAND_TIMEOUT, check: bool = True) -> CommandResult:
        """Run a shell command there; with ``check`` a non-zero exit raises
        ``RemoteCommandFailed`` with its stderr."""
        chan = self._transport().open_session(timeout=self.connect_timeout)
        try:
            chan.settimeout(timeout)
            chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin)
            chan.shutdown_write()
            out, err = _read_both(chan)
            code = chan.recv_exit_status()
        except TimeoutError as e:
            raise RemoteCommandFailed(f"{self.address}: `{_short(command)}` did not finish "
                                      f"within {timeout:.0f} s") from e
        finally:
            chan.close()
        result = CommandResult(code, out.decode(errors="replace"), err.decode(errors="replace"))
        if check and code != 0:
            raise RemoteCommandFailed(f"{self.address}: `{_short(command)}` exited {code}: "
                                      f"{result.err.strip()[-500:] or '(no stderr)'}")
        return result

    @property
    def workdir(self) -> str:
        """The work directory there, absolute; made on first use."""
        with self._lock:
            if self._workdir is None:
                d = shlex.quote(self._workdir_arg)
                self._workdir = self.run(f"mkdir -p {d} && cd {d} && pwd").out.strip()
            return self._workdir

    def path(self, name: str) -> str:
        """``name`` in the work directory there."""
        return posixpath.join(self.workdir, name)

    @property
    def remote_log(self) -> str:
        """Where the program's console is written on the host."""
        return str(self.console) if self.same_host else self.path(self.console.name)

    # ------------------------------------------------------------------ what is there
    def python_version(self) -> str:
        """The version of ``python`` there; ``PythonMissing`` if it is absent or too old."""
        py = shlex.quote(self.python)
        r = self.run(f"command -v {py} >/dev/null 2>&1 || exit 127; {py} -c "
                     "'import sys; print(\"%d.%d.%d\" % sys.version_info[:3])'", check=False)
        fix = (f"install Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer there with the "
               "firmware's dependencies, or name its interpreter with python = '...' in the "
               "profile's [power] table")
        if r.code == 127:
            raise PythonMissing(f"{self.address} has no {self.python!r} on its PATH: {fix}")
        if r.code != 0:
            raise PythonMissing(f"{self.address}: {self.python!r} does not run ({r.code}: "
                                f"{r.err.strip()[-300:]}): {fix}")
        version = r.out.strip()
        if tuple(int(x) for x in version.split(".")[:2]) < MIN_PYTHON:
            raise PythonMissing(f"{self.address}: {self.python!r} is Python {version}: {fix}")
        return version

    # ------------------------------------------------------------------ deploying
    def write_file(self, path: str, data: bytes) -> None:
        """Put ``data`` at ``path`` there, replacing the file at once (written beside it,
        then renamed), so a reader never sees half of it."""
        if self.same_host:
            local = Path(path)
            tmp = local.with_name(f".{local.name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(local)
            return
        with self._lock:
            self._transport()
            assert self._client is not None
            if self._sftp is None:
                self._sftp = self._client.open_sftp()
            part = posixpath.join(posixpath.dirname(path), f".{posixpath.basename(path)}.tmp")
            self._sftp.putfo(io.BytesIO(data), part)
            self._sftp.posix_rename(part, path)

    def deploy_file(self, local: Path, name: str | None = None) -> str:
        """Copy ``local`` into the work directory there; returns its path there."""
        target = self.path(name or local.name)
        if not (self.same_host and Path(target) == local):
            self.write_file(target, local.read_bytes())
        return target

    def deploy_tree(self, root: Path, paths: Sequence[str], dest: str) -> bool:
        """Copy ``paths`` (files or directories under ``root``, without ``__pycache__``) to
        ``dest`` there, replacing what was there; skipped (False) when ``dest`` already holds
        exactly these files."""
        files = sorted(_tree_files(root, paths))
        digest = hashlib.sha256()
        for rel in files:
            digest.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
        stamp, d = digest.hexdigest(), shlex.quote(dest)
        have = self.run(f"cat {d}/{TREE_STAMP} 2>/dev/null", check=False).out.strip()
        if have == stamp:
            return False
        blob = io.BytesIO()
        with tarfile.open(fileobj=blob, mode="w:gz") as tar:
            for rel in files:
                tar.add(root / rel, arcname=rel, recursive=False)
        self.run(f"rm -rf {d}.new && mkdir -p {d}.new && tar -xzf - -C {d}.new && "
                 f"echo {stamp} > {d}.new/{TREE_STAMP} && rm -rf {d} && mv {d}.new {d}",
                 stdin=blob.getvalue())
        return True

    # ------------------------------------------------------------------ the program
    def start(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
              cwd: str | None = None, settle: float = 0.0) -> int:
        """Start ``argv`` detached (in ``cwd``, with ``env`` added to the login's
        environment); returns its pid there. With ``settle`` > 0, wait that long and raise
        ``ProgramExitedAtOnce`` (with the console's tail) if it has ended by then."""
        with self._lock:
            if self.alive:
                raise SshHostError(f"{self.address}: the program (pid {self.pid}) is still "
                                   "running; stop or kill it first")
            log, pidf, exitf = self.remote_log, self.path(PID_FILE), self.path(EXIT_FILE)
            program = ["env", *(f"{k}={v}" for k, v in (env or {}).items()), *argv]
            out = self.run(" ".join(shlex.quote(a) for a in [
                "sh", "-c", START, "sh", log, pidf, exitf, cwd or self.workdir, SUPERVISOR,
                *program])).out.split()
            if len(out) != 2:
                raise RemoteCommandFailed(f"{self.address}: the supervisor wrote no pid within "
                                          f"{START_WAIT:.0f} s of the start of {argv[0]!r}")
            offset, self.pid = int(out[0]), int(out[1])
            self._watch = _Watch(self, offset)
            self._watch.start()
        if settle > 0 and (self.wait_exit(settle) is not None or not self.alive):
            code, tail = self.exit_code, self.console_tail()
            raise ProgramExitedAtOnce(
                f"{argv[0]!r} on {self.address} exited at once ({_status(code)}); the end of "
                f"its console:\n{tail}", code, tail)
        return self.pid

    @property
    def alive(self) -> bool:
        """Whether the program of the last start runs, as its watcher knows (no round
        trip). A watcher whose connection dropped is replaced by one look over SSH."""
        w = self._watch
        if w is None:
            return False
        if w.is_alive():
            return True
        if w.exit_code is None and w.lost:
            with contextlib.suppress(SshHostError):
                return self.running()
        return False

    @property
    def exit_code(self) -> int | None:
        """The program's exit status once it ended (``-N``: killed by signal N)."""
        return None if self._watch is None else self._watch.exit_code

    def wait_exit(self, timeout: float | None = None) -> int | None:
        """Wait until the program ended (its console collected); its exit status, or None
        if it still runs after ``timeout``."""
        w = self._watch
        if w is None:
            return None
        w.join(timeout)
        return w.exit_code

    def running(self) -> bool:
        """Whether the program runs, asked over SSH (one round trip): pid written in this
        boot of the host, no exit status, and its process there and not a zombie."""
        pidf, exitf = shlex.quote(self.path(PID_FILE)), shlex.quote(self.path(EXIT_FILE))
        out = self.run(
            f"read -r pid boot <{pidf} 2>/dev/null || {{ echo no; exit 0; }}; "
            f"if [ -e {exitf} ] || [ \"$boot\" != \"$(cat {BOOT_ID})\" ]; then echo no; exit 0; "
            "fi; "
            "s=$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -c1); "
            "case \"$s\" in ''|Z|X) echo no ;; *) echo yes ;; esac").out.strip()
        return out == "yes"

    def stop(self, timeout: float = 10.0) -> int | None:
        """The clean way: SIGTERM to the program's process group, wait up to ``timeout``
        for it to end, then SIGKILL. Returns its exit status (None if none was started)."""
        if self.pid is None:
            return None
        if self._signal("TERM", timeout) is None:
            self._signal("KILL", timeout)
        return self._collected(timeout)

    def kill(self, timeout: float = 10.0) -> int | None:
        """SIGKILL to the program's process group, over SSH; returns once it is reaped."""
        if self.pid is None:
            return None
        self._signal("KILL", timeout)
        return self._collected(timeout)

    def _signal(self, sig: str, timeout: float) -> int | None:
        exitf = shlex.quote(self.path(EXIT_FILE))
        polls = max(1, int(timeout / 0.05))
        out = self.run(
            f"[ -e {exitf} ] || kill -s {sig} -- -{self.pid} 2>/dev/null; i=0; "
            f"while [ ! -e {exitf} ] && [ $i -lt {polls} ]; do sleep 0.05; i=$((i+1)); done; "
            f"cat {exitf} 2>/dev/null || true", timeout=timeout + 10).out.strip()
        return _exit_status(out) if out else None

    def _collected(self, timeout: float) -> int | None:
        """The exit status once the watcher has collected all of the console."""
        code = self.wait_exit(timeout)
        if code is None and self._watch is not None and self._watch.lost:
            out = self.run(f"cat {shlex.quote(self.path(EXIT_FILE))} 2>/dev/null || true")
            return _exit_status(out.out.strip()) if out.out.strip() else None
        return code

    def forget(self) -> None:
        """The host lost its power: the program is gone with it, and so is our connection
        (a real cut answers nothing, it does not close it)."""
        with self._lock:
            if self._watch is not None:
                self._watch.abandon()
            self._drop_connection()

    def console_tail(self, lines: int = 20) -> str:
        """The last ``lines`` the program of the last start wrote to its console, as
        written there."""
        offset = self._watch.offset if self._watch is not None else 0
        if self.same_host:
            try:
                with open(self.console, "rb") as f:
                    f.seek(offset)
                    text = f.read().decode(errors="replace")
            except FileNotFoundError:
                return "(no console)"
        else:
            try:
                text = self.run(f"tail -c +{offset + 1} {shlex.quote(self.remote_log)} | "
                                f"tail -n {lines}", check=False).out
            except SshHostError as e:
                return f"(console unreadable: {e})"
        return "\n".join(text.splitlines()[-lines:]) or "(nothing on the console)"

    def close(self) -> None:
        """Close the forwards and drop the connection; a program still running there is
        left to its fate (stop or kill it first)."""
        with self._lock:
            self.close_forwards()
            if self._watch is not None:
                self._watch.abandon()
                self._watch.join(2.0)
            self._drop_connection()


class _Watch(threading.Thread):
    """This host's end of the watcher: the console stream and the program's end."""

    def __init__(self, host: SshHost, offset: int) -> None:
        super().__init__(name=f"ssh-console-{host.address}", daemon=True)
        self.host, self.offset = host, offset
        self.exit_code: int | None = None
        self.lost = False               # the stream ended without the exit status
        self._chan: paramiko.Channel | None = None
        self._abandoned = False

    def run(self) -> None:
        h = self.host
        args = [h.remote_log, h.path(EXIT_FILE), h.path(PID_FILE), str(self.offset),
                "0" if h.same_host else "1", str(h.owner), str(WATCH_POLL)]
        try:
            chan = self._chan = h._transport().open_session(timeout=h.connect_timeout)
            if self._abandoned:
                return
            chan.exec_command(" ".join(shlex.quote(a) for a in [h.python, "-c", WATCHER,
                                                                 *args]))
            chan.shutdown_write()
            with self._sink() as sink:
                pending = b""
                while data := chan.recv(65536):
                    if sink is not None:
                        whole, nl, pending = (pending + data).rpartition(b"\n")
                        if nl:
                            sink.write(whole + nl)
                            sink.flush()
                if sink is not None and pending:
                    sink.write(pending)
            err = chan.makefile_stderr("rb").read().decode(errors="replace").strip()
        except (OSError, EOFError, paramiko.SSHException, SshHostError):
            self.lost = True
            return
        finally:
            if self._chan is not None:
                self._chan.close()
        status = err.rpartition("exit ")[2] if "exit " in err else ""
        if status.lstrip("-").isdigit():
            self.exit_code = _exit_status(status)
        else:
            self.lost = True

    @contextlib.contextmanager
    def _sink(self) -> Iterator[IO[bytes] | None]:
        if self.host.same_host:
            yield None
            return
        self.host.console.parent.mkdir(parents=True, exist_ok=True)
        with open(self.host.console, "ab") as f:
            yield f

    def abandon(self) -> None:
        self._abandoned = True
        self.lost = True
        if self._chan is not None:
            self._chan.close()


class _Pipe:
    """One connection made to a forward: its channel, and a socket to the target here, bytes
    copied both ways. The end of the connection there (the program closed it, or is gone)
    ends it here both ways once what it sent is passed on, and closes the channel: the rig
    sees it as it sees the program's own socket close. An end here is passed there as EOF.
    (A half-close from there is not carried; neither JSON lines nor HTTP use one.)"""

    def __init__(self, host: SshHost, chan: paramiko.Channel, target: ForwardTarget) -> None:
        self.host, self.chan, self.target = host, chan, target
        self.sock: socket.socket | None = None

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"ssh-forward-{self.target}",
                         daemon=True).start()

    def _run(self) -> None:
        try:
            self.sock = _connect_here(self.target, self.host.connect_timeout)
        except OSError:
            self.chan.close()       # nothing listens here: the connection there ends at once
            return
        with self.host._pipes_lock:
            self.host._pipes.add(self)
        try:
            up = threading.Thread(target=self._up, name=f"ssh-forward-up-{self.target}",
                                  daemon=True)
            up.start()
            self._down()
            up.join()
        finally:
            self.chan.close()
            self.sock.close()
            with self.host._pipes_lock:
                self.host._pipes.discard(self)

    def _down(self) -> None:
        """From there to here, until the connection there ends."""
        assert self.sock is not None
        with contextlib.suppress(OSError):
            while data := self.chan.recv(65536):
                self.sock.sendall(data)
        self.stop()

    def _up(self) -> None:
        """From here to there."""
        assert self.sock is not None
        try:
            while data := self.sock.recv(65536):
                self.chan.sendall(data)
        except OSError:
            self.chan.close()       # reset here: reset there
            return
        with contextlib.suppress(OSError, EOFError):
            self.chan.shutdown_write()

    def stop(self) -> None:
        """End both ways now (the threads close what is left)."""
        self.chan.close()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)


def _connect_here(target: ForwardTarget, timeout: float) -> socket.socket:
    if isinstance(target, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(target)
        except OSError:
            sock.close()
            raise
        return sock
    sock = socket.create_connection(target, timeout=timeout)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_both(chan: paramiko.Channel) -> tuple[bytes, bytes]:
    """Everything the command wrote to stdout, then to stderr (paramiko keeps stderr in its
    own buffer meanwhile; the commands here write little to it)."""
    out = chan.makefile("rb").read()
    return out, chan.makefile_stderr("rb").read()


def _tree_files(root: Path, paths: Sequence[str]) -> Iterator[str]:
    for rel in paths:
        p = root / rel
        if p.is_file():
            yield rel
            continue
        if not p.is_dir():
            raise FileNotFoundError(f"{p}: nothing to deploy there")
        for f in p.rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                yield f.relative_to(root).as_posix()


def _exit_status(text: str) -> int:
    """The shell's ``$?`` as subprocess reports it: 128 + N (killed by signal N) is -N."""
    code = int(text)
    return -(code - 128) if code > 128 else code


def _status(code: int | None) -> str:
    if code is None:
        return "status unknown"
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _short(command: str) -> str:
    return command if len(command) <= 120 else command[:117] + "..."


def is_port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections there (a Pi whose SSH server is up)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_reachable(address: SshAddress, timeout: float) -> None:
    """Wait until the host's SSH port accepts connections (a Pi booting after its power came
    on); ``HostUnreachable`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not is_port_open(address.host, address.port):
        if time.monotonic() > deadline:
            raise HostUnreachable(f"{address}: its SSH port did not open within "
                                  f"{timeout:.0f} s of the power coming on: is the Pi booting "
                                  "(its power LED, its console), and on the network?")
        time.sleep(0.5)
