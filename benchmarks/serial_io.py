"""Serial I/O figures: ASCII and Modbus RTU round trips on a pseudo-terminal, and a 1 kHz torque stream.

Run:  .venv/bin/python benchmarks/serial_io.py [--duration 60] [--round-trips 3000] [--plant-runner]

1. ASCII request/response (DSP7000 ``OD1``) through the driver (``Dsp7000.read_od``: line lock, stale
   input discarded, chunked line read, parse), against the baseline of plain pyserial
   (``write`` + ``read_until``) to the same simulator in the same run. Target: >= 5,000 per second.
2. Modbus RTU "read 2 input registers" through ``ModbusRtuLink.read_registers`` (pymodbus client on
   the shared line, retries, error translation), against the baseline of a bare pymodbus
   ``ModbusSerialClient`` that opens the pty itself.
3. SCPI power-analyzer reads (``ScpiPowerAnalyzer.read_numeric``: one ``:NUMERIC:NORMAL:VALUE?`` of
   the configured items) on the simulator's loopback TCP port, through VISA (pyvisa-py,
   ``TCPIP0::127.0.0.1::N::SOCKET``, :class:`~bench.drivers.visa_line.VisaLine`) against the baseline
   of the same driver on pyserial's ``socket://`` URL (:class:`SerialLine`), in the same run.
4. A continuous 1 kHz DSP7000 torque stream paced by the simulator, read by the driver's reader
   thread for ``--duration`` seconds: records sent, samples published, lost (sent − published),
   undecodable records, achieved rate, CPU seconds of this process.

Values come from the plant of configs/sim_reducer.toml (held still unless ``--plant-runner``, which
steps it in real time in its own thread and so shares the CPU with the I/O being measured).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import serial  # noqa: E402
from pymodbus.client import ModbusSerialClient  # noqa: E402

from bench.config import load_rig_config  # noqa: E402
from bench.drivers.dsp7000 import Dsp7000  # noqa: E402
from bench.drivers.modbus_torque import ModbusTorqueAmplifier  # noqa: E402
from bench.drivers.scpi_power import ScpiPowerAnalyzer  # noqa: E402
from bench.drivers.serial_line import SerialLine  # noqa: E402
from hil_mocks.plant import Plant, PlantRunner  # noqa: E402
from hil_mocks.serial.dsp7000 import SimulatedDsp7000  # noqa: E402
from hil_mocks.serial.modbus_rtu import SimulatedModbusTorque  # noqa: E402
from hil_mocks.serial.scpi_power import SimulatedPowerAnalyzer  # noqa: E402


def _rate(count: int, fn) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return count / (time.perf_counter() - start)


class SimProcess:
    """A simulator in a child process (as a real instrument is outside our process: no shared GIL).

    ``kind`` is "dsp7000", "modbus" (on a pty) or "scpi" (loopback TCP); ``port`` the port it owns; :meth:`stop` returns its counters.
    """

    def __init__(self, kind: str, plant_runner: bool):
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, kind, plant_runner), name=f"sim-{kind}")
        self._process.start()
        if not self._conn.poll(20.0):
            raise RuntimeError(f"simulator process {kind} did not start")
        self.port = self._conn.recv()

    def stop(self) -> dict:
        self._conn.send("stop")
        counters = self._conn.recv() if self._conn.poll(10.0) else {}
        self._process.join(10.0)
        return counters

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self._process.is_alive():
            self.stop()


def _serve(conn, kind: str, plant_runner: bool) -> None:
    plant = Plant.from_rig(load_rig_config(ROOT / "configs" / "sim_reducer.toml"))
    runner = PlantRunner(plant, realtime=True).start() if plant_runner else None
    if kind == "dsp7000":
        sim = SimulatedDsp7000(plant, plant.lock, endpoint="pty", name="bench-dsp")
    elif kind == "scpi":
        sim = SimulatedPowerAnalyzer(plant, plant.lock, endpoint="tcp", name="bench-wt")
    else:
        sim = SimulatedModbusTorque(plant, plant.lock, endpoint="pty", name="bench-rtu", address=1)
    with sim:
        conn.send(sim.port)
        conn.recv()
        counters = {"stream_sent": getattr(sim, "stream_sent", 0), "requests": sim.requests}
    if runner is not None:
        runner.stop()
    conn.send(counters)


def _best_of(repeat: int, count: int, fn) -> tuple[float, float]:
    rates = sorted(_rate(count, fn) for _ in range(repeat))
    return rates[-1], rates[len(rates) // 2]


def ascii_round_trips(count: int, repeat: int, plant_runner: bool) -> dict[str, tuple[float, float]]:
    with SimProcess("dsp7000", plant_runner) as sim:
        with SerialLine.open(sim.port, baudrate=921600) as line:
            driver = Dsp7000(line, name="dyno")
            driver.connect()
            _rate(200, driver.read_od)  # warm up
            ours = _best_of(repeat, count, driver.read_od)
        raw = serial.serial_for_url(sim.port, baudrate=921600, timeout=0.5)
        try:
            def plain():
                raw.write(b"OD1\r\n")
                if not raw.read_until(b"\r\n").endswith(b"\r\n"):
                    raise RuntimeError("baseline: no answer")
            _rate(200, plain)
            baseline = _best_of(repeat, count, plain)
        finally:
            raw.close()
        sim.stop()
    return {"driver": ours, "baseline": baseline}


def modbus_round_trips(count: int, repeat: int, plant_runner: bool) -> dict[str, tuple[float, float]]:
    with SimProcess("modbus", plant_runner) as sim:
        with SerialLine.open(sim.port, baudrate=921600) as line:
            link = ModbusTorqueAmplifier(line, name="torque", address=1).link
            _rate(50, lambda: link.read_registers("input", 0, 2))
            ours = _best_of(repeat, count, lambda: link.read_registers("input", 0, 2))
        client = ModbusSerialClient(sim.port, baudrate=921600, timeout=0.5, retries=0)
        if not client.connect():
            raise RuntimeError("baseline pymodbus client could not open the pty")
        try:
            def plain():
                if client.read_input_registers(0, count=2, device_id=1).isError():
                    raise RuntimeError("baseline: exception response")
            _rate(50, plain)
            baseline = _best_of(repeat, count, plain)
        finally:
            client.close()
        sim.stop()
    return {"driver": ours, "baseline": baseline}


def scpi_round_trips(count: int, repeat: int, plant_runner: bool) -> dict[str, tuple[float, float]] | None:
    try:
        import pyvisa_py  # noqa: F401  (the "@py" backend)

        from bench.drivers.visa_line import VisaLine
    except ImportError:
        return None
    items = {"u1_v": "URMS,1", "i1_a": "IRMS,1", "p1_w": "P,1", "p_total_w": "P,SIGMA"}
    rates = {}
    with SimProcess("scpi", plant_runner) as sim:
        tcp_port = sim.port.rsplit(":", 1)[1]
        for label, opener in (("visa", lambda: VisaLine.open(f"TCPIP0::127.0.0.1::{tcp_port}::SOCKET", backend="@py")),
                              ("baseline", lambda: SerialLine.open(sim.port))):
            with opener() as line:
                driver = ScpiPowerAnalyzer(line, name="power", settings={"items": items})
                try:
                    _rate(50, driver.read_numeric)
                    rates[label] = _best_of(repeat, count, driver.read_numeric)
                finally:
                    driver.close()
        sim.stop()
    return {"driver": rates["visa"], "baseline": rates["baseline"]}


def stream(duration_s: float, plant_runner: bool, rate_hz: float = 1000.0) -> dict[str, float]:
    published = []
    with SimProcess("dsp7000", plant_runner) as sim:
        with SerialLine.open(sim.port, baudrate=921600) as line:
            driver = Dsp7000(line, name="dyno", settings={"continuous": True},
                             publish=lambda block: published.append(len(block))
                             if block.channel == "dyno.torque_nm" else None)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            driver.start_streaming(rate_hz)
            time.sleep(duration_s)
            driver.stop_streaming()
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
        sent = sim.stop()["stream_sent"]
    received = sum(published)
    return {"sent": sent, "received": received, "lost": sent - received - driver.stats.bad_records,
            "bad": driver.stats.bad_records, "rate_hz": received / wall, "cpu_s": cpu, "wall_s": wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of 1 kHz streaming (default 60)")
    parser.add_argument("--round-trips", type=int, default=3000, help="requests per round-trip figure")
    parser.add_argument("--plant-runner", action="store_true", help="step the plant in real time meanwhile")
    parser.add_argument("--repeat", type=int, default=3, help="round-trip runs (best and median shown)")
    args = parser.parse_args(argv)

    print(f"simulators in a child process; plant {'stepped in real time' if args.plant_runner else 'held still'}")
    r = ascii_round_trips(args.round_trips, args.repeat, args.plant_runner)
    (best, median), (base_best, base_median) = r["driver"], r["baseline"]
    print(f"ASCII round trips on a pty (DSP7000 OD1): driver best {best:6.0f} /s (median {median:6.0f}); "
          f"baseline plain pyserial write+read_until best {base_best:6.0f} /s (median {base_median:6.0f}); "
          f"ratio {best / base_best:4.2f}; target >= 5000 /s: {'met' if best >= 5000 else 'NOT met'}")
    r = modbus_round_trips(max(args.round_trips // 5, 100), args.repeat, args.plant_runner)
    (best, median), (base_best, base_median) = r["driver"], r["baseline"]
    print(f"Modbus RTU round trips on a pty (FC04, 2 registers): driver best {best:6.0f} /s (median {median:6.0f}); "
          f"baseline bare pymodbus client best {base_best:6.0f} /s (median {base_median:6.0f}); "
          f"ratio {best / base_best:4.2f}")
    r = scpi_round_trips(max(args.round_trips // 5, 100), args.repeat, args.plant_runner)
    if r is None:
        print("SCPI through VISA: skipped (pip install -e '.[visa]')")
    else:
        (best, median), (base_best, base_median) = r["driver"], r["baseline"]
        print(f"SCPI analyzer reads on loopback TCP (4 items): VISA (pyvisa-py SOCKET) best {best:6.0f} /s "
              f"(median {median:6.0f}); baseline pyserial socket:// best {base_best:6.0f} /s "
              f"(median {base_median:6.0f}); ratio {best / base_best:4.2f}")
    result = stream(args.duration, args.plant_runner)
    print(f"1 kHz DSP7000 torque stream for {result['wall_s']:.1f} s: sent {result['sent']}, "
          f"published {result['received']}, lost {result['lost']} (target 0), undecodable {result['bad']}, "
          f"{result['rate_hz']:.1f} samples/s, reader CPU {result['cpu_s']:.2f} s "
          f"({100 * result['cpu_s'] / result['wall_s']:.1f} % of one core)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
