"""Child process for the Ctrl-C test of ``bench record``: opens the simulated rig, enables both drives
(input holding position, load motor at 2 N·m), then records with the command's own function until
the parent sends SIGINT. Exits with the code the command returns.

The simulated bench lives in this process (python-can's virtual bus is in-process), so the parent
judges the outcome from the run folder: the record and the recorded statusword channels.
"""

from __future__ import annotations

import signal
import sys

from bench.commands.record import record
from bench.rig import Rig


def main(rig_file: str, runs_dir: str) -> int:
    with Rig.from_config(rig_file) as rig:
        din, dload = rig.device("drive_in"), rig.device("drive_load")
        din.set_mode("csp")
        din.enable()
        dload.set_mode("cst")
        dload.enable()
        dload.set_torque_nm(2.0)
        _, _, code = record(rig, runs_dir, 60.0, procedure="ctrl-c-test")
    return code


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if our parent started us with it ignored
    sys.exit(main(sys.argv[1], sys.argv[2]))
