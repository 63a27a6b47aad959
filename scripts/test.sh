#!/usr/bin/env bash
# Set up, then run the whole test suite (unit, integration; Qt offscreen). Fails on no tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest "$@"
