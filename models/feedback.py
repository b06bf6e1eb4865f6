"""Analysts' labels and what they do to the detector's output: the pure core of the feedback loop.

A :class:`LabelBook` keeps the latest label of every subject (``account:…``, ``org:…``,
``campaign:…``) in a mapping of bytes (a dict in ``replay``, a changelogged table in the worker). A
label applies to requests stamped at or after its ``ts`` and before its ``expires_ts``: feedback is
applied in event-time order, whenever it arrives. The most specific subject wins (account, then org,
then campaign).

The effects, applied by the stages of :data:`models.pipeline.PIPELINE`:

* the cluster stage resolves the label in force for each assessment (:func:`annotate`): a condemned
  subject's campaign is remembered, and every member of such a campaign gains evidence
  (``feedback.campaign_logit_boost`` log-odds on its score);
* the alert stage applies it (:func:`label_effect`): a cleared subject (allowlist / false positive)
  gets no medium+ alert unless its score's log-odds exceed what was cleared by
  ``feedback.override_logit_margin`` (the alert then says so); a condemned one (denylist / confirmed
  abuse) alerts at critical with the label as its first reason.

Raw analyst notes are never stored: only the label, its times, the feedback id and the pseudonym.

>>> from distillguard.schemas.feedback_event import FeedbackEvent
>>> book = LabelBook()
>>> book.apply(FeedbackEvent(feedback_id="fb-1", ts=1_000_000_000_000, subject_type="org",
...                          subject_id="o1", label="allowlist", analyst="an-1"))
True
>>> book.in_force(999_999_999_999, "a1", "o1", None) is None   # before the label's ts
True
>>> book.in_force(1_000_000_000_001, "a1", "o1", None).subject
'org:o1'
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from distillguard.models.calibration import LabelCalibrator
from distillguard.models.config import DetectionConfig
from distillguard.models.fusion import account_severity
from distillguard.models.verdicts import VerdictBook
from distillguard.schemas.feedback_event import FeedbackEvent, Label, SubjectType, subject_key
from distillguard.schemas.suspicion_event import Reason, Severity

_SEVERITY_BY_NAME = {s.value: s for s in Severity}


@dataclass(frozen=True, slots=True)
class SubjectLabel:
    """A subject's latest label, as the label table holds it (no note text)."""

    subject: str
    label: Label
    ts: int
    expires_ts: int | None
    feedback_id: str
    analyst: str

    def in_force(self, ts: int) -> bool:
        return self.ts <= ts and (self.expires_ts is None or ts < self.expires_ts)

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "s": self.subject,
                "l": self.label.value,
                "ts": self.ts,
                "x": self.expires_ts,
                "id": self.feedback_id,
                "a": self.analyst,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> SubjectLabel:
        d = orjson.loads(raw)
        return cls(d["s"], Label(d["l"]), d["ts"], d["x"], d["id"], d["a"])

    @classmethod
    def from_feedback(cls, feedback: FeedbackEvent) -> SubjectLabel:
        return cls(
            feedback.subject_key,
            feedback.label,
            feedback.ts,
            feedback.expires_ts,
            feedback.feedback_id,
            feedback.analyst,
        )

    def as_dict(self) -> dict[str, Any]:
        """The label as an assessment carries it to the alert stage."""
        return {
            "subject": self.subject,
            "label": self.label.value,
            "ts": self.ts,
            "expires_ts": self.expires_ts,
            "feedback_id": self.feedback_id,
            "analyst": self.analyst,
        }

    def describe(self) -> str:
        return (
            f"{self.label.value} on {self.subject} by analyst {self.analyst} from {_iso(self.ts)}"
            f" (feedback {self.feedback_id})"
        )


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LabelBook:
    """The latest label per subject over a mapping of bytes, keyed ``subject_type:subject_id``."""

    def __init__(self, labels: MutableMapping[str, bytes] | None = None) -> None:
        self.labels: MutableMapping[str, bytes] = labels if labels is not None else {}

    def apply(self, feedback: FeedbackEvent) -> bool:
        """Record a label; False (nothing changes) when the subject already holds a later one."""
        key = feedback.subject_key
        current = self.get(key)
        if current is not None and current.ts > feedback.ts:
            return False
        self.labels[key] = SubjectLabel.from_feedback(feedback).to_bytes()
        return True

    def get(self, key: str) -> SubjectLabel | None:
        raw = self.labels.get(key)
        return SubjectLabel.from_bytes(raw) if raw is not None else None

    def in_force(
        self, ts: int, account_id: str, org_id: str | None, campaign_id: str | None
    ) -> SubjectLabel | None:
        """The label that applies to a request of ``account_id`` at ``ts`` (most specific subject first)."""
        if not self.labels:
            return None
        keys = [subject_key(SubjectType.ACCOUNT, account_id)]
        if org_id:
            keys.append(subject_key(SubjectType.ORG, org_id))
        if campaign_id:
            keys.append(subject_key(SubjectType.CAMPAIGN, campaign_id))
        for key in keys:
            label = self.get(key)
            if label is not None and label.in_force(ts):
                return label
        return None


