"""``bench runs`` and ``bench export`` as a user calls them."""

from __future__ import annotations

import h5py

from bench.cli import main
from bench.recording import RunWriter
from bench.streams import ChannelSpec


def _complete_run(runs_dir, block):
    rec = {"procedure": "torsion", "unit": {"model": "CSF-17-50", "serial": "S7"}}
    with RunWriter.create(runs_dir, rec) as w:
        w.add_channel(ChannelSpec("in.torque_nm", "N*m"))
        w.write_block(block("in.torque_nm", [0.0, 0.5], [1.0, 2.0]))
    return w


def test_runs_lists_history_and_marks_incomplete(tmp_path, capsys, block, make_killed_run):
    w = _complete_run(tmp_path, block)
    make_killed_run(tmp_path)
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["RUN", "STARTED", "PROCEDURE", "UNIT", "SERIAL", "OUTCOME"]
    assert out[1].startswith(w.run_id) and out[1].split()[-3:] == ["CSF-17-50", "S7", "DONE"]
    assert out[2].startswith("20260101-120000-abcdef") and out[2].endswith("INCOMPLETE")
    assert "1 INCOMPLETE" in out[-1]


def test_runs_uses_env_and_reindexes(tmp_path, capsys, monkeypatch, block):
    w = _complete_run(tmp_path, block)
    monkeypatch.setenv("BENCH_RUNS_DIR", str(tmp_path))
    assert main(["runs", "--reindex"]) == 0
    assert w.run_id in capsys.readouterr().out
    assert (tmp_path / "index.sqlite").exists()


def test_runs_in_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["runs", "--runs-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and "Traceback" not in err


def test_export_by_id_prefix_and_by_folder(tmp_path, capsys, block):
    w = _complete_run(tmp_path / "runs", block)
    out = tmp_path / "x.h5"
    assert main(["export", w.run_id[:15], "--format", "hdf5", "--out", str(out),
                 "--runs-dir", str(tmp_path / "runs")]) == 0
    with h5py.File(out, "r") as f:
        assert f[w.run_id]["in.torque_nm"]["value"].tolist() == [1.0, 2.0]
    assert main(["export", str(w.path), "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    assert (tmp_path / "csv" / "in.torque_nm.csv").read_text().splitlines()[2] == "0.5,2,0"
    assert "1 CSV files" in capsys.readouterr().out


def test_export_errors_are_one_line(tmp_path, capsys, block):
    _complete_run(tmp_path, block)
    assert main(["export", "nope", "--format", "csv", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: no run 'nope'") and err.count("\n") == 1
    _complete_run(tmp_path, block)  # two runs share the date prefix now
    assert main(["export", "20", "--format", "csv", "--runs-dir", str(tmp_path)]) == 2
    assert "ambiguous" in capsys.readouterr().err


def test_export_of_an_incomplete_run_says_so(tmp_path, capsys, make_killed_run):
    path = make_killed_run(tmp_path)
    assert main(["export", path.name, "--format", "csv", "--runs-dir", str(tmp_path),
                 "--out", str(tmp_path / "o")]) == 0
    assert "INCOMPLETE" in capsys.readouterr().out


def test_runs_filters_by_procedure_serial_and_outcome(tmp_path, capsys, block, make_killed_run):
    w = _complete_run(tmp_path, block)
    make_killed_run(tmp_path)
    assert main(["runs", "--runs-dir", str(tmp_path), "--outcome", "incomplete"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1].startswith("20260101-120000-abcdef")
    assert out[-1].startswith("1 of 1 matching runs (2 in ")
    assert main(["runs", "--runs-dir", str(tmp_path), "--serial", "S7", "--procedure", "torsion"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1].startswith(w.run_id)
    assert main(["runs", "--runs-dir", str(tmp_path), "--serial", "nobody"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 of 0 matching runs (2 in ")
