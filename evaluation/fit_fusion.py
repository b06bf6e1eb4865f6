"""Fit the fusion weights on labelled traffic: a small logistic model over the detector's own signals.

Why: hand-set weights tuned on the same simulator they are measured on generalise badly. This script
makes the weights a reproducible product of labelled *development* traffic (never the blind red-team
split), and lets an operator re-fit them on their own labelled history:

    distillguard fit-fusion --events dev/events.jsonl --labels dev/labels.jsonl \\
        [--events other/events.jsonl --labels other/labels.jsonl] --out fusion_weights.json

What it does:

1. runs the detector (with the current configuration) over each labelled file; keeps, per account, up
   to ``samples_per_account`` evenly spaced signal vectors of its later requests to fit on, and every
   alert-eligible request's vector (from ``min_events`` on) to calibrate on;
2. fits ``sigmoid(bias + Σ shape(x))`` by L2-regularised logistic regression (L-BFGS-B), each account
   weighing the same in total and both classes weighing the same. Each evidence signal's shape is
   piecewise linear over ``segments`` equal pieces of [0, 1] and may only rise (:class:`Basis`), so
   a little of a rare signal can count for much and more evidence never lowers a score. Sign bounds
   encode what an attacker can buy: account age may only lower the score, by at most 1 log-odd; youth
   and tier may only raise it, by at most 1 and 0.5 (one slope each);
3. mines hard negatives for a few rounds (:func:`fit_mined`) and calibrates the bias on every request so
   that at most ``target_fpr`` of all normal accounts and ``class_fpr`` of each normal class would reach
   the medium band anywhere (:func:`calibrate_bias`).

With a :class:`Misreads` (``--misread-share``), every file is also run with a share of its normal
accounts' requests misread as asking for reasoning and for a grade (:mod:`evaluation.content_shift`), and
those normal accounts join the fit and the calibration as accounts of their own. Why: the content
model's reading of legitimate reasoning-heavy users moves with their phrasing, which development traffic
cannot cover; a fit that must also hold the misread normal accounts under the threshold cannot let an
account alert on what its prompts ask for alone.

The output is the JSON file ``FusionWeights`` loads its defaults from (``models/data/fusion_weights.json``)
or whose ``weights`` an operator copies into ``[detection.fusion.weights]`` of the TOML settings.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from distillguard.evaluation.content_shift import MisreadingExtractor, MisreadShare
from distillguard.evaluation.metrics import load_labels
from distillguard.evaluation.runner import read_events
from distillguard.models.config import DetectionConfig, FusionConfig, FusionWeights
from distillguard.models.detector import Detector
from distillguard.models.fusion import fuse
from distillguard.models.partitioning import DEFAULT_PARTITIONS

# The detector settings the committed fit's collection ran with (``make fit-fusion --config``): a
# collection runs the whole detector, so the defaults that moved since the fit would change what it sees.
FIT_SETTINGS_FILE = Path(__file__).parent / "data" / "fusion_fit.toml"

# Signals an attacker can buy or that only say "trust": bounded so that none alone decides.
TRUST_BOUNDS: dict[str, tuple[float, float]] = {
    "established_account": (-1.0, 0.0),
    "young_account": (0.0, 1.0),
    "easy_entry_tier": (0.0, 0.5),
}
EVIDENCE_MAX = 6.0
# What an account's own traffic cannot show before other accounts and the population models have been
# seen: the evidence a campaign's first requests reach the detector without (see :func:`with_cold_start`).
COLD_START_ABSENT = (
    "shared_traits",
    "campaign",
    "cluster_crowd",
    "cluster_lockstep",
    "shared_payment",
    "rarity",
    "individual_rarity",
    "population_anomaly",
)


@dataclass(slots=True)
class Samples:
    """Signal vectors of sampled requests, with the account (and its label) each came from."""

    names: list[str]
    rows: list[list[float]] | np.ndarray
    accounts: list[str]
    positive: list[bool]
    families: list[str]

    def matrix(self) -> np.ndarray:
        return np.asarray(self.rows, dtype=np.float64)


@dataclass(slots=True)
class Collected:
    """What a run over labelled traffic yields: the samples to fit on, and every request from
    ``min_events`` on to calibrate against (an account alerts at whichever request peaks first)."""

    fit: Samples
    every_request: Samples


@dataclass(frozen=True, slots=True)
class Misreads:
    """Run every labelled file a second time with ``share`` of each normal account's requests misread:
    their ``reads`` raised to at least ``level``. Only the normal accounts of that run are kept (named
    ``<account>|misread``); its campaign accounts would only repeat the plain run's."""

    share: float
    reads: tuple[str, ...] = ("elicitation", "grading")
    level: float = 0.9
    # Not the content-shift gate's default seed (0): the requests a fit learns misread are not the ones
    # the gate misreads, so the gate still says something about a candidate fitted this way.
    seed: int = 1


