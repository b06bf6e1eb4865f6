"""The detector as three keyed stages, so a stream processor can partition each by its own key.

``AccountStage`` (keyed by account) → ``ClusterStage`` (keyed by prompt cluster) → ``AlertStage``
(keyed by account again). Each stage reads and writes its state through a ``MutableMapping`` of bytes:
a plain dict in :class:`~models.detector.Detector` and ``replay``, a Faust table (with a changelog) in
the worker. Messages between stages are plain dataclasses with ``to_dict``/``from_dict``.
"""

from __future__ import annotations

import math
import struct
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

from distillguard.models.account_state import AccountLayout, AccountState
from distillguard.models.burst import MidasBurst
from distillguard.models.campaigns import Campaign, CampaignLinker
from distillguard.models.cluster_state import ClusterState
from distillguard.models.config import DetectionConfig, FusionConfig
from distillguard.models.coordination import AccountCoordination
from distillguard.models.features import FeatureExtractor, ModelRegistry, RequestFeatures
from distillguard.models.feedback import CondemnedCampaigns, LabelBook, annotate, label_effect
from distillguard.models.fusion import (
    ACTIONS,
    account_severity,
    contribution,
    explain,
    fuse,
    reason_floors,
    severity_for,
    severity_score,
    should_alert,
)
from distillguard.models.hashing import short_id
from distillguard.models.live_config import finalize_alert
from distillguard.models.partitioning import DEFAULT_PARTITIONS, KeyPartitioner
from distillguard.models.population import PopulationModel
from distillguard.models.signal_rarity import SignalRarity, lesson_due
from distillguard.models.soft_state import PartitionScoped
from distillguard.models.traits import TraitEmitter, TraitObservation, trait_kind, trait_label
from distillguard.models.verdicts import VerdictBook
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import Action, Reason, Severity, SuspicionEvent
from distillguard.schemas.verdict import Verdict

_MS_PER_HOUR = 3_600_000

# Account signals that describe behaviour (fed to the population model).
BEHAVIOUR_SIGNALS = (
    "elicitation",
    "grading",
    "capability",
    "synthetic",
    "thinking",
    "tool_use",
    "template_repetition",
    "single_turn",
    "proxy_network",
    "ip_rotation",
    "new_model_pivot",
    "heavy_volume",
    "flat_diurnal",
    "heavy_extraction",
)
# Account signals judged against the benign reference (models.signal_rarity): the evidence an account
# shows on its own and through shared traits, not trust attributes an attacker buys (age, tier).
RARITY_SIGNALS = (
    "elicitation",
    "grading",
    "synthetic",
    "capability",
    "extraction",
    "thinking",
    "tool_use",
    "template_repetition",
    "single_turn",
    "output_appetite",
    "timing_regularity",
    "flat_diurnal",
    "new_model_pivot",
    "heavy_volume",
    "proxy_network",
    "ip_rotation",
    "asn_rotation",
    "shared_traits",
)
# The same, without what other accounts say about this one: how unusual an account is on its own. It is
# the rarity in an account's own evidence, and the level the trait stage may average over a value's
# sharers (guilt by association needs guilty associates, judged without the association itself, or a
# popular trait would feed on its own evidence).
INDIVIDUAL_SIGNALS = tuple(name for name in RARITY_SIGNALS if name != "shared_traits")


@dataclass(slots=True)
class AccountObservation:
    """What the account stage tells the cluster stage about one request (no prompt text)."""

    event_id: str
    account_id: str
    ts: int
    cluster_id: str
    network: str
    asn: int | None
    proxy_network: bool
    young_account: bool
    elicitation: float
    payment: str | None
    user_agent_family: str
    events_seen: int
    # The fused score linking and a cluster's suspicious share are gated by (AccountConfig.own_evidence).
    own_evidence: float
    signals: dict[str, float]
    owner_id: str = ""
    # Shared-trait values this request sends to the trait stage (the emitter's choice, not every trait).
    trait_keys: tuple[str, ...] = ()
    # For the signals that would be reasons: the share of accounts not under suspicion at this level.
    population_shares: dict[str, float] = field(default_factory=dict)
    # The account's level as a sharer of traits (TraitConfig.sharer_level), in [0, 1].
    sharer_level: float = 0.0
    # The trait kind behind the ``shared_traits`` signal ("" when there is none) and how many owners
    # share that value, for its reason text.
    shared_trait: str = ""
    shared_trait_owners: float = 0.0
    # The share of its weight each prior beside the trees counts for, where below 1: a prior nobody
    # fitted counts less where many benign accounts show it (AccountStage._prior_weights).
    prior_weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountObservation:
        data = dict(data)
        data["trait_keys"] = tuple(data.get("trait_keys", ()))
        return cls(**data)

    def trait_observations(self) -> list[TraitObservation]:
        """What this request tells the trait stage, one observation per emitted trait value."""
        level = self.sharer_level
        return [
            TraitObservation(
                key, trait_kind(key), self.account_id, self.owner_id, self.ts, level, self.events_seen
            )
            for key in self.trait_keys
        ]


