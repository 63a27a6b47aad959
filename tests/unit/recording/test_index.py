"""RunIndex: runs and measurements in SQLite, history and trend queries."""

from __future__ import annotations

import pytest

from bench.recording import RecordingError, RunIndex, RunWriter, open_run


def _run(tmp_path, model, serial, outcome="PASS", measurements=None, procedure="torsion"):
    rec = {"procedure": procedure, "unit": {"kind": "reducer", "model": model, "serial": serial},
           "rig": {"name": "bench A", "sha256": "ab" * 32}}
    w = RunWriter.create(tmp_path / "runs", rec)
    if measurements:
        w.update_record(measurements=measurements)
    w.close(outcome)
    return open_run(w.path)


def test_add_run_and_history_newest_first(tmp_path):
    a = _run(tmp_path, "CSF-17-50", "S1", "PASS")
    b = _run(tmp_path, "CSF-17-50", "S2", "FAIL")
    with RunIndex(tmp_path / "runs" / "index.sqlite") as ix:
        ix.add_run(a)
        ix.add_run(b)
        ix.add_run(b)  # upsert, not a duplicate
        rows = ix.runs()
        assert [r["run_id"] for r in rows] == [b.run_id, a.run_id]
        assert rows[0]["outcome"] == "FAIL" and rows[0]["serial"] == "S2" and rows[0]["unit_type"] == "CSF-17-50"
        assert rows[0]["status"] == "complete" and rows[0]["rig_sha256"] == "ab" * 32
        assert ix.runs(limit=1) == rows[:1]
        assert [r["run_id"] for r in ix.runs(serial="S1")] == [a.run_id]
        assert ix.record(a.run_id)["unit"]["serial"] == "S1"
        assert ix.record("nope") is None


def test_measurements_trend_per_unit_type_and_name(tmp_path):
    runs = [_run(tmp_path, model, serial) for model, serial in
            [("CSF-17-50", "S1"), ("CSF-17-50", "S2"), ("RV-42N", "R1")]]
    with RunIndex.for_runs_dir(tmp_path / "runs") as ix:
        for i, run in enumerate(runs):
            ix.add_run(run)
            ix.add_measurements(run.run_id, [
                {"name": "lost_motion_arcmin", "value": 0.5 + i, "unit": "arcmin", "low": None, "high": 1.0,
                 "outcome": "PASS" if i == 0 else "FAIL", "time": f"2026-01-0{i + 1}T00:00:00+00:00"},
                {"name": "stiffness_nm_rad", "value": 1e4 * (i + 1), "unit": "N*m/rad", "low": 5e3, "high": None,
                 "outcome": "PASS", "time": f"2026-01-0{i + 1}T00:00:00+00:00"},
            ])
        trend = ix.measurements(name="lost_motion_arcmin", unit_type="CSF-17-50")
        assert [m["value"] for m in trend] == [0.5, 1.5]  # oldest first, the RV unit left out
        assert [m["serial"] for m in trend] == ["S1", "S2"]  # filled from the indexed run
        assert trend[0]["high"] == 1.0 and trend[0]["low"] is None and trend[1]["outcome"] == "FAIL"
        assert [m["value"] for m in ix.measurements(serial="R1")] == [2.5, 3e4]
        assert len(ix.measurements()) == 6


def test_record_measurements_are_indexed_with_the_run(tmp_path):
    run = _run(tmp_path, "CSF-25-50", "K9", measurements=[
        {"name": "backlash_rad", "value": 1e-4, "unit": "rad", "low": None, "high": 3e-4, "outcome": "PASS"}])
    with RunIndex.for_runs_dir(tmp_path / "runs") as ix:
        ix.add_run(run)
        ix.add_run(run)  # re-indexing replaces, never duplicates
        got = ix.measurements(name="backlash_rad")
        assert len(got) == 1
        assert got[0]["unit_type"] == "CSF-25-50" and got[0]["serial"] == "K9"
        assert got[0]["time"] == run.record["stopped_at"]


def test_bad_measurements_are_refused_with_the_name(tmp_path):
    with RunIndex(tmp_path / "i.sqlite") as ix:
        with pytest.raises(RecordingError, match="measurement 'x' value: 'abc' is not a number"):
            ix.add_measurements("r1", [{"name": "x", "value": "abc"}])
        with pytest.raises(RecordingError, match="needs a name"):
            ix.add_measurements("r1", [{"value": 1.0}])
        assert ix.measurements() == []


def test_sync_indexes_killed_runs_as_incomplete(tmp_path, make_killed_run):
    done = _run(tmp_path, "CSF-17-50", "S1")
    make_killed_run(tmp_path / "runs")
    with RunIndex.for_runs_dir(tmp_path / "runs") as ix:
        assert ix.sync(tmp_path / "runs") == 2
        status = {r["run_id"]: r["status"] for r in ix.runs()}
    assert status == {done.run_id: "complete", "20260101-120000-abcdef": "incomplete"}


def test_index_survives_reopen(tmp_path):
    run = _run(tmp_path, "CSF-17-50", "S1")
    with RunIndex(tmp_path / "i.sqlite") as ix:
        ix.add_run(run)
    with RunIndex(tmp_path / "i.sqlite") as ix:
        assert [r["run_id"] for r in ix.runs()] == [run.run_id]


def test_unopenable_index_is_a_clear_error(tmp_path):
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(RecordingError, match="run index"):
        RunIndex(tmp_path / "dir.sqlite")


def test_unit_type_prefers_the_spec_type_over_the_model(tmp_path):
    w = RunWriter.create(tmp_path, {"unit": {"model": "CSF-25-50-2UH (simulated)", "type": "CSF-25-50", "serial": "Q"},
                                    "measurements": [{"name": "m", "value": 1.0}]})
    w.close("PASS")
    with RunIndex(tmp_path / "i.sqlite") as ix:
        ix.add_run(open_run(w.path))
        assert ix.runs()[0]["unit_type"] == "CSF-25-50"
        assert ix.measurements(unit_type="CSF-25-50")[0]["serial"] == "Q"
