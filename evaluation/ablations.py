"""Ablations: the detector with one family of evidence switched off, to show what each one carries.

Each ablation is a named :class:`~models.config.DetectionConfig` derived from the evaluated one by
config alone (fusion weights set to 0, campaign link keys removed), so the detector code is the same:

* ``no_phrase_markers``: the signals read from the English phrase lists of :mod:`models.text`
  (``elicitation`` and ``grading`` markers, and ``heavy_extraction``, which counts marked requests) weigh 0.
  Weight-only: the markers still shape cluster ids (marked instructions cluster on their own) and the
  content gate of the campaign and cluster signals (:func:`models.stages.content_evidence`).
* ``no_task_vocabulary``: additionally the signals of the English task vocabularies (``capability``, from
  the code/maths word lists, and ``heavy_capability``) weigh 0: what is left is language-independent.
* ``no_age_tier``: account age and tier weigh 0 (``young_account``, ``easy_entry_tier``,
  ``established_account``, and ``heavy_capability``, whose value is multiplied by the young share).
* ``no_payment_linking``: campaigns are linked without the payment fingerprint (``link_keys`` without
  ``payment``) and ``shared_payment`` weighs 0.

>>> names = [name for name, _ in ablation_configs()]
>>> names
['no_phrase_markers', 'no_task_vocabulary', 'no_age_tier', 'no_payment_linking']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from distillguard.models.config import DetectionConfig

ABLATION_PREFIX = "ablation:"

PHRASE_SIGNALS: tuple[str, ...] = ("elicitation", "grading", "heavy_extraction")
VOCABULARY_SIGNALS: tuple[str, ...] = ("capability", "heavy_capability")
AGE_TIER_SIGNALS: tuple[str, ...] = (
    "young_account",
    "easy_entry_tier",
    "established_account",
    "heavy_capability",
)
PAYMENT_SIGNALS: tuple[str, ...] = ("shared_payment",)

ZEROED: dict[str, tuple[str, ...]] = {
    "no_phrase_markers": PHRASE_SIGNALS,
    "no_task_vocabulary": PHRASE_SIGNALS + VOCABULARY_SIGNALS,
    "no_age_tier": AGE_TIER_SIGNALS,
    "no_payment_linking": PAYMENT_SIGNALS,
}
"""Ablation name -> the fusion weights it sets to 0."""

DESCRIPTIONS: dict[str, str] = {
    "no_phrase_markers": "English phrase markers (elicitation, grading, heavy_extraction) weigh 0",
    "no_task_vocabulary": "phrase markers and the task vocabularies (capability, heavy_capability) weigh 0",
    "no_age_tier": "account age and tier (young_account, easy_entry_tier, established_account, "
    "heavy_capability) weigh 0",
    "no_payment_linking": "no payment link key, shared_payment weighs 0",
}


def _zero_weights(config: DetectionConfig, names: tuple[str, ...]) -> DetectionConfig:
    weights = config.fusion.weights.model_copy(update=dict.fromkeys(names, 0.0))
    return config.model_copy(update={"fusion": config.fusion.model_copy(update={"weights": weights})})


def ablation_configs(config: DetectionConfig | None = None) -> Iterator[tuple[str, DetectionConfig]]:
    """Yield ``(name, config)`` for every ablation of ``config`` (default: ``DetectionConfig()``).

    Each config is re-validated and its ``version`` carries ``+ablation:<name>``, so its alerts are told
    apart from the full detector's.
    """
    base = config if config is not None else DetectionConfig()
    for name, zeroed in ZEROED.items():
        variant = _zero_weights(base, zeroed)
        if name == "no_payment_linking":
            keys = tuple(k for k in base.campaign.link_keys if k != "payment")
            variant = variant.model_copy(
                update={"campaign": variant.campaign.model_copy(update={"link_keys": keys})}
            )
        variant = variant.model_copy(update={"version": f"{base.version}+{ABLATION_PREFIX}{name}"})
        yield name, DetectionConfig.model_validate(variant.model_dump())


def ablation_factories(config: DetectionConfig | None = None) -> dict[str, Callable[[], Any]]:
    """``"ablation:<name>"`` -> a zero-argument constructor of the detector under that ablation."""
    from distillguard.models.detector import Detector

    return {
        f"{ABLATION_PREFIX}{name}": (lambda c=variant: Detector(c))
        for name, variant in ablation_configs(config)
    }


def is_ablation(name: str) -> bool:
    return name.startswith(ABLATION_PREFIX)


def split_ablations(runs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(baselines, ablations) of a name -> value mapping; ablation names lose their prefix."""
    baselines = {n: v for n, v in runs.items() if not is_ablation(n)}
    ablations = {n[len(ABLATION_PREFIX) :]: v for n, v in runs.items() if is_ablation(n)}
    return baselines, ablations
