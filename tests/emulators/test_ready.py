"""emulators.ready: select's answer without select's 1,024-descriptor limit (a rig process
with a hundred machines' emulators holds more descriptors than that)."""

from __future__ import annotations

import os
import resource
import select
import socket

import pytest

from emulators.ready import ready

HIGH_FD = 1500


@pytest.fixture
def high_pair():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= HIGH_FD:
        pytest.skip(f"the hard descriptor limit {hard} is below {HIGH_FD}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, HIGH_FD + 1), hard))
    a, b = socket.socketpair()
    high = os.dup2(b.fileno(), HIGH_FD)
    try:
        yield a, high
    finally:
        os.close(high)
        a.close()
        b.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_descriptor_above_1024_is_waited_on_where_select_refuses_it(high_pair):
    peer, high = high_pair
    with pytest.raises(ValueError, match="filedescriptor out of range"):
        select.select([high], [], [], 0)
    assert ready([high], timeout=0) == ([], [])
    peer.send(b"x")
    assert ready([high], [high], timeout=1.0) == ([high], [high])


def test_objects_come_back_as_given_and_a_closed_peer_is_readable():
    a, b = socket.socketpair()
    try:
        assert ready([a, b.fileno()], timeout=0) == ([], [])
        b.send(b"y")
        assert ready([a, b.fileno()], [a], timeout=1.0) == ([a], [a])
        a.recv(1)
        b.close()
        readable, _ = ready([a], timeout=1.0)
        assert readable == [a] and a.recv(1) == b""     # end of stream, as select says
    finally:
        a.close()
