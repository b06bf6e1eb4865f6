"""The dead-letter spill file: a record the dead-letter topic refuses keeps its bytes locally, bounded."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
from aiokafka.errors import MessageSizeTooLargeError
from prometheus_client import CollectorRegistry, Counter

from distillguard.streams.stage_agents import DeadLetterSpill, dead_letter_sender


def _event(value: bytes, offset: int = 7) -> Any:
    message = SimpleNamespace(topic="requests", partition=2, offset=offset)
    return SimpleNamespace(message=message, key="acct-1", value=value)


def _counters() -> tuple[Counter, Counter, Counter]:
    r = CollectorRegistry()
    return (
        Counter("dl", "", registry=r),
        Counter("spilled", "", registry=r),
        Counter("dropped", "", registry=r),
    )


def test_the_spill_file_holds_the_original_bytes_and_is_bounded(tmp_path: Path) -> None:
    _, spilled, dropped = _counters()
    path = tmp_path / "data" / "spill.jsonl"
    spill = DeadLetterSpill(path, max_bytes=4_000, spilled=spilled, dropped=dropped)
    original = bytes(range(256)) * 4
    assert spill.write(
        _event(original).message, "acct-1", original, "too large", "MessageSizeTooLargeError()"
    )
    (line,) = path.read_bytes().splitlines()
    entry = orjson.loads(line)
    assert (entry["topic"], entry["partition"], entry["offset"]) == ("requests", 2, 7)
    assert entry["reason"] == "too large" and "MessageSizeTooLarge" in entry["error"]
    assert base64.b64decode(entry["value_b64"]) == original and entry["value_bytes"] == len(original)
    assert base64.b64decode(entry["key_b64"]) == b"acct-1"

    # The next one would pass the cap: dropped, counted, the file unchanged.
    size = path.stat().st_size
    assert not spill.write(_event(original, 8).message, "acct-1", original * 2, "too large", "err")
    assert path.stat().st_size == size
    assert (spilled._value.get(), dropped._value.get()) == (1, 1)
    # A restart counts the file's existing size against the cap.
    assert DeadLetterSpill(path, max_bytes=4_000).size == size


class RefusingTopic:
    """A dead-letter topic that refuses every record for its size (after send, at delivery)."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, bytes]] = []

    async def send(self, *, key: Any = None, value: bytes = b"", headers: Any = None) -> Any:
        self.sent.append((key, value))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_exception(MessageSizeTooLargeError())
        return future


def test_a_refused_dead_letter_is_spilled_not_emptied(tmp_path: Path) -> None:
    counter, spilled, dropped = _counters()
    topic = RefusingTopic()
    spill = DeadLetterSpill(tmp_path / "spill.jsonl", 1 << 20, spilled, dropped)
    original = b"y" * 5_000
    asyncio.run(dead_letter_sender(topic, counter, spill)(_event(original), "record too large"))
    assert [value for _, value in topic.sent] == [original], "no empty stand-in record"
    entry = orjson.loads((tmp_path / "spill.jsonl").read_bytes())
    assert base64.b64decode(entry["value_b64"]) == original and entry["reason"] == "record too large"
    assert (counter._value.get(), spilled._value.get(), dropped._value.get()) == (1, 1, 0)
