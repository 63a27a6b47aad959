"""Child process for the SIGKILL test: records two channels in real time until it is killed.

Prints one JSON line (run folder, timebase anchor) once recording has started. Sample k of the
1 kHz channel has t_s = k / 1000 and value = k * 0.5; of the 100 Hz int channel t_s = k / 100, value k.
Samples are published through a Hub (as drivers do) only once their time has passed.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from bench.recording import RunWriter
from bench.streams import ChannelSpec, Hub, SampleBlock
from bench.timebase import Timebase


def main(runs_dir: str) -> None:
    tb = Timebase()
    hub = Hub()
    hub.register(ChannelSpec("in.torque_nm", "N*m", rate_hz=1000.0))
    hub.register(ChannelSpec("drive.counter", "", dtype="int32", rate_hz=100.0))
    writer = RunWriter.create(runs_dir, {"procedure": "sigkill-test", "unit": {"model": "X", "serial": "K"}}, tb)
    writer.attach(hub)
    print(json.dumps({"path": str(writer.path), "start_monotonic_s": tb.start_monotonic_s}), flush=True)
    next_fast = next_slow = 0
    while True:  # until SIGKILL
        now = tb.now()
        end_fast = int(now * 1000.0) + 1
        if end_fast > next_fast:
            k = np.arange(next_fast, end_fast)
            hub.publish(SampleBlock("in.torque_nm", k / 1000.0, k * 0.5))
            next_fast = end_fast
        end_slow = int(now * 100.0) + 1
        if end_slow > next_slow:
            k = np.arange(next_slow, end_slow)
            hub.publish(SampleBlock("drive.counter", k / 100.0, k.astype(np.int32)))
            next_slow = end_slow
        errors = hub.take_callback_errors()
        if errors:
            raise errors[0]
        time.sleep(0.005)


if __name__ == "__main__":
    main(sys.argv[1])
