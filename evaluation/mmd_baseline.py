"""Benign-calibrated MMD baseline: does an account's recent prompt distribution differ from the population's?

The published query-traffic detector for model extraction (benign-calibrated maximum mean discrepancy over
prompt embeddings, arXiv 2606.05725), adapted to a stream of accounts and implemented from its
description with NumPy only:

* every prompt is embedded with the project's :class:`~models.embedder.HashingEmbedder` (the lower-cased
  head and tail of the raw prompt, :func:`models.text.marker_window`; a gateway embedding is projected
  instead, as the detector does);
* each account keeps a window of its last ``W`` prompt embeddings;
* the *reference* is a seeded reservoir sample of all prompts seen so far: no labels at run time, it is
  benign-calibrated on the assumption that most traffic is benign. At calibration (after
  ``mmd_warmup_events`` events, then every ``mmd_recalibrate_every``) the reservoir is shuffled and split
  into the reference ``Y`` and a held-out null pool;
* the statistic is the unbiased MMD² between the window and ``Y`` with a Gaussian kernel summed over the
  bandwidths ``mmd_bandwidths`` x the median pairwise distance of ``Y``;
* the threshold for a window of ``n`` prompts is the ``mmd_percentile`` percentile of the same statistic
  between ``mmd_null_samples`` benign windows of ``n`` prompts drawn from the null pool and ``Y``: one null
  per window size, so an account is tested from ``mmd_min_window`` prompts on instead of only once its
  window is full.

An account is flagged (one medium alert) the first time its window's MMD² exceeds the threshold for its
size, at or after the shared alerting gate (``account.min_events``). Its score is ``r / (1 + r)`` with
``r = max(MMD², 0) / threshold``: 0.5 at the threshold, monotone in MMD², so the threshold sweep (and the
matched false-positive comparison) moves the cut in multiples of the null percentile.

Cost per event: one kernel row against ``Y`` for the new prompt (cached with the window) and the window's
own ``W x W`` kernel. Memory: ``mmd_max_accounts`` windows of ``W x dims`` float32, least recently seen
evicted, plus the reservoir. Deterministic given ``mmd_seed``.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = rng.standard_normal((200, 4))
>>> abs(mmd2_unbiased(y[:100], y[100:], median_distance(y))) < 0.05
True
>>> mmd2_unbiased(y[:100], y[100:] + 1.0, median_distance(y)) > 0.5
True
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from distillguard.evaluation.baselines import BaselineConfig, _Baseline
from distillguard.models.config import DetectionConfig
from distillguard.models.embedder import HashingEmbedder
from distillguard.models.text import marker_window
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import Reason, Severity, SuspicionEvent

# ---------------------------------------------------------------------------------------------- kernel


def squared_distances(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray | None = None) -> np.ndarray:
    """Pairwise squared Euclidean distances (clipped at 0 against rounding); ``b_sq``: cached row norms²."""
    if b_sq is None:
        b_sq = (b * b).sum(1)
    sq = (a * a).sum(1)[:, None] + b_sq[None, :] - 2.0 * (a @ b.T)
    return np.maximum(sq, 0.0, out=sq)


def median_distance(y: np.ndarray) -> float:
    """Median pairwise Euclidean distance between distinct rows of ``y`` (the median heuristic)."""
    if len(y) < 2:
        return 1.0
    sq = squared_distances(y, y)[np.triu_indices(len(y), k=1)]
    return float(np.median(np.sqrt(sq)))


def gammas(median: float, bandwidths: Sequence[float]) -> np.ndarray:
    """``1 / (2 sigma²)`` per bandwidth ``sigma = multiplier x median`` (a zero median counts as 1)."""
    base = median if median > 1e-12 else 1.0
    return np.array([1.0 / (2.0 * (m * base) ** 2) for m in bandwidths])


def kernel(sq: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Gaussian kernel summed over bandwidths, from squared distances."""
    out = np.zeros_like(sq)
    for g in gamma:
        out += np.exp(-g * sq)
    return out


def mmd2_unbiased(
    x: np.ndarray, y: np.ndarray, median: float, bandwidths: Sequence[float] = (0.5, 1.0, 2.0, 4.0)
) -> float:
    """Unbiased MMD² of samples ``x`` (n x d) and ``y`` (m x d), n, m >= 2 (Gretton et al. 2012, eq. 3):

    ``sum_{i!=j} k(x_i,x_j) / n(n-1) + sum_{i!=j} k(y_i,y_j) / m(m-1) - 2 sum_{i,j} k(x_i,y_j) / nm``.
    """
    g = gammas(median, bandwidths)
    n, m = len(x), len(y)
    kxx, kyy, kxy = (kernel(squared_distances(a, b), g) for a, b in ((x, x), (y, y), (x, y)))
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(xx + yy - 2.0 * kxy.mean())