@dataclass(slots=True)
class Assessment:
    """The fused judgement of one request's account, produced by the cluster stage."""

    event_id: str
    account_id: str
    ts: int
    score: float
    events_seen: int
    cluster_id: str
    signals: dict[str, float]
    # Cluster and campaign context for the alert's reason texts, set only when the score reaches a
    # severity band. The reasons themselves are built by the alert stage, and only for the requests
    # that do alert: most candidates are held back by the cooldown.
    reason_context: dict[str, str] = field(default_factory=dict)
    campaign_id: str | None = None
    campaign_size: int = 1
    linked_accounts: list[str] = field(default_factory=list)
    # The analyst label in force for the account, its org or its campaign (models.feedback), and the
    # condemned member whose campaign raised this score; None while there is none.
    label: dict[str, Any] | None = None
    campaign_evidence: dict[str, Any] | None = None
    # as AccountObservation.prior_weights: how much of their weight the priors count for, where below 1
    prior_weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        return cls(**data)


def _clip(value: float) -> float:
    return 0.0 if value <= 0.0 else 1.0 if value >= 1.0 else value


@dataclass(slots=True)
class AccountModels:
    """The account stage's soft models of one input partition (models.soft_state): the population
    anomaly model and the benign reference, learning from that partition's accounts only."""

    population: PopulationModel
    rarity: SignalRarity


@dataclass(slots=True)
class ClusterModels:
    """The cluster stage's soft models of one input partition: the burst sketch and the campaign linker
    over that partition's prompt clusters."""

    burst: MidasBurst
    linker: CampaignLinker


