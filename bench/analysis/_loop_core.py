"""Incremental core of the hysteresis-loop evaluation: reversal detection and torque binning.

The record is cut into monotone branches at torque reversals, found by a threshold detector on the
running extreme (a reversal is confirmed once the torque has moved back from the extreme by more
than ``threshold_nm``, and is placed at the extreme). Within a branch every sample is filed under
the running extreme of torque since the branch began ("progress"), on a grid of ``bin_nm``; each
(direction, bin) keeps the sums of torque, angle and count. Filing by the running extreme rather
than by the sample's own torque keeps each level of a stepped loading (noise on a plateau) in one
or two bins whose means are the step means, and on continuous loading gives unbiased local means.

Both the batch function and the live tracker feed this core, so they agree by construction. Each
update costs O(block); the samples pending since the current extreme (a held torque, a dwell) are
kept as chunks with running sums and re-read only once, when a reversal assigns them to the new
branch.
"""

from __future__ import annotations

import numpy as np

_FIRST_CHUNK = 4096
_BLOCK = 1024
_SCAN_CHUNK = 262144


class LoopBins:
    """Sums of torque, angle and count per (direction, torque bin), growable in both directions."""

    def __init__(self) -> None:
        self.base = 0
        self.sum_t = np.zeros(0)
        self.sum_a = np.zeros(0)
        self.count = np.zeros(0)

    def copy(self) -> LoopBins:
        other = LoopBins()
        other.base = self.base
        other.sum_t, other.sum_a, other.count = self.sum_t.copy(), self.sum_a.copy(), self.count.copy()
        return other

    def add(self, keys: np.ndarray, sum_t: np.ndarray, sum_a: np.ndarray, count: np.ndarray) -> None:
        if keys.size == 0:
            return
        kmin, kmax = int(keys.min()), int(keys.max())
        if self.count.size == 0:
            self.base = kmin
            size = kmax - kmin + 1
            self.sum_t, self.sum_a, self.count = np.zeros(size), np.zeros(size), np.zeros(size)
        lo = min(kmin, self.base)
        hi = max(kmax, self.base + self.count.size - 1)
        if lo < self.base or hi >= self.base + self.count.size:
            size = hi - lo + 1
            shift = self.base - lo
            for name in ("sum_t", "sum_a", "count"):
                grown = np.zeros(size)
                old = getattr(self, name)
                grown[shift:shift + old.size] = old
                setattr(self, name, grown)
            self.base = lo
        rel = keys - self.base
        n = self.count.size
        self.sum_t += np.bincount(rel, weights=sum_t, minlength=n)
        self.sum_a += np.bincount(rel, weights=sum_a, minlength=n)
        self.count += np.bincount(rel, weights=count, minlength=n)

    def branches(self, merge_nm: float):
        """Per direction, the bin means sorted by torque: ``(t_up, a_up, n_up), (t_dn, a_dn, n_dn)``.

        Neighbouring bins whose mean torques lie within ``merge_nm`` are merged (weighted by
        count): they hold one held level of a stepped loading, split by noise, and must give one
        point, not a random zig-zag of small bins at one torque.
        """
        idx = np.flatnonzero(self.count > 0)
        keys = idx + self.base
        up = (keys & 1).astype(bool)
        out = []
        for sel in (up, ~up):
            i = idx[sel]
            st, sa, n = self.sum_t[i], self.sum_a[i], self.count[i]
            t = st / n
            order = np.argsort(t, kind="stable")
            t, st, sa, n = t[order], st[order], sa[order], n[order]
            if t.size > 1:
                group = np.concatenate(([0], np.cumsum(np.diff(t) > merge_nm)))
                st = np.bincount(group, weights=st)
                sa = np.bincount(group, weights=sa)
                n = np.bincount(group, weights=n)
            out.append((st / n, sa / n, n))
        return tuple(out)


