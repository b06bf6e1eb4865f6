"""Calibrating the fused score from analysts' labels, online and bounded.

Every label on an account is a training example: its score when the label arrived, and whether the
analyst found abuse (denylist / confirmed abuse: 1) or not (allowlist / false positive: 0). A River
``LogisticRegression`` on the one feature ``logit(score)`` learns ``score' = sigmoid(a·logit(score) + b)``;
it starts at the configured fusion (``a = 1, b = 0``: the identity) and moves only as labels arrive.
A handful of labels cannot swing it: after ``n`` labels the slope may differ from 1 by at most
``max_slope_change · n / (n + half_labels)`` and the offset from 0 by at most
``max_offset · n / (n + half_labels)`` log-odds.

>>> cal = LabelCalibrator(max_offset=1.0, max_slope_change=0.5, half_labels=20, learning_rate=0.5)
>>> cal.calibrate(0.7)          # no labels yet: the configured fusion, unchanged
0.7
>>> for _ in range(3):
...     cal.learn(0.7, abuse=False)   # three false positives at 0.7
>>> 0.6 < cal.calibrate(0.7) < 0.7    # lowered, but by at most 3/23 of a log-odd (and slope)
True
"""

from __future__ import annotations

import math
import struct

from river import linear_model, optim

_STATE = struct.Struct("<ddI")
_FEATURE = "logit"


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


class LabelCalibrator:
    """``score' = sigmoid(a·logit(score) + b)`` learned from labels, started at the identity, bounded by
    the number of labels seen."""

    def __init__(
        self,
        *,
        max_offset: float = 1.0,
        max_slope_change: float = 0.5,
        half_labels: int = 50,
        learning_rate: float = 0.05,
        slope: float = 1.0,
        offset: float = 0.0,
        labels: int = 0,
    ) -> None:
        self.max_offset, self.max_slope_change = max_offset, max_slope_change
        self.half_labels, self.labels = half_labels, labels
        self.model = linear_model.LogisticRegression(
            optimizer=optim.SGD(learning_rate),
            l2=0.0,
            intercept_init=offset,
            intercept_lr=learning_rate,
            initializer=optim.initializers.Constant(slope),
        )
        self.slope, self.offset = slope, offset

    def _bound(self) -> tuple[float, float]:
        trust = self.labels / (self.labels + self.half_labels)
        return self.max_slope_change * trust, self.max_offset * trust

    def learn(self, score: float, *, abuse: bool) -> None:
        """One analyst label on an account that scored ``score``."""
        self.labels += 1
        self.model.learn_one({_FEATURE: _logit(score)}, abuse)
        slope_room, offset_room = self._bound()
        slope = min(max(self.model._weights[_FEATURE], 1 - slope_room), 1 + slope_room)
        offset = min(max(self.model.intercept, -offset_room), offset_room)
        self.model._weights[_FEATURE], self.model.intercept = slope, offset
        self.slope, self.offset = slope, offset

    def calibrate(self, score: float) -> float:
        """The calibrated score (``score`` itself until the first label)."""
        if self.labels == 0:
            return score
        z = self.slope * _logit(score) + self.offset
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def uncalibrate(self, score: float) -> float:
        """The score before calibration (the inverse of :meth:`calibrate`)."""
        if self.labels == 0:
            return score
        z = (_logit(score) - self.offset) / self.slope
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_bytes(self) -> bytes:
        return _STATE.pack(self.slope, self.offset, self.labels)

    @classmethod
    def from_bytes(cls, raw: bytes, **bounds: float) -> LabelCalibrator:
        slope, offset, labels = _STATE.unpack(raw)
        return cls(slope=slope, offset=offset, labels=labels, **bounds)  # type: ignore[arg-type]
