"""Open test-bench controller for servo motors and precision reducers.

``from bench import Rig`` gives the rig; the sequences live in :mod:`bench.sequences`.
"""

__version__ = "0.1.0"


def __getattr__(name):  # lazy: importing bench must stay cheap (CLI start-up, layer test)
    if name == "Rig":
        from bench.rig import Rig

        return Rig
    raise AttributeError(f"module 'bench' has no attribute {name!r}")
