"""The SQLite index of runs and measurements, for history and trend queries.

The run folders are the truth; the index is a cache that :meth:`RunIndex.sync` can rebuild from them.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.recording.layout import RecordingError, json_default
from bench.recording.run import Run, list_runs

INDEX_FILE = "index.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    status TEXT,
    outcome TEXT,
    started_at TEXT,
    stopped_at TEXT,
    procedure TEXT,
    operator TEXT,
    unit_kind TEXT,
    unit_type TEXT,
    serial TEXT,
    rig_name TEXT,
    rig_sha256 TEXT,
    software_version TEXT,
    record_json TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    unit TEXT,
    low REAL,
    high REAL,
    outcome TEXT,
    unit_type TEXT,
    serial TEXT,
    time TEXT
);
CREATE INDEX IF NOT EXISTS meas_name ON measurements(name, unit_type, time);
CREATE INDEX IF NOT EXISTS meas_serial ON measurements(serial, time);
CREATE INDEX IF NOT EXISTS meas_run ON measurements(run_id);
"""

_MEAS_KEYS = ("name", "value", "unit", "low", "high", "outcome", "unit_type", "serial", "time")


def _num(value: Any, what: str) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise RecordingError(f"{what}: {value!r} is not a number") from None
    return None if math.isnan(x) else x


