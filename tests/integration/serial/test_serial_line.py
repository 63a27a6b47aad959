"""SerialLine: opening by path or URL, clear errors naming the port, chunked line reads, reopening."""

from __future__ import annotations

import os
import socket
import time
import tty

import pytest

from bench.drivers.serial_line import SerialLine
from bench.errors import TransportError


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    path = os.ttyname(slave)
    yield master, path
    os.close(master)
    os.close(slave)


def test_missing_device_and_refused_socket_name_the_port(tmp_path):
    with pytest.raises(TransportError, match="ttyUSB_missing"):
        SerialLine.open(str(tmp_path / "ttyUSB_missing"))
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(TransportError, match=f"socket://127.0.0.1:{port}"):
        SerialLine.open(f"socket://127.0.0.1:{port}")


def test_lines_split_across_reads_and_several_per_read(pty_pair):
    master, path = pty_pair
    with SerialLine.open(path) as line:
        os.write(master, b"S   12T")
        data, complete = line.read_until(b"\r\n", 0.05)
        assert not complete and data == b"S   12T"  # a truncated answer is handed back for the error
        os.write(master, b"A\r\nB\r\nC")
        assert line.read_until(b"\r\n", 0.5) == (b"A\r\n", True)
        assert line.read_until(b"\r\n", 0.5) == (b"B\r\n", True)
        assert line.read_lines(b"\r\n", 0.05) == []  # "C" stays for the next call
        os.write(master, b"\r\nD\r\n")
        assert line.read_lines(b"\r\n", 0.5) == [b"C\r\n", b"D\r\n"]
        os.write(master, b"stale")
        deadline = time.monotonic() + 1.0
        while line.serial.in_waiting < 5 and time.monotonic() < deadline:  # a pty passes bytes on asynchronously
            time.sleep(0.001)
        assert line.discard_input() == b"stale"
        assert line.stats.discarded_bytes == 5


def test_close_is_idempotent_and_final(pty_pair):
    master, path = pty_pair
    line = SerialLine.open(path)
    line.close()
    line.close()
    with pytest.raises(TransportError, match="closed"):
        line.write(b"x")


def test_broken_line_is_reopened_by_the_next_request(pty_pair):
    master, path = pty_pair
    with SerialLine.open(path) as line:
        line.mark_broken()
        assert not line.is_open
        line.write(b"OD1\r\n")  # reopens
        assert os.read(master, 100) == b"OD1\r\n"
        assert line.stats.reopens == 1 and line.stats.failures == 1
