"""Fusion: many signals in [0, 1] → one score, a severity, an action, and reasons an analyst can read.

The score is a logistic sum, ``sigmoid(bias + Σ weight·signal)``, with every weight in config: a
campaign's evidence, a cluster's, and the account's own add up, so an account that looks mild alone
is raised by the hydra it belongs to. A signal becomes a *reason* when its contribution
``weight·value`` reaches ``reason_min_contribution``; the reason's ``threshold`` is the value at which
that happens.

>>> from distillguard.models.config import FusionConfig
>>> cfg = FusionConfig()
>>> quiet = fuse({"elicitation": 0.0}, cfg.weights)
>>> rotating_extraction = {"extraction": 1.0, "elicitation": 1.0, "ip_rotation": 1.0, "single_turn": 1.0,
...                        "thinking": 1.0, "shared_traits": 1.0}
>>> loud = fuse(rotating_extraction, cfg.weights)
>>> quiet < cfg.low < cfg.medium < loud
True
>>> severity_for(loud, cfg), severity_for(fuse({**rotating_extraction, "rarity": 1.0}, cfg.weights), cfg)
(<Severity.HIGH: 'high'>, <Severity.CRITICAL: 'critical'>)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

from distillguard.models.config import FusionConfig, FusionWeights
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


def fuse(signals: Mapping[str, float], weights: FusionWeights) -> float:
    """The fused score in [0, 1]."""
    table = _weight_table(weights)
    logit = weights.bias
    for name, value in signals.items():
        logit += table[name] * value
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


@lru_cache(maxsize=64)
def _weight_table(weights: FusionWeights) -> dict[str, float]:
    # FusionWeights is frozen (hashable), so its lookup table is built once per configuration.
    return weights.model_dump()


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
    signals: Mapping[str, float], config: FusionConfig, extra: Mapping[str, str] | None = None
) -> list[Reason]:
    """Reasons for every signal whose contribution reaches the configured minimum, strongest first."""
    reasons: list[tuple[float, Reason]] = []
    for name, value in signals.items():
        weight = getattr(config.weights, name)
        contribution = weight * value
        if weight <= 0 or contribution < config.reason_min_contribution:
            continue
        detail = SIGNAL_DESCRIPTIONS[name].format(pct=f"{value:.0%}", num=f"{value:.2f}")
        if extra and name in extra:
            detail = f"{detail}; {extra[name]}"
        threshold = config.reason_min_contribution / weight
        reasons.append(
            (
                contribution,
                Reason(signal=name, value=round(value, 4), threshold=round(threshold, 4), detail=detail),
            )
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
