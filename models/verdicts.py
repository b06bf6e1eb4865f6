"""Per-account verdicts: the current standing the alert stage keeps (a changelogged table in the
worker), and the changes it hands to the verdict topic.

A verdict changes when the account alerts, or when an analyst's label holds a medium+ alert back; it is
re-emitted only when its standing moves (severity, action, campaign, label, suppression, configuration
version, or the score by at least ``SCORE_STEP``), not on every request.

>>> book = VerdictBook()
>>> v = Verdict(account_id="a1", score=0.7, severity="medium", action="review", updated_ts=1)
>>> book.observe(v) is not None, book.observe(v.model_copy(update={"updated_ts": 2})) is None
(True, True)
>>> [x.account_id for x in book.drain()], book.get("a1").updated_ts
(['a1'], 1)
"""

from __future__ import annotations

from collections.abc import MutableMapping

import orjson

from distillguard.schemas.verdict import Verdict

SCORE_STEP = 0.05
MAX_REASONS = 3


def encode_verdict(verdict: Verdict) -> bytes:
    return orjson.dumps(verdict.model_dump(mode="json"))


def _standing(v: Verdict) -> tuple[object, ...]:
    return (v.severity, v.action, v.campaign_id, v.label, v.suppressed, v.config_version)


class VerdictBook:
    """The latest verdict per account over a mapping of bytes; ``drain()`` hands over the changes."""

    def __init__(self, verdicts: MutableMapping[str, bytes] | None = None) -> None:
        self.verdicts: MutableMapping[str, bytes] = verdicts if verdicts is not None else {}
        self._changed: dict[str, Verdict] = {}

    def get(self, account_id: str) -> Verdict | None:
        raw = self.verdicts.get(account_id)
        return Verdict.model_validate_json(raw) if raw is not None else None

    def observe(self, verdict: Verdict) -> Verdict | None:
        """Store ``verdict`` if the standing changed; returns it then, else None."""
        current = self.get(verdict.account_id)
        if (
            current is not None
            and _standing(current) == _standing(verdict)
            and abs(current.score - verdict.score) < SCORE_STEP
        ):
            return None
        verdict.reasons = verdict.reasons[:MAX_REASONS]
        self.verdicts[verdict.account_id] = encode_verdict(verdict)
        self._changed[verdict.account_id] = verdict
        return verdict

    def drain(self) -> list[Verdict]:
        """The verdicts changed since the last drain (the latest per account), oldest change first."""
        changed, self._changed = list(self._changed.values()), {}
        return changed

    def discard(self) -> None:
        """Forget undrained changes (a batch that did not complete)."""
        self._changed.clear()