class LoopCore:
    """State of the reversal detector plus the bins; ``update`` takes blocks in time order."""

    def __init__(self, bin_nm: float, threshold_nm: float) -> None:
        self.bin_nm = float(bin_nm)
        self.threshold_nm = float(threshold_nm)
        self.bins = LoopBins()
        self.direction = 0           # +1 loading (torque rising), -1 unloading, 0 not yet known
        self.ext = -np.inf           # running extreme of direction*torque in the current branch
        self.n_reversals = 0
        self.n_samples = 0
        self._pend_clear()            # samples after the current extreme (branch not yet decided)
        self._start_min, self._start_max = np.inf, -np.inf   # torque range before a direction
        self.tip_t = self.tip_a = 0.0 # the sample at the current extreme (the loop tip)

    # -- detection ---------------------------------------------------------------------------
    def _start(self, t: np.ndarray):
        """Find the first direction: (index of the extreme it leaves, direction) or None."""
        thr = self.threshold_nm
        size = min(_FIRST_CHUNK, t.size)
        while True:
            head = t[:size]
            rmax = np.maximum.accumulate(head)
            rmin = np.minimum.accumulate(head)
            hit = np.flatnonzero(rmax - rmin > thr)
            if hit.size:
                j = int(hit[0])
                if head[j] >= rmax[j]:       # rising: the branch began at the lowest point so far
                    s = int(np.argmin(head[:j + 1]))
                    return s, +1
                s = int(np.argmax(head[:j + 1]))
                return s, -1
            if size >= t.size:
                return None
            size = min(size * 4, t.size)

    def _scan(self, t: np.ndarray, p: int, d: int, ext: float, ext_idx: int):
        """Find reversals in ``t[p:]`` given the current branch; return (reversals, d, ext, ext_idx).

        Blocks of :data:`_BLOCK` samples are first checked by their min / max against the
        running block maximum (cheap reductions); only a block that may hold a reversal is
        examined sample by sample.
        """
        thr = self.threshold_nm
        n = t.size
        revs = []
        chunk = _FIRST_CHUNK
        while p < n:
            c = t[p:p + chunk]
            if d < 0:
                c = -c
            j = self._first_violation(c, ext, thr)
            # ties: the extreme is the LAST sample at the extreme value (a held level belongs to
            # the branch that reached it until the torque leaves it)
            if j < 0:
                k = c.size - 1 - int(np.argmax(c[::-1]))
                if c[k] >= ext:
                    ext, ext_idx = float(c[k]), p + k
                p += c.size
                chunk = min(chunk * 2, _SCAN_CHUNK)
                continue
            if j > 0:
                k = j - 1 - int(np.argmax(c[j - 1::-1]))
                if c[k] >= ext:
                    ext, ext_idx = float(c[k]), p + k
            revs.append(ext_idx)        # -1: the extreme was the sample before ``t``
            d = -d
            ext = -ext                  # the tip's torque, seen from the new branch
            p = ext_idx + 1
            chunk = _FIRST_CHUNK
        return revs, d, ext, ext_idx

    @staticmethod
    def _first_violation(c: np.ndarray, ext: float, thr: float) -> int:
        """Index of the first sample more than ``thr`` below the running maximum (seeded with
        ``ext``), or -1."""
        nb = c.size // _BLOCK
        start = 0
        if nb >= 4:
            heads = np.arange(0, nb * _BLOCK, _BLOCK)
            body = c[: nb * _BLOCK]
            run = np.maximum.accumulate(np.maximum.reduceat(body, heads))
            np.maximum(run, ext, out=run)
            suspect = np.flatnonzero(np.minimum.reduceat(body, heads) < run - thr)
            for b in suspect:
                b = int(b)
                seed = ext if b == 0 else max(ext, float(run[b - 1]))
                seg = c[b * _BLOCK:(b + 1) * _BLOCK]
                rm = np.maximum.accumulate(seg)
                np.maximum(rm, seed, out=rm)
                hit = np.flatnonzero(seg < rm - thr)
                if hit.size:
                    return b * _BLOCK + int(hit[0])
            start = nb * _BLOCK
            ext = max(ext, float(run[-1]))
        seg = c[start:]
        if seg.size == 0:
            return -1
        rm = np.maximum.accumulate(seg)
        np.maximum(rm, ext, out=rm)
        hit = np.flatnonzero(seg < rm - thr)
        return start + int(hit[0]) if hit.size else -1

    # -- binning -----------------------------------------------------------------------------
    def _file(self, t, a, starts, d_first, ext0) -> None:
        """File ``t, a`` (segments beginning at ``starts``, directions alternating from ``d_first``)
        under the running extreme of each segment; the first continues from ``ext0``.

        Each sample is filed under the extreme of the samples BEFORE it in its branch, so that its
        bin does not depend on its own noise and the bin mean of torque stays unbiased. The first
        sample of a branch is filed under its own torque: under the tip's it would pull the tip
        bin of the new branch (the loop's end point, filed there too) off the tip. The running extreme is monotone, so each bin is
        one run of samples per branch.
        """
        n = t.size
        bounds = list(starts) + [n]
        d = d_first
        inv = 1.0 / self.bin_nm
        for k in range(len(starts)):
            s, e = bounds[k], bounds[k + 1]
            if e > s:
                y = np.empty(e - s)
                y[0] = ext0 if s == 0 and np.isfinite(ext0) else d * t[s]
                np.multiply(t[s: e - 1], d, out=y[1:])
                np.maximum.accumulate(y, out=y)
                np.multiply(y, d * inv, out=y)          # progress in bins (d·y = torque)
                np.floor(y, out=y)
                run = np.concatenate(([0], np.flatnonzero(y[1:] != y[:-1]) + 1))
                keys = y[run].astype(np.int64) * 2 + (1 if d > 0 else 0)
                count = np.diff(np.append(run, e - s)).astype(np.float64)
                self.bins.add(keys, np.add.reduceat(t[s:e], run), np.add.reduceat(a[s:e], run), count)
            d = -d

    # -- pending samples (after the current extreme; their branch is not decided yet) -------------
    def _pend_push(self, t: np.ndarray, a: np.ndarray) -> None:
        if t.size:
            self._pend.append((t.copy(), a.copy()))
            self._pend_n += t.size
            self._pend_sum_t += float(t.sum())
            self._pend_sum_a += float(a.sum())

    def _pend_pop(self, t: np.ndarray, a: np.ndarray):
        """The pending samples followed by ``t, a``, as one buffer (pending cleared)."""
        if self._pend:
            t = np.concatenate([c[0] for c in self._pend] + [t])
            a = np.concatenate([c[1] for c in self._pend] + [a])
        self._pend_clear()
        return t, a

    def _pend_clear(self) -> None:
        self._pend: list[tuple[np.ndarray, np.ndarray]] = []
        self._pend_n = 0
        self._pend_sum_t = self._pend_sum_a = 0.0

    def _pend_key(self) -> int:
        """Bin of the current extreme: where pending samples go if they stay in this branch."""
        return int(np.floor(self.direction * self.ext / self.bin_nm)) * 2 + (1 if self.direction > 0 else 0)

    # -- blocks ----------------------------------------------------------------------------------
    def update(self, t: np.ndarray, a: np.ndarray) -> None:
        """File one block. O(block), plus, once per reversal, the samples pending since the extreme."""
        self.n_samples += t.size
        if t.size == 0:
            return
        if self.direction == 0:
            lo = min(self._start_min, float(t.min()))
            hi = max(self._start_max, float(t.max()))
            if hi - lo <= self.threshold_nm:          # a block cannot decide it: keep it pending
                self._start_min, self._start_max = lo, hi
                self._pend_push(t, a)
                return
            t, a = self._pend_pop(t, a)
            found = self._start(t)
            if found is None:                          # spread only across blocks, never reached in order
                self._start_min, self._start_max = lo, hi
                self._pend_push(t, a)
                return
            # the first branch starts at sample 0: before the first move beyond the threshold the
            # torque stayed within the threshold, which is noise, not a branch of its own
            d = found[1]
            self._resolve(t, a, d, -np.inf, *self._scan(t, 1, d, d * float(t[0]), 0))
            return
        scan = self._scan(t, 0, self.direction, self.ext, -1)
        revs, _, _, ext_idx = scan
        if revs and revs[0] == -1:
            # reversal at the current extreme: the pending samples open the new branch
            t, a = self._pend_pop(t, a)
            self._resolve(t, a, self.direction, self.ext, *self._scan(t, 0, self.direction, self.ext, -1))
            return
        if not revs and ext_idx < 0:                   # still nothing decided
            self._pend_push(t, a)
            return
        if self._pend_n:                               # they stayed in this branch, under its extreme
            self.bins.add(np.array([self._pend_key()]), np.array([self._pend_sum_t]),
                          np.array([self._pend_sum_a]), np.array([float(self._pend_n)]))
            self._pend_clear()
        self._resolve(t, a, self.direction, self.ext, *scan)

    def _resolve(self, t, a, d_first, ext0, revs, d_end, ext, ext_idx) -> None:
        """File ``t, a`` up to the current extreme; keep the rest pending."""
        starts = [0] + [r + 1 for r in revs]
        if len(starts) > 1 and starts[1] == 0:
            # the branch reversed at the sample before the buffer: the buffer opens a new branch
            starts = starts[1:]
            d_first, ext0 = -d_first, -np.inf   # its first sample is filed under its own torque
        self.n_reversals += len(revs)
        # the tip of the loop belongs to both branches: file each reversal sample in the new one too
        if revs:
            tip_t = np.array([t[r] if r >= 0 else self.tip_t for r in revs])
            tip_a = np.array([a[r] if r >= 0 else self.tip_a for r in revs])
            d_new = np.array([d_end * (1 if (len(revs) - 1 - i) % 2 == 0 else -1) for i in range(len(revs))])
            keys = np.floor(tip_t / self.bin_nm).astype(np.int64) * 2 + (d_new > 0)
            self.bins.add(keys, tip_t, tip_a, np.ones(len(revs)))
        stop = ext_idx + 1
        if stop > 0:
            self.tip_t, self.tip_a = float(t[stop - 1]), float(a[stop - 1])
        # segment starts at or after `stop` cannot exist (a reversal lies at an extreme <= ext_idx)
        self._file(t[:stop], a[:stop], starts, d_first, ext0)
        self.direction, self.ext = d_end, ext
        self._pend_push(t[stop:], a[stop:])

    def snapshot_bins(self) -> LoopBins:
        """Bins including the pending samples, filed as the continuation of the current branch."""
        if self._pend_n == 0 or self.direction == 0:
            return self.bins
        bins = self.bins.copy()
        bins.add(np.array([self._pend_key()]), np.array([self._pend_sum_t]), np.array([self._pend_sum_a]),
                 np.array([float(self._pend_n)]))
        return bins