CALIBRATION_KEY = "calibration:fused"  # the label table also holds the score calibration's state


def calibrator_for(book: LabelBook, config: DetectionConfig) -> LabelCalibrator:
    """The score calibration the label table holds (the identity until the first label)."""
    fb = config.feedback
    bounds = {
        "max_offset": fb.calibration_max_offset,
        "max_slope_change": fb.calibration_max_slope_change,
        "half_labels": fb.calibration_half_labels,
        "learning_rate": fb.calibration_learning_rate,
    }
    raw = book.labels.get(CALIBRATION_KEY)
    return LabelCalibrator.from_bytes(raw, **bounds) if raw is not None else LabelCalibrator(**bounds)  # type: ignore[arg-type]


LEARNED_PREFIX = "calibration:learned:"  # one marker per label the calibration learned from (by feedback id)


@dataclass(frozen=True, slots=True)
class CalibrationExample:
    """One account label as a training example of the score calibration: the analyst's verdict and,
    once paired with the account's standing, the score the account stood at.

    In ``replay`` the detector pairs a label at once; in the worker the label travels to the partition
    that holds the account's standing (the alert stage's), and the paired example to the one partition
    that trains the calibration. The record holds no note text.

    >>> from distillguard.models.verdicts import VerdictBook
    >>> from distillguard.schemas.verdict import Verdict
    >>> verdicts = VerdictBook()
    >>> standing = Verdict(account_id="a1", score=0.7, severity="medium", action="review", updated_ts=1)
    >>> _ = verdicts.observe(standing)
    >>> label = CalibrationExample("fb-1", "a1", abuse=False)
    >>> label.paired(verdicts).score, CalibrationExample("fb-2", "a2", abuse=True).paired(verdicts)
    (0.7, None)
    >>> CalibrationExample.from_bytes(label.to_bytes()) == label
    True
    """

    feedback_id: str
    account_id: str
    abuse: bool
    score: float | None = None

    @classmethod
    def of(cls, feedback: FeedbackEvent) -> CalibrationExample | None:
        """The example an account label gives (None for an org's or a campaign's label)."""
        if feedback.subject_type != SubjectType.ACCOUNT:
            return None
        return cls(feedback.feedback_id, feedback.subject_id, abuse=feedback.label.condemns)

    def paired(self, verdicts: VerdictBook) -> CalibrationExample | None:
        """The example with the account's standing score; None when the account has no standing (it never
        reached the alert stage, so there is no score an analyst was looking at)."""
        standing = verdicts.get(self.account_id)
        if standing is None:
            return None
        return CalibrationExample(self.feedback_id, self.account_id, self.abuse, standing.score)

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {"id": self.feedback_id, "a": self.account_id, "abuse": self.abuse, "s": self.score}
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> CalibrationExample:
        d = orjson.loads(raw)
        return cls(d["id"], d["a"], bool(d["abuse"]), d["s"])


def learn_from_label(book: LabelBook, config: DetectionConfig, example: CalibrationExample) -> bool:
    """Train the calibration on one paired example, once per feedback id (a redelivered example is
    skipped: the worker's delivery is at least once). The standing score is taken as scored by the
    calibration as it is now. Returns whether it learned."""
    if example.score is None:
        raise ValueError(f"calibration example {example.feedback_id} is not paired with a score")
    marker = LEARNED_PREFIX + example.feedback_id
    if marker in book.labels:
        return False
    calibrator = calibrator_for(book, config)
    calibrator.learn(calibrator.uncalibrate(example.score), abuse=example.abuse)
    book.labels[CALIBRATION_KEY] = calibrator.to_bytes()
    book.labels[marker] = b""
    return True


def subject_label_count(labels: MutableMapping[str, bytes]) -> int:
    """How many subjects hold a label (the table also holds the calibration's state and markers)."""
    return sum(1 for key in labels if not key.startswith("calibration:"))


