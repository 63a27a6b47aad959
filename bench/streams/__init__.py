"""Channels, sample blocks, the fan-out hub and ring buffers for live views."""

from bench.streams.align import align
from bench.streams.blocks import ChannelSpec, SampleBlock, SampleFlag
from bench.streams.hub import Hub
from bench.streams.ring import RingBuffer

__all__ = ["align", "ChannelSpec", "SampleBlock", "SampleFlag", "Hub", "RingBuffer"]
