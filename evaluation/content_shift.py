"""A stress test for content evidence: replay a labelled split with the content model misreading part of
the *normal* accounts' requests as asking for reasoning, and see which normal accounts cross into alerts.

Why: two candidates (v7c, v7e; README) let an individual account reach an alert on what its prompts ask
for. Both held every researcher under the threshold on the dev seeds and flagged about half of them on
the blind split, whose researchers write in phrasings the dev seeds do not use. A content model's reading
of legitimate reasoning-heavy users moves with phrasing; a detector that is robust to that keeps normal
accounts below medium when a share of their requests is read as eliciting reasoning. The test runs on
dev splits only, so it can gate a candidate *before* it goes to a blind split.

What it does: for each normal account (from the labels), a deterministic ``share`` of its requests (by
a hash of the event id) has its content reads (``reads``: elicitation by default; grading, capability and
synthetic too if named) raised to at least ``level``. Campaign accounts are untouched. The alerts
are written like ``distillguard replay``'s, for ``distillguard compare``.

>>> misread = MisreadShare(share=0.25, seed=3)
>>> sum(misread.applies(f"e{i}") for i in range(10_000)) / 10_000  # doctest: +ELLIPSIS
0.2...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from distillguard.evaluation.metrics import load_labels
from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.models.features import FeatureExtractor, RequestFeatures
from distillguard.models.hashing import stable_hash32
from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.streams.replay import iter_file_records, jsonl_writers, replay_records, report_dead_letter


@dataclasses.dataclass(frozen=True, slots=True)
class MisreadShare:
    """Which requests are misread: a fixed share of event ids, the same in every run."""

    share: float
    seed: int = 0

    def applies(self, event_id: str) -> bool:
        return stable_hash32(event_id, self.seed) < self.share * 2**32


#: The content model's per-request reads a misread can raise.
CONTENT_READS = ("elicitation", "grading", "capability", "synthetic")


class MisreadingExtractor:
    """A :class:`FeatureExtractor` whose content reads are raised for the chosen accounts' requests."""

    def __init__(
        self,
        inner: FeatureExtractor,
        accounts: Iterable[str],
        misread: MisreadShare,
        level: float = 0.9,
        reads: Iterable[str] = ("elicitation",),
    ) -> None:
        self.inner = inner
        self.accounts = frozenset(accounts)
        self.misread = misread
        self.level = level
        self.reads = tuple(reads)
        unknown = set(self.reads) - set(CONTENT_READS)
        if unknown or not self.reads:
            raise ValueError(f"reads must be a non-empty subset of {CONTENT_READS}, got {self.reads}")
        self.misread_requests = 0

    def extract(self, event: object) -> RequestFeatures:
        features = self.inner.extract(event)  # type: ignore[arg-type]
        if features.account_id not in self.accounts or not self.misread.applies(features.event_id):
            return features
        self.misread_requests += 1
        changes: dict[str, object] = {read: max(getattr(features, read), self.level) for read in self.reads}
        # Fields derived from the read follow it (a candidate may define more of them).
        if hasattr(features, "harvested_trace") and {"elicitation", "grading"} & set(self.reads):
            changes["harvested_trace"] = features.long_output
        return dataclasses.replace(features, **changes)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def replay_with_misreads(
    events: Path,
    labels: Path,
    alerts_out: Path,
    misread: MisreadShare,
    config: DetectionConfig | None = None,
    level: float = 0.9,
    partitions: int = DEFAULT_PARTITIONS,
    reads: Iterable[str] = ("elicitation",),
) -> dict[str, int]:
    """Replay ``events`` as ``distillguard replay`` does (same record path, invalid lines reported as dead
    letters), with normal accounts' requests misread; write the alerts; return counts."""
    normal = [a for a, label in load_labels(labels).items() if label.kind != "campaign"]
    detector = Detector(config or DetectionConfig(), partitions=partitions)
    extractor = MisreadingExtractor(detector.accounts.extractor, normal, misread, level, reads)
    detector.accounts.extractor = extractor  # type: ignore[assignment]
    with jsonl_writers(alerts_out, None) as (write_alert, _):
        assert write_alert is not None
        stats = replay_records(iter_file_records(events), detector, write_alert, report_dead_letter)
    return {"records": stats.records, "alerts": stats.alerts, "misread_requests": extractor.misread_requests}