class CondemnedCampaigns:
    """Campaigns that hold a member an analyst condemned (bounded, oldest forgotten first). Soft state,
    like the campaign linker whose ids it remembers."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_campaign: OrderedDict[str, SubjectLabel] = OrderedDict()

    def add(self, campaign_id: str, label: SubjectLabel) -> None:
        self._by_campaign[campaign_id] = label
        self._by_campaign.move_to_end(campaign_id)
        while len(self._by_campaign) > self.limit:
            self._by_campaign.popitem(last=False)

    def get(self, campaign_id: str | None) -> SubjectLabel | None:
        return self._by_campaign.get(campaign_id) if campaign_id else None

    def __len__(self) -> int:
        return len(self._by_campaign)


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def annotate(
    assessment: Any,
    book: LabelBook,
    condemned: CondemnedCampaigns,
    owner_id: str | None,
    config: DetectionConfig,
) -> None:
    """Attach the label in force to an assessment (``assessment.label``), remember the campaign of a
    condemned account, and raise the score of other members of a condemned campaign
    (``assessment.campaign_evidence``). Does nothing, cheaply, while no label exists."""
    if not book.labels and not len(condemned):
        return
    if config.feedback.calibrate and CALIBRATION_KEY in book.labels:
        assessment.score = calibrator_for(book, config).calibrate(assessment.score)
    # the account stage's owner id: "org:<org id>" for an account of an org, else "acct:<account id>"
    org_id = owner_id[4:] if owner_id and owner_id.startswith("org:") else None
    label = book.in_force(assessment.ts, assessment.account_id, org_id, assessment.campaign_id)
    if label is not None:
        assessment.label = label.as_dict()
        if label.label.condemns and assessment.campaign_id and not label.subject.startswith("campaign:"):
            condemned.add(assessment.campaign_id, label)
        return
    member = condemned.get(assessment.campaign_id)
    boost = config.feedback.campaign_logit_boost
    if member is not None and boost > 0:
        assessment.campaign_evidence = member.as_dict()
        assessment.score = _sigmoid(_logit(assessment.score) + boost)


def condemned_label(assessment: Any) -> bool:
    """Whether an assessment's subject is condemned (its request must reach the alert stage)."""
    label = getattr(assessment, "label", None)
    return label is not None and Label(label["label"]).condemns


@dataclass(slots=True)
class LabelEffect:
    """What a label does to one assessment at the alert stage."""

    severity: Severity | None
    suppressed: bool = False  # a medium+ alert held back by a clearing label
    condemned: bool = False  # alert at critical whatever the score (and whatever min_events says)
    reasons: list[Reason] = field(default_factory=list)  # listed before the signals' reasons


def label_effect(
    assessment: Any, severity: Severity | None, cleared_score: float, config: DetectionConfig
) -> LabelEffect:
    """The effect of the assessment's label (and of its campaign's) on its alert.

    ``cleared_score`` is the highest score the account was alerted at (0 if never): what an analyst
    who cleared it saw. An account cleared before it ever alerted at medium+ is judged against the
    ``feedback.proactive_baseline`` band's threshold instead.
    """
    label, campaign = getattr(assessment, "label", None), getattr(assessment, "campaign_evidence", None)
    if label is None and campaign is None:
        return LabelEffect(severity)
    if label is not None:
        subject = SubjectLabel(
            label["subject"], Label(label["label"]), label["ts"], label["expires_ts"],
            label["feedback_id"], label["analyst"],
        )  # fmt: skip
        if subject.label.condemns:
            reason = Reason(signal="analyst_label", value=1.0, threshold=1.0, detail=subject.describe())
            return LabelEffect(Severity.CRITICAL, condemned=True, reasons=[reason])
        if severity is None or severity.rank < Severity.MEDIUM.rank:
            return LabelEffect(severity)
        fc = config.fusion
        # What was cleared: the highest enforcement-grade (medium+) score the account alerted at; an
        # account cleared before it ever alerted at medium+ is judged against the proactive band.
        proactive = config.feedback.proactive_baseline
        if cleared_score < fc.medium and proactive == "never":
            return LabelEffect(severity, suppressed=True)  # vouched for before any evidence: until expiry
        baseline = cleared_score if cleared_score >= fc.medium else max(getattr(fc, proactive), fc.medium)
        needed = _sigmoid(_logit(baseline) + config.feedback.override_logit_margin)
        if assessment.score < needed:
            return LabelEffect(severity, suppressed=True)
        reason = Reason(
            signal="feedback_override",
            value=round(assessment.score, 4),
            threshold=round(needed, 4),
            detail=f"cleared as {subject.describe()}; the evidence has since grown well beyond what was "
            f"cleared (score {baseline:.2f} then, {assessment.score:.2f} now)",
        )
        return LabelEffect(severity, reasons=[reason])
    detail = (
        f"its campaign holds {campaign['subject']}, labelled {campaign['label']} by analyst "
        f"{campaign['analyst']} (feedback {campaign['feedback_id']})"
    )
    boost = config.feedback.campaign_logit_boost
    if severity is None:
        severity = account_severity(assessment.score, assessment.signals, config.fusion)
    return LabelEffect(
        severity,
        reasons=[Reason(signal="campaign_label", value=round(boost, 4), threshold=0.0, detail=detail)],
    )
