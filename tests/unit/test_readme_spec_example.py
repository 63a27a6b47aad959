"""The product-spec example in the README loads and passes the spec check (the docs stay true)."""

from __future__ import annotations

from pathlib import Path

from bench.sequences.spec import load_spec
from bench.sequences.spec_check import check_spec

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_spec_example_is_a_clean_spec(tmp_path):
    section = README.read_text(encoding="utf-8").split("## Writing a product specification", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "spec.toml"
    path.write_text(example, encoding="utf-8")
    spec = load_spec(path)
    assert check_spec(spec) == ([], [])
    assert spec.limits["lost_motion"].limits.high > 0 and spec.parameters_for("hysteresis")
