"""The detector's stage chain, defined once: account stage → cluster stage → alert stage, plus the
shared-trait side chain the account stage feeds (trait stage → coordination sink, read back by the
account stage).

Every runner of the detector runs this definition: :class:`~models.detector.Detector` in one process
(``replay`` and the evaluation), the worker's Faust agents, one per stage (``streams.app``), and the
sharded replay (``streams.sharded_replay``, which runs the side chain inside each account shard). What
each needs to know about a stage is here and nowhere else:

* the order of the stages (:data:`PIPELINE`);
* the key each stage's input is partitioned by (``partitioned_by``: the worker's topic key and the
  sharded replay's shard key), and so the key a stage's output travels under, which is the next stage's;
* what a stage emits to the next one, and which of its outputs go on (``passes``; the band rule
  :func:`reaches_alert_stage` for the cluster stage);
* the state tables each stage owns (the worker declares one changelogged Faust table per entry) and
  the tables it only reads (``reads``: another stage's, co-partitioned with its input);
* the side chains (:class:`Branch`): which stage feeds one, and how its outputs fan out.

The account and cluster stages also keep soft models (population model and benign reference; burst
sketch and campaign linker) that are not keyed: they keep one set per partition of their input
(:mod:`models.soft_state`), so every runner builds them with the topics' partition count
(``partitions``, the settings' ``topics.partitions``) and computes the same thing whichever process
owns a partition; their snapshots go to the ``account_models`` / ``cluster_models`` tables.

Pure Python: no Kafka or Faust import (the worker adds those around it).

>>> [stage.name for stage in PIPELINE.stages]
['account', 'cluster', 'alert']
>>> [stage.partitioned_by for stage in PIPELINE.stages], PIPELINE.output_partitioned_by
(['account_id', 'cluster_id', 'account_id'], 'account_id')
>>> [(stage.name, stage.partitioned_by) for stage in PIPELINE.branches[0].stages]
[('trait', 'key'), ('coordination', 'account_id')]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar

from distillguard.models.config import DetectionConfig
from distillguard.models.coordination import AccountCoordination
from distillguard.models.feedback import condemned_label
from distillguard.models.fusion import severity_for
from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.models.stages import AccountObservation, AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.models.traits import TraitEvidence, TraitObservation, TraitStage
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent

StageT = TypeVar("StageT")
InT = TypeVar("InT")
OutT = TypeVar("OutT")

# A record's (partition, offset) in its source topic, when it has one (the account stage's dedupe).
Position = tuple[int, int]
# Named state mappings a stage is built over (dicts in-process, write-back table views in the worker).
StateMappings = Mapping[str, MutableMapping[Any, Any]]
# Analysts' latest label per subject (models.feedback.LabelBook): a global table in the worker.
LABELS_TABLE = "subject_labels"
# Snapshots of the partition-scoped soft models (models.soft_state) of the account and cluster stages.
ACCOUNT_MODELS_TABLE = "account_models"
CLUSTER_MODELS_TABLE = "cluster_models"


def reaches_alert_stage(assessment: Assessment, config: DetectionConfig) -> bool:
    """Only scores in a severity band go on to the alert stage: any other could never alert (the alert
    stage refuses them itself), so no runner spends a hand-over on them. A request of an account an
    analyst condemned always goes on (it alerts at critical whatever its score)."""
    return severity_for(assessment.score, config.fusion) is not None or condemned_label(assessment)


def _always(_output: Any, _config: DetectionConfig) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class StateTable:
    """A state mapping a stage owns; the worker keeps it in a changelogged table of this name."""

    name: str
    value_type: type  # bytes (the compact encodings of models/) or int
    help: str
    # The stage deletes keys of this table while processing other keys' inputs (idle eviction), so a
    # store that places each key by the input being processed must remember where every key lives.
    deleted_elsewhere: bool = False


# eq=False: a stage is itself (identity hash). Runners look stages up by spec on every input, and the
# generated hash walked every field, state tables included, each time.
@dataclass(frozen=True, slots=True, eq=False)
class StageSpec(Generic[StageT, InT, OutT]):
    """One stage of the chain: how it is built, keyed and run, and what it hands on."""

    name: str
    partitioned_by: str  # the input's attribute (a raw request's JSON field) the stage is keyed by
    input_type: type[InT]
    output_type: type[OutT]
    tables: tuple[StateTable, ...]
    # (config, state, seed, partitions: the partition count of the stage's input topic, which the
    # partition-scoped soft models of models.soft_state are kept by)
    make: Callable[[DetectionConfig, StateMappings, int, int], StageT]
    run: Callable[[StageT, InT, Position | None], OutT | None]  # None: nothing to hand on
    passes: Callable[[OutT, DetectionConfig], bool] = _always  # whether an output goes on
    # Tables another stage owns (and writes) that this one only reads; co-partitioned with its input.
    reads: tuple[str, ...] = ()

    def key(self, item: InT) -> str:
        """The key an input of this stage is partitioned (and so routed) by."""
        return getattr(item, self.partitioned_by)  # type: ignore[no-any-return]

    def build(
        self,
        config: DetectionConfig,
        state: StateMappings | None = None,
        seed: int = 0,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> StageT:
        """The stage over the given state mappings (by table name; a dict for each one not given), for
        an input of ``partitions`` partitions (``topics.partitions`` of the settings)."""
        return self.make(config, state or {}, seed, partitions)

    def decode(self, data: dict[str, Any]) -> InT:
        """An input from its dict form (what an internal record carries between stages)."""
        return self.input_type.from_dict(data)  # type: ignore[attr-defined,no-any-return]


def _account(config: DetectionConfig, state: StateMappings, seed: int, partitions: int) -> AccountStage:
    return AccountStage(
        config,
        accounts=state.get("account_state"),
        model_first_seen=state.get("model_first_seen"),
        seed=seed,
        coordination=state.get("account_coordination"),
        soft_models=state.get(ACCOUNT_MODELS_TABLE),
        partitions=partitions,
    )


def _run_account(
    stage: AccountStage, event: RequestEvent, position: Position | None
) -> AccountObservation | None:
    return stage.process(event, position)  # None: a redelivered duplicate


def _cluster(config: DetectionConfig, state: StateMappings, _seed: int, partitions: int) -> ClusterStage:
    return ClusterStage(
        config,
        clusters=state.get("cluster_state"),
        labels=state.get(LABELS_TABLE),
        soft_models=state.get(CLUSTER_MODELS_TABLE),
        partitions=partitions,
    )


def _run_cluster(
    stage: ClusterStage, observation: AccountObservation, position: Position | None
) -> Assessment:
    # The observation's partition of the cluster stage's input, when it comes from one (the worker).
    return stage.process(observation, position[0] if position is not None else None)


def _alert(config: DetectionConfig, state: StateMappings, _seed: int, _partitions: int) -> AlertStage:
    return AlertStage(config, alert_state=state.get("alert_state"), verdicts=state.get("account_verdicts"))


def _run_alert(
    stage: AlertStage, assessment: Assessment, _position: Position | None
) -> SuspicionEvent | None:
    return stage.process(assessment)  # None: below min_events or held back by the cooldown


ACCOUNT: StageSpec[AccountStage, RequestEvent, AccountObservation] = StageSpec(
    name="account",
    partitioned_by="account_id",
    input_type=RequestEvent,
    output_type=AccountObservation,
    tables=(
        StateTable(
            "account_state",
            bytes,
            "compact per-account summary (models.account_state)",
            deleted_elsewhere=True,
        ),
        StateTable("model_first_seen", int, "first request time of each model, to spot new-model pivots"),
        StateTable(
            ACCOUNT_MODELS_TABLE,
            bytes,
            "per request partition: snapshot of its population model and benign reference",
        ),
    ),
    make=_account,
    run=_run_account,
    reads=("account_coordination",),
)
CLUSTER: StageSpec[ClusterStage, AccountObservation, Assessment] = StageSpec(
    name="cluster",
    partitioned_by="cluster_id",
    input_type=AccountObservation,
    output_type=Assessment,
    tables=(
        StateTable("cluster_state", bytes, "per-prompt-cluster summary (models.cluster_state)"),
        StateTable(
            CLUSTER_MODELS_TABLE,
            bytes,
            "per cluster-stage partition: snapshot of its burst sketch and linker",
        ),
    ),
    make=_cluster,
    run=_run_cluster,
    passes=reaches_alert_stage,
    # Analysts' labels (models.feedback): written by the feedback agent, every worker holds them all.
    reads=(LABELS_TABLE,),
)
ALERT: StageSpec[AlertStage, Assessment, SuspicionEvent] = StageSpec(
    name="alert",
    partitioned_by="account_id",
    input_type=Assessment,
    output_type=SuspicionEvent,
    tables=(
        StateTable("alert_state", bytes, "last alert severity/time per account, for cooldown"),
        StateTable("account_verdicts", bytes, "each account's current standing (models.verdicts)"),
    ),
    make=_alert,
    run=_run_alert,
)


def _trait(config: DetectionConfig, state: StateMappings, _seed: int, _partitions: int) -> TraitStage:
    return TraitStage(config.traits, traits=state.get("trait_state"))


def _run_trait(stage: TraitStage, observation: TraitObservation, _position: Position | None) -> TraitEvidence:
    return stage.process(observation)


def _coordination(
    config: DetectionConfig, state: StateMappings, _seed: int, _partitions: int
) -> AccountCoordination:
    return AccountCoordination(
        config.traits,
        state.get("account_coordination"),
        max_accounts=config.account.max_accounts,
        watermark_step_minutes=config.account.watermark_step_minutes,
    )


def _run_coordination(sink: AccountCoordination, evidence: TraitEvidence, _position: Position | None) -> None:
    sink.absorb(evidence)  # the end of the side chain: the account stage reads what this writes
    return None


TRAIT: StageSpec[TraitStage, TraitObservation, TraitEvidence] = StageSpec(
    name="trait",
    partitioned_by="key",
    input_type=TraitObservation,
    output_type=TraitEvidence,
    tables=(
        StateTable(
            "trait_state",
            bytes,
            "per shared-trait value: owners and their extraction",
            deleted_elsewhere=True,  # idle values are evicted while other values are processed
        ),
    ),
    make=_trait,
    run=_run_trait,
)
COORDINATION: StageSpec[AccountCoordination, TraitEvidence, None] = StageSpec(
    name="coordination",
    partitioned_by="account_id",
    input_type=TraitEvidence,
    output_type=type(None),
    tables=(
        StateTable(
            "account_coordination",
            bytes,
            "latest shared-trait evidence per account and trait kind",
            deleted_elsewhere=True,
        ),
    ),
    make=_coordination,
    run=_run_coordination,
)


def _trait_observations(observation: AccountObservation) -> list[TraitObservation]:
    return observation.trait_observations()


@dataclass(frozen=True, slots=True)
class Branch:
    """A side chain fed by a main-chain stage: each of that stage's outputs fans out into zero or more
    inputs of the side chain's first stage, each routed by its own key.

    The shared-trait loop is one: the account stage sends the trait values it shows to the trait stage
    (keyed by trait value), whose evidence goes back, keyed by account, to the coordination sink; the
    account stage reads the sink's table on the account's next request.
    """

    after: StageSpec[Any, Any, Any]
    fan_out: Callable[[Any], list[Any]]
    stages: tuple[StageSpec[Any, Any, Any], ...]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The ordered stages, the key of the chain's final outputs (the alerts) and the side chains."""

    stages: tuple[StageSpec[Any, Any, Any], ...]
    output_partitioned_by: str
    branches: tuple[Branch, ...] = ()

    @property
    def all_stages(self) -> tuple[StageSpec[Any, Any, Any], ...]:
        """The main chain, then every side chain's stages (the order runners build them in)."""
        return self.stages + tuple(spec for branch in self.branches for spec in branch.stages)

    def branch_from(self, stage: StageSpec[Any, Any, Any]) -> Branch | None:
        """The side chain fed by ``stage``'s outputs, if any."""
        for branch in self.branches:  # a plain loop: this runs for every stage of every input
            if branch.after is stage:
                return branch
        return None

    def fed_by(self, stage: StageSpec[Any, Any, Any]) -> tuple[StageSpec[Any, Any, Any], ...]:
        """The stages that take ``stage``'s outputs directly: its next stage and its side chain's
        first stage, if it feeds one.

        >>> [s.name for s in PIPELINE.fed_by(PIPELINE.stages[0])]
        ['cluster', 'trait']
        """
        branch = self.branch_from(stage)
        fed = (self.after(stage), branch.stages[0] if branch is not None else None)
        return tuple(s for s in fed if s is not None)

    def after(self, stage: StageSpec[Any, Any, Any]) -> StageSpec[Any, Any, Any] | None:
        """The stage that takes ``stage``'s outputs; None for the last one (of its chain)."""
        for chain in (self.stages, *(b.stages for b in self.branches)):
            if stage in chain:
                index = chain.index(stage)
                return chain[index + 1] if index + 1 < len(chain) else None
        raise ValueError(f"stage {stage.name!r} is not in the pipeline")

    def key_after(self, stage: StageSpec[Any, Any, Any]) -> Callable[[Any], str]:
        """The key ``stage``'s outputs travel under: the next stage's partition key (for the last stage,
        the alerts' key). Look it up once per runner: it is applied to every output."""
        following = self.after(stage)
        return attrgetter(following.partitioned_by if following is not None else self.output_partitioned_by)

    def build(
        self,
        config: DetectionConfig,
        state: StateMappings | None = None,
        seed: int = 0,
        only: Sequence[StageSpec[Any, Any, Any]] | None = None,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> list[Any]:
        """Every stage of :attr:`all_stages` (or of ``only``), in order, over ``state``; a table not given
        is one dict shared by every stage that owns or reads it (the side chain's sink and its reader).
        ``partitions``: the topics' partition count (``topics.partitions``), by which the stages keep
        their soft models (models.soft_state)."""
        specs = self.all_stages if only is None else tuple(only)
        shared: dict[str, MutableMapping[Any, Any]] = dict(state or {})
        for spec in specs:
            for name in (*(t.name for t in spec.tables), *spec.reads):
                shared.setdefault(name, {})
        return [spec.build(config, shared, seed, partitions) for spec in specs]

    def run(self, stages: Sequence[Any], item: Any, config: DetectionConfig) -> dict[str, Any]:
        """Hand one input down the chain in this process: the output of every main-chain stage it
        reached, by stage name (a stage whose output does not pass, or that returned None, ends the
        hand-over). A side chain runs to its end as soon as the stage feeding it has produced."""
        built = dict(zip(self.all_stages, stages, strict=True))
        outputs: dict[str, Any] = {}
        for spec in self.stages:
            output = spec.run(built[spec], item, None)
            if output is None:
                break
            outputs[spec.name] = output
            branch = self.branch_from(spec)
            if branch is not None:
                self.run_branch(branch, built, output)
            if not spec.passes(output, config):
                break
            item = output
        return outputs

    @staticmethod
    def run_branch(branch: Branch, built: Mapping[StageSpec[Any, Any, Any], Any], output: Any) -> None:
        """Fan one output of ``branch.after`` out and run each side input down the side chain to its end
        (``built``: the side chain's stages by spec), in this process."""
        for item in branch.fan_out(output):
            for spec in branch.stages:
                item = spec.run(built[spec], item, None)
                if item is None:
                    break


PIPELINE = Pipeline(
    stages=(ACCOUNT, CLUSTER, ALERT),
    output_partitioned_by="account_id",
    branches=(Branch(after=ACCOUNT, fan_out=_trait_observations, stages=(TRAIT, COORDINATION)),),
)