# ---------------------------------------------------------------------------------------------- calibration


@dataclass(slots=True)
class Calibration:
    """One frozen reference and the null thresholds per window size."""

    epoch: int
    reference: np.ndarray  # m x d
    gamma: np.ndarray
    median: float
    yy: float  # the reference's own term of the unbiased estimator
    thresholds: np.ndarray  # index n -> threshold for windows of n prompts (0 below min_window)
    null_samples: int
    pool: int
    reference_sq: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.reference_sq = (self.reference * self.reference).sum(1)

    def row_sums(self, points: np.ndarray) -> np.ndarray:
        """``sum_j k(p, y_j)`` for each row ``p`` of ``points``."""
        return kernel(squared_distances(points, self.reference, self.reference_sq), self.gamma).sum(1)

    def statistic(self, window: np.ndarray, sums: np.ndarray) -> float:
        """Unbiased MMD² of ``window`` against the reference, given the window's cached row sums."""
        n, m = len(window), len(self.reference)
        kxx = kernel(squared_distances(window, window), self.gamma)
        xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        return float(xx + self.yy - 2.0 * sums.sum() / (n * m))


def calibrate(
    sample: np.ndarray,
    window: int,
    min_window: int,
    null_share: float,
    null_samples: int,
    percentile: float,
    bandwidths: Sequence[float],
    rng: np.random.Generator,
    epoch: int = 0,
) -> Calibration:
    """Split ``sample`` into reference and null pool; the ``percentile`` of the benign-window null per size.

    Null windows of every size ``n`` in ``[min_window, window]`` are the first ``n`` rows of
    ``null_samples`` random orderings of the pool (nested, so one gather of ``window x window`` kernels per
    draw serves every size); each is scored exactly like an account's window.
    """
    shuffled = sample[rng.permutation(len(sample))].astype(np.float64)
    pool_size = max(window, round(null_share * len(shuffled)))
    pool_size = min(pool_size, len(shuffled) - 2)
    pool, reference = shuffled[:pool_size], shuffled[pool_size:]
    median = median_distance(reference)
    g = gammas(median, bandwidths)
    m = len(reference)
    kyy = kernel(squared_distances(reference, reference), g)
    yy = float((kyy.sum() - np.trace(kyy)) / (m * (m - 1)))
    pool_sums = kernel(squared_distances(pool, reference), g).sum(1)
    kpp = kernel(squared_distances(pool, pool), g)
    size = min(window, pool_size)
    draws = np.argsort(rng.random((null_samples, pool_size)), axis=1)[:, :size]
    gram = kpp[draws[:, :, None], draws[:, None, :]]  # S x W x W
    cum = gram.cumsum(1).cumsum(2)
    diag = np.diagonal(gram, axis1=1, axis2=2).cumsum(1)
    xy = pool_sums[draws].cumsum(1)
    thresholds = np.zeros(window + 1)
    for n in range(max(2, min_window), size + 1):
        stats = (cum[:, n - 1, n - 1] - diag[:, n - 1]) / (n * (n - 1)) + yy - 2.0 * xy[:, n - 1] / (n * m)
        thresholds[n] = max(float(np.percentile(stats, percentile)), 1e-12)
    thresholds[size + 1 :] = thresholds[size]
    return Calibration(epoch, reference, g, median, yy, thresholds, null_samples, pool_size)


# ---------------------------------------------------------------------------------------------- baseline


@dataclass(slots=True)
class _Window:
    """An account's last ``W`` prompt embeddings and their reference row sums (valid for one epoch)."""

    embeddings: np.ndarray  # W x d float32 ring
    sums: np.ndarray  # W float64 ring
    epoch: int = -1
    filled: int = 0
    position: int = 0
    events: int = 0
    recent_ids: deque[str] = field(default_factory=deque)