def signal_names() -> list[str]:
    """The signals the fit weighs: every weight but the bias and the priors scored beside the trees."""
    priors = set(FusionConfig().beside_trees)
    return [name for name in FusionWeights.model_fields if name != "bias" and name not in priors]


def collect(
    pairs: Iterable[tuple[Path, Path]],
    config: DetectionConfig,
    samples_per_account: int = 24,
    partitions: int = DEFAULT_PARTITIONS,
    processes: int | None = None,
    exact: bool = False,
    misreads: Misreads | None = None,
) -> Collected:
    """Run the detector over each (events, labels) pair; sample per-account signal vectors to fit on and
    keep every alert-eligible request's vector (float32, or with ``exact`` float64) to calibrate on. Each
    pair runs in a fresh detector, so the pairs run in parallel (``processes``, default: one per CPU) with
    the same result.

    ``exact`` keeps the vectors as the detector computes them: the interaction trees split between values
    seen here, and signals sit on exact values (0.9 = 9 of the last 10 requests) whose float32 rounding
    can lie on the other side of a split placed between float32 values. The committed fit predates it.

    ``misreads``: also run each pair with normal accounts' content misread (:class:`Misreads`)."""
    names = signal_names()
    dtype = np.float64 if exact else np.float32
    jobs = [
        (events, labels, config, samples_per_account, partitions, dtype, None) for events, labels in pairs
    ]
    if misreads is not None:
        jobs += [
            (events, labels, config, samples_per_account, partitions, dtype, misreads)
            for events, labels in pairs
        ]
    workers = min(len(jobs), processes or os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_collect_one, *zip(*jobs, strict=True)))
    else:
        parts = [_collect_one(*job) for job in jobs]
    out = Samples(names, [], [], [], [])
    every = Samples(names, np.empty((0, len(names))), [], [], [])
    for part in parts:
        for mine, theirs in ((out, part.fit), (every, part.every_request)):
            mine.accounts.extend(theirs.accounts)
            mine.positive.extend(theirs.positive)
            mine.families.extend(theirs.families)
        out.rows.extend(part.fit.rows)  # type: ignore[union-attr]
    blocks = [part.every_request.rows for part in parts if len(part.every_request.rows)]
    every.rows = np.concatenate(blocks) if blocks else every.rows
    return Collected(out, every)


def _collect_one(
    events_path: Path,
    labels_path: Path,
    config: DetectionConfig,
    samples_per_account: int,
    partitions: int,
    dtype: type = np.float32,
    misreads: Misreads | None = None,
) -> Collected:
    names = signal_names()
    labels = load_labels(labels_path)
    detector = Detector(config, partitions=partitions)
    suffix = ""
    if misreads is not None:
        normal = [account for account, label in labels.items() if label.kind != "campaign"]
        share = MisreadShare(misreads.share, misreads.seed)
        extractor = MisreadingExtractor(
            detector.accounts.extractor, normal, share, misreads.level, misreads.reads
        )
        detector.accounts.extractor = extractor  # type: ignore[assignment]
        labels = {account: labels[account] for account in normal}
        suffix = "|misread"
    per_account: dict[str, list[list[float]]] = defaultdict(list)
    for event in read_events(events_path):
        detector.process(event)
        assessment = detector.last_assessment
        if assessment is None or assessment.events_seen < config.account.min_events:
            continue
        signals = assessment.signals
        per_account[event.account_id].append([float(signals.get(n, 0.0)) for n in names])
    out = Samples(names, [], [], [], [])
    blocks: list[np.ndarray] = []
    every = Samples(names, np.empty((0, len(names))), [], [], [])
    for account, vectors in per_account.items():
        label = labels.get(account)
        if label is None:
            continue
        name = f"{labels_path}:{account}{suffix}"
        for vector in _spread(vectors, samples_per_account):
            out.rows.append(vector)  # type: ignore[union-attr]
            out.accounts.append(name)
            out.positive.append(label.kind == "campaign")
            out.families.append(label.family)
        blocks.append(np.asarray(vectors, dtype=dtype))
        every.accounts.extend([name] * len(vectors))
        every.positive.extend([label.kind == "campaign"] * len(vectors))
        every.families.extend([label.family] * len(vectors))
    every.rows = np.concatenate(blocks) if blocks else every.rows
    return Collected(out, every)


