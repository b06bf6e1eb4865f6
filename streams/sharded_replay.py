"""File replay with the detection stages in their own processes, keyed like the worker's partitions.

One Python process runs the detector at one core's speed. Here the account stage runs as ``shards``
processes keyed by account and the cluster stage as ``shards`` processes keyed by prompt cluster — the
same keys the worker partitions its topics by — while this (parent) process reads the file, routes
records, runs the (cheap) alert stage in file order and writes alerts and dead letters. The file is
cut into chunks that are pipelined: while the cluster shards score chunk *i*, the account shards
already work on chunk *i + 1*, so every stage is busy at once.

The stages, their keys and the band rule of what reaches the alert stage come from
:data:`models.pipeline.PIPELINE`, as in the worker and :class:`~models.detector.Detector`.

The shared-trait side chain (trait stage → coordination sink, read back by the account stage) runs
inside each account shard, right after the account stage on each request, over that shard's own dicts,
as the Detector runs it. It is not keyed by trait value here (the worker keys it so): **with K > 1 each
account shard keeps the trait state of its own accounts only**, so a trait value shared by accounts of
different shards counts, in each shard, only the owners that shard holds (fewer owners, weaker or no
``shared_traits`` evidence than the serial replay or a worker computes, and so fewer alerts: use K > 1
for speed, not for reference numbers). With K = 1 it is exact.

Routing: a shard holds whole partitions. A record goes to the shard of its key's partition
(``partition % shards``, the partition from the producers' partitioner over ``partitions``, the
worker's ``topics.partitions``, see :mod:`models.partitioning`), so at most ``partitions`` shards run
(more would idle). The stages keep their soft models (population model, benign reference, burst
sketch, campaign linker) one per partition (:mod:`models.soft_state`), and each partition's records
reach its models in file order in whichever shard it is, as in the serial replay.

Determinism: each cluster shard sees its observations in file order and the alert stage runs in file
order, so the output depends only on the input, the config, ``partitions`` and ``shards``.

* ``shards=1`` gives byte-for-byte the output of :func:`streams.replay.replay_file` (the account stage
  never reads cluster state, so running it ahead changes nothing; the side chain runs in the same order
  as in the Detector);
* ``shards=K > 1`` computes what the serial replay computes, but for the shared-trait side chain: dedupe,
  per-account state and the partition-scoped soft models are exact (each partition lives in one shard),
  but each account shard keeps the trait state of its own accounts only (above), which neither the
  serial replay nor a worker does.

Only record positions, observations and assessments cross process boundaries, never decoded prompts;
raw lines go to the account shards and nothing is persisted beyond the alert and dead-letter files.
"""

from __future__ import annotations

import heapq
import multiprocessing
import queue
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import islice
from multiprocessing.process import BaseProcess
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import orjson

from distillguard.models.config import DetectionConfig
from distillguard.models.partitioning import DEFAULT_PARTITIONS, KeyPartitioner, partition_for_key
from distillguard.models.pipeline import ACCOUNT, ALERT, CLUSTER, PIPELINE
from distillguard.models.stages import AccountObservation, AlertStage, Assessment
from distillguard.schemas.codec import DecodeError, decode_request, encode_alert
from distillguard.streams.replay import (
    AlertSink,
    DeadLetterSink,
    FieldCoverage,
    ProgressCallback,
    ReplayStats,
    TimeOrder,
    absent_fields,
    iter_file_records,
    jsonl_writers,
    report_dead_letter,
)
from distillguard.streams.settings import ReplaySettings

# A shard's reply when it failed: the marker and the formatted traceback (no record content).
_FAILED = "failed"
_POLL_S = 1.0  # how often a waiting parent checks that the shard it waits for is still alive
_DEFAULTS = ReplaySettings()  # chunking defaults live in the settings object
_STOP_TIMEOUT_S = 10.0  # for all shards to finish after the end of input, before they are killed


class ShardFailed(RuntimeError):
    """A shard process raised or died; the replay stops (its outputs so far are incomplete)."""


def shard_of(key: str, shards: int, partitions: int = DEFAULT_PARTITIONS) -> int:
    """The shard a key belongs to: the shard of its partition (Kafka's default partitioner over
    ``partitions``), so that a shard holds whole partitions; stable across runs and processes."""
    return partition_for_key(key, partitions) % shards if shards > 1 else 0


