"""RunWriter: what it writes, when, and how it refuses bad use."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import bench
from bench.recording import RecordingError, RunWriter, list_runs, open_run
from bench.streams import ChannelSpec, Hub, SampleFlag
from bench.timebase import Timebase


def test_create_writes_record_at_once_and_starts_one_recorder_thread(tmp_path):
    tb = Timebase(start_monotonic_s=100.0, start_wall_s=1_800_000_000.0)
    before = {t.name for t in threading.enumerate()}
    w = RunWriter.create(tmp_path, {"procedure": "torsion", "operator": "ann"}, tb)
    try:
        rec = json.loads((w.path / "record.json").read_text())
        assert rec["status"] == "running" and rec["run_id"] == w.run_id == w.path.name
        assert rec["procedure"] == "torsion" and rec["operator"] == "ann"
        assert rec["software_version"] == bench.__version__
        assert rec["timebase"]["start_wall_s"] == 1_800_000_000.0
        # 1_800_000_000 s after the epoch = 2027-01-15T08:00:00Z
        assert rec["timebase"]["start_wall_iso"].startswith("2027-01-15T08:00:00")
        assert rec["outcome"] is None and rec["stopped_at"] is None and rec["measurements"] == []
        new = {t.name for t in threading.enumerate()} - before
        assert len(new) == 1 and next(iter(new)).startswith("recorder")
        assert open_run(w.path).live
    finally:
        w.close("DONE")
    assert not any(t.name.startswith(f"recorder-{w.run_id}") for t in threading.enumerate())


def test_run_ids_sort_by_time_and_are_unique(tmp_path):
    ids = []
    for _ in range(5):
        w = RunWriter.create(tmp_path, {})
        w.close("DONE")
        ids.append(w.run_id)
    assert len(set(ids)) == 5
    assert all(len(i) == len("20261128-211530-a1b2c3") for i in ids)
    assert [r.run_id for r in list_runs(tmp_path)] == sorted(ids, reverse=True)


def test_round_trip_of_many_blocks_and_dtypes(tmp_path, block):
    with RunWriter.create(tmp_path, {}) as w:
        w.add_channel(ChannelSpec("in.torque_nm", "N*m", rate_hz=1000))
        w.add_channel(ChannelSpec("drive.statusword", "", dtype="uint16"))
        w.add_channel(ChannelSpec("brake.on", "", dtype="bool"))
        w.add_channel(ChannelSpec("temp.case_c", "degC", dtype="float32"))
        for k in range(50):
            t = k * 0.01 + np.arange(10) * 1e-3
            w.write_block(block("in.torque_nm", t, np.sin(t)))
            w.write_block(block("drive.statusword", t[:1], [0x0237 + k]))
        w.write_block(block("brake.on", [0.0, 1.0], [True, False]))
        w.write_block(block("temp.case_c", [0.5], [21.25], [SampleFlag.INTERPOLATED]))
    run = open_run(w.path)
    t, v = run.read("in.torque_nm")
    assert len(t) == 500
    np.testing.assert_array_equal(t, np.repeat(np.arange(50) * 0.01, 10) + np.tile(np.arange(10) * 1e-3, 50))
    np.testing.assert_array_equal(v, np.sin(t))
    _, sw = run.read("drive.statusword")
    assert sw.dtype == np.uint16 and sw.tolist() == [0x0237 + k for k in range(50)]
    assert run.read("brake.on")[1].tolist() == [True, False]
    _, temp = run.read("temp.case_c")
    assert temp.dtype == np.float32 and temp.tolist() == [21.25]
    assert run.read_flags("temp.case_c").tolist() == [SampleFlag.INTERPOLATED]
    assert run.complete and run.record["outcome"] == "DONE"
    assert run.record["channels"]["in.torque_nm"] == {"unit": "N*m", "samples": 500}
    assert run.channels["drive.statusword"] == ChannelSpec("drive.statusword", "", dtype="uint16")


def test_samples_reach_disk_while_running(tmp_path, angle_spec, block):
    with RunWriter.create(tmp_path, {}, flush_interval_s=0.05) as w:
        w.add_channel(angle_spec)
        w.write_block(block("out.angle_rad", [0.0, 0.001], [1.0, 2.0]))
        w.flush(timeout_s=2.0)
        run = open_run(w.path)
        assert run.read("out.angle_rad")[1].tolist() == [1.0, 2.0]
        assert not run.complete and run.live and run.status_label == "RUNNING"
        w.write_block(block("out.angle_rad", [0.002], [3.0]))
        assert w.read("out.angle_rad")[1].tolist() == [1.0, 2.0, 3.0]


def test_context_manager_closes_with_error_on_exception(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with RunWriter.create(tmp_path, {}) as w:
            1 / 0
    run = open_run(w.path)
    assert run.complete and run.record["outcome"] == "ERROR" and run.record["stopped_at"]


def test_close_is_idempotent_and_checks_outcome(tmp_path):
    w = RunWriter.create(tmp_path, {})
    with pytest.raises(RecordingError, match="outcome 'OK' is not one of PASS, FAIL"):
        w.close("OK")
    w.close("FAIL")
    w.close("PASS")  # no-op: the first outcome stays
    assert open_run(w.path).record["outcome"] == "FAIL"
    assert w.closed


def test_unknown_channel_and_use_after_close_are_errors(tmp_path, angle_spec, block):
    w = RunWriter.create(tmp_path, {})
    with pytest.raises(RecordingError, match=r"channel 'x\.y', which was not added"):
        w.write_block(block("x.y", [0.0], [1.0]))
    w.add_channel(angle_spec)
    w.close("DONE")
    with pytest.raises(RecordingError, match="after close"):
        w.write_block(block("out.angle_rad", [0.0], [1.0]))
    with pytest.raises(RecordingError, match="after close"):
        w.add_channel(ChannelSpec("late", "V"))


def test_add_channel_twice(tmp_path, angle_spec):
    with RunWriter.create(tmp_path, {}) as w:
        w.add_channel(angle_spec)
        w.add_channel(angle_spec)  # same spec: fine
        with pytest.raises(RecordingError, match="already added"):
            w.add_channel(ChannelSpec("out.angle_rad", "deg"))
        with pytest.raises(RecordingError, match="'bad'.*cannot be recorded"):
            w.add_channel(ChannelSpec("bad", "", dtype="U8"))
        with pytest.raises(RecordingError, match="bad dtype"):
            w.add_channel(ChannelSpec("bad", "", dtype="not-a-dtype"))
    assert list(open_run(w.path).channels) == ["out.angle_rad"]
    assert dict(w.channels) == {"out.angle_rad": angle_spec}
    with pytest.raises(TypeError):
        w.channels["x"] = angle_spec  # a read-only view


def test_channel_names_that_are_not_file_names(tmp_path, block):
    with RunWriter.create(tmp_path, {}) as w:
        w.add_channel(ChannelSpec("a/b", "V"))
        w.add_channel(ChannelSpec("a?b", "V"))
        w.write_block(block("a/b", [0.0], [1.0]))
        w.write_block(block("a?b", [0.0], [2.0]))
    run = open_run(w.path)
    assert run.read("a/b")[1].tolist() == [1.0]
    assert run.read("a?b")[1].tolist() == [2.0]


def test_a_bad_block_is_counted_and_the_rest_recorded(tmp_path, angle_spec, block):
    with RunWriter.create(tmp_path, {}) as w:
        w.add_channel(angle_spec)
        w.write_block(block("out.angle_rad", [0.0], [1.0]))
        w.write_block(block("out.angle_rad", [1.0], ["not a number"]))
        w.write_block(block("out.angle_rad", [2.0], [3.0]))
    run = open_run(w.path)
    assert run.read("out.angle_rad")[1].tolist() == [1.0, 3.0]
    assert run.record["recorder"]["bad_blocks"] == 1
    assert "out.angle_rad" in run.record["recorder"]["bad_block_first"]


def test_update_record_merges_and_protects_managed_keys(tmp_path):
    with RunWriter.create(tmp_path, {"parameters": {"speed_rad_s": 1.0}}) as w:
        w.update_record(measurements=[{"name": "lost_motion_rad", "value": np.float64(1e-4)}],
                        parameters={"speed_rad_s": 2.0})
        rec = json.loads((w.path / "record.json").read_text())
        assert rec["measurements"][0]["value"] == 1e-4 and rec["parameters"] == {"speed_rad_s": 2.0}
        assert rec["status"] == "running"
        with pytest.raises(RecordingError, match="status"):
            w.update_record(status="complete")
        with pytest.raises(RecordingError, match="not JSON serialisable"):
            w.update_record(thing=object())
        assert "thing" not in w.record  # a failed update leaves the record as it was
    with pytest.raises(RecordingError, match="run_id"):
        RunWriter.create(tmp_path, {"run_id": "mine"})


def test_attachments(tmp_path):
    with RunWriter.create(tmp_path, {}) as w:
        w.add_attachment("loop.png", b"\x89PNG")
        w.add_attachment("notes.txt", "über")
        for bad in ("../x", "a/b", "", ".hidden"):
            with pytest.raises(RecordingError, match="bad attachment name"):
                w.add_attachment(bad, b"")
        with pytest.raises(RecordingError, match="needs bytes"):
            w.add_attachment("n.bin", 3)
    att = open_run(w.path).attachments
    assert sorted(att) == ["loop.png", "notes.txt"]
    assert att["loop.png"].read_bytes() == b"\x89PNG"
    assert att["notes.txt"].read_text(encoding="utf-8") == "über"


def test_attach_to_a_hub_follows_new_channels_and_detaches_on_close(tmp_path, angle_spec, block):
    hub = Hub()
    hub.register(angle_spec)
    w = RunWriter.create(tmp_path, {})
    w.attach(hub)
    hub.publish(block("out.angle_rad", [0.0, 0.1], [1.0, 2.0]))
    hub.register(ChannelSpec("in.torque_nm", "N*m"))
    hub.publish(block("in.torque_nm", [0.0], [5.0]))
    hub.publish(block("never.registered", [0.0], [5.0]))
    errors = hub.take_callback_errors()
    assert len(errors) == 1 and "never registered" in str(errors[0])
    w.close("DONE")
    hub.publish(block("out.angle_rad", [0.2], [3.0]))  # after close: no longer a subscriber
    assert hub.take_callback_errors() == []
    run = open_run(w.path)
    assert run.read("out.angle_rad")[1].tolist() == [1.0, 2.0]
    assert run.read("in.torque_nm")[1].tolist() == [5.0]


def test_write_block_from_many_threads(tmp_path, block):
    with RunWriter.create(tmp_path, {}, flush_interval_s=0.02) as w:
        names = [f"ch{i}.value_v" for i in range(4)]
        for n in names:
            w.add_channel(ChannelSpec(n, "V"))

        def produce(name):
            for k in range(200):
                w.write_block(block(name, [float(k)], [float(k)]))

        threads = [threading.Thread(target=produce, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5.0)
    run = open_run(w.path)
    for n in names:
        t, _ = run.read(n)
        assert t.tolist() == [float(k) for k in range(200)]  # order per channel kept


def test_writer_errors_are_raised_not_swallowed(tmp_path, angle_spec, block):
    w = RunWriter.create(tmp_path, {}, flush_interval_s=0.02)
    w.add_channel(angle_spec)
    w._channels["out.angle_rad"].fh.close()  # the disk "fails": writing to a closed file raises
    w.write_block(block("out.angle_rad", [0.0], [1.0]))
    with pytest.raises(RecordingError, match="recorder failed"):
        w.flush(timeout_s=2.0)
    with pytest.raises(RecordingError, match="recorder failed"):
        w.write_block(block("out.angle_rad", [0.0], [1.0]))
    with pytest.raises(RecordingError, match="recorder failed"):
        w.close("PASS")
    run = open_run(w.path)
    assert run.complete and "recorder_error" in run.record


@pytest.mark.parametrize("interval", [0.0, 0.6, -1])
def test_flush_interval_bounded_by_the_contract(tmp_path, interval):
    with pytest.raises(RecordingError, match="flush_interval_s"):
        RunWriter.create(tmp_path, {}, flush_interval_s=interval)
