"""Hub fan-out, ring buffers and channel alignment."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from bench.streams import ChannelSpec, Hub, RingBuffer, SampleBlock, align


def _block(name, t, v):
    return SampleBlock(name, np.asarray(t, float), np.asarray(v, float))


def test_block_lengths_must_match():
    with pytest.raises(ValueError, match="2 timestamps but 3 values"):
        _block("x", [0, 1], [1, 2, 3])


def test_hub_fans_out_to_filtered_subscribers_and_callbacks():
    hub = Hub()
    hub.register(ChannelSpec("a.torque_nm", "N·m", rate_hz=1000))
    every = hub.subscribe()
    only_b = hub.subscribe(["b.angle_rad"])
    seen = []
    hub.add_callback(seen.append, ["a.torque_nm"])
    hub.publish(_block("a.torque_nm", [0.0], [1.0]))
    hub.publish(_block("b.angle_rad", [0.0], [2.0]))
    assert [b.channel for b in every.drain()] == ["a.torque_nm", "b.angle_rad"]
    assert [b.channel for b in only_b.drain()] == ["b.angle_rad"]
    assert [b.channel for b in seen] == ["a.torque_nm"]
    assert "a.torque_nm" in hub.channels


def test_failing_callback_does_not_stop_publishing_and_is_reported():
    hub = Hub()
    sub = hub.subscribe()

    def broken(block):
        raise RuntimeError("consumer bug")

    hub.add_callback(broken)
    hub.publish(_block("x", [0], [0]))
    assert len(sub.drain()) == 1
    (err,) = hub.take_callback_errors()
    assert "consumer bug" in str(err)


def test_subscription_drain_waits_for_a_block():
    hub = Hub()
    sub = hub.subscribe()
    timer = threading.Timer(0.05, lambda: hub.publish(_block("x", [1], [2])))
    timer.start()
    blocks = sub.drain(timeout_s=2.0)
    timer.join()
    assert len(blocks) == 1


def test_unsubscribed_gets_nothing():
    hub = Hub()
    sub = hub.subscribe()
    sub.close()
    hub.publish(_block("x", [0], [0]))
    assert sub.drain() == []


def test_ring_buffer_keeps_newest_in_order_across_wrap():
    ring = RingBuffer(5)
    ring.extend(np.arange(3.0), np.arange(3.0) * 10)
    ring.extend(np.arange(3.0, 7.0), np.arange(3.0, 7.0) * 10)
    t, v = ring.snapshot()
    assert t.tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert v.tolist() == [20.0, 30.0, 40.0, 50.0, 60.0]
    assert ring.total_written == 7
    t, v = ring.snapshot(last=2)
    assert t.tolist() == [5.0, 6.0]


def test_ring_buffer_block_larger_than_capacity():
    ring = RingBuffer(4)
    ring.extend(np.arange(10.0), np.arange(10.0))
    assert ring.snapshot()[0].tolist() == [6.0, 7.0, 8.0, 9.0]


def test_ring_buffer_against_a_plain_list_on_random_blocks():
    rng = np.random.default_rng(3)
    ring, reference, t0 = RingBuffer(37), [], 0
    for _ in range(200):
        n = int(rng.integers(0, 20))
        t = np.arange(t0, t0 + n, dtype=float)
        t0 += n
        ring.extend(t, t * 2)
        reference.extend(t.tolist())
        got_t, got_v = ring.snapshot()
        assert got_t.tolist() == reference[-37:]
        assert got_v.tolist() == [x * 2 for x in reference[-37:]]


def test_align_on_a_uniform_grid_interpolates_linear_signals_exactly():
    t1 = np.linspace(0.0, 1.0, 1001)          # 1 kHz
    t2 = np.linspace(0.0005, 0.9995, 100)     # ~100 Hz, other instants
    grid, out = align({"a": (t1, 3 * t1 + 1), "b": (t2, -2 * t2)}, rate_hz=200.0)
    assert grid[0] == pytest.approx(0.0005) and grid[-1] <= 0.9995
    np.testing.assert_allclose(out["a"], 3 * grid + 1, atol=1e-12)
    np.testing.assert_allclose(out["b"], -2 * grid, atol=1e-12)


def test_align_on_reference_channel_keeps_its_samples():
    t1 = np.linspace(0.0, 1.0, 11)
    t2 = np.linspace(0.0, 1.0, 101)
    grid, out = align({"slow": (t1, t1 ** 2), "fast": (t2, t2)}, reference="slow")
    np.testing.assert_array_equal(out["slow"], t1 ** 2)
    np.testing.assert_allclose(out["fast"], grid)


def test_align_refuses_disjoint_channels():
    with pytest.raises(ValueError, match="no common time span"):
        align({"a": (np.array([0.0, 1.0]), np.zeros(2)), "b": (np.array([2.0, 3.0]), np.zeros(2))}, rate_hz=10)