def _spread(vectors: Sequence[list[float]], k: int) -> list[list[float]]:
    """Up to ``k`` evenly spaced items of the later half, always including the last (the account's
    fullest picture): an account is flagged at its peak, and its early requests say little yet."""
    vectors = vectors[len(vectors) // 2 :]
    if len(vectors) <= k:
        return list(vectors)
    step = (len(vectors) - 1) / (k - 1)
    return [vectors[round(i * step)] for i in range(k)]


@dataclass(frozen=True, slots=True)
class Basis:
    """How raw signals become the fit's columns: each evidence signal is cut into ``segments`` ramps
    over [0, 1] (ramp j rises from 0 to 1 between j/K and (j+1)/K), so non-negative ramp weights give
    a shape that starts at 0 and never falls (the shapes :class:`FusionWeights` accepts); trust signals
    and ``segments == 1`` stay one column (one slope).

    >>> basis = Basis(["thinking", "established_account"], segments=2)
    >>> basis.expand(np.array([[0.75, 1.0]])).tolist()
    [[1.0, 0.5, 1.0]]
    >>> basis.weights(np.array([2.0, 1.0, -0.5]))
    {'thinking': [0.0, 2.0, 3.0], 'established_account': -0.5}
    """

    names: Sequence[str]
    segments: int = 4

    def linear(self, name: str) -> bool:
        return self.segments == 1 or name in TRUST_BOUNDS

    def width(self, name: str) -> int:
        return 1 if self.linear(name) else self.segments

    def expand(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        ramps = np.arange(self.segments)[None, :]
        columns = [
            x[:, i : i + 1] if self.linear(n) else np.clip(x[:, i : i + 1] * self.segments - ramps, 0, 1)
            for i, n in enumerate(self.names)
        ]
        return np.hstack(columns)

    def bounds(self) -> list[tuple[float, float]]:
        return [b for n in self.names for b in [TRUST_BOUNDS.get(n, (0.0, EVIDENCE_MAX))] * self.width(n)]

    def weights(self, theta: np.ndarray, digits: int = 4) -> dict[str, float | list[float]]:
        """Column weights → one slope per linear signal, the shape (values at the knots) otherwise."""
        out: dict[str, float | list[float]] = {}
        at = 0
        for name in self.names:
            width = self.width(name)
            if self.linear(name):
                out[name] = round(float(theta[at]), digits)
            else:
                knots = np.concatenate([[0.0], np.cumsum(theta[at : at + width])])
                out[name] = [round(float(v), digits) for v in knots]
            at += width
        return out

    def theta(self, weights: dict[str, Any]) -> np.ndarray:
        """The inverse of :meth:`weights` (for scoring with rounded weights)."""
        parts = []
        for name in self.names:
            value = weights[name]
            parts.append([value] if self.linear(name) else np.diff(np.asarray(value, dtype=np.float64)))
        return np.concatenate(parts).astype(np.float64)

    def score(self, x: np.ndarray, theta: np.ndarray, chunk: int = 100_000) -> np.ndarray:
        """``expand(x) @ theta`` in chunks (the calibration set has every request of every account)."""
        return np.concatenate(
            [self.expand(x[i : i + chunk]) @ theta for i in range(0, len(x), chunk)] or [np.empty(0)]
        )


COLD_SUFFIX = ":cold-start"


def with_cold_start(samples: Samples, reference: FusionWeights, medium: float) -> Samples:
    """``samples`` plus, for every vector of a campaign account that ``reference`` (the weights the
    collection ran with) would flag at ``medium`` even without the evidence of :data:`COLD_START_ABSENT`,
    that stripped vector as a separate positive account (named ``…:cold-start``).

    Why: on traffic where campaigns share traits, a fit can explain every positive by coordination and
    let the content weights fall, and then a blatant campaign met cold (a new proxy hydra before its
    accounts have been linked or the population models have warmed up) scores near nothing. The copies
    make the fit pay for losing what the detector already catches cold, and only that: copies of
    accounts that need coordination to be caught would teach the fit to drop coordination instead.
    Their share of the positive weight is set in :func:`sample_weights`.

    >>> w = FusionWeights.model_validate({"bias": -3.0, "elicitation": 4.0, "shared_traits": 4.0})
    >>> s = Samples(["elicitation", "shared_traits"], [[0.9, 1.0], [0.1, 1.0], [0.0, 0.0]],
    ...             ["a", "b", "c"], [True, True, False], ["cot", "spread", "normal"])
    >>> cold = with_cold_start(s, w, medium=0.5)
    >>> cold.rows[3:], cold.accounts[3:]
    ([[0.9, 0.0]], ['a:cold-start'])
    """
    absent = [i for i, name in enumerate(samples.names) if name in COLD_START_ABSENT]
    out = Samples(
        samples.names,
        list(samples.rows),
        list(samples.accounts),
        list(samples.positive),
        list(samples.families),
    )
    for row, account, positive, family in zip(
        samples.rows, samples.accounts, samples.positive, samples.families, strict=True
    ):
        if not positive:
            continue
        cold = [float(v) for v in row]
        for i in absent:
            cold[i] = 0.0
        if fuse(dict(zip(samples.names, cold, strict=True)), reference) < medium:
            continue
        out.rows.append(cold)  # type: ignore[union-attr]
        out.accounts.append(account + COLD_SUFFIX)
        out.positive.append(True)
        out.families.append(family)
    return out


def sample_weights(samples: Samples, cold_start_share: float = 0.0) -> np.ndarray:
    """Each account weighs 1 in total; each class weighs the same in total; cold-start copies
    (:func:`with_cold_start`) carry ``cold_start_share`` of the positive class's weight."""
    per_account = defaultdict(int)
    for account in samples.accounts:
        per_account[account] += 1
    w = np.array([1.0 / per_account[a] for a in samples.accounts])
    positive = np.asarray(samples.positive)
    cold = np.array([a.endswith(COLD_SUFFIX) for a in samples.accounts], dtype=bool)
    for mask, mass in (
        (positive & ~cold, 0.5 * (1.0 - cold_start_share) if cold.any() else 0.5),
        (positive & cold, 0.5 * cold_start_share),
        (~positive, 0.5),
    ):
        if mask.any():
            w[mask] *= mass / w[mask].sum()
    return w


def fit(
    samples: Samples,
    basis: Basis | None = None,
    l2: float = 1e-3,
    w_sample: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """The weighted, L2-regularised logistic loss minimised under the sign bounds (L-BFGS-B, which
    handles bounds exactly; clipping unconstrained Newton steps does not reach the bounded optimum).
    Returns the column weights of ``basis`` (one per signal when ``segments == 1``) and the intercept."""
    from scipy.optimize import minimize

    basis = basis or Basis(samples.names, segments=1)
    x = basis.expand(samples.matrix())
    y = np.asarray(samples.positive, dtype=np.float64)
    w_sample = sample_weights(samples) if w_sample is None else w_sample

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        log_likelihood = y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)
        loss = -float(w_sample @ log_likelihood) + 0.5 * l2 * float(theta[:-1] @ theta[:-1])
        residual = w_sample * (p - y)
        return loss, np.append(x.T @ residual + l2 * theta[:-1], residual.sum())

    start = np.zeros(x.shape[1] + 1)
    result = minimize(
        loss_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[*basis.bounds(), (None, None)],
        options={"maxiter": 3000},
    )
    return result.x[:-1], float(result.x[-1])


def calibrate_bias(
    samples: Samples,
    linear: np.ndarray,
    medium: float,
    target_fpr: float,
    class_fpr: float = 0.01,
) -> tuple[float, dict[str, float]]:
    """The largest bias at which at most ``target_fpr`` of all normal accounts, and at most ``class_fpr``
    of the normal accounts of each family (each hard-negative class), reach ``medium`` anywhere.
    ``linear``: each sample's score without the bias."""
    peak: dict[str, float] = {}
    kind: dict[str, tuple[bool, str]] = {}
    for value, account, positive, family in zip(
        linear, samples.accounts, samples.positive, samples.families, strict=True
    ):
        peak[account] = max(peak.get(account, -math.inf), float(value))
        kind[account] = (positive, family)
    normal_peaks = sorted((v for a, v in peak.items() if not kind[a][0]), reverse=True)
    allowed = int(target_fpr * len(normal_peaks))
    # The bias that puts the (allowed+1)-th highest normal peak just below the medium threshold ...
    cutoff = normal_peaks[allowed] if allowed < len(normal_peaks) else -math.inf
    by_family: dict[str, list[float]] = defaultdict(list)
    for account, value in peak.items():
        if not kind[account][0]:
            by_family[kind[account][1]].append(value)
    for values in by_family.values():  # ... and the same within every normal class
        values.sort(reverse=True)
        allowed_here = int(class_fpr * len(values))
        if allowed_here < len(values):
            cutoff = max(cutoff, values[allowed_here])
    logit_medium = math.log(medium / (1 - medium))
    bias = logit_medium - cutoff - 1e-6
    flagged: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for account, value in peak.items():
        positive, family = kind[account]
        flagged[family][0] += int(value + bias >= logit_medium)
        flagged[family][1] += 1
    return bias, {family: hit / total for family, (hit, total) in sorted(flagged.items())}


def mean_family_recall(rates: dict[str, float], samples: Samples) -> float:
    """The mean over campaign families of the share of their accounts flagged (each family counts once,
    so a large easy family cannot hide a missed small one)."""
    campaign = {f for f, p in zip(samples.families, samples.positive, strict=True) if p}
    return float(np.mean([rates[f] for f in sorted(campaign)])) if campaign else 0.0


def fit_mined(
    samples: Samples,
    calibration: Samples,
    medium: float,
    target_fpr: float,
    class_fpr: float,
    basis: Basis | None = None,
    rounds: int = 4,
    boost: float = 3.0,
    margin: float = 2.0,
    cold_start_share: float = 0.0,
    cold_start_reference: FusionWeights | None = None,
) -> tuple[np.ndarray, float, dict[str, float], list[float]]:
    """Logistic fits with hard-negative mining: after each round, the samples of normal accounts whose
    peak comes within ``margin`` log-odds of the medium band weigh ``boost`` times more. The logistic loss
    cares about the bulk; the alert threshold cares about the few normal accounts at the top, and mining
    moves weight onto what separates those from campaigns. Returns the round with the best mean family
    recall at the calibrated bias (and every round's value, for the record)."""
    basis = basis or Basis(samples.names, segments=1)
    if cold_start_share > 0:
        samples = with_cold_start(samples, cold_start_reference or FusionWeights(), medium)
    w_sample = sample_weights(samples, cold_start_share)
    x = calibration.matrix()
    positive = np.asarray(samples.positive)
    logit_medium = math.log(medium / (1 - medium))
    best: tuple[float, np.ndarray, float, dict[str, float]] | None = None
    history: list[float] = []
    for _ in range(rounds):
        weights, _intercept = fit(samples, basis, w_sample=w_sample)
        scores = basis.score(x, weights)
        bias, rates = calibrate_bias(calibration, scores, medium, target_fpr, class_fpr)
        score = mean_family_recall(rates, samples)
        history.append(round(score, 4))
        if best is None or score > best[0]:
            best = (score, weights, bias, rates)
        linear = scores + bias
        peak: dict[str, float] = defaultdict(lambda: -math.inf)
        for value, account in zip(linear, calibration.accounts, strict=True):
            peak[account] = max(peak[account], float(value))
        near = np.array([peak[a] > logit_medium - margin for a in samples.accounts])
        w_sample = np.where(~positive & near, w_sample * boost, w_sample)
    assert best is not None
    return best[1], best[2], best[3], history


def fit_weights(
    pairs: Sequence[tuple[Path, Path]],
    config: DetectionConfig | None = None,
    target_fpr: float = 0.0005,
    class_fpr: float = 0.01,
    samples_per_account: int = 40,
    recalibrate: bool = True,
    partitions: int = DEFAULT_PARTITIONS,
    segments: int = 4,
    cold_start_share: float = 0.25,
    mining_rounds: int = 8,
    misreads: Misreads | None = None,
) -> dict[str, Any]:
    """Collect, fit and calibrate (and, with ``recalibrate``, calibrate the bias again on a run with the
    fitted weights); returns ``{"weights": {...}, "report": {...}}``. ``partitions``: the worker's
    ``topics.partitions`` (the detector's soft models are kept per input partition); ``segments``: the
    pieces of each evidence signal's shape (1: one slope per signal); ``cold_start_share``: the share of
    the positive weight given to campaign accounts as seen cold (:func:`with_cold_start`);
    ``mining_rounds``: rounds of hard-negative mining (:func:`fit_mined`); ``misreads``: normal accounts
    with misread content join the fit and both calibrations (:class:`Misreads`)."""
    config = config or DetectionConfig()
    collected = collect(pairs, config, samples_per_account, partitions, misreads=misreads)
    samples = collected.fit
    basis = Basis(samples.names, segments)
    weights, bias, rates, history = fit_mined(
        samples,
        collected.every_request,
        config.fusion.medium,
        target_fpr,
        class_fpr,
        basis,
        rounds=mining_rounds,
        cold_start_share=cold_start_share,
        cold_start_reference=config.fusion.weights,
    )
    fitted = basis.weights(weights)
    if recalibrate:
        # The signals depend on the weights they were collected with (campaign links, what teaches the
        # population model and the benign reference), so the bias is calibrated again on a run of the
        # detector as it will run: with the fitted weights.
        running = config.model_copy(
            update={
                "fusion": config.fusion.model_copy(
                    update={"weights": FusionWeights.model_validate({"bias": bias, **fitted})}
                )
            }
        )
        rerun = collect(pairs, running, samples_per_account, partitions, misreads=misreads).every_request
        scores = basis.score(rerun.matrix(), basis.theta(fitted))
        bias, rates = calibrate_bias(rerun, scores, config.fusion.medium, target_fpr, class_fpr)
    return {
        "weights": {"bias": round(bias, 4), **fitted},
        "report": {
            "trained_on": [str(e) for e, _ in pairs],
            "samples": len(samples.rows),
            "accounts": len(set(samples.accounts)),
            "target_fpr": target_fpr,
            "class_fpr": class_fpr,
            "segments": segments,
            "cold_start_share": cold_start_share,
            "mining_rounds": mining_rounds,
            **({"misreads": asdict(misreads)} if misreads is not None else {}),
            "mean_family_recall_by_mining_round": history,
            "bias_recalibrated_on_a_run_with_the_fitted_weights": recalibrate,
            "collected_with": config.fusion.weights.model_dump(),
            "flagged_share_by_family_on_training_data": {k: round(v, 4) for k, v in rates.items()},
        },
    }


def with_collection_weights(config: DetectionConfig, fitted: Path) -> DetectionConfig:
    """``config`` with the fusion weights a previous fit's collection ran with (its ``collected_with``)."""
    recorded = orjson.loads(fitted.read_bytes())["report"]["collected_with"]
    # A prior the record does not name did not exist when that collection ran: it weighed nothing then.
    absent = {name: 0.0 for name in FusionConfig().beside_trees if name not in recorded}
    weights = FusionWeights.model_validate({**recorded, **absent})
    return config.model_copy(update={"fusion": config.fusion.model_copy(update={"weights": weights})})


def write(result: dict[str, Any], out: Path) -> None:
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
