"""Every threshold and weight of the detection core, validated, with defaults that are documented.

The worker, ``replay`` and the evaluation all take one :class:`DetectionConfig`; it is nested in the
worker's settings object as ``detection`` so one TOML file or env var tunes both paths.

>>> cfg = DetectionConfig()
>>> cfg.fusion.medium < cfg.fusion.high < cfg.fusion.critical
True
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from distillguard.models.operator_config import EnforcementConfig, FeedbackConfig


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureConfig(_Section):
    """Per-request feature extraction."""

    young_account_days: float = Field(
        default=30.0, gt=0, description="accounts younger than this are 'young'"
    )
    easy_entry_tiers: tuple[str, ...] = Field(
        default=("free", "education", "research", "startup"),
        description="tiers reachable without vetting (the programmes abused in reported campaigns)",
    )
    # IP-intelligence vendors name network types differently (isp / residential / broadband, mobile /
    # cellular, hosting / datacenter / DCH, proxy / VPN / Tor); types are compared lower-cased, with spaces
    # and hyphens read as underscores, so each list holds the common spellings.
    proxy_asn_types: tuple[str, ...] = Field(
        default=(
            "proxy",
            "hosting",
            "datacenter",
            "data_center",
            "dch",
            "cloud",
            "cdn",
            "content_delivery_network",
            "colocation",
            "vpn",
            "tor",
            "anonymizer",
        ),
        description="ASN types that indicate proxy or datacenter egress",
    )
    located_asn_types: tuple[str, ...] = Field(
        default=("isp", "residential", "broadband", "dialup", "mobile", "cellular", "mob", "wireless"),
        description="ASN types whose exit sits with its subscriber (home lines, mobile networks): their "
        "countries are checked for moves no traveller could make (models.geo)",
    )
    new_model_window_hours: float = Field(
        default=24.0, gt=0, description="a model counts as 'new' this long after its first request"
    )
    long_token_chars: int = Field(
        default=24, ge=4, description="tokens at least this long are masked as slots"
    )
    # Harvesting wants long worked answers to short questions (traces, derivations, full programs); the
    # gateway logs output tokens for every request, whatever language or wording the prompt uses.
    long_output_tokens: int = Field(
        default=600, ge=1, description="an answer at least this long (output tokens) can count as long"
    )
    read_turns_from_tokens: bool = Field(
        default=True,
        description="when a request has no conversation_turns, read its turn from its input tokens (below); "
        "off: an unknown turn counts as no opening",
    )
    turn_reading_warmup: int = Field(
        default=2000, ge=1, description="requests read this way before the reading is checked (below)"
    )
    turn_reading_min_later_share: float = Field(
        default=0.02,
        ge=0,
        lt=1,
        description="if fewer of the requests read this way look like later turns, the gateway's input "
        "tokens do not carry the conversation and the reading is dropped (every request would read as an "
        "opening)",
    )
    history_input_ratio: float = Field(
        default=2.0,
        gt=1,
        description="when the gateway sends no conversation_turns: a request whose input tokens exceed this "
        "many times what its prompt, system prompt and tools account for (plus the slack) counts as a later "
        "turn, since its input carries a history the request does not show; otherwise as an opening",
    )
    history_input_slack_tokens: float = Field(
        default=32.0, ge=0, description="... plus these tokens (framing the estimate does not see)"
    )
    tool_tokens: float = Field(
        default=50.0, ge=0, description="... counting each declared tool as this many input tokens"
    )
    long_output_ratio: float = Field(
        default=4.0,
        gt=0,
        description="... and only when it is at least this many times the prompt (input tokens): a long "
        "answer to a long document is a summary, not an appetite for worked answers",
    )
    template_view_words: int = Field(
        default=10, ge=2, description="words kept from each end of the masked prompt for the template view"
    )
    frame_words: int = Field(
        default=3,
        ge=1,
        description="words at each end of the masked prompt that form its frame (a fixed wrapper such as "
        "a fixed lead-in or closing line around a varying question)",
    )
    marker_window_chars: int = Field(
        default=1500, ge=100, description="characters read from each end of a prompt for markers (cost bound)"
    )
    phrase_markers: bool = Field(
        default=True,
        description="also use the English phrase lists (elicitation, grading, maths/code words); the learned "
        "content model is always on. Off in the ablation that proves no family depends on the lists",
    )
    learned_marker: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="learned elicitation/grading probability at which a prompt without a listed phrase is "
        "clustered by its instruction end (its template) rather than by its filler",
    )
    content_weights: Path | None = Field(
        default=None, description="weights file of the learned content model (default: the committed one)"
    )


class EmbeddingConfig(_Section):
    """Built-in hashed n-gram embedder and projection of gateway embeddings."""

    dims: int = Field(default=64, ge=8, le=1024)
    seed: int = Field(default=20260222, description="fixes hashing and projections: cluster ids depend on it")


class ClusterConfig(_Section):
    """Deterministic prompt clusters (same id on every worker and after restarts)."""

    simhash_bits: int = Field(default=4, ge=0, le=24, description="hyperplane bits per (task, marker) group")


class AccountConfig(_Section):
    """Per-account compact online state."""

    ew_alpha: float = Field(default=0.08, gt=0, lt=1, description="weight of the newest request in EW means")
    travel_speed_kmh: float = Field(
        default=900.0, gt=0, description="fastest a person moves between countries (airliner speed)"
    )
    travel_border_km: float = Field(
        default=800.0,
        ge=0,
        description="distance between two countries' reference points within which any move is plausible "
        "(neighbours, cross-border commuters, coarse reference points)",
    )
    recent_templates: int = Field(
        default=8, ge=1, le=32, description="recent requests whose template and frame hashes are remembered"
    )
    recent_networks: int = Field(default=6, ge=1, le=32, description="IP /24 hashes remembered")
    dedupe_window: int = Field(default=16, ge=1, le=256, description="recent event ids remembered for dedupe")
    min_events: int = Field(
        default=5, ge=1, description="no alert before this many of the account's requests"
    )
    idle_evict_hours: float = Field(default=72.0, gt=0, description="accounts idle this long are evicted")
    watermark_step_minutes: float = Field(
        default=60.0, gt=0, description="most the eviction clock advances per event (outlier timestamps)"
    )
    max_accounts: int = Field(
        default=2_000_000, ge=1000, description="hard cap of tracked accounts per worker"
    )
    own_evidence: Literal["combined", "individual"] = Field(
        default="individual",
        description="what an account's own evidence (which gates its link keys, its count in a cluster's "
        "suspicious share and its benign lessons) is fused from: 'individual' = every account signal but "
        "the shared-trait one, with the rarity of the individual signals, so that it does not depend on "
        "when the side chain's answers arrive (one worker, N workers and replay gate alike); 'combined' = "
        "every account signal, the shared-trait signal included (before 2026-12-06, and what the "
        "committed fusion weights were collected with: README, Fusion weights)",
    )


class PopulationConfig(_Section):
    """Population anomaly model (River HalfSpaceTrees over scaled account vectors)."""

    n_trees: int = Field(default=10, ge=1, le=100)
    height: int = Field(default=8, ge=2, le=20)
    window_size: int = Field(default=500, ge=10)
    warmup_accounts: int = Field(default=200, ge=0, description="no anomaly signal before this many updates")
    learn_below_score: float = Field(
        default=0.3, ge=0, le=1, description="only accounts scored below this teach 'normal' (anti-poisoning)"
    )
    learn_every: int = Field(default=5, ge=1, description="an account teaches the model every Nth request")
    # The benign reference of models.signal_rarity (tail shares in reasons, the 'rarity' signal).
    rarity_bins: int = Field(default=50, ge=4, le=1000, description="histogram bins per signal over [0, 1]")
    rarity_half_life_accounts: float = Field(
        default=20_000.0, gt=0, description="lessons after which an old lesson counts half (drift)"
    )
    rarity_warmup_accounts: int = Field(
        default=20,
        ge=1,
        description="no tail shares or rarity before this many lessons (shares are also smoothed by the "
        "number of lessons, so a small reference cannot call anything very rare)",
    )
    rarity_floor_share: float = Field(
        default=1e-3, gt=0, lt=1, description="smallest tail share reported (the histogram's resolution)"
    )
    rarity_saturation: float = Field(
        default=6.0, gt=0, description="combined -log10 tail shares at which the rarity signal saturates"
    )


class BurstConfig(_Section):
    """MIDAS-style count-min chi-square burst score over (cluster, time) and (cluster, ASN) edges."""

    bucket_seconds: int = Field(default=60, ge=1)
    cms_width: int = Field(default=4096, ge=64)
    cms_depth: int = Field(default=4, ge=1, le=16)
    decay: float = Field(default=0.5, gt=0, lt=1, description="MIDAS-R decay of the current bucket")
    saturation: float = Field(default=200.0, gt=0, description="chi-square at which the signal saturates")
    idle_gap_buckets: int = Field(
        default=64,
        ge=1,
        description="a silence of the whole stream longer than this many buckets (or one outlier "
        "timestamp before it) is not counted as elapsed time in the burst history (its expected counts)",
    )


class ClusterStateConfig(_Section):
    """Per-cluster online state."""

    ew_alpha: float = Field(default=0.02, gt=0, lt=1)
    hll_precision: int = Field(default=8, ge=4, le=14, description="HyperLogLog registers = 2**precision")
    crowd_accounts: int = Field(
        default=30, ge=2, description="distinct accounts at which a cluster is a crowd"
    )
    max_cached: int = Field(default=100_000, ge=16, description="decoded cluster states kept in memory")


class CampaignConfig(_Section):
    """Linking accounts into campaigns."""

    link_min_evidence: float = Field(
        default=0.05, ge=0, le=1, description="own evidence an account needs before weak keys link it"
    )
    link_min_content: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="extraction content (max of capability, elicitation, grading shares) needed to link",
    )
    suspicious_evidence: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="own evidence at which an account counts as suspicious in its cluster",
    )
    link_keys: tuple[Literal["payment", "ip24", "ip24_cluster", "ua_cluster", "proxy_asn"], ...] = Field(
        default=("ip24_cluster",),
        description="which shared attributes link accounts (ip24_cluster: same /24 and same prompt cluster). "
        "Payment is not linked here by default: a card shared by one org's keys is one customer; the trait "
        "stage counts a card across distinct owners instead",
    )
    link_residential_networks: bool = Field(
        default=False,
        description="also link through ip24/ip24_cluster keys on residential (non-proxy) networks; off by "
        "default because a residential /24 is shared by unrelated households, and by separate campaigns "
        "renting the same residential proxy pool",
    )
    max_key_accounts: int = Field(
        default=50,
        ge=2,
        description="a key shared by more accounts stops linking (a public resource, e.g. NAT)",
    )
    max_bridge_size: int = Field(
        default=8,
        ge=1,
        description="a weak key (not payment) may not merge two groups that both already exceed this size",
    )
    name_settle_s: float = Field(
        default=300.0,
        ge=0,
        description="a campaign is named after its smallest member as of this long (event time) before the "
        "request: the cluster stage meets different accounts' requests in the order the request partitions' "
        "batches interleave, and a member that joined within this lag renames the campaign only after it",
    )
    max_linked_listed: int = Field(default=20, ge=0, le=1000, description="linked_accounts listed per alert")
    heavy_bystander_discount: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="how much a heavy-volume account's campaign and cluster (crowd, lockstep) evidence is "
        "discounted: hydra heads are low-and-slow, heavy accounts are judged on their own extraction",
    )
    full_size: int = Field(default=25, ge=2, description="campaign size at which the size signal saturates")
    min_size: int = Field(default=3, ge=2, description="smallest group that counts as a campaign")
    max_tracked_accounts: int = Field(default=500_000, ge=100)


FUSION_WEIGHTS_FILE = Path(__file__).resolve().parent / "data" / "fusion_weights.json"


def _monotone_shape(value: float | tuple[float, ...]) -> float | tuple[float, ...]:
    falls = isinstance(value, tuple) and any(b < a for a, b in pairwise(value))
    if isinstance(value, tuple) and (len(value) < 2 or value[0] != 0.0 or falls):
        raise ValueError(f"a shape must start at 0 and never fall: {value}")
    return value


# A fusion weight: one slope, or the contributions at evenly spaced values of the signal (a shape).
Shape = Annotated[float | tuple[float, ...], AfterValidator(_monotone_shape)]


def _fitted(path: Path = FUSION_WEIGHTS_FILE) -> dict[str, Any]:
    """The committed fusion weights: fitted on development traffic by ``distillguard fit-fusion``
    (``make fit-fusion`` reproduces the file); a missing signal here fails at import, loudly."""
    weights = json.loads(path.read_text(encoding="utf-8"))["weights"]
    return {name: tuple(value) if isinstance(value, list) else value for name, value in weights.items()}


_W = _fitted()
# Log-odds of the recent share of moves between countries no traveller could make, at shares 0, 1/4, 1/2,
# 3/4 and 1 (models.geo): a few such moves are a geolocation slip or a shared account; a steady share is
# an exit pool that claims several countries.
COUNTRY_HOPPING_PRIOR = (0.0, 4.0, 5.0, 5.5, 5.5)


class FusionWeights(_Section):
    """Log-odds contributions: score = sigmoid(bias + sum(contribution(signal))), each signal in [0, 1].

    A signal's weight is either one number (contribution = weight * value) or a *shape*: the
    contributions at evenly spaced values 0, 1/K, ..., 1, interpolated linearly in between. A shape
    starts at 0 and never falls, so more of any evidence never lowers a score (nothing an attacker can
    add buys a discount); it lets a little of a rare signal count for much, and a common level count
    for little, which one slope cannot. Trust (``established_account``) stays one bounded number.

    >>> FusionWeights(elicitation=(0.0, 1.5, 2.0)).elicitation
    (0.0, 1.5, 2.0)
    >>> FusionWeights(elicitation=(0.0, 2.0, 1.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for FusionWeights
    elicitation
      Value error, a shape must start at 0 and never fall: (0.0, 2.0, 1.0) ...

    The defaults are the committed fit (``models/data/fusion_weights.json``); an operator overrides any
    of them in the settings, or re-fits all of them on their own labelled history (README).
    """

    bias: float = _W["bias"]
    # what distillers ask for: reasoning traces, grades, synthetic instruction data, capability tasks
    elicitation: Shape = _W["elicitation"]
    grading: Shape = _W["grading"]
    synthetic: Shape = _W["synthetic"]
    capability: Shape = _W["capability"]
    extraction: Shape = _W["extraction"]
    thinking: Shape = _W["thinking"]
    tool_use: Shape = _W["tool_use"]
    heavy_extraction: Shape = _W["heavy_extraction"]
    heavy_capability: Shape = _W["heavy_capability"]
    # how they ask: templates, one-shot prompts, machine timing, round the clock, new-model pivots
    template_repetition: Shape = _W["template_repetition"]
    single_turn: Shape = _W["single_turn"]
    output_appetite: Shape = _W["output_appetite"]
    rarity: Shape = _W["rarity"]
    individual_rarity: Shape = _W.get("individual_rarity", 0.0)
    timing_regularity: Shape = _W["timing_regularity"]
    flat_diurnal: Shape = _W["flat_diurnal"]
    new_model_pivot: Shape = _W["new_model_pivot"]
    heavy_volume: Shape = _W["heavy_volume"]
    population_anomaly: Shape = _W["population_anomaly"]
    # how they operate: rotating proxies, fresh accounts on easy tiers (weak: attackers buy old ones)
    proxy_network: Shape = _W["proxy_network"]
    ip_rotation: Shape = _W["ip_rotation"]
    asn_rotation: Shape = _W["asn_rotation"]
    # A prior, not fitted: no development file has a person who moves between countries faster than a
    # plane, so a fit cannot price it (README, v6.6). Added beside the interaction trees (FusionConfig).
    country_hopping: Shape = COUNTRY_HOPPING_PRIOR
    young_account: Shape = _W["young_account"]
    easy_entry_tier: Shape = _W["easy_entry_tier"]
    # coordination: the hydra seen as a whole
    cluster_crowd: Shape = _W["cluster_crowd"]
    cluster_lockstep: Shape = _W["cluster_lockstep"]
    shared_traits: Shape = _W["shared_traits"]
    campaign: Shape = _W["campaign"]
    shared_payment: Shape = _W["shared_payment"]
    # trust (bounded by the fit: an old account may lower a score a little, never cancel evidence)
    established_account: float = _W["established_account"]


class FusionConfig(_Section):
    """Severity thresholds on the fused score, actions, cooldown, and which signals are explained."""

    weights: FusionWeights = FusionWeights()
    low: float = Field(default=0.3, gt=0, lt=1)
    medium: float = Field(default=0.6, gt=0, lt=1)
    high: float = Field(default=0.8, gt=0, lt=1)
    critical: float = Field(default=0.93, gt=0, lt=1)
    medium_unlinked: float = Field(
        default=0.7,
        gt=0,
        lt=1,
        description="what an account with no link to others (no shared-trait, cluster or campaign "
        "signal reaching ``linked_floor``) needs for medium: its own traffic alone must say more, because "
        "coherent legitimate users (a judge experiment, a personal fine-tune) look like extraction on "
        "their own, and a campaign is by definition many accounts. Equal to ``medium``: no such rule",
    )
    linked_floor: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="the value at which a link signal counts as a link. A faint one is what a legitimate "
        "user has who writes the way a campaign does: the prompt clusters are shared with it",
    )
    reason_min_contribution: float = Field(
        default=0.5, ge=0, description="a signal is listed as a reason when weight*value reaches this"
    )
    interactions: bool = Field(
        default=True,
        description="score with the fitted interaction trees (models.interactions), which see signals "
        "that are unusual together; off: the additive weights alone decide the severity",
    )
    interactions_file: Path | None = Field(
        default=None, description="the interaction trees' file (default: the committed fit)"
    )
    beside_trees: tuple[str, ...] = Field(
        default=("country_hopping",),
        description="signals the interaction trees were not fitted on, added to their log-odds by their "
        "additive weights (the trees are on the additive scale); the fit leaves these weights alone",
    )
    prior_presence_level: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="the level at which an account counts as showing a prior's behaviour, when the "
        "benign reference is asked how common it is",
    )
    prior_rare_share: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="a prior beside the trees counts in full while at most this share of the accounts "
        "not under suspicion show it (models.stages, AccountStage._prior_weights)",
    )
    prior_common_share: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="... and not at all from this share on (log-linearly between): what many benign "
        "accounts do is no evidence, whatever the prior was set for",
    )
    cooldown_minutes: float = Field(
        default=60.0, ge=0, description="no re-alert at equal severity within this"
    )
    heavy_volume_per_hour: float = Field(
        default=120.0, gt=0, description="request rate that saturates volume"
    )
    extraction_volume: float = Field(
        default=30.0,
        gt=0,
        description="systematic extraction requests (strong CoT markers or grading) that saturate",
    )
    extraction_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="share of recent requests with extraction markers at which heavy extraction counts "
        "fully (a heavy integration that only sometimes asks for reasoning is not extracting)",
    )
    established_days: float = Field(default=365.0, gt=0, description="account age that earns full trust")
    flat_diurnal_floor: float = Field(
        default=0.75, ge=0, lt=1, description="hour-of-day entropy (0-1) below which activity looks human"
    )
    population_anomaly_floor: float = Field(
        default=0.5, ge=0, lt=1, description="HalfSpaceTrees score below which an account is unremarkable"
    )

    @model_validator(mode="after")
    def _ordered(self) -> FusionConfig:
        if not self.low < self.medium < self.high < self.critical:
            raise ValueError(
                f"severity thresholds must rise: low {self.low} < medium {self.medium} < high {self.high} "
                f"< critical {self.critical}"
            )
        if self.medium_unlinked < self.medium:
            raise ValueError(
                f"medium_unlinked {self.medium_unlinked} must not be below medium {self.medium}: "
                "an account linked to no other never needs less evidence"
            )
        if not self.prior_rare_share < self.prior_common_share:
            raise ValueError(
                f"prior_rare_share {self.prior_rare_share} must be below prior_common_share "
                f"{self.prior_common_share}"
            )
        return self


class TraitKind(_Section):
    """How one kind of trait is judged (kinds shared by accident need more owners before they count)."""

    kind: str = Field(min_length=1, description="the trait key's prefix, e.g. 'ip24'")
    weight: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="evidence of a fully suspicious value; a request kind weighed 0 is not sent by itself, "
        "only inside combined traits",
    )
    min_owners: int = Field(default=3, ge=2, description="distinct owners below which a value gives nothing")
    full_owners: int = Field(default=30, ge=3, description="distinct owners at which the size term saturates")

    @model_validator(mode="after")
    def _ordered(self) -> TraitKind:
        if self.full_owners <= self.min_owners:
            raise ValueError(
                f"trait kind {self.kind!r}: full_owners {self.full_owners} must exceed "
                f"min_owners {self.min_owners}"
            )
        return self


_DEFAULT_KINDS = (
    # A hosting IP shared by many extracting owners is strong; NAT exits are handled by the mean.
    TraitKind(kind="ip32", weight=1.0, min_owners=3, full_owners=25),
    # Residential and campus /24s are shared by unrelated households and students.
    TraitKind(kind="ip24", weight=0.6, min_owners=5, full_owners=60),
    # A full user agent string: custom tooling is distinctive, SDK defaults are common.
    TraitKind(kind="ua", weight=0.6, min_owners=4, full_owners=50),
    # A public system prompt (a judge or tutoring template) is pasted by many unrelated reasoning-heavy
    # people: by itself it is not weighed, only sent inside the pairs below (README, 2026-12-07).
    TraitKind(kind="sys", weight=0.0, min_owners=3, full_owners=30),
    TraitKind(kind="tools", weight=0.9, min_owners=3, full_owners=30),
    # Distinct customers on one card are rare (a family, a reseller); a ring's card is strong.
    TraitKind(kind="pay", weight=1.0, min_owners=2, full_owners=12),
    # Thousands of sign-ups share an hour: only a dense extracting cohort counts.
    TraitKind(kind="cohort", weight=0.5, min_owners=8, full_owners=200),
    TraitKind(kind="pivot", weight=0.6, min_owners=6, full_owners=120),
    TraitKind(kind="frame", weight=0.8, min_owners=3, full_owners=40),
    # One system prompt on accounts made in the same weeks, or sent from the same client build.
    TraitKind(kind="sys+created", weight=1.0, min_owners=3, full_owners=30),
    TraitKind(kind="sys+ua", weight=1.0, min_owners=3, full_owners=30),
)


# The request's own trait kinds (models.features.trait_keys, plus the optional prompt frame), and
# 'created', the account-creation window, which is too common to send alone and only ever sent combined.
COMBINABLE_KINDS = ("ip32", "ip24", "ua", "sys", "tools", "pay", "cohort", "frame", "created")


class TraitConfig(_Section):
    """Shared-trait evidence: which owners count, how the sharers' mean is kept, emission fan-out."""

    kinds: tuple[TraitKind, ...] = Field(default=_DEFAULT_KINDS, description="per-kind weight and limits")
    default_kind: TraitKind = Field(
        default=TraitKind(kind="*", weight=0.5, min_owners=4, full_owners=40),
        description="rule for kinds not listed in ``kinds``",
    )
    hll_precision: int = Field(
        default=7, ge=4, le=10, description="HyperLogLog registers per value (2**precision bytes, twice)"
    )
    ew_alpha: float = Field(
        default=0.05, gt=0, lt=1, description="weight of the newest owner observation in the sharers' mean"
    )
    recent_owners: int = Field(
        default=8, ge=1, le=32, description="latest distinct owners remembered per value (32-bit hashes)"
    )
    repeat_weight: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="weight in the mean of an owner already among the value's recent owners (a heavy "
        "account refreshing often must not set the mean alone)",
    )
    settle_events: int = Field(
        default=4,
        ge=1,
        description="an account's extraction level weighs fully in the mean from this many requests on "
        "(its first requests give a noisy level)",
    )
    sharer_level: Literal["extraction", "rarity"] = Field(
        default="extraction",
        description="what an owner's level is: 'rarity' = how unusual the account is on its own against "
        "the benign reference (models.signal_rarity, every signal but shared traits), 'extraction' = its "
        "share of distillation-shaped content. Content alone is not enough: developers' code questions "
        "and researchers' benchmarks are capability content, and a popular SDK, tool set or default "
        "system prompt is shared by hundreds of them. 'rarity' is principled but lost recall on every dev "
        "seed measured (README), so it is not the default yet",
    )
    extracting_level: float = Field(
        default=0.4, ge=0, le=1, description="owner level at which an owner counts as extracting"
    )
    traced_capability: bool = Field(
        default=True,
        description="count capability tasks sent under extended thinking as distillation-shaped in an "
        "owner's level, like one-shot ones: an agent loop that asks for the model's thinking on every "
        "step is collecting reasoning traces, though its sessions are multi-turn",
    )
    automated_sharers: bool = Field(
        default=False,
        description="count machine-driven one-shot traffic (single turns sent round the clock) in an "
        "owner's level, like extraction content: label-harvesting hydras send nothing that "
        "reads as extraction, but every head runs the same loop (models.stages.extraction_level). Off: "
        "after a refit it gained nothing on held-out dev seeds at matched false positives (README)",
    )
    combined: tuple[tuple[str, ...], ...] = Field(
        default=(("sys", "created"), ("sys", "ua")),
        description="groups of kinds whose values are also sent together as one trait, keyed "
        "'<kind>+<kind>:<hash>' (e.g. ('sys', 'ua')): unrelated people paste one public system prompt or "
        "run one popular client, but seldom both in the same pair, while one operator's tooling fixes "
        "every part of it. A rule in ``kinds`` (else ``default_kind``) weighs the pair",
    )
    created_window_days: int = Field(
        default=30,
        ge=1,
        le=366,
        description="width of the account-creation window ('created', a kind only combined): hundreds of "
        "unrelated students paste one public judge prompt, but accounts bought or registered as a batch "
        "also share the weeks they were made in",
    )
    frame_trait: bool = Field(
        default=False,
        description="send each prompt's frame (its first masked words) as a shared trait (off: after a "
        "refit it gained nothing on held-out dev seeds over traced capability alone, costs one more trait "
        "per request, and made two workers disagree with one more often; README)",
    )
    mean_floor: float = Field(
        default=0.3,
        ge=0,
        lt=1,
        description="sharers' extraction (mean and share) below which a value is benign",
    )
    mean_full: float = Field(
        default=0.8, gt=0, le=1, description="sharers' extraction at which a value counts fully"
    )
    idle_expire_hours: float = Field(
        default=168.0, gt=0, description="a value idle this long starts afresh when it is next touched"
    )
    max_traits: int = Field(default=100_000, ge=1, description="decoded trait states kept in memory")
    max_trait_values: int = Field(
        default=2_000_000, ge=1, description="trait values kept in the table (least recently used go first)"
    )
    watermark_step_minutes: float = Field(
        default=60.0, gt=0, description="how far one observation may advance the idle-eviction clock"
    )
    # Emission (account side, see TraitEmitter).
    refresh_every: int = Field(
        default=32, ge=1, description="each trait is re-sent once per this many of the account's requests"
    )
    early_refresh: tuple[int, ...] = Field(
        default=(4, 16),
        description="request counts at which all of an account's traits are re-sent (its level settles)",
    )
    emit_recent_traits: int = Field(
        default=16, ge=1, le=255, description="trait values an account remembers having sent (16-bit hashes)"
    )
    max_emit_per_request: int = Field(default=8, ge=1, description="most trait observations per request")

    @model_validator(mode="after")
    def _consistent(self) -> TraitConfig:
        if self.mean_full <= self.mean_floor:
            raise ValueError(f"mean_full {self.mean_full} must exceed mean_floor {self.mean_floor}")
        names = [rule.kind for rule in self.kinds]
        if len(set(names)) != len(names):
            raise ValueError(f"trait kinds listed twice: {sorted(n for n in names if names.count(n) > 1)}")
        for group in self.combined:
            unknown = sorted(set(group) - set(COMBINABLE_KINDS))
            if len(set(group)) < 2 or unknown:
                raise ValueError(
                    f"combined trait {list(group)}: needs two or more distinct kinds of "
                    f"{list(COMBINABLE_KINDS)}" + (f" (unknown: {unknown})" if unknown else "")
                )
        return self


class DetectionConfig(_Section):
    """All detection settings. ``version`` is stamped into every alert as ``detector_version``."""

    version: str = "distillguard-0.1.0"
    features: FeatureConfig = FeatureConfig()
    embedding: EmbeddingConfig = EmbeddingConfig()
    clusters: ClusterConfig = ClusterConfig()
    account: AccountConfig = AccountConfig()
    population: PopulationConfig = PopulationConfig()
    burst: BurstConfig = BurstConfig()
    cluster_state: ClusterStateConfig = ClusterStateConfig()
    campaign: CampaignConfig = CampaignConfig()
    traits: TraitConfig = TraitConfig()
    fusion: FusionConfig = FusionConfig()
    feedback: FeedbackConfig = FeedbackConfig()
    enforcement: EnforcementConfig = EnforcementConfig()
