"""Ablations: the detector with one family of evidence switched off, to show what each one carries.

Each ablation is a named :class:`~models.config.DetectionConfig` derived from the evaluated one by
config alone, so the detector code is the same:

* ``no_phrase_markers``: the English word lists of :mod:`models.text` are off (``features.phrase_markers
  = false``): no phrase markers for elicitation or grading, no code/maths vocabularies for the task
  kind. Content then comes from the learned, language-agnostic model alone.
* ``no_content``: every content signal weighs 0 (learned or listed: elicitation, grading, synthetic,
  capability, extraction, heavy_extraction, heavy_capability): behaviour and coordination alone.
* ``no_age_tier``: account age and tier weigh 0 (``young_account``, ``easy_entry_tier``,
  ``established_account``, and ``heavy_capability``, whose value is multiplied by the young share).
* ``no_payment_linking``: no payment link key in the campaign linker, ``shared_payment`` weighs 0, and
  the trait stage gives shared cards no weight.
* ``no_shared_traits``: the shared-trait coordination evidence weighs 0.

>>> names = [name for name, _ in ablation_configs()]
>>> names
['no_phrase_markers', 'no_content', 'no_age_tier', 'no_payment_linking', 'no_shared_traits']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from distillguard.models.config import DetectionConfig
from distillguard.models.partitioning import DEFAULT_PARTITIONS

ABLATION_PREFIX = "ablation:"

CONTENT_SIGNALS: tuple[str, ...] = (
    "elicitation",
    "grading",
    "synthetic",
    "capability",
    "extraction",
    "heavy_extraction",
    "heavy_capability",
)
AGE_TIER_SIGNALS: tuple[str, ...] = (
    "young_account",
    "easy_entry_tier",
    "established_account",
    "heavy_capability",
)
PAYMENT_SIGNALS: tuple[str, ...] = ("shared_payment",)

ZEROED: dict[str, tuple[str, ...]] = {
    "no_phrase_markers": (),
    "no_content": CONTENT_SIGNALS,
    "no_age_tier": AGE_TIER_SIGNALS,
    "no_payment_linking": PAYMENT_SIGNALS,
    "no_shared_traits": ("shared_traits",),
}
"""Ablation name -> the fusion weights it sets to 0."""

DESCRIPTIONS: dict[str, str] = {
    "no_phrase_markers": "English word lists off (phrase markers, task vocabularies): learned content only",
    "no_content": "every content signal weighs 0 (behaviour and coordination only)",
    "no_age_tier": "account age and tier (young_account, easy_entry_tier, established_account, "
    "heavy_capability) weigh 0",
    "no_payment_linking": "no payment link key, shared_payment weighs 0, shared cards carry no trait weight",
    "no_shared_traits": "shared-trait coordination evidence weighs 0",
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
        if name == "no_phrase_markers":
            features = variant.features.model_copy(update={"phrase_markers": False})
            variant = variant.model_copy(update={"features": features})
        if name == "no_payment_linking":
            keys = tuple(k for k in base.campaign.link_keys if k != "payment")
            kinds = tuple(
                k.model_copy(update={"weight": 0.0}) if k.kind == "pay" else k for k in variant.traits.kinds
            )
            variant = variant.model_copy(
                update={
                    "campaign": variant.campaign.model_copy(update={"link_keys": keys}),
                    "traits": variant.traits.model_copy(update={"kinds": kinds}),
                }
            )
        variant = variant.model_copy(update={"version": f"{base.version}+{ABLATION_PREFIX}{name}"})
        yield name, DetectionConfig.model_validate(variant.model_dump())


def ablation_factories(
    config: DetectionConfig | None = None, partitions: int = DEFAULT_PARTITIONS
) -> dict[str, Callable[[], Any]]:
    """``"ablation:<name>"`` -> a zero-argument constructor of the detector under that ablation
    (``partitions``: the worker's ``topics.partitions``, which scopes the soft models)."""
    from distillguard.models.detector import Detector

    return {
        f"{ABLATION_PREFIX}{name}": (lambda c=variant: Detector(c, partitions=partitions))
        for name, variant in ablation_configs(config)
    }


def is_ablation(name: str) -> bool:
    return name.startswith(ABLATION_PREFIX)


def split_ablations(runs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(baselines, ablations) of a name -> value mapping; ablation names lose their prefix."""
    baselines = {n: v for n, v in runs.items() if not is_ablation(n)}
    ablations = {n[len(ABLATION_PREFIX) :]: v for n, v in runs.items() if is_ablation(n)}
    return baselines, ablations