class MMDBaseline(_Baseline):
    """Flags an account whose window of recent prompts differs from the population reference (MMD²)."""

    name = "mmd"

    def __init__(
        self, config: DetectionConfig, baseline_config: BaselineConfig | None = None, window: int = 20
    ) -> None:
        super().__init__(config, baseline_config)
        bc = self.baseline_config
        self.name = f"mmd_w{window}"
        self.window = window
        self.min_window = min(max(2, bc.mmd_min_window), window)
        self.embedder = HashingEmbedder(config.embedding.dims, config.embedding.seed)
        self.rng = np.random.default_rng([bc.mmd_seed, window])
        self.reservoir = np.zeros((bc.mmd_reference_size, config.embedding.dims), dtype=np.float32)
        self.reservoir_seen = 0
        self.events = 0
        self.calibration: Calibration | None = None
        self.calibrations = 0
        self.accounts: OrderedDict[str, _Window] = OrderedDict()
        self._dedupe = config.account.dedupe_window

    # --------------------------------------------------------------------------------- embedding

    def embed(self, event: RequestEvent) -> np.ndarray:
        """The prompt's embedding: a gateway embedding projected, else the hashed prompt text."""
        if event.prompt_embedding is not None:
            return self.embedder.project(event.prompt_embedding)
        text = marker_window(event.prompt or "", self.config.features.marker_window_chars)
        return self.embedder.embed_text(text)

    # --------------------------------------------------------------------------------- reference

    def _observe_population(self, vector: np.ndarray) -> None:
        """Reservoir sampling (algorithm R) of every prompt seen."""
        size = len(self.reservoir)
        if self.reservoir_seen < size:
            self.reservoir[self.reservoir_seen] = vector
        else:
            slot = int(self.rng.integers(0, self.reservoir_seen + 1))
            if slot < size:
                self.reservoir[slot] = vector
        self.reservoir_seen += 1

    def _maybe_calibrate(self) -> None:
        bc = self.baseline_config
        due = self.calibration is None and self.events >= bc.mmd_warmup_events
        if self.calibration is not None and bc.mmd_recalibrate_every:
            due = (self.events - bc.mmd_warmup_events) % bc.mmd_recalibrate_every == 0
        filled = min(self.reservoir_seen, len(self.reservoir))
        if not due or filled < max(2 * self.window, 16):
            return
        self.calibration = calibrate(
            self.reservoir[:filled],
            self.window,
            self.min_window,
            bc.mmd_null_share,
            bc.mmd_null_samples,
            bc.mmd_percentile,
            bc.mmd_bandwidths,
            self.rng,
            epoch=self.calibrations,
        )
        self.calibrations += 1

    # --------------------------------------------------------------------------------- accounts

    def _account(self, account_id: str) -> _Window:
        state = self.accounts.get(account_id)
        if state is None:
            dims = self.config.embedding.dims
            state = _Window(np.zeros((self.window, dims), dtype=np.float32), np.zeros(self.window))
            self.accounts[account_id] = state
            while len(self.accounts) > self.baseline_config.mmd_max_accounts:
                evicted, _ = self.accounts.popitem(last=False)
                self._alerted.discard(evicted)
        else:
            self.accounts.move_to_end(account_id)
        return state

    def _is_duplicate(self, state: _Window, event_id: str) -> bool:
        if event_id in state.recent_ids:
            return True
        state.recent_ids.append(event_id)
        if len(state.recent_ids) > self._dedupe:
            state.recent_ids.popleft()
        return False

    # --------------------------------------------------------------------------------- protocol

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        state = self._account(event.account_id)
        if self._is_duplicate(state, event.event_id):
            self.last_assessment = None
            return []
        vector = self.embed(event)
        self.events += 1
        state.events += 1
        state.embeddings[state.position] = vector
        state.position = (state.position + 1) % self.window
        state.filled = min(state.filled + 1, self.window)
        self._observe_population(vector)
        self._maybe_calibrate()
        cal = self.calibration
        n = state.filled
        if cal is None or n < self.min_window:
            reason = Reason(signal="mmd", value=0.0, threshold=0.0, detail="not calibrated or window short")
            return self._emit(event, state.events, 0.0, False, reason)
        window = state.embeddings[:n].astype(np.float64)
        if state.epoch != cal.epoch:
            state.sums[:n] = cal.row_sums(window)
            state.epoch = cal.epoch
        else:
            newest = (state.position - 1) % self.window
            state.sums[newest] = cal.row_sums(window[newest : newest + 1])[0]
        mmd2 = cal.statistic(window, state.sums[:n])
        threshold = float(cal.thresholds[n])
        ratio = max(mmd2, 0.0) / threshold
        score = ratio / (1.0 + ratio)
        fired = mmd2 > threshold and state.events >= self.config.account.min_events
        reason = Reason(
            signal="mmd",
            value=round(mmd2, 6),
            threshold=round(threshold, 6),
            detail=f"unbiased MMD² of the last {n} prompts vs {len(cal.reference)} reference prompts; "
            f"threshold = p{self.baseline_config.mmd_percentile:g} of {cal.null_samples} benign windows",
        )
        return self._emit(event, state.events, score, fired, reason, severity=Severity.MEDIUM)

    def memory_bytes(self) -> int:
        """Approximate bytes held in windows and the reservoir (for the report)."""
        per = self.window * (self.config.embedding.dims * 4 + 8)
        return len(self.accounts) * per + self.reservoir.nbytes


def mmd_factory(window: int) -> Callable[[DetectionConfig, BaselineConfig | None], MMDBaseline]:
    """A baseline factory (see :func:`evaluation.baselines.baseline_factories`) with window ``window``."""

    def build(config: DetectionConfig, baseline_config: BaselineConfig | None = None) -> MMDBaseline:
        return MMDBaseline(config, baseline_config, window=window)

    return build
