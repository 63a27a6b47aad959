"""Where runs live: one rule shared by the CLI, the GUI and the sequence runner."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_RUNS_DIR = "BENCH_RUNS_DIR"
DEFAULT_RUNS_DIR = "runs"


def resolve_runs_dir(runs_dir: str | Path | None = None, rig: str | Path | None = None,
                     env: Mapping[str, str] | None = None) -> Path:
    """The runs folder, first of: ``runs_dir`` given explicitly; the rig file's ``runs_dir`` (relative
    to the rig file); the environment variable ``BENCH_RUNS_DIR``; ``runs/`` in the current folder.

    Loading ``rig`` may raise :class:`bench.errors.ConfigError`.
    """
    if runs_dir:
        return Path(runs_dir).expanduser()
    if rig:
        from bench.config import load_rig_config

        config = load_rig_config(rig)
        return config.resolve(config.runs_dir)
    env = os.environ if env is None else env
    if env.get(ENV_RUNS_DIR):
        return Path(env[ENV_RUNS_DIR]).expanduser()
    return Path(DEFAULT_RUNS_DIR)
