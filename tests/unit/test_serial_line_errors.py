"""A port that fails with termios.error (a pty closed under us) is a TransportError naming the port."""

import termios
from unittest import mock

import pytest

from bench.drivers.serial_line import SerialLine
from bench.errors import TransportError


def test_termios_error_on_open_names_the_port():
    with mock.patch("serial.serial_for_url", side_effect=termios.error(22, "Invalid argument")):
        with pytest.raises(TransportError, match="/dev/pts/999"):
            SerialLine.open("/dev/pts/999")
