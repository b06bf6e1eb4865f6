"""Fusion: many signals in [0, 1] → one score, a severity, an action, and reasons an analyst can read.

The score is a logistic sum, ``sigmoid(bias + Σ contribution(signal))``, with every weight in config:
a campaign's evidence, a cluster's, and the account's own add up, so an account that looks mild alone
is raised by the hydra it belongs to. A signal's contribution is ``weight·value`` for a one-number
weight, or its *shape* (contributions at evenly spaced values, interpolated) — see
:class:`~distillguard.models.config.FusionWeights`. A signal becomes a *reason* when its contribution
reaches ``reason_min_contribution``; the reason's ``threshold`` is the value at which that happens.

>>> from distillguard.models.config import FusionConfig
>>> cfg = FusionConfig()
>>> quiet = fuse({"elicitation": 0.0}, cfg.weights)
>>> rotating_extraction = {"extraction": 1.0, "elicitation": 1.0, "ip_rotation": 1.0, "single_turn": 1.0,
...                        "thinking": 1.0, "shared_traits": 1.0}
>>> loud = fuse(rotating_extraction, cfg.weights)
>>> quiet < cfg.low < cfg.medium < loud
True
>>> severity_for(loud, cfg).rank >= Severity.MEDIUM.rank
True
>>> severity_for(fuse({**rotating_extraction, "rarity": 1.0}, cfg.weights), cfg)
<Severity.CRITICAL: 'critical'>
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any

from distillguard.models.config import FusionConfig, FusionWeights
from distillguard.models.interactions import INTERACTIONS_FILE, InteractionTrees, load_interactions
from distillguard.schemas.suspicion_event import Action, Reason, Severity

ACTIONS: dict[Severity, Action] = {
    Severity.LOW: Action.MONITOR,
    Severity.MEDIUM: Action.REVIEW,
    Severity.HIGH: Action.THROTTLE,
    Severity.CRITICAL: Action.BLOCK,
}

# What each signal means, as a sentence about its value (formatted with the value as a percentage or number).
SIGNAL_DESCRIPTIONS: dict[str, str] = {
    "elicitation": "{pct} of recent requests ask for the model's step-by-step or internal reasoning",
    "grading": "{pct} of recent requests use the model as a grader or reward model (rubrics, scores)",
    "capability": "{pct} of recent requests are maths, code or tool-use tasks",
    "synthetic": "{pct} of recent requests ask for synthetic instruction data (self-instruct style)",
    "extraction": "{pct} of recent requests are extraction material (learned content model)",
    "timing_regularity": "requests arrive at machine-regular intervals (signal {num})",
    "thinking": "{pct} of recent requests ask for extended thinking",
    "tool_use": "{pct} of recent requests declare tools",
    "template_repetition": "{pct} of recent requests reuse one of the account's recent prompt templates",
    "single_turn": "{pct} of recent requests open a new conversation (one-shot prompts)",
    "output_appetite": "{pct} of recent requests draw long answers, many times the prompt's length",
    "young_account": "account is younger than the young-account age (signal {num})",
    "easy_entry_tier": "account is on an easy-entry tier (free/education/research/startup)",
    "proxy_network": "{pct} of recent requests come from proxy or hosting networks",
    "ip_rotation": "{pct} of recent requests come from a network /24 the account had not used recently",
    "asn_rotation": "{pct} of recent requests come from a network provider (ASN) the account had not used "
    "recently",
    "country_hopping": "{pct} of recent requests come from another country than the account's previous home "
    "or mobile line, sooner than anyone could travel there",
    "flat_diurnal": "activity is spread round the clock (flatness signal {num})",
    "new_model_pivot": "{pct} of recent requests target a model released within the new-model window",
    "heavy_volume": "peak hourly volume is {pct} of the heavy-volume rate",
    "heavy_extraction": "many requests systematically extracting reasoning traces or grades (signal {num})",
    "heavy_capability": "a young account sending one-shot maths, code or tool tasks at heavy volume "
    "(signal {num})",
    "population_anomaly": "account behaviour is unlike the population (anomaly signal {num})",
    "rarity": "its strongest signals are rare among accounts not under suspicion (rarity {num})",
    "individual_rarity": "on its own signals alone (no shared traits), it is rare among accounts not under "
    "suspicion (rarity {num})",
    "cluster_crowd": "its prompt cluster is shared by a crowd of suspicious accounts (signal {num})",
    "cluster_lockstep": "its prompt cluster shows a synchronized burst across accounts (signal {num})",
    "shared_traits": "shares a trait (exit IP, system prompt, tool set, client, card, ...) with many "
    "unrelated accounts that are unusual on their own (signal {num})",
    "campaign": "linked to a campaign of accounts through shared infrastructure (signal {num})",
    "shared_payment": "its campaign shares a payment method across accounts",
    "established_account": "account is long-established (trust signal {num})",
}


Weight = float | tuple[float, ...]


def contribution(weight: Weight, value: float) -> float:
    """The log-odds a signal at ``value`` adds: ``weight * value``, or the shape interpolated at ``value``.

    >>> contribution(2.0, 0.25), contribution((0.0, 1.5, 2.0), 0.25), contribution((0.0, 1.5, 2.0), 1.0)
    (0.5, 0.75, 2.0)
    """
    if weight.__class__ is not tuple:
        return weight * value  # type: ignore[operator]
    segments = len(weight) - 1  # type: ignore[arg-type]
    position = min(max(value, 0.0), 1.0) * segments
    below = min(int(position), segments - 1)
    low = weight[below]  # type: ignore[index]
    return low + (position - below) * (weight[below + 1] - low)  # type: ignore[index]


def threshold(weight: Weight, least: float) -> float | None:
    """The smallest value of the signal whose contribution reaches ``least`` (None: it never does).

    >>> threshold(2.0, 0.5), threshold((0.0, 1.5, 2.0), 0.75), threshold((0.0, 0.2), 0.5)
    (0.25, 0.25, None)
    """
    if weight.__class__ is not tuple:
        return least / weight if weight > 0 and weight >= least else None  # type: ignore[operator]
    segments = len(weight) - 1  # type: ignore[arg-type]
    for below in range(segments):
        low, high = weight[below], weight[below + 1]  # type: ignore[index]
        if high >= least:
            share = 0.0 if high == low else max(0.0, (least - low) / (high - low))
            return (below + share) / segments
    return None


def fuse(signals: Mapping[str, float], weights: FusionWeights) -> float:
    """The fused score in [0, 1]."""
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, fused_logit(signals, weights)))))


def fused_logit(signals: Mapping[str, float], weights: FusionWeights) -> float:
    """The additive log-odds of the signals (:func:`fuse` before the sigmoid)."""
    table = _by_identity(weights, _compiled)
    logit = weights.bias
    for name, value in signals.items():
        weight = table[name]
        if weight.__class__ is float:
            logit += weight * value  # type: ignore[operator]
        else:  # a shape, as (segments, knot values, slopes); inlined: this runs per signal per request
            segments, knots, slopes = weight  # type: ignore[misc]
            position = (0.0 if value < 0.0 else 1.0 if value > 1.0 else value) * segments
            below = int(position)
            below = segments - 1 if below >= segments else below
            logit += knots[below] + (position - below) * slopes[below]
    return logit


def interaction_trees(config: FusionConfig) -> InteractionTrees | None:
    """The interaction trees the configuration scores with (None: the additive weights decide)."""
    return _by_identity(config, _trees_of)


def _trees_of(config: FusionConfig) -> InteractionTrees | None:
    if not config.interactions:
        return None
    return load_interactions(config.interactions_file or INTERACTIONS_FILE)


# What is derived from a configuration object, by the object's identity: these run on every request, and
# hashing a frozen pydantic model (every field, every call) cost more than the lookup it keys. Each entry
# holds its object, so an id is not reused while cached; a configuration is small and rarely swapped.
_DERIVED: dict[tuple[int, Callable[[Any], Any]], tuple[object, Any]] = {}


def _by_identity(source: Any, derive: Callable[[Any], Any]) -> Any:
    key = (id(source), derive)
    entry = _DERIVED.get(key)
    if entry is not None and entry[0] is source:
        return entry[1]
    if len(_DERIVED) >= 256:
        _DERIVED.clear()
    value = derive(source)
    _DERIVED[key] = (source, value)
    return value


def severity_score(
    signals: Mapping[str, float], config: FusionConfig, prior_weights: Mapping[str, float] | None = None
) -> float:
    """The score the severity bands read: the interaction trees' calibrated probability when the
    configuration uses them (:mod:`models.interactions`), with the additive contributions of the signals
    they were not fitted on (``config.beside_trees``) added to their log-odds, each times its share in
    ``prior_weights`` (default 1: how common the benign population makes it); else the additive
    :func:`fuse`."""
    trees = interaction_trees(config)
    if trees is None and not prior_weights:
        return fuse(signals, config.weights)
    table = _weight_table(config.weights)
    if trees is None:  # the additive weights hold the priors too: take back what a prior does not count
        logit = fused_logit(signals, config.weights)
        for name, weight in (prior_weights or {}).items():
            logit -= (1.0 - weight) * contribution(table[name], signals.get(name, 0.0))
    else:
        logit = trees.logit(signals)
        weights = prior_weights or {}
        for name in config.beside_trees:
            logit += contribution(table[name], signals.get(name, 0.0)) * weights.get(name, 1.0)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def reason_floors(config: FusionConfig, names: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """For each of ``names`` that the additive weights can make a reason of, the least value at which
    they do (its contribution reaches ``reason_min_contribution``): the signals whose population share
    is looked up for the reasons' text. Under the interaction trees the same few are looked up (the trees
    split on nearly every signal at some low value, and a lookup per signal per request costs more than
    the trees); a reason only the trees give is stated without its share."""
    least = config.reason_min_contribution
    found = ((name, threshold(getattr(config.weights, name), least)) for name in names)
    return tuple((name, at) for name, at in found if at is not None)


def _counted(table: Mapping[str, Weight], name: str, value: float, shares: Mapping[str, float]) -> float:
    """A signal's contribution times the share of its weight it counts for (priors; 1 for the others)."""
    return contribution(table[name], value) * shares.get(name, 1.0)