def account_key(raw: bytes) -> str:
    """The raw record's key for the account stage (its account id) for routing; '' when it has none
    (its shard then dead-letters it)."""
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ""
    account = payload.get(ACCOUNT.partitioned_by) if isinstance(payload, dict) else None
    return account if isinstance(account, str) else ""


# --- the shard processes -------------------------------------------------------------------------

# Observations cross from account to cluster shards as plain tuples of their fields: pickling a
# slots dataclass runs its __getstate__ in Python and costs about four times as much.
_OBSERVATION_FIELDS = tuple(f.name for f in fields(ACCOUNT.output_type))
_observation_values = attrgetter(*_OBSERVATION_FIELDS)


@dataclass
class AccountReply:
    """What one account shard tells the parent about one chunk (dead letters in file order)."""

    dead_letters: list[tuple[int, str]] = field(default_factory=list)  # (sequence number, reason)
    duplicates: int = 0
    observations: int = 0
    late_events: int = 0  # so far in this shard's share of the file (streams.replay.TimeOrder)
    present_fields: tuple[str, ...] = ()  # optional fields seen so far (streams.replay.FieldCoverage)


def account_shard_loop(
    config: DetectionConfig,
    seed: int,
    max_record_bytes: int | None,
    partitions: int,
    inbox: Any,
    to_clusters: Sequence[Any],
    outbox: Any,
) -> None:
    """Account stage over (sequence number, raw record) chunks until a ``None`` chunk arrives; each
    chunk's observations go to the cluster shards (one list per shard, maybe empty, in file order), each
    to the shard of its cluster id's partition."""
    try:
        # The account stage and its side chain over one set of dicts (the coordination sink's table is
        # the one the account stage reads).
        branch = PIPELINE.branch_from(ACCOUNT)
        side_specs = branch.stages if branch is not None else ()
        stage, *side_stages = PIPELINE.build(
            config, seed=seed, only=(ACCOUNT, *side_specs), partitions=partitions
        )
        side = dict(zip(side_specs, side_stages, strict=True))
        route_key = PIPELINE.key_after(ACCOUNT)
        partition_of = KeyPartitioner(partitions)
        shards = len(to_clusters)
        order, coverage = TimeOrder(), FieldCoverage()
        while (chunk := inbox.get()) is not None:
            reply = AccountReply()
            routed: list[list[tuple[int, tuple[Any, ...]]]] = [[] for _ in range(shards)]
            for seq, raw in chunk:
                try:
                    event = decode_request(raw, max_bytes=max_record_bytes)
                except DecodeError as exc:
                    reply.dead_letters.append((seq, exc.reason))
                    continue
                order.see(event.ts)
                coverage.see(event)
                observation = ACCOUNT.run(stage, event, None)
                if observation is None:
                    reply.duplicates += 1
                    continue
                reply.observations += 1
                if branch is not None:
                    PIPELINE.run_branch(branch, side, observation)
                if ACCOUNT.passes(observation, config):
                    routed[partition_of(route_key(observation)) % shards].append(
                        (seq, _observation_values(observation))
                    )
            for channel, part in zip(to_clusters, routed, strict=True):
                channel.put(part)
            reply.late_events = order.late
            reply.present_fields = tuple(coverage.present)
            outbox.put(reply)
        for channel in to_clusters:
            channel.put(None)  # the end of this shard's stream ends the cluster shards
    except BaseException:
        outbox.put((_FAILED, traceback.format_exc()))


def cluster_shard_loop(
    config: DetectionConfig, partitions: int, from_accounts: Sequence[Any], outbox: Any
) -> None:
    """Cluster stage over each chunk's observations from every account shard, merged into file order;
    replies with the assessments that pass on to the alert stage (the pipeline's band rule, as in the
    worker's candidate topic). Ends when an account shard sends ``None``."""
    try:
        stage = CLUSTER.build(config, partitions=partitions)
        observation_type: type[AccountObservation] = CLUSTER.input_type
        while None not in (parts := [channel.get() for channel in from_accounts]):
            candidates: list[tuple[int, Assessment]] = []
            for seq, values in _merged(parts):
                assessment = CLUSTER.run(stage, observation_type(*values), None)
                if CLUSTER.passes(assessment, config):
                    candidates.append((seq, assessment))
            outbox.put(candidates)
    except BaseException:
        outbox.put((_FAILED, traceback.format_exc()))


