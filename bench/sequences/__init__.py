"""Test procedures: typed parameters, declared measurements with limits, the runner and product specs.

Write a procedure as a :class:`Sequence` subclass (see :mod:`bench.sequences.base`), run it with
:func:`run_sequence`; limits per unit type come from a product spec (:func:`load_spec`, files in
``specs/``); plot data for reports goes through ``ctx.attach_plot_data`` (:mod:`bench.sequences.plotdata`).
"""

from bench.sequences.base import (
    Limits,
    Measurement,
    NoParameters,
    Outcome,
    Sequence,
    Verdict,
)
from bench.sequences.context import Progress, SequenceContext
from bench.sequences.params import (
    ParameterInfo,
    build_parameters,
    parameter_info,
    parse_set_options,
)
from bench.sequences.runner import MeasurementResult, RunResult, run_sequence
from bench.sequences.spec import ProductSpec, load_spec

__all__ = [
    "Limits", "Measurement", "NoParameters", "Outcome", "Sequence", "Verdict", "Progress", "SequenceContext",
    "build_parameters", "parse_set_options", "parameter_info", "ParameterInfo", "MeasurementResult", "RunResult", "run_sequence",
    "ProductSpec", "load_spec",
]
