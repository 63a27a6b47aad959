"""Open test-bench controller for servo motors and precision reducers."""

__version__ = "0.1.0"
