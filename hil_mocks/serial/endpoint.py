"""The instrument's end of a line: a pseudo-terminal or a loopback TCP port.

:class:`PtyEndpoint` owns the master side of ``os.openpty()`` (both sides raw). Its ``port`` is a
symbolic link in a private folder that points at the current slave (like ``/dev/serial/by-id``), so
that when the simulator "unplugs" the line (closes the pty) and plugs it back (a new pty), a driver
that reopens the same path finds the instrument again. :class:`TcpEndpoint` listens on 127.0.0.1
(port chosen by the OS) and serves one client at a time; ``port`` is ``socket://127.0.0.1:N``.

Both offer the same small interface to the simulator thread: ``wait_readable(timeout_s)``,
``read()`` (bytes, possibly empty), ``write(data)``, ``unplug()`` / ``plug()`` and ``close()``.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import socket
import tempfile
import tty


class PtyEndpoint:
    """Master side of a pseudo-terminal; ``port`` is a stable path to the slave."""

    def __init__(self, name: str = "sim"):
        self._dir = tempfile.mkdtemp(prefix="bench-pty-")
        self.port = os.path.join(self._dir, f"tty-{name}")
        self._master: int | None = None
        self._slave: int | None = None
        self.plug()

    def plug(self) -> None:
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        os.set_blocking(master, True)
        self._master, self._slave = master, slave
        link_tmp = self.port + ".new"
        if os.path.lexists(link_tmp):
            os.unlink(link_tmp)
        os.symlink(os.ttyname(slave), link_tmp)
        os.replace(link_tmp, self.port)

    def unplug(self) -> None:
        """Close the pty: the driver's open port fails (EIO) until it reopens ``port`` after :meth:`plug`."""
        master, slave = self._master, self._slave
        self._master = self._slave = None
        if os.path.lexists(self.port):
            os.unlink(self.port)
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def wait_readable(self, timeout_s: float) -> bool:
        if self._master is None:
            return False
        ready, _, _ = select.select([self._master], [], [], max(timeout_s, 0.0))
        return bool(ready)

    def read(self) -> bytes:
        if self._master is None:
            return b""
        try:
            return os.read(self._master, 4096)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EAGAIN):
                return b""  # no slave open at the moment: nothing to read
            raise

    def write(self, data: bytes) -> None:
        if self._master is None or not data:
            return
        view = memoryview(data)
        while view:
            written = os.write(self._master, view)
            view = view[written:]

    def close(self) -> None:
        self.unplug()
        shutil.rmtree(self._dir, ignore_errors=True)


class TcpEndpoint:
    """A loopback TCP port serving one client at a time (``socket://127.0.0.1:N``)."""

    def __init__(self, name: str = "sim"):
        self.name = name
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self.port = ""
        self.plug()

    def plug(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port_number = int(self.port.rsplit(":", 1)[1]) if self.port else 0
        listener.bind(("127.0.0.1", port_number))  # same port again after an unplug
        listener.listen(1)
        self._listener = listener
        self.port = f"socket://127.0.0.1:{listener.getsockname()[1]}"

    def unplug(self) -> None:
        """Drop the client and stop listening: the driver sees the connection closed."""
        for sock in (self._client, self._listener):
            if sock is not None:
                sock.close()
        self._client = self._listener = None

    @property
    def plugged(self) -> bool:
        return self._listener is not None

    def wait_readable(self, timeout_s: float) -> bool:
        watch = [s for s in (self._client, self._listener) if s is not None]
        if not watch:
            return False
        ready, _, _ = select.select(watch, [], [], max(timeout_s, 0.0))
        if self._listener is not None and self._listener in ready:
            conn, _ = self._listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._client is not None:
                self._client.close()  # a new client replaces the old one, as a reconnecting driver does
            self._client = conn
            return False
        return self._client is not None and self._client in ready

    def read(self) -> bytes:
        if self._client is None:
            return b""
        try:
            data = self._client.recv(4096)
        except OSError:
            data = b""
        if not data:
            self._client.close()
            self._client = None
        return data

    def write(self, data: bytes) -> None:
        if self._client is None or not data:
            return
        try:
            self._client.sendall(data)
        except OSError:
            self._client.close()
            self._client = None

    def close(self) -> None:
        self.unplug()


def make_endpoint(kind: str, name: str):
    if kind == "pty":
        return PtyEndpoint(name)
    if kind == "tcp":
        return TcpEndpoint(name)
    raise ValueError(f"endpoint must be 'pty' or 'tcp', got {kind!r}")
