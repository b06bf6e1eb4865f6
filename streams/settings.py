"""The one settings object: Kafka connection, topic names, partitions, worker knobs and every detection
threshold (nested under ``detection``, defined in :mod:`models.config`).

Sources, highest priority first: keyword arguments, environment variables (prefix ``DISTILLGUARD_``,
nested with ``__``, e.g. ``DISTILLGUARD_DETECTION__FUSION__MEDIUM=0.6``; ``KAFKA_BOOTSTRAP`` is also
honoured for the bootstrap servers), then a TOML file named by ``DISTILLGUARD_CONFIG`` or ``--config``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from distillguard.models.config import DetectionConfig


class TopicSettings(BaseModel):
    """Topic names. The repartition topic is internal to the worker (keyed by cluster id)."""

    model_config = {"extra": "forbid"}

    requests: str = "distillguard.requests.v1"
    alerts: str = "distillguard.alerts.v1"
    dead_letter: str = "distillguard.requests.dlq.v1"
    cluster_repartition: str = "distillguard.observations-by-cluster.v1"
    # The operator's loop (streams.control): analysts' labels in, standings out, live configuration.
    feedback: str = "distillguard.feedback.v1"
    verdicts: str = "distillguard.verdicts.v1"
    control: str = "distillguard.control.v1"
    control_results: str = "distillguard.control-results.v1"
    challenger_alerts: str = "distillguard.challenger-alerts.v1"
    partitions: int = Field(default=4, ge=1, le=1024)
    replication_factor: int = Field(default=1, ge=1, le=16)
    request_max_message_bytes: int | None = Field(
        default=None,
        ge=1024,
        description="max.message.bytes of the request topic (None: worker.max_record_bytes + "
        "RECORD_ENVELOPE_BYTES, so every record the worker accepts fits, with its key and headers)",
    )
    dead_letter_max_message_bytes: int | None = Field(
        default=None,
        ge=1024,
        description="max.message.bytes of the dead-letter topic (None: the request topic's + "
        "DEAD_LETTER_HEADROOM_BYTES, so every request record fits with its dlq.* headers)",
    )


# Room for a record's key, headers and batch framing on top of its value (Kafka's max.message.bytes
# limits the whole record batch, not the value).
RECORD_ENVELOPE_BYTES = 64 * 1024
# Room for the dlq.* headers (reason, source topic/partition/offset) a dead letter adds to a request.
DEAD_LETTER_HEADROOM_BYTES = 64 * 1024


class TopicSizeLimits(NamedTuple):
    """``max.message.bytes`` of the request and dead-letter topics (dead-letter >= requests >=
    worker.max_record_bytes + envelope)."""

    requests: int
    dead_letter: int


def topic_size_limits(
    max_record_bytes: int, requests: int | None = None, dead_letter: int | None = None
) -> TopicSizeLimits:
    """The topics' size limits, derived from ``worker.max_record_bytes`` unless given."""
    request_limit = requests if requests is not None else max_record_bytes + RECORD_ENVELOPE_BYTES
    dead_limit = dead_letter if dead_letter is not None else request_limit + DEAD_LETTER_HEADROOM_BYTES
    return TopicSizeLimits(request_limit, dead_limit)


class InternalTopics(NamedTuple):
    """The worker's internal topics between its agents (all with ``topics.partitions`` partitions, so they
    are co-partitioned with the requests)."""

    observations: str  # account stage -> cluster stage, partitioned by cluster id
    candidates: str  # cluster stage -> alert stage, partitioned by account id
    trait_observations: str  # account stage -> trait stage, partitioned by trait value
    trait_evidence: str  # trait stage -> coordination sink, partitioned by account id
    calibration_labels: str  # feedback agent -> the alert stage's partition of the labelled account


class KafkaSecurity(BaseModel):
    """Client security settings. Secrets are ``SecretStr`` so they never print in logs or reprs."""

    model_config = {"extra": "forbid"}

    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSecurity:
        sasl_complete = self.sasl_mechanism and self.sasl_username and self.sasl_password
        if self.protocol.startswith("SASL") and not sasl_complete:
            raise ValueError(
                f"security protocol {self.protocol} needs sasl_mechanism, sasl_username and sasl_password"
            )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name} points at {path}, which is not a readable file")
        return self


