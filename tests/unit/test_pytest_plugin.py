"""The pytest plugin picks the rig file and skips hardware-only tests on a simulated rig."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
import pytest

def test_rig_file(bench_rig_file):
    print("RIG", bench_rig_file.name)

@pytest.mark.hardware
def test_real_only():
    pass
"""


def test_simulated_rig_by_default_skips_hardware_tests(pytester):
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*RIG sim_reducer.toml*"])


def test_a_real_rig_file_runs_hardware_tests(pytester):
    pytester.makepyfile(TESTS)
    rig = ROOT / "configs" / "example_rig.toml"
    result = pytester.runpytest("-s", "--rig", str(rig))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*RIG example_rig.toml*"])