@lru_cache(maxsize=64)
def _weight_table(weights: FusionWeights) -> dict[str, Weight]:
    # FusionWeights is frozen (hashable), so its lookup table is built once per configuration.
    return {name: getattr(weights, name) for name in type(weights).model_fields}


def _compiled(weights: FusionWeights) -> dict[str, object]:
    """The table :func:`fuse` reads: slopes as floats, a flat shape as one slope, others precomputed."""
    table: dict[str, object] = {}
    for name, weight in _weight_table(weights).items():
        if weight.__class__ is not tuple:
            table[name] = float(weight)  # type: ignore[arg-type]
            continue
        knots = tuple(float(v) for v in weight)  # type: ignore[union-attr]
        segments = len(knots) - 1
        slopes = tuple(high - low for low, high in pairwise(knots))
        if len(set(slopes)) == 1:
            table[name] = slopes[0] * segments  # a straight line through 0 is one slope
        else:
            table[name] = (segments, knots, slopes)
    return table


# The signals that come from other accounts: a shared trait, a crowded or synchronised prompt cluster,
# a linked campaign, a payment shared within one.
LINK_SIGNALS = ("shared_traits", "cluster_crowd", "cluster_lockstep", "campaign", "shared_payment")


def linked(signals: Mapping[str, float], config: FusionConfig) -> bool:
    """Whether any link signal reaches ``config.linked_floor``: the account is seen next to others."""
    floor = config.linked_floor
    return any(signals.get(name, 0.0) >= floor for name in LINK_SIGNALS)