class AccountStage:
    """Dedupes, extracts features, updates the account's compact state and scores it on its own."""

    def __init__(
        self,
        config: DetectionConfig,
        accounts: MutableMapping[str, bytes] | None = None,
        model_first_seen: MutableMapping[str, int] | None = None,
        seed: int = 0,
        coordination: MutableMapping[str, bytes] | None = None,
        soft_models: MutableMapping[str, bytes] | None = None,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.config = config
        self.accounts: MutableMapping[str, bytes] = accounts if accounts is not None else {}
        # Read-only here: the trait stage's answers, written by the coordination sink.
        self.coordination = AccountCoordination(config.traits, coordination)
        self.emitter = TraitEmitter(config.traits)
        window_ms = int(config.features.new_model_window_hours * _MS_PER_HOUR)
        first_seen = model_first_seen if model_first_seen is not None else {}
        self.extractor = FeatureExtractor(config, ModelRegistry(window_ms, first_seen))  # type: ignore[arg-type]
        self.layout = AccountLayout(config.account, trait_memory_bytes=2 * config.traits.emit_recent_traits)
        # The population model and the benign reference, one pair per partition of the request topic
        # (models.soft_state): the worker passes each request's partition, offline runners derive it
        # from the account id as the producers' partitioner does; snapshots go to ``soft_models``.
        self._seed = seed
        self.partition_of = KeyPartitioner(partitions)
        self.soft_state: PartitionScoped[AccountModels] = PartitionScoped(
            "account", self._new_models, soft_models, on_restore=self._restored
        )
        self._models: AccountModels | None = None
        # The signals that can become reasons, and from which value (derived once per configuration in
        # force, not on every request): only those are looked up in the population's tails.
        self._reasons_for: FusionConfig | None = None
        self._reason_floors: tuple[tuple[str, float], ...] = ()
        self._recency: OrderedDict[str, int] = OrderedDict()
        self._watermark: int | None = None
        self.duplicates = 0
        self.evicted = 0
        self.undecodable = 0

    def _new_models(self, _partition: int) -> AccountModels:
        pc = self.config.population
        rarity = SignalRarity(
            self._reference_signals,
            bins=pc.rarity_bins,
            half_life_accounts=pc.rarity_half_life_accounts,
            warmup_accounts=pc.rarity_warmup_accounts,
            floor_share=pc.rarity_floor_share,
            saturation=pc.rarity_saturation,
        )
        return AccountModels(PopulationModel(pc, seed=self._seed), rarity)

    @property
    def _reference_signals(self) -> tuple[str, ...]:
        """What the benign reference keeps: the rarity's signals, and the priors beside the trees (whose
        weight is checked against how many benign accounts show them, `_prior_weights`)."""
        priors = tuple(n for n in self.config.fusion.beside_trees if n not in RARITY_SIGNALS)
        return RARITY_SIGNALS + priors

    def _restored(self, models: AccountModels) -> None:
        models.population.config = self.config.population  # the configuration now in force
        if models.rarity.names != self._reference_signals:
            # a snapshot from before a prior was kept (or of another prior list): relearned from scratch
            # (within ``rarity_warmup_accounts`` lessons) rather than left without the prior's histogram
            models.rarity = self._new_models(0).rarity

    @property
    def population(self) -> PopulationModel:
        """The population model of the partition of the request being (or last) processed."""
        if self._models is None:
            self._models = self.soft_state.of(0)
        return self._models.population

    @property
    def rarity(self) -> SignalRarity:
        """The benign reference of the partition of the request being (or last) processed."""
        if self._models is None:
            self._models = self.soft_state.of(0)
        return self._models.rarity

    @property
    def tracked_accounts(self) -> int:
        """Accounts this stage has touched since start and not evicted."""
        return len(self._recency)

    def process(
        self, event: RequestEvent, position: tuple[int, int] | None = None
    ) -> AccountObservation | None:
        """Observe one request; None when it is a redelivered duplicate.

        ``position`` is the event's (partition, offset) in the source topic, when it has one.
        """
        state = self._load(event.account_id)
        if state.seen_event(event.event_id, position):
            self.duplicates += 1
            return None
        partition = position[0] if position is not None else self.partition_of(event.account_id)
        self._models = self.soft_state.of(partition)
        features = self.extractor.extract(event)
        state.update(features, self.config.account.ew_alpha)
        signals = self.account_signals(state)
        signals["shared_traits"], shared_kind, shared_owners = self.coordination.strongest(
            event.account_id, event.ts
        )
        emitted, state.trait_memory = self.emitter.select(features.traits, state.trait_memory, state.events)
        self._population_step(state, signals)
        if self.config.account.own_evidence == "individual":
            # The account's own evidence leaves out what other accounts' traffic says about it: the
            # shared-trait signal, and its part in the rarity. What the own evidence gates (linking, a
            # cluster's suspicious share, the benign lessons) then does not depend on when the side
            # chain's answers arrive, which is batch timing in a worker.
            signals["rarity"], individual = self.rarity.rarity_apart(signals, RARITY_SIGNALS, "shared_traits")
            signals["individual_rarity"] = individual
            own = fuse(
                {**signals, **self._no_priors, "shared_traits": 0.0, "rarity": individual},
                self.config.fusion.weights,
            )
        else:
            signals["rarity"] = self.rarity.rarity(signals, RARITY_SIGNALS)
            signals["individual_rarity"] = (
                self.rarity.rarity(signals, INDIVIDUAL_SIGNALS)
                # only when something uses it (it costs a pass over the reference); read from the config
                # in force, which the live configuration may swap
                if self.config.traits.sharer_level == "rarity"
                or contribution(self.config.fusion.weights.individual_rarity, 1.0) != 0.0
                else 0.0
            )
            own = fuse({**signals, **self._no_priors}, self.config.fusion.weights)
        state.set_scalar("own_evidence", own)
        state.set_scalar("max_own_evidence", max(own, state.scalar("max_own_evidence")))
        benign = state.scalar("max_own_evidence") < self.config.population.learn_below_score
        if benign and lesson_due(state.events):
            self.rarity.learn_one(signals)
        self.accounts[event.account_id] = state.to_bytes()
        self._touch(event.account_id, event.ts)
        return self._observation(
            features, state, own, signals, tuple(emitted), shared_kind or "", shared_owners
        )

    def _prior_weights(self, signals: dict[str, float]) -> dict[str, float]:
        """The share of its weight each prior beside the trees counts for, where below 1: in full while
        at most ``fusion.prior_rare_share`` of the accounts not under suspicion show it (reach
        ``fusion.prior_presence_level``, or the account's level if lower), not at all from
        ``fusion.prior_common_share`` on, log-linearly between. A prior is a weight nobody fitted, set for
        behaviour no honest account on the development files shows; where the population does show it
        (a geolocation feed that places a mobile user's every request somewhere else, a generator that
        draws every request's country afresh), it is not evidence. While the reference is warming up a
        prior counts nothing (a cold detector is conservative); a prior the reference does not keep
        (added by a live update) counts in full."""
        fc = self.config.fusion
        weights: dict[str, float] = {}
        for name in fc.beside_trees:
            value = signals.get(name, 0.0)
            if value <= 0.0 or name not in self.rarity.names:
                continue
            if not self.rarity.ready:
                weights[name] = 0.0
                continue
            # how many benign accounts show it at all (at a low level): a heavy account's level sits
            # above most lighter accounts' even where everybody does it
            share = self.rarity.share_at_least(name, min(value, fc.prior_presence_level))
            span = math.log(fc.prior_common_share / fc.prior_rare_share)
            weight = _clip(math.log(fc.prior_common_share / share) / span)
            if weight < 1.0:
                weights[name] = weight
        return weights

    @property
    def _no_priors(self) -> dict[str, float]:
        """The priors added next to the trees, zeroed: they raise an account's own severity, but do not
        feed what its own evidence gates (links, a cluster's suspicious share, benign lessons), which were
        set with the fit's weights. Measured: fed in, they lift the prompt clusters that honest people
        whose own requests are full of reasoning share with the campaigns they caught (README, v6.6)."""
        return {name: 0.0 for name in self.config.fusion.beside_trees}

    def _load(self, account_id: str) -> AccountState:
        raw = self.accounts.get(account_id)
        if raw is not None:
            try:
                return AccountState.from_bytes(self.layout, raw)
            except (ValueError, struct.error):
                # Written under another layout (a ring size or the kept shares changed between versions):
                # start the account afresh rather than fail its partition on every request.
                self.undecodable += 1
        return AccountState.new(self.layout)

    def _population_shares(self, signals: dict[str, float]) -> dict[str, float]:
        """Tail shares of the signals strong enough to become reasons (a handful, or none)."""
        if not self.rarity.ready:
            return {}
        if self._reasons_for is not self.config.fusion:
            self._reasons_for = self.config.fusion
            self._reason_floors = reason_floors(self.config.fusion, self._reference_signals)
        return {
            name: round(self.rarity.share_at_least(name, signals[name]), 4)
            for name, floor in self._reason_floors
            if signals[name] >= floor
        }

    def account_signals(self, state: AccountState) -> dict[str, float]:
        """The account-level signals in [0, 1] (plus the negative 'established' trust signal)."""
        fc = self.config.fusion
        age_days = state.scalar("age_days")
        young = state.share("young_account")
        flatness = state.hour_flatness()
        heavy = _clip(state.peak_hour / fc.heavy_volume_per_hour)
        elicitation, grading = state.share("elicitation"), state.share("grading")
        capability, single_turn = state.share("capability"), state.share("single_turn")
        return {
            "elicitation": elicitation,
            "grading": grading,
            "capability": capability,
            "synthetic": state.share("synthetic"),
            "extraction": state.share("extraction"),
            "timing_regularity": state.timing_regularity(),
            "thinking": state.share("thinking"),
            "tool_use": state.share("tool_use"),
            "template_repetition": state.share("template_repeat"),
            "single_turn": single_turn,
            "output_appetite": state.share("long_output"),
            "young_account": young,
            "easy_entry_tier": state.share("easy_entry_tier"),
            "proxy_network": state.share("proxy_network"),
            "ip_rotation": state.share("network_rotation"),
            "asn_rotation": state.share("asn_rotation"),
            "country_hopping": state.share("country_hop"),
            "flat_diurnal": _clip((flatness - fc.flat_diurnal_floor) / (1.0 - fc.flat_diurnal_floor)),
            "new_model_pivot": state.share("new_model"),
            "heavy_volume": heavy,
            "heavy_extraction": _clip(state.scalar("extraction_count") / fc.extraction_volume)
            * _clip(max(elicitation, grading) / fc.extraction_share),
            # Extraction needs no marker: a days-old account sending thousands of one-shot maths and
            # code tasks is harvesting whatever its prompts say. Researchers' benchmark bursts come from
            # established accounts, coding agents hold multi-turn sessions.
            "heavy_capability": heavy * capability * single_turn * young,
            "population_anomaly": self._anomaly_signal(state.scalar("population_anomaly")),
            "established_account": 0.0
            if age_days < 0
            else _clip(age_days / fc.established_days) * (1 - young),
        }

    def _population_step(self, state: AccountState, signals: dict[str, float]) -> None:
        pc = self.config.population
        if state.events % pc.learn_every != 0:
            return
        vector = {name: signals[name] for name in BEHAVIOUR_SIGNALS}
        state.set_scalar("population_anomaly", self.population.score_one(vector))
        self.population.learn_one(vector, current_score=state.scalar("max_own_evidence"))
        signals["population_anomaly"] = self._anomaly_signal(state.scalar("population_anomaly"))

    def _anomaly_signal(self, raw_score: float) -> float:
        """The HalfSpaceTrees score rescaled so that unremarkable accounts give 0."""
        floor = self.config.fusion.population_anomaly_floor
        return _clip((raw_score - floor) / (1.0 - floor))

    def _touch(self, account_id: str, ts: int) -> None:
        """Track recency and evict accounts idle past the horizon or beyond the cap (bounded memory)."""
        recency = self._recency
        recency[account_id] = ts
        recency.move_to_end(account_id)
        # The eviction clock advances by a bounded step per event, so one event stamped far in the
        # future cannot evict every account; genuine gaps in time are caught up step by step.
        step = int(self.config.account.watermark_step_minutes * 60_000)
        watermark = ts if self._watermark is None else max(self._watermark, min(ts, self._watermark + step))
        self._watermark = watermark
        horizon = watermark - int(self.config.account.idle_evict_hours * _MS_PER_HOUR)
        cap = self.config.account.max_accounts
        while recency:
            oldest, oldest_ts = next(iter(recency.items()))
            if oldest_ts >= horizon and len(recency) <= cap:
                break
            recency.popitem(last=False)
            self.accounts.pop(oldest, None)
            self.evicted += 1

    def _observation(
        self,
        f: RequestFeatures,
        state: AccountState,
        own: float,
        signals: dict[str, float],
        trait_keys: tuple[str, ...],
        shared_trait: str,
        shared_trait_owners: float,
    ) -> AccountObservation:
        return AccountObservation(
            event_id=f.event_id,
            account_id=f.account_id,
            ts=f.ts,
            cluster_id=f.cluster_id,
            network=f.network,
            asn=f.asn,
            proxy_network=f.proxy_network,
            young_account=f.young_account,
            elicitation=f.elicitation,
            payment=f.payment,
            user_agent_family=f.user_agent_family,
            events_seen=state.events,
            own_evidence=own,
            signals=signals,
            owner_id=f.owner_id,
            trait_keys=trait_keys,
            population_shares=self._population_shares(signals),
            prior_weights=self._prior_weights(signals),
            sharer_level=signals["individual_rarity"]
            if self.config.traits.sharer_level == "rarity"
            else extraction_level(
                signals, self.config.traits.traced_capability, self.config.traits.automated_sharers
            ),
            shared_trait=shared_trait,
            shared_trait_owners=shared_trait_owners,
        )


class ClusterStage:
    """Updates the prompt cluster's state, the burst sketch and campaign links; fuses the final score."""

    def __init__(
        self,
        config: DetectionConfig,
        clusters: MutableMapping[str, bytes] | None = None,
        labels: MutableMapping[str, bytes] | None = None,
        soft_models: MutableMapping[str, bytes] | None = None,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.config = config
        self.clusters: MutableMapping[str, bytes] = clusters if clusters is not None else {}
        # Read-only here: analysts' labels by subject (models.feedback), written by the feedback agent.
        self.labels = LabelBook(labels)
        self.condemned = CondemnedCampaigns(config.feedback.max_condemned_campaigns)
        # The burst sketch and the campaign linker, one pair per partition of the cluster stage's input
        # (keyed by cluster id; models.soft_state), so what they compute does not depend on which
        # worker owns a partition. A campaign is linked from the clusters of one partition.
        self.partition_of = KeyPartitioner(partitions)
        self.soft_state: PartitionScoped[ClusterModels] = PartitionScoped(
            "cluster", self._new_models, soft_models, on_restore=self._restored
        )
        self._models: ClusterModels | None = None
        # Decoded states, written through to ``clusters`` on every update (the table stays the truth
        # after a restart; this only saves re-decoding the HyperLogLog on every request).
        self._decoded: dict[str, ClusterState] = {}

    def _new_models(self, _partition: int) -> ClusterModels:
        bc = self.config.burst
        burst = MidasBurst(bc.cms_width, bc.cms_depth, bc.decay, bc.idle_gap_buckets)
        return ClusterModels(burst, CampaignLinker(self.config.campaign))

    def _restored(self, models: ClusterModels) -> None:
        models.linker.config = self.config.campaign  # the configuration now in force

    @property
    def burst(self) -> MidasBurst:
        """The burst sketch of the partition of the observation being (or last) processed."""
        if self._models is None:
            self._models = self.soft_state.of(0)
        return self._models.burst

    @property
    def linker(self) -> CampaignLinker:
        """The campaign linker of the partition of the observation being (or last) processed."""
        if self._models is None:
            self._models = self.soft_state.of(0)
        return self._models.linker

    def campaign_sizes(self) -> list[int]:
        """The size of every campaign of every partition's linker in this process."""
        return [size for models in self.soft_state for size in models.linker.campaign_sizes()]

    @property
    def tracked_campaign_accounts(self) -> int:
        """Accounts the campaign linkers of this process hold."""
        return sum(len(models.linker) for models in self.soft_state)

    def process(self, obs: AccountObservation, partition: int | None = None) -> Assessment:
        """Assess one observation; ``partition`` is its input partition (by default, the one the
        producers' partitioner gives its cluster id)."""
        self._models = models = self.soft_state.of(
            partition if partition is not None else self.partition_of(obs.cluster_id)
        )
        cc, camp = self.config.cluster_state, self.config.campaign
        cluster = self._decoded.get(obs.cluster_id)
        if cluster is None:
            raw = self.clusters.get(obs.cluster_id)
            cluster = ClusterState.from_bytes(cc, raw) if raw is not None else ClusterState.new(cc)
            if len(self._decoded) >= self.config.cluster_state.max_cached:
                self._decoded.pop(next(iter(self._decoded)))
            self._decoded[obs.cluster_id] = cluster
        suspicious = obs.own_evidence >= camp.suspicious_evidence
        cluster.update(
            obs.account_id,
            young=obs.young_account,
            proxy=obs.proxy_network,
            elicitation=obs.elicitation,
            suspicious=suspicious,
            alpha=cc.ew_alpha,
            ts=obs.ts,
        )
        self.clusters[obs.cluster_id] = cluster.to_bytes()

        bucket = obs.ts // (self.config.burst.bucket_seconds * 1000)
        burst_keys = [obs.cluster_id]
        if obs.asn is not None:
            burst_keys.append(f"{obs.cluster_id}|asn:{obs.asn}")
        chi2 = models.burst.score_keys(burst_keys, bucket, member=obs.account_id)
        # Cluster evidence counts in proportion to the cluster's suspicious share and to how much
        # extraction material the account itself sends: campaigns mix in mundane prompts, so their
        # chat clusters are shared with ordinary users who must not inherit the campaign's evidence.
        content = content_evidence(obs.signals)
        # Campaign members are low-and-slow by design; a heavy account sharing a campaign's cluster or
        # infrastructure is more likely a bystander (a researcher's benchmark burst on the same maths
        # prompts, a cloud customer on the same /24) than a hydra head: heavy accounts are judged on
        # their own extraction volume instead.
        bystander = camp.heavy_bystander_discount * obs.signals["heavy_volume"]
        composition = cluster.suspicious_share * content * (1 - bystander)
        crowd = _clip(cluster.distinct_accounts() / cc.crowd_accounts) * composition
        saturation = math.log1p(self.config.burst.saturation)
        lockstep = _clip(math.log1p(chi2) / saturation) * composition

        campaign = models.linker.link(obs.account_id, self._link_keys(obs, content), obs.ts)
        campaign_signal = shared_payment = 0.0
        if campaign.campaign_id is not None:
            # A campaign raises its members in proportion to what they themselves send: infrastructure
            # shared with a campaign is not enough to condemn an account that sends nothing extractive.
            campaign_signal = (
                _clip(math.log(campaign.size) / math.log(camp.full_size)) * content * (1 - bystander)
            )
            # The payment is the campaign's, not necessarily this account's (it may have joined through
            # a shared /24), so a heavy bystander is discounted here too.
            shared_payment = float(campaign.shared_payment) * (1 - bystander)

        signals = dict(obs.signals)
        signals.update(
            cluster_crowd=crowd,
            cluster_lockstep=lockstep,
            campaign=campaign_signal,
            shared_payment=shared_payment,
        )
        score = severity_score(signals, self.config.fusion, obs.prior_weights)
        context: dict[str, str] = {}
        if severity_for(score, self.config.fusion):  # most requests score below every band: no text
            context = {
                "cluster_crowd": f"~{cluster.distinct_accounts():.0f} accounts, {cluster.young_share:.0%} "
                f"young, {cluster.proxy_share:.0%} proxy traffic, {cluster.elicitation_share:.0%} eliciting",
                "campaign": f"{campaign.size} linked accounts",
            }
            floor = self.config.population.rarity_floor_share
            for name, share in obs.population_shares.items():
                share_text = f"under {floor:.1%}" if share <= floor else f"{share:.1%}"
                context[name] = f"{share_text} of accounts not under suspicion reach this level"
            if obs.shared_trait:
                through = f"the strongest through its {trait_label(obs.shared_trait)}"
                if obs.shared_trait_owners >= 2:
                    through += f", which ~{obs.shared_trait_owners:.0f} owners share"
                tail = context.get("shared_traits")
                context["shared_traits"] = f"{through}; {tail}" if tail else through
            for name, weight in obs.prior_weights.items():
                counted = f"counted at {weight:.0%} of its weight: common among accounts not under suspicion"
                context[name] = f"{context[name]}; {counted}" if name in context else counted
        assessment = Assessment(
            event_id=obs.event_id,
            account_id=obs.account_id,
            ts=obs.ts,
            score=score,
            events_seen=obs.events_seen,
            cluster_id=obs.cluster_id,
            signals=signals,
            reason_context=context,
            campaign_id=campaign.campaign_id,
            campaign_size=campaign.size,
            linked_accounts=_linked(campaign, obs.account_id, camp.max_linked_listed),
            prior_weights=obs.prior_weights,
        )
        annotate(assessment, self.labels, self.condemned, obs.owner_id, self.config)
        return assessment

    def _link_keys(self, obs: AccountObservation, content: float) -> list[str]:
        camp = self.config.campaign
        keys: list[str] = []
        if obs.own_evidence < camp.link_min_evidence or content < camp.link_min_content:
            return keys
        if "payment" in camp.link_keys and obs.payment:
            keys.append(f"payment:{obs.payment}")
        network_links = obs.proxy_network or camp.link_residential_networks
        if "ip24" in camp.link_keys and network_links:
            keys.append(f"ip24:{obs.network}")
        if "ip24_cluster" in camp.link_keys and network_links:
            keys.append(f"ip24_cluster:{obs.network}|{obs.cluster_id}")
        if "ua_cluster" in camp.link_keys:
            keys.append(f"ua_cluster:{obs.user_agent_family}|{obs.cluster_id}")
        if "proxy_asn" in camp.link_keys and obs.proxy_network and obs.asn is not None:
            keys.append(f"proxy_asn:{obs.asn}")
        return keys


def extraction_level(
    signals: dict[str, float], traced_capability: bool = False, automated: bool = False
) -> float:
    """How distillation-shaped an account's traffic is, for the sharers' mean of the trait stage: asking
    for reasoning traces, grades or synthetic instruction data, or capability tasks sent one-shot (and,
    with ``traced_capability``, capability tasks sent under extended thinking: the trace is the product).
    Capability alone is not enough: developers' coding sessions are capability traffic too, and a popular
    SDK or tool set shared by many developers is not a campaign.

    With ``automated``, machine-driven one-shot traffic counts too: requests round the clock, each a fresh
    single turn. Label harvesting (random text sent for classification, tasks picked by an
    active learner) asks for nothing that looks like extraction, yet the heads of a hydra all run the same
    harvesting loop; ordinary users sharing a campus network, an SDK or a classroom prompt do not.

    >>> signals = {"elicitation": 0.1, "grading": 0.0, "synthetic": 0.0, "capability": 0.9,
    ...            "single_turn": 0.2, "thinking": 0.8, "flat_diurnal": 0.9}
    >>> round(extraction_level(signals), 2), round(extraction_level(signals, traced_capability=True), 2)
    (0.18, 0.72)
    >>> round(extraction_level({**signals, "single_turn": 1.0, "capability": 0.2}, automated=True), 2)
    0.9
    """
    shaped = max(signals["single_turn"], signals["thinking"]) if traced_capability else signals["single_turn"]
    capability = signals["capability"] * shaped
    level = max(signals["elicitation"], signals["grading"], signals["synthetic"], capability)
    if automated:
        # Round the clock, not clockwork timing: a person can keep a steady rhythm for an hour, but no
        # person works all 24 hours of the day.
        level = max(level, signals["flat_diurnal"] * signals["single_turn"])
    return level


def content_evidence(signals: dict[str, float]) -> float:
    """How much of what the account sends is extraction material (capability, elicitation, grading,
    synthetic instruction data): the account's EW share of requests' extraction level."""
    return signals["extraction"]


def _linked(campaign: Campaign, account_id: str, limit: int) -> list[str]:
    if campaign.campaign_id is None:
        return []
    return [m for m in campaign.members if m != account_id][:limit]


_ALERT_STATE = struct.Struct("<Bqf")


class AlertStage:
    """Turns assessments into alerts with cooldown, rising-severity re-alerts and deterministic ids."""

    def __init__(
        self,
        config: DetectionConfig,
        alert_state: MutableMapping[str, bytes] | None = None,
        verdicts: MutableMapping[str, bytes] | None = None,
    ) -> None:
        self.config = config
        self.alert_state: MutableMapping[str, bytes] = alert_state if alert_state is not None else {}
        # Each account's current standing (models.verdicts); changes are drained to the verdict topic.
        self.verdicts = VerdictBook(verdicts)
        # Medium+ alerts held back by an analyst's clearing label, by severity (still counted).
        self.suppressed: dict[str, int] = {}

    def process(self, assessment: Assessment) -> SuspicionEvent | None:
        fc = self.config.fusion
        severity = account_severity(assessment.score, assessment.signals, fc)
        labelled = assessment.label is not None or assessment.campaign_evidence is not None
        if not labelled and (severity is None or assessment.events_seen < self.config.account.min_events):
            return None
        raw = self.alert_state.get(assessment.account_id)
        last_rank, last_ts, max_score = _ALERT_STATE.unpack(raw) if raw is not None else (0, 0, 0.0)
        effect = label_effect(assessment, severity, max_score, self.config) if labelled else None
        label_reasons: list[Reason] = []
        if effect is not None:
            severity, label_reasons = effect.severity, effect.reasons
            if effect.suppressed and severity is not None:
                self.suppressed[severity.value] = self.suppressed.get(severity.value, 0) + 1
                self._suppressed_verdict(assessment, severity)
                return None
            if severity is None or (
                not effect.condemned and assessment.events_seen < self.config.account.min_events
            ):
                return None
        if not should_alert(severity, last_rank, last_ts, assessment.ts, fc):
            return None
        self.alert_state[assessment.account_id] = _ALERT_STATE.pack(
            severity.rank, assessment.ts, max(max_score, assessment.score)
        )
        reasons = label_reasons + explain(
            assessment.signals, fc, assessment.reason_context, assessment.prior_weights
        )
        if severity is Severity.LOW and assessment.score >= fc.medium:
            # Held at low by the unlinked bar (models.fusion.account_severity): say so, or the analyst
            # sees a medium score on a low alert.
            reasons.append(
                Reason(
                    signal="unlinked",
                    value=round(assessment.score, 4),
                    threshold=fc.medium_unlinked,
                    detail=f"no link to other accounts reaches {fc.linked_floor:.2f}: on its own traffic "
                    f"an account needs {fc.medium_unlinked:.2f} for medium",
                )
            )
        alert = finalize_alert(build_alert(assessment, severity, self.config.version, reasons), self.config)
        self.verdicts.observe(
            Verdict(
                account_id=alert.account_id,
                score=alert.score,
                severity=alert.severity,
                action=alert.action,
                campaign_id=alert.campaign_id,
                reasons=alert.reasons[:3],
                updated_ts=alert.ts,
                label=assessment.label["label"] if assessment.label else None,
                alert_id=alert.alert_id,
                config_version=alert.config_version,
            )
        )
        return alert

    def _suppressed_verdict(self, assessment: Assessment, severity: Severity) -> None:
        """A held-back alert still sets the standing: the model's severity, no action, the label."""
        current = self.verdicts.get(assessment.account_id)
        if current is not None and current.suppressed and current.severity == severity:
            return  # unchanged standing: skip the reasons
        reasons = explain(
            assessment.signals, self.config.fusion, assessment.reason_context, assessment.prior_weights
        )[:3]
        alert_free = finalize_alert(
            build_alert(assessment, severity, self.config.version, reasons), self.config
        )
        self.verdicts.observe(
            Verdict(
                account_id=assessment.account_id,
                score=alert_free.score,
                severity=severity,
                action=Action.MONITOR,
                campaign_id=assessment.campaign_id,
                reasons=reasons,
                updated_ts=assessment.ts,
                label=assessment.label["label"] if assessment.label else None,
                suppressed=True,
                config_version=alert_free.config_version,
            )
        )


def build_alert(
    assessment: Assessment, severity: Severity, detector_version: str, reasons: list[Reason]
) -> SuspicionEvent:
    """The alert for an assessment; its id depends only on account, severity, trigger and version."""
    alert_id = "alr-" + short_id(assessment.account_id, severity.value, assessment.event_id, detector_version)
    return SuspicionEvent(
        alert_id=alert_id,
        ts=assessment.ts,
        account_id=assessment.account_id,
        trigger_event_id=assessment.event_id,
        score=round(assessment.score, 6),
        severity=severity,
        action=ACTIONS[severity],
        reasons=reasons,
        cluster_id=assessment.cluster_id,
        campaign_id=assessment.campaign_id,
        campaign_size=assessment.campaign_size,
        linked_accounts=assessment.linked_accounts,
        events_seen=assessment.events_seen,
        detector_version=detector_version,
    )