class PacingSettings(BaseModel):
    """Event-time pacing of the request partitions (streams.pacing): while a backlog is worked off, no
    request partition is processed more than ``max_skew_s`` of event time ahead of another partition
    that still has records to process, on any worker of the group."""

    model_config = {"extra": "forbid"}

    enabled: bool = Field(
        default=True,
        description="hold a request partition's records while it is max_skew_s of event time ahead of "
        "another partition with a backlog (live, with every partition at the head of its log, nothing "
        "is held); off: each partition is processed as fast as its worker goes",
    )
    max_skew_s: float | None = Field(
        default=None,
        ge=1.0,
        description="the bound; None: detection.campaign.name_settle_s, within which the order of two "
        "partitions' requests does not change the campaign a request is named after (models.campaigns)",
    )
    tick_s: float = Field(
        default=0.05,
        gt=0,
        le=5.0,
        description="how often the worker releases held records another partition's progress let "
        "through, pauses or resumes fetching, and reports its partitions' frontiers",
    )
    report_every_s: float = Field(
        default=1.0,
        gt=0,
        le=60.0,
        description="a partition's frontier is reported when it changes, and at least this often",
    )
    stale_after_s: float = Field(
        default=30.0,
        gt=0,
        le=3_600.0,
        description="another worker's partition not reported for this long no longer holds this "
        "worker's partitions back (its owner stopped; the group hands it over after "
        "session_timeout_s); counted in distillguard_pacing_forced_total",
    )
    max_held: int = Field(
        default=20_000,
        ge=1,
        description="most records held per partition; past it the oldest is processed anyway (counted "
        "in distillguard_pacing_forced_total). Fetching is paused while a partition holds records, so "
        "only what was already fetched is held",
    )


