"""pytest plugin: the same test file runs on the simulated bench in CI and on a real bench.

Installed with the package (entry point ``pytest11``). It adds::

    pytest --rig my_rig.toml        # run the tests against the rig that file describes

and the fixtures ``bench_rig_file`` (the rig file in use: ``--rig``, else ``$BENCH_RIG``, else the
project's simulated reducer bench) and ``rig`` (a :class:`bench.Rig` opened on it for the test and
closed after, through its safe state). Tests marked ``@pytest.mark.hardware`` need a real rig: they are
skipped unless the rig file in use has no ``[sim]`` table.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT_RIG = Path(__file__).resolve().parents[1] / "configs" / "sim_reducer.toml"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("bench", "test bench")
    group.addoption("--rig", action="store", default=None, metavar="FILE",
                    help="rig file to test against (default: $BENCH_RIG, else the simulated reducer bench)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "hardware: needs a real rig (skipped unless --rig names a rig without [sim])")


def _rig_file(config) -> Path:
    chosen = config.getoption("--rig") or os.environ.get("BENCH_RIG")
    return Path(chosen) if chosen else DEFAULT_RIG


def pytest_collection_modifyitems(config, items) -> None:
    if not any(item.get_closest_marker("hardware") for item in items):
        return
    from bench.config import load_rig_config

    path = _rig_file(config)
    simulated = load_rig_config(path).is_simulated
    if simulated:
        skip = pytest.mark.skip(reason=f"needs a real rig; {path.name} is simulated (give --rig FILE)")
        for item in items:
            if item.get_closest_marker("hardware"):
                item.add_marker(skip)


@pytest.fixture
def bench_rig_file(request) -> Path:
    """The rig file the tests run against."""
    return _rig_file(request.config)


@pytest.fixture
def rig(bench_rig_file):
    """A :class:`bench.Rig` on the rig file in use, closed (through its safe state) after the test."""
    from bench.rig import Rig

    with Rig.from_config(bench_rig_file) as opened:
        yield opened
