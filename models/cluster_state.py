"""Per-cluster online state: who sends this prompt template, and what kind of accounts they are.

A template used by a crowd of distinct, young, proxy-routed accounts that also ask for reasoning is
the footprint of a hydra cluster; one used by many established accounts is a popular product feature.

>>> from distillguard.models.config import ClusterStateConfig
>>> state = ClusterState.new(ClusterStateConfig())
>>> state.update("acct-1", young=True, proxy=False, elicitation=1.0, suspicious=True, alpha=0.1)
>>> round(state.distinct_accounts())
1
>>> ClusterState.from_bytes(ClusterStateConfig(), state.to_bytes()).events
1
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from distillguard.models.config import ClusterStateConfig
from distillguard.models.sketches import HyperLogLog

_HEADER = struct.Struct("<Iq4f")


@dataclass(slots=True)
class ClusterState:
    """Distinct accounts (HyperLogLog) and EW shares of young, proxy, eliciting and suspicious traffic."""

    events: int
    last_ts: int
    young_share: float
    proxy_share: float
    elicitation_share: float
    suspicious_share: float
    accounts: HyperLogLog

    @classmethod
    def new(cls, config: ClusterStateConfig) -> ClusterState:
        return cls(0, 0, 0.0, 0.0, 0.0, 0.0, HyperLogLog(config.hll_precision))

    @classmethod
    def from_bytes(cls, config: ClusterStateConfig, raw: bytes) -> ClusterState:
        events, last_ts, young, proxy, elicitation, suspicious = _HEADER.unpack_from(raw)
        registers = raw[_HEADER.size :]
        return cls(
            events,
            last_ts,
            young,
            proxy,
            elicitation,
            suspicious,
            HyperLogLog(config.hll_precision, registers),
        )

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(
            self.events,
            self.last_ts,
            self.young_share,
            self.proxy_share,
            self.elicitation_share,
            self.suspicious_share,
        )
        return header + bytes(self.accounts.registers)

    def update(
        self,
        account_id: str,
        *,
        young: bool,
        proxy: bool,
        elicitation: float,
        suspicious: bool,
        alpha: float,
        ts: int = 0,
    ) -> None:
        self.events += 1
        self.last_ts = max(self.last_ts, ts)
        self.accounts.add(account_id)
        weight = max(alpha, 1.0 / self.events)
        self.young_share += weight * (float(young) - self.young_share)
        self.proxy_share += weight * (float(proxy) - self.proxy_share)
        self.elicitation_share += weight * (elicitation - self.elicitation_share)
        self.suspicious_share += weight * (float(suspicious) - self.suspicious_share)

    def distinct_accounts(self) -> float:
        return self.accounts.count()
