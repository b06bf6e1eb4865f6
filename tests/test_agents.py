"""Agent logic without a broker, through Faust's ``agent.test_context()``.

Sends to downstream topics are captured by replacing each topic's ``send`` on the instance, so the
three agents can be chained by hand: what stage 1 sends is put into stage 2, and so on.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from schemas import SuspicionEvent
from streams.app import Topology, create_app
from streams.settings import Settings
from tests.test_core import coordinated_campaign, ordinary_users


class Captured:
    def __init__(self) -> None:
        self.records: list[tuple[Any, Any, dict | None]] = []

    async def send(
        self, *, key: Any = None, value: Any = None, headers: dict | None = None, **_: Any
    ) -> None:
        self.records.append((key, value, headers))


def build(tmp_path: Any) -> tuple[Topology, dict[str, Captured]]:
    settings = Settings(worker={"data_dir": tmp_path, "app_id": "dg-agent-test"})
    topology = create_app(settings)
    captured = {name: Captured() for name in ("observations", "candidates", "alerts", "dead_letter")}
    for name, sink in captured.items():
        getattr(topology, name).send = sink.send
    return topology, captured


def test_agents_turn_a_campaign_into_alerts_and_junk_into_dead_letters(tmp_path: Any) -> None:
    topology, captured = build(tmp_path)
    agents = topology.app.agents
    events = sorted(coordinated_campaign(10, 10) + ordinary_users(6, 10), key=lambda e: e.ts)

    async def run() -> None:
        async with agents["score_accounts"].test_context() as accounts:
            await accounts.put(b"{not json", key="junk")
            for event in events:
                await accounts.put(orjson.dumps(event.model_dump(exclude_none=True)), key=event.account_id)
            await accounts.put(
                orjson.dumps(events[0].model_dump(exclude_none=True)), key=events[0].account_id
            )
        async with agents["score_clusters"].test_context() as clusters:
            for key, value, _ in captured["observations"].records:
                await clusters.put(value, key=key)
        async with agents["emit_alerts"].test_context() as alerter:
            for key, value, _ in captured["candidates"].records:
                await alerter.put(value, key=key)

    asyncio.run(run())

    assert len(captured["dead_letter"].records) == 1
    _, original, headers = captured["dead_letter"].records[0]
    assert original == b"{not json" and headers and headers["dlq.reason"].startswith(b"malformed JSON")
    # the duplicate of events[0] was dropped by the account stage
    assert len(captured["observations"].records) == len(events)
    alerts = [SuspicionEvent.model_validate_json(value) for _, value, _ in captured["alerts"].records]
    flagged = {a.account_id for a in alerts if a.severity.rank >= 2}
    assert {f"hydra-{i}" for i in range(10)} <= flagged
    assert not any(a.startswith("user-") for a in flagged)
    # the state tables hold compact bytes, never prompt text
    for value in topology.account_stage.accounts.values():
        assert isinstance(value, bytes) and b"Articulate" not in value
