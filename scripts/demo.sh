#!/usr/bin/env bash
# The main job: set up, then run a standard test on the simulated reducer bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/bench demo "$@"