class WorkerSettings(BaseModel):
    """Faust worker knobs."""

    model_config = {"extra": "forbid"}

    app_id: str = "distillguard"
    web_port: int = Field(
        default=6066, ge=0, le=65535, description="port of the HTTP server (/metrics, /healthz, /readyz)"
    )
    web_host: str = Field(
        default="127.0.0.1",
        description="address the HTTP server binds to (and advertises); 0.0.0.0 for every interface",
    )
    data_dir: Path = Path(".distillguard/worker")
    max_record_bytes: int = Field(default=1_048_576, ge=1024)
    dead_letter_spill_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=0,
        description="cap on the local spill file (data_dir/dead-letter-spill.jsonl) for dead letters the "
        "dead-letter topic refuses; once full, further ones are counted as dropped and logged",
    )
    max_future_skew_ms: int = Field(default=3_600_000, ge=0, description="reject events further ahead of now")
    max_past_age_ms: int | None = Field(
        default=None, ge=0, description="reject events older than this in live mode (None: accept history)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_repeat_interval_s: float = Field(
        default=10.0,
        ge=0,
        le=3_600,
        description="Kafka/Faust warnings and errors with the same message template are logged once, "
        "then at most once per this many seconds with a count of the suppressed ones (0: no limit)",
    )
    batch_max_events: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="most records an agent processes per batch; a batch is what has been fetched, up to "
        "this (state is written once per key and batch, offsets acked after the batch's effects)",
    )
    producer_linger_ms: int = Field(
        default=5,
        ge=0,
        le=1_000,
        description="how long the producer waits to fill a request; every batch waits for its outputs' "
        "delivery before its state is written and its offsets acked, so this adds to each batch's turn",
    )
    batch_max_wait_ms: float = Field(
        default=25.0,
        ge=0,
        le=1_000,
        description="how long an agent lingers for more records before processing a batch smaller than "
        "batch_max_events (0: right away); each stage on a request's path can add this much latency. "
        "Under live traffic (a trickle, not a backlog) batches are otherwise a few records each and the "
        "per-batch costs (delivery wait, changelog writes) bound the rate: measured with the bench's "
        "latency phase at 300 ev/s, 0 ms fell behind (p50 4.4 s), 25 ms kept up (p99 0.5 s); README",
    )
    # Recovery and commits (README "Guarantees"): how fast a killed worker's partitions come back, and
    # how far the committed offsets may trail what has been processed.
    group_instance_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=249,
        description="static group membership (Kafka group.instance.id), unique per worker process and "
        "stable across its restarts (e.g. the pod or host name): a worker restarted with the same id "
        "takes its partitions back at once instead of waiting for the old member's session to expire. "
        "A stopped worker with an id keeps its partitions until session_timeout_s passes (no "
        "LeaveGroup), so keep the session timeout short. None: dynamic membership",
    )
    session_timeout_s: float = Field(
        default=10.0,
        ge=1.0,
        le=90.0,  # at most the client's request timeout (90 s)
        description="consumer group session timeout: a worker that stops heartbeating (kill -9, host "
        "loss) loses its partitions after this long; a restart without group_instance_id waits for it",
    )
    heartbeat_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=100.0,
        description="consumer heartbeat interval; at most a third of session_timeout_s",
    )
    commit_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=600.0,
        description="how often acked offsets are committed: after a crash at most about this much "
        "processed input (plus the batch in flight) is redelivered (and skipped by the stages' dedupe)",
    )
    # Snapshots of the partition-scoped soft models (models.soft_state: population model, benign
    # reference, burst sketch, campaign linker) to the account_models / cluster_models tables.
    model_snapshot_interval_s: float = Field(
        default=5.0,
        ge=0,
        le=3_600.0,
        description="least time between two snapshots of one partition's soft models, taken at the end "
        "of a batch that used them, in the same flush as the batch's state. 0: every such batch, so a "
        "restart or a new owner of the partition loses no model update, at ~10-30 ms of pickling per "
        "partition and batch; more: a restart or a rebalance loses up to this long of the partition's "
        "model updates (the records themselves are not lost: their keyed state is durable)",
    )
    pacing: PacingSettings = Field(default_factory=PacingSettings)
    model_snapshot_max_bytes: int = Field(
        default=900_000,
        ge=1_024,
        description="largest snapshot written (compressed); a larger one is skipped, logged and counted "
        "(distillguard_model_snapshots_skipped_total), so a changelog record stays below the broker's "
        "default max.message.bytes",
    )

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> WorkerSettings:
        if self.heartbeat_interval_s * 3 > self.session_timeout_s:
            raise ValueError(
                f"heartbeat_interval_s {self.heartbeat_interval_s} must be at most a third of "
                f"session_timeout_s {self.session_timeout_s}"
            )
        return self


class ReplaySettings(BaseModel):
    """Offline file replay: in one process, or with the stages sharded over processes."""

    model_config = {"extra": "forbid"}

    shards: int = Field(
        default=0,
        ge=0,
        le=64,
        description="0: the whole detector in this process; K >= 1: K account-stage and K cluster-stage "
        "processes keyed like K partitions (1 gives the same output as 0, pipelined over 3 processes)",
    )
    chunk_events: int = Field(default=2_000, ge=1, le=1_000_000, description="records per pipelined chunk")
    pipeline_depth: int = Field(default=3, ge=1, le=64, description="chunks in flight between the stages")