def account_severity(score: float, signals: Mapping[str, float], config: FusionConfig) -> Severity | None:
    """The severity of an account's assessment: :func:`severity_for`, except that an account with no
    clear link to others needs ``medium_unlinked`` for medium (it stays low below that).

    Why: a campaign is many accounts, and a legitimate user whose own traffic reads like extraction (a
    judge experiment, a personal fine-tune, a chain-of-thought sweep) is one. Its faint links, a prompt
    cluster it shares with suspicious accounts because it writes as they do, are not a link. High and
    critical are left alone: evidence that strong does not wait for company.

    >>> from distillguard.models.config import FusionConfig
    >>> cfg = FusionConfig(medium=0.6, medium_unlinked=0.7)
    >>> account_severity(0.65, {"thinking": 1.0}, cfg).value
    'low'
    >>> account_severity(0.65, {"thinking": 1.0, "shared_traits": 0.6}, cfg).value
    'medium'
    >>> account_severity(0.65, {"thinking": 1.0, "cluster_crowd": 0.3}, cfg).value  # a faint link
    'low'
    """
    severity = severity_for(score, config)
    if severity is Severity.MEDIUM and score < config.medium_unlinked and not linked(signals, config):
        return Severity.LOW
    return severity


def severity_for(score: float, config: FusionConfig) -> Severity | None:
    """The severity band of a score, or None below ``low``."""
    if score >= config.critical:
        return Severity.CRITICAL
    if score >= config.high:
        return Severity.HIGH
    if score >= config.medium:
        return Severity.MEDIUM
    if score >= config.low:
        return Severity.LOW
    return None


