"""Every parameter of every standard procedure carries a one-line doc (shown by `bench procedures NAME`)."""

from __future__ import annotations

import dataclasses

import pytest

from bench.sequences import build_parameters
from bench.sequences.params import parameter_info
from bench.sequences.procedures import PROCEDURES

MAX_DOC_CHARS = 90

PARAMETERS = [(name, info) for name, cls in sorted(PROCEDURES.items()) for info in parameter_info(cls.Parameters)]


def test_every_procedure_has_parameters():
    # guards the parametrized test below against passing vacuously on an empty list
    assert set(PROCEDURES) == {name for name, _ in PARAMETERS}


@pytest.mark.parametrize("procedure, info", PARAMETERS, ids=[f"{p}.{i.name}" for p, i in PARAMETERS])
def test_parameter_has_a_short_one_line_doc(procedure, info):
    doc = info.doc
    assert doc.strip(), f"{procedure}: parameter {info.name} has no metadata['doc']"
    assert len(doc) <= MAX_DOC_CHARS, f"{procedure}.{info.name}: doc is {len(doc)} > {MAX_DOC_CHARS} characters"
    assert "\n" not in doc and doc == doc.strip(), f"{procedure}.{info.name}: doc is not one clean line"


@pytest.mark.parametrize("procedure", sorted(PROCEDURES))
def test_doc_metadata_passes_through_parameter_building(procedure):
    # the schema must not reject the "doc" key: the defaults still build, and the doc is not a value
    cls = PROCEDURES[procedure].Parameters
    params = build_parameters(cls, sequence=procedure)
    defaults = {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
                for f in dataclasses.fields(cls)}
    assert dataclasses.asdict(params) == defaults