def _merged(parts: Iterable[list[tuple[int, Any]]]) -> Iterator[tuple[int, Any]]:
    """Per-shard lists (each in file order) merged back into file order."""
    return heapq.merge(*parts, key=itemgetter(0))


@dataclass
class _Shard:
    name: str
    process: BaseProcess
    outbox: Any

    def receive(self) -> Any:
        """The shard's next reply; raises :class:`ShardFailed` if it failed or died."""
        while True:
            try:
                reply = self.outbox.get(timeout=_POLL_S)
            except queue.Empty:
                if not self.process.is_alive():
                    raise ShardFailed(f"{self.name} exited with code {self.process.exitcode}") from None
                continue
            if isinstance(reply, tuple) and reply and reply[0] == _FAILED:
                raise ShardFailed(f"{self.name} failed:\n{reply[1]}")
            return reply


# --- the parent --------------------------------------------------------------------------------


@dataclass
class _Chunk:
    first_seq: int
    records: list[tuple[bytes, str]]  # (raw, source), kept for dead letters until the chunk is done


class ShardedReplay:
    """Runs the account and cluster stages as ``shards`` processes each; see the module docstring.

    Use as a context manager so the shard processes are stopped however the replay ends.
    """

    def __init__(
        self,
        config: DetectionConfig,
        shards: int,
        *,
        seed: int = 0,
        max_record_bytes: int | None = None,
        chunk_events: int = _DEFAULTS.chunk_events,
        pipeline_depth: int = _DEFAULTS.pipeline_depth,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        if shards < 1:
            raise ValueError(f"shards must be at least 1, got {shards}")
        if chunk_events < 1 or pipeline_depth < 1:
            raise ValueError("chunk_events and pipeline_depth must be at least 1")
        self.config = config
        # A shard holds whole partitions: more shards than partitions would idle.
        shards = min(shards, partitions)
        self.shards = shards
        self.partitions = partitions
        self._partition_of = KeyPartitioner(partitions)
        self.chunk_events = chunk_events
        self.pipeline_depth = pipeline_depth
        self.alert_stage: AlertStage = ALERT.build(config)
        # spawn, not fork: a child must not inherit the parent's threads or open files.
        context = multiprocessing.get_context("spawn")
        self._channels: list[Any] = []

        def channel() -> Any:
            self._channels.append(context.Queue())
            return self._channels[-1]

        self._to_accounts = [channel() for _ in range(shards)]
        # links[j][i]: account shard i -> cluster shard j
        links = [[channel() for _ in range(shards)] for _ in range(shards)]
        self._account_shards: list[_Shard] = []
        self._cluster_shards: list[_Shard] = []
        self._processes: list[BaseProcess] = []

        def start(name: str, target: Any, *args: Any) -> _Shard:
            outbox = channel()
            process = context.Process(target=target, args=(*args, outbox), name=name, daemon=True)
            self._processes.append(process)
            process.start()
            return _Shard(name, process, outbox)

        try:
            for j in range(shards):
                self._cluster_shards.append(
                    start(f"cluster-shard-{j}", cluster_shard_loop, config, partitions, links[j])
                )
            for i in range(shards):
                to_clusters = [links[j][i] for j in range(shards)]
                self._account_shards.append(
                    start(
                        f"account-shard-{i}",
                        account_shard_loop,
                        config,
                        seed,
                        max_record_bytes,
                        partitions,
                        self._to_accounts[i],
                        to_clusters,
                    )
                )
        except BaseException:
            self.close(graceful=False)
            raise

    def __enter__(self) -> ShardedReplay:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(graceful=exc_type is None)

    def close(self, *, graceful: bool = True) -> None:
        """Stop every shard: a ``None`` chunk ends the account shards, which end the cluster shards;
        after a failure, once a shard has died, or if they do not stop in time, they are killed."""
        if graceful and all(process.is_alive() for process in self._processes):
            for inbox in self._to_accounts:
                inbox.put(None)
            deadline = time.monotonic() + _STOP_TIMEOUT_S
            for process in self._processes:
                process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in self._processes:
            if process.is_alive():
                process.kill()
                process.join()
        for channel in self._channels:
            channel.cancel_join_thread()  # a dead reader must not make interpreter exit hang
            channel.close()
        self._processes, self._channels = [], []

    def run(
        self,
        records: Iterable[tuple[bytes, str]],
        alerts_out: AlertSink,
        dlq_out: DeadLetterSink | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> ReplayStats:
        """Replay raw (bytes, source) records; alerts and dead letters come out in file order."""
        stats = ReplayStats()
        in_flight: deque[_Chunk] = deque()
        iterator = iter(records)
        while chunk := list(islice(iterator, self.chunk_events)):
            in_flight.append(self._send(stats.records, chunk))
            stats.records += len(chunk)
            if len(in_flight) > self.pipeline_depth:
                self._finish(in_flight.popleft(), stats, alerts_out, dlq_out, progress)
        while in_flight:
            self._finish(in_flight.popleft(), stats, alerts_out, dlq_out, progress)
        return stats

    def _send(self, first_seq: int, records: list[tuple[bytes, str]]) -> _Chunk:
        routed: list[list[tuple[int, bytes]]] = [[] for _ in range(self.shards)]
        if self.shards == 1:
            routed[0] = [(seq, raw) for seq, (raw, _source) in enumerate(records, start=first_seq)]
        else:
            for seq, (raw, _source) in enumerate(records, start=first_seq):
                routed[self._partition_of(account_key(raw)) % self.shards].append((seq, raw))
        for inbox, part in zip(self._to_accounts, routed, strict=True):
            inbox.put(part)  # every shard gets every chunk (maybe empty): replies stay aligned
        return _Chunk(first_seq, records)

    def _finish(
        self,
        chunk: _Chunk,
        stats: ReplayStats,
        alerts_out: AlertSink,
        dlq_out: DeadLetterSink | None,
        progress: ProgressCallback | None,
    ) -> None:
        """Collect the oldest chunk's results: dead letters, then the alert stage in file order."""
        replies: list[AccountReply] = [shard.receive() for shard in self._account_shards]
        for reply in replies:
            stats.duplicates += reply.duplicates
            stats.processed += reply.observations
        stats.late_events = sum(reply.late_events for reply in replies)
        if stats.processed or stats.duplicates:  # each shard's set is cumulative: the union is the file's
            stats.absent_fields = absent_fields(name for reply in replies for name in reply.present_fields)
        for seq, reason in _merged(reply.dead_letters for reply in replies):
            stats.dead_letters += 1
            raw, source = chunk.records[seq - chunk.first_seq]
            (dlq_out or report_dead_letter)(raw, reason, source)
        candidates: list[list[tuple[int, Assessment]]] = [shard.receive() for shard in self._cluster_shards]
        for _seq, assessment in _merged(candidates):
            alert = ALERT.run(self.alert_stage, assessment, None)
            if alert is not None:
                stats.count_alert(alert.severity.value)
                alerts_out(encode_alert(alert), alert.account_id)
        if progress is not None:
            progress(chunk.first_seq + len(chunk.records))


def replay_file_sharded(
    input_path: Path,
    output_path: Path,
    config: DetectionConfig,
    shards: int,
    *,
    dlq_path: Path | None = None,
    max_record_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    chunk_events: int = _DEFAULTS.chunk_events,
    pipeline_depth: int = _DEFAULTS.pipeline_depth,
    partitions: int = DEFAULT_PARTITIONS,
) -> ReplayStats:
    """:func:`streams.replay.replay_file` with the stages sharded over processes (``partitions``: the
    worker's ``topics.partitions``; at most that many shards run)."""
    with (
        jsonl_writers(output_path, dlq_path) as (write_alert, write_dead_letter),
        ShardedReplay(
            config,
            shards,
            max_record_bytes=max_record_bytes,
            chunk_events=chunk_events,
            pipeline_depth=pipeline_depth,
            partitions=partitions,
        ) as replay,
    ):
        return replay.run(
            iter_file_records(input_path),
            write_alert,
            write_dead_letter or report_dead_letter,
            progress=progress,
        )
