"""HDF5 and CSV exports of a run."""

from __future__ import annotations

import csv

import h5py
import numpy as np
import pytest

from bench.recording import RecordingError, RunWriter, export_csv, export_hdf5, open_run
from bench.streams import ChannelSpec


@pytest.fixture
def run(tmp_path, block):
    rec = {"procedure": "te", "unit": {"model": "CSF-17-50", "serial": "S1", "ratio": 50.0}, "operator": "ann"}
    with RunWriter.create(tmp_path / "runs", rec) as w:
        w.add_channel(ChannelSpec("out.angle_rad", "rad", rate_hz=1000.0, device="encoder_out"))
        w.add_channel(ChannelSpec("drive.statusword", "", dtype="uint16"))
        w.add_channel(ChannelSpec("empty.v", "V"))
        t = np.arange(1000) / 1000.0
        w.write_block(block("out.angle_rad", t, 0.1 * np.sin(2 * np.pi * t), np.where(t > 0.5, 8, 0)))
        w.write_block(block("drive.statusword", [0.0, 0.5], [0x0237, 0x0027]))
    return open_run(w.path)


def test_hdf5_group_per_run_dataset_per_channel(run, tmp_path):
    out = export_hdf5(run, tmp_path / "x.h5")
    with h5py.File(out, "r") as f:
        g = f[run.run_id]
        assert set(g) == {"out.angle_rad", "drive.statusword", "empty.v"}
        ds = g["out.angle_rad"]
        assert ds.attrs["unit"] == "rad" and ds.attrs["rate_hz"] == 1000.0 and ds.attrs["device"] == "encoder_out"
        assert ds.attrs["samples"] == 1000
        t, v = run.read("out.angle_rad")
        np.testing.assert_array_equal(ds["t_s"], t)
        np.testing.assert_array_equal(ds["value"], v)
        assert ds["flags"][499] == 0 and ds["flags"][999] == 8
        assert g["drive.statusword"]["value"].tolist() == [0x0237, 0x0027]
        assert g["empty.v"].shape == (0,)
        assert g.attrs["procedure"] == "te" and g.attrs["outcome"] == "DONE" and g.attrs["complete"]
        assert '"serial": "S1"' in g.attrs["unit"]  # nested fields as JSON text


def test_hdf5_appends_runs_and_refuses_to_clobber(run, tmp_path, block):
    out = tmp_path / "all.h5"
    export_hdf5(run, out)
    with RunWriter.create(tmp_path / "runs", {}) as w:
        pass
    export_hdf5(open_run(w.path), out)
    with h5py.File(out, "r") as f:
        assert set(f) == {run.run_id, w.run_id}
    with pytest.raises(RecordingError, match=f"already holds run {run.run_id}"):
        export_hdf5(run, out)
    export_hdf5(run, out, overwrite=True)


def test_hdf5_to_unwritable_place_is_a_clear_error(run, tmp_path):
    (tmp_path / "f").write_text("not a folder")
    with pytest.raises(RecordingError, match="cannot export run"):
        export_hdf5(run, tmp_path / "f" / "x.h5")
    (tmp_path / "junk.h5").write_text("not hdf5")
    with pytest.raises(RecordingError, match="cannot export run"):
        export_hdf5(run, tmp_path / "junk.h5")


def test_csv_one_file_per_channel_exact_values(run, tmp_path):
    files = export_csv(run, tmp_path / "csv")
    assert sorted(p.name for p in files) == ["drive.statusword.csv", "empty.v.csv", "out.angle_rad.csv"]
    with open(tmp_path / "csv" / "out.angle_rad.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["t_s", "out.angle_rad [rad]", "flags"]
    t, v = run.read("out.angle_rad")
    assert len(rows) == 1001
    assert np.array_equal(np.array([float(r[0]) for r in rows[1:]]), t)  # 17 digits: round-trip exact
    assert np.array_equal(np.array([float(r[1]) for r in rows[1:]]), v)
    assert rows[1000][2] == "8"
    status = (tmp_path / "csv" / "drive.statusword.csv").read_text().splitlines()
    assert status == ["t_s,drive.statusword,flags", "0,567,0", "0.5,39,0"]  # 0x0237 = 567, 0x0027 = 39
    assert (tmp_path / "csv" / "empty.v.csv").read_text() == "t_s,empty.v [V],flags\n"
    assert (tmp_path / "csv" / f"{run.run_id}_record.json").exists()