def explain(
    signals: Mapping[str, float],
    config: FusionConfig,
    extra: Mapping[str, str] | None = None,
    prior_weights: Mapping[str, float] | None = None,
) -> list[Reason]:
    """Reasons for every signal whose contribution reaches the configured minimum, strongest first.

    Under the interaction trees a signal's contribution is what its splits added along the paths the
    request took, and its threshold the lowest split it was found above; if no signal reaches the
    minimum alone, the three that added most are given (an alert always says why)."""
    trees = interaction_trees(config)
    least = config.reason_min_contribution
    shares = prior_weights or {}
    if trees is None:
        table = _weight_table(config.weights)
        found = (
            (name, value, _counted(table, name, value, shares), threshold(table[name], least))
            for name, value in signals.items()
        )
        candidates = [(name, value, added, at) for name, value, added, at in found if at is not None]
    else:
        attributed = trees.attribution(signals)
        candidates = [
            (name, signals.get(name, 0.0), added, at) for name, (added, at) in attributed.items() if added > 0
        ]
        table = _weight_table(config.weights)
        for name in config.beside_trees:  # added to the trees' log-odds by their own weights
            value = signals.get(name, 0.0)
            added, at = _counted(table, name, value, shares), threshold(table[name], least)
            if added > 0 and at is not None:
                candidates.append((name, value, added, at))
        if not any(added >= least for _, _, added, _ in candidates):
            least = min(sorted((added for _, _, added, _ in candidates), reverse=True)[:3], default=least)
    reasons: list[tuple[float, Reason]] = []
    for name, value, added, at in candidates:
        if added < least:
            continue
        detail = SIGNAL_DESCRIPTIONS[name].format(pct=f"{value:.0%}", num=f"{value:.2f}")
        if extra and name in extra:
            detail = f"{detail}; {extra[name]}"
        reasons.append(
            (added, Reason(signal=name, value=round(value, 4), threshold=round(at, 4), detail=detail))
        )
    reasons.sort(key=lambda item: -item[0])
    return [reason for _, reason in reasons]


def should_alert(
    severity: Severity | None, last_rank: int, last_alert_ts: int, ts: int, config: FusionConfig
) -> bool:
    """Alert on a first crossing, when severity rises, or after the cooldown at the same severity."""
    if severity is None:
        return False
    if severity.rank > last_rank:
        return True
    cooldown_ms = config.cooldown_minutes * 60_000
    return severity.rank == last_rank and ts - last_alert_ts >= cooldown_ms
