"""The throughput ceiling: a bare Faust agent that copies raw records from one topic to another.

Same Faust version, broker, topic, partition count and app settings as the detection worker
(``streams/app.py``: at-least-once, memory store, 5 ms producer linger, per-event ``stream.events()``
loop, raw key/value serializers), but no decoding, state or detection. Run as a worker subprocess::

    python -m bench.passthrough --app-id X --bootstrap H:P --source T --sink T2 --web-port 6099

``/stats`` reports the consumed count and the wall times of the first and last record; ``/readyz``
behaves like the detection worker's.

``--batched`` is the ceiling for a batching worker (what ``streams/app.py`` does since the agents process
batches): the records already fetched, up to ``--batch-max``, are copied one output record each, the
batch's sends are awaited once for delivery, then the batch is acked (``noack()`` stream, manual acks).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from typing import Any

import faust


def create_passthrough(
    app_id: str,
    bootstrap: str,
    source: str,
    sink: str,
    partitions: int,
    web_port: int,
    data_dir: str,
    *,
    batched: bool = False,
    batch_max: int = 500,
) -> faust.App:
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=data_dir,
        topic_partitions=partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        web_host="127.0.0.1",
        web_port=web_port,
        web_in_thread=True,
        producer_linger_ms=5,
        producer_max_batch_size=512 * 1024,  # as streams.app.PRODUCER_MAX_BATCH_BYTES
        stream_wait_empty=False,
    )

    def raw_topic(name: str) -> Any:
        return app.topic(
            name,
            key_type=str,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )

    src, dst = raw_topic(source), raw_topic(sink)
    stats = {"count": 0, "first": None, "last": None}

    @app.agent(src, name="passthrough")
    async def passthrough(stream: Any) -> None:
        if batched:
            await copy_batches(stream)
            return
        async for event in stream.events():
            now = time.time()
            if stats["first"] is None:
                stats["first"] = now
            stats["count"] += 1
            stats["last"] = now
            await dst.send(key=event.key, value=event.value)

    async def copy_batches(stream: Any) -> None:
        noack = stream.noack()
        queue = noack.channel.queue
        batch: list[Any] = []
        async for event in noack.events():
            batch.append(event)
            if len(batch) < batch_max and not queue.empty():
                continue
            now = time.time()
            if stats["first"] is None:
                stats["first"] = now
            sent = [await dst.send(key=e.key, value=e.value) for e in batch]
            await asyncio.gather(*sent)
            for e in batch:
                await noack.ack(e)
            stats["count"] += len(batch)
            stats["last"] = time.time()
            batch = []

    @app.page("/stats")
    async def stats_page(web: Any, request: Any) -> Any:
        return web.json(stats)

    @app.page("/readyz")
    async def ready(web: Any, request: Any) -> Any:
        is_ready = app.rebalancing is False and bool(app.consumer.assignment())
        return web.json({"ready": is_ready}, status=200 if is_ready else 503)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--web-port", type=int, required=True)
    parser.add_argument("--data-dir", default=".distillguard/bench-passthrough")
    parser.add_argument("--batched", action="store_true", help="copy in batches, ack after delivery")
    parser.add_argument("--batch-max", type=int, default=500)
    args = parser.parse_args()
    app = create_passthrough(
        args.app_id,
        args.bootstrap,
        args.source,
        args.sink,
        args.partitions,
        args.web_port,
        args.data_dir,
        batched=args.batched,
        batch_max=args.batch_max,
    )
    # As the detection worker does (streams.app.pin_library_log_levels, not imported: this process stays
    # bare): at WARNING, faust.Worker sets the root logger to DEBUG for its spinner, which makes every
    # aiokafka/Faust debug call build a LogRecord.
    for name in ("aiokafka", "faust", "mode", "kafka"):
        logging.getLogger(name).setLevel("WARNING")
    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