class RunIndex:
    """SQLite index; ``RunIndex(db_path)``, conventionally ``<runs_dir>/index.sqlite``. Thread-safe."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.db_path), check_same_thread=False, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise RecordingError(f"run index {self.db_path}: {exc}") from None
        self._lock = threading.Lock()

    @classmethod
    def for_runs_dir(cls, runs_dir: str | Path) -> RunIndex:
        return cls(Path(runs_dir) / INDEX_FILE)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _exec(self, sql: str, rows: Iterable[tuple] | tuple = ()) -> sqlite3.Cursor:
        try:
            with self._lock, self._db:
                if isinstance(rows, tuple):
                    return self._db.execute(sql, rows)
                return self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise RecordingError(f"run index {self.db_path}: {exc}") from None

    # ------------------------------------------------------------------ writing
    def add_run(self, run: Run) -> None:
        """Insert or update ``run``; the record's ``measurements`` (if any) replace the run's indexed ones.

        The unit type is the record's ``unit.type`` (the product spec's type), else ``unit.model``.
        """
        rec = run.record
        unit = rec.get("unit") or {}
        rig = rec.get("rig") or {}
        status = "complete" if run.complete else ("running" if run.live else "incomplete")
        row = (run.run_id, str(run.path.resolve()), status, rec.get("outcome"), rec.get("started_at"),
               rec.get("stopped_at"), rec.get("procedure"), rec.get("operator"), unit.get("kind"),
               unit.get("type") or unit.get("model"), unit.get("serial"), rig.get("name"), rig.get("sha256"),
               rec.get("software_version"), json.dumps(rec, default=json_default))
        self._exec("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
        measurements = rec.get("measurements") or []
        if measurements:
            rows = self._measurement_rows(run.run_id, measurements,
                                          default_unit_type=unit.get("type") or unit.get("model"),
                                          default_serial=unit.get("serial"),
                                          default_time=rec.get("stopped_at") or rec.get("started_at"))
            try:
                with self._lock, self._db:
                    self._db.execute("DELETE FROM measurements WHERE run_id = ?", (run.run_id,))
                    self._db.executemany(
                        "INSERT INTO measurements (run_id, name, value, unit, low, high, outcome, unit_type, "
                        "serial, time) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            except sqlite3.Error as exc:
                raise RecordingError(f"run index {self.db_path}: {exc}") from None

    def add_measurements(self, run_id: str, measurements: list[dict[str, Any]]) -> None:
        """Append measurements of ``run_id`` (dicts with name, value, unit, low, high, outcome, unit_type,
        serial; optional time, ISO 8601, default now). Unit type and serial default to the indexed run's."""
        known = self._exec("SELECT unit_type, serial FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        rows = self._measurement_rows(run_id, measurements,
                                      default_unit_type=known["unit_type"] if known else None,
                                      default_serial=known["serial"] if known else None,
                                      default_time=None)
        self._exec("INSERT INTO measurements (run_id, name, value, unit, low, high, outcome, unit_type, serial, "
                   "time) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

    @staticmethod
    def _measurement_rows(run_id, measurements, *, default_unit_type, default_serial, default_time) -> list[tuple]:
        now = _dt.datetime.now(_dt.UTC).astimezone().isoformat(timespec="milliseconds")
        rows = []
        for i, m in enumerate(measurements):
            what = f"run {run_id}: measurement #{i}"
            if not isinstance(m, dict):
                raise RecordingError(f"{what}: needs a dict, not {type(m).__name__}")
            name = m.get("name")
            if not isinstance(name, str) or not name:
                raise RecordingError(f"{what}: needs a name")
            what = f"run {run_id}: measurement {name!r}"
            rows.append((run_id, name, _num(m.get("value"), what + " value"), m.get("unit"),
                         _num(m.get("low"), what + " low"), _num(m.get("high"), what + " high"),
                         m.get("outcome"), m.get("unit_type") or default_unit_type,
                         m.get("serial") or default_serial, m.get("time") or default_time or now))
        return rows

    def sync(self, runs_dir: str | Path, problems: list[str] | None = None) -> int:
        """Index every run folder of ``runs_dir`` (new, changed or killed); returns how many."""
        runs = list_runs(runs_dir, problems)
        for run in runs:
            self.add_run(run)
        return len(runs)

    # ------------------------------------------------------------------ queries
    def runs(self, limit: int = 50, *, serial: str | None = None, unit_type: str | None = None,
             procedure: str | None = None) -> list[dict]:
        """Indexed runs, newest first (without the full record; see :meth:`record`)."""
        where, args = self._where(serial=serial, unit_type=unit_type, procedure=procedure)
        cur = self._exec(f"SELECT run_id, path, status, outcome, started_at, stopped_at, procedure, operator, "
                         f"unit_kind, unit_type, serial, rig_name, rig_sha256, software_version FROM runs{where} "
                         f"ORDER BY started_at DESC, run_id DESC LIMIT ?", (*args, int(limit)))
        return [dict(r) for r in cur.fetchall()]

    def record(self, run_id: str) -> dict | None:
        row = self._exec("SELECT record_json FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else json.loads(row["record_json"])

    def measurements(self, name: str | None = None, unit_type: str | None = None,
                     serial: str | None = None) -> list[dict]:
        """Measurements, oldest first (a trend): filter by measurement name, unit type and serial."""
        where, args = self._where(name=name, unit_type=unit_type, serial=serial)
        cur = self._exec(f"SELECT run_id, name, value, unit, low, high, outcome, unit_type, serial, time "
                         f"FROM measurements{where} ORDER BY time, id", args)
        return [dict(r) for r in cur.fetchall()]

    def measurement_names(self, unit_type: str | None = None) -> list[dict]:
        """What can be trended: ``{name, unit_type, unit, count, first, last}`` per measurement and unit type."""
        where, args = self._where(unit_type=unit_type)
        cur = self._exec(f"SELECT name, unit_type, unit, COUNT(*) AS count, MIN(time) AS first, MAX(time) AS last "
                         f"FROM measurements{where} GROUP BY name, unit_type, unit ORDER BY name, unit_type", args)
        return [dict(r) for r in cur.fetchall()]

    @staticmethod
    def _where(**filters) -> tuple[str, tuple]:
        parts = [(k, v) for k, v in filters.items() if v is not None]
        if not parts:
            return "", ()
        return " WHERE " + " AND ".join(f"{k} = ?" for k, _ in parts), tuple(v for _, v in parts)