class Settings(BaseSettings):
    """Everything distillguard can be told. See module docstring for sources."""

    model_config = SettingsConfigDict(
        env_prefix="DISTILLGUARD_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP", "DISTILLGUARD_BOOTSTRAP_SERVERS", "bootstrap_servers"
        ),
    )
    topics: TopicSettings = TopicSettings()
    security: KafkaSecurity = KafkaSecurity()
    worker: WorkerSettings = WorkerSettings()
    replay: ReplaySettings = ReplaySettings()
    detection: DetectionConfig = DetectionConfig()
    # A challenger beside the live detection (models.challenger): the live-changeable detection sections
    # it changes (e.g. {"fusion": {"medium": 0.5}}); its alerts go to topics.challenger_alerts.
    challenger: dict[str, Any] | None = None

    config_file: ClassVar[Path | None] = None

    @property
    def challenger_config(self) -> DetectionConfig | None:
        """The challenger's detection configuration (the live one with ``challenger`` applied)."""
        if self.challenger is None:
            return None
        from distillguard.models.live_config import apply_update

        return apply_update(self.detection, {}, self.challenger).config

    @model_validator(mode="after")
    def _valid_challenger(self) -> Settings:
        if self.challenger is not None:
            from distillguard.models.live_config import ConfigUpdateError, apply_update

            try:
                apply_update(self.detection, {}, self.challenger)
            except ConfigUpdateError as exc:
                raise ValueError(f"challenger: {exc}") from None
        return self

    @model_validator(mode="after")
    def _consistent_sizes(self) -> Settings:
        limits = self.topic_size_limits
        floor = self.worker.max_record_bytes + RECORD_ENVELOPE_BYTES
        if limits.requests < floor:
            raise ValueError(
                f"topics.request_max_message_bytes {limits.requests} is below worker.max_record_bytes "
                f"{self.worker.max_record_bytes} + {RECORD_ENVELOPE_BYTES} bytes of record envelope ({floor})"
            )
        if limits.dead_letter < limits.requests + DEAD_LETTER_HEADROOM_BYTES:
            raise ValueError(
                f"topics.dead_letter_max_message_bytes {limits.dead_letter} is below the request topic's "
                f"{limits.requests} + {DEAD_LETTER_HEADROOM_BYTES} bytes of dead-letter headers"
            )
        return self

    @property
    def topic_size_limits(self) -> TopicSizeLimits:
        """``max.message.bytes`` the request and dead-letter topics are created with (and checked for)."""
        t = self.topics
        return topic_size_limits(
            self.worker.max_record_bytes, t.request_max_message_bytes, t.dead_letter_max_message_bytes
        )

    @property
    def topic_configs(self) -> dict[str, dict[str, str]]:
        """Per-topic configs the project creates its topics with (only the sized ones are listed)."""
        limits = self.topic_size_limits
        return {
            self.topics.requests: {"max.message.bytes": str(limits.requests)},
            self.topics.dead_letter: {"max.message.bytes": str(limits.dead_letter)},
        }

    @property
    def internal_topics(self) -> InternalTopics:
        """The worker's internal topic names (the observations topic is configurable, the others are
        named after the app id)."""
        app_id = self.worker.app_id
        return InternalTopics(
            observations=self.topics.cluster_repartition,
            candidates=f"{app_id}-alert-candidates",
            trait_observations=f"{app_id}-trait-observations",
            trait_evidence=f"{app_id}-trait-evidence",
            calibration_labels=f"{app_id}-calibration-labels",
        )

    @property
    def calibration_examples_topic(self) -> str:
        """Where account labels paired with their standing scores go to train the score calibration
        (streams.calibration_agents): one partition, so every example is learned in one order."""
        return f"{self.worker.app_id}-calibration-examples"

    @property
    def progress_topic(self) -> str:
        """Where the workers exchange their request partitions' event-time progress (streams.pacing):
        one partition, compacted, named after the app id."""
        return f"{self.worker.app_id}-request-progress"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = cls.config_file or os.environ.get("DISTILLGUARD_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


class ConfigError(RuntimeError):
    """A configuration that cannot be used, with a message that says which value and why."""


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings, turning validation errors into one readable :class:`ConfigError`."""
    settings_cls: type[Settings] = Settings
    path = Path(config_file) if config_file is not None else None
    path = path or (
        Path(os.environ["DISTILLGUARD_CONFIG"]) if os.environ.get("DISTILLGUARD_CONFIG") else None
    )
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        settings_cls = type("FileSettings", (Settings,), {"config_file": path})
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_input=False, include_url=False):
            location = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {location}: {err['msg']}")
        raise ConfigError("invalid distillguard configuration:\n" + "\n".join(lines)) from None
