"""``distillguard``: the command line. Every command reads the same settings object.

distillguard broker start|stop|status      local Kafka 3.9 broker (KRaft, loopback)
distillguard topics                        create the topics the worker uses
distillguard worker                        run the Faust detection worker
distillguard replay --input F --output F   offline replay from JSONL (stable contract)
distillguard replay --topic T ...          replay a topic range with its own reader
distillguard config                        print the effective settings (secrets hidden)

The offline tools (``simulate``, ``evaluate``, ``demo``) are not part of the runtime: they live in
``distillguard.evaluation.cli`` and join this group through the ``distillguard.commands`` entry point
group, loaded only when one of them is invoked, so ``worker`` and ``replay`` never import the simulator.
"""

from __future__ import annotations

import errno
import socket
import sys
import time
from datetime import datetime
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import click
import orjson

from distillguard.streams.broker.cli import broker
from distillguard.streams.settings import ConfigError, Settings, load_settings

CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (env vars DISTILLGUARD_* still override it).",
)


def settings_or_exit(config_file: Path | None) -> Settings:
    try:
        return load_settings(config_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def web_port_problem(host: str, port: int) -> str | None:
    """Why the worker's HTTP server could not listen on ``host:port`` (one line), or None if it can.

    Binds a throwaway socket the way aiohttp binds (SO_REUSEADDR, so a port in TIME_WAIT is free).
    Port 0 (any free port) is always fine."""
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"worker.web_host {host!r} does not resolve ({exc.strerror}); set worker.web_host"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"worker.web_port {port} is already in use on {host} (another worker?); choose a free "
                    "port with --web-port, worker.web_port in the config file or "
                    "DISTILLGUARD_WORKER__WEB_PORT"
                )
            return (
                f"cannot listen on worker.web_host {host} port {port} ({exc.strerror}); check "
                "worker.web_host / DISTILLGUARD_WORKER__WEB_HOST and worker.web_port / --web-port"
            )
    return None


class ProgressLine:
    """A one-line progress report on stderr for long runs (records and rate)."""

    def __init__(self, label: str, every: int = 20_000, enabled: bool = True) -> None:
        self.label, self.every, self.enabled = label, every, enabled
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        if self.enabled and done % self.every == 0:
            rate = done / max(1e-9, time.monotonic() - self.started)
            click.echo(f"\r{self.label}: {done:,} records, {rate:,.0f}/s", err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("", err=True)


def _parse_time(value: str | None) -> int | None:
    """Epoch ms from an integer or an ISO-8601 timestamp."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class PluginGroup(click.Group):
    """A click group that also offers the commands registered under the ``distillguard.commands``
    entry point group, importing a plugin's module only when its command is invoked or listed."""

    ENTRY_POINT_GROUP = "distillguard.commands"

    def _plugins(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=self.ENTRY_POINT_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        plugin = self._plugins().get(cmd_name)
        return plugin.load() if plugin is not None else None


@click.group(cls=PluginGroup)
def main() -> None:
    """distillguard: streaming detection of distillation attacks on LLM APIs."""


main.add_command(broker)


@main.group(invoke_without_command=True)
@CONFIG_OPTION
@click.pass_context
def config(ctx: click.Context, config_file: Path | None) -> None:
    """Print the effective settings as JSON (secrets masked); ``config push FILE`` sends a live update."""
    if ctx.invoked_subcommand is None:
        click.echo(settings_or_exit(config_file).model_dump_json(indent=2))


@main.command()
@CONFIG_OPTION
def topics(config_file: Path | None) -> None:
    """Create the request, alert and dead-letter topics and the worker's internal ones (idempotent).

    The request and dead-letter topics get the ``max.message.bytes`` the settings derive from
    ``worker.max_record_bytes``; existing topics are left alone but checked (too small: an error)."""
    from distillguard.streams.topic_limits import (
        create_project_topics,
        limit_problems,
        live_max_message_bytes,
        project_topics,
    )

    s = settings_or_exit(config_file)
    # The worker's internal topics too: on a fresh cluster a consumer may otherwise ignore them until
    # its next metadata refresh, leaving the later stages idle.
    names = project_topics(s)
    create_project_topics(s)
    problems = limit_problems(s, live_max_message_bytes(s, [s.topics.requests, s.topics.dead_letter]))
    if problems:
        raise click.ClickException("; ".join(problems))
    limits = s.topic_size_limits
    click.echo(
        f"topics ready on {s.bootstrap_servers}: {', '.join(names)} "
        f"(max.message.bytes: requests {limits.requests}, dead-letter {limits.dead_letter})"
    )


@main.command()
@CONFIG_OPTION
@click.option("--web-port", type=int, default=None, help="HTTP port for /metrics, /healthz, /readyz.")
def worker(config_file: Path | None, web_port: int | None) -> None:
    """Run the Faust detection worker until interrupted."""
    s = settings_or_exit(config_file)
    if web_port is not None:
        s = s.model_copy(update={"worker": s.worker.model_copy(update={"web_port": web_port})})
    # Before Faust or Kafka are touched: Faust starts its web server only after joining the group, and
    # a taken port then killed the worker with a bare OSError.
    problem = web_port_problem(s.worker.web_host, s.worker.web_port)
    if problem:
        raise click.ClickException(problem)
    # Before consuming: the live request and dead-letter topics must hold what the worker accepts.
    from distillguard.streams.topic_limits import TopicLimitError, ensure_topic_limits

    try:
        ensure_topic_limits(s)
    except TopicLimitError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # broker not reachable yet: the worker waits for it as before
        click.echo(f"warning: could not check the topics' max.message.bytes: {exc!r}", err=True)
    from distillguard.streams.operator_cli import ensure_operator_topics

    try:  # the operator loop's topics the worker only writes to (Faust creates the ones it reads)
        ensure_operator_topics(s)
    except Exception as exc:
        click.echo(f"warning: could not create the operator topics: {exc!r}", err=True)

    import faust

    from distillguard.streams.app import create_app

    topology = create_app(s)
    faust.Worker(topology.app, loglevel=s.worker.log_level, quiet=True).execute_from_commandline()


@main.command()
@CONFIG_OPTION
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--topic", default=None, help="Replay this Kafka topic instead of a file.")
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write alerts as JSONL here.",
)
@click.option(
    "--alerts-topic", default=None, help="Topic mode: produce alerts to this topic (not the live one)."
)
@click.option(
    "--dlq",
    "dlq_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write invalid records here (original bytes base64 + reason).",
)
@click.option("--from-time", default=None, help="Topic mode: start at this time (epoch ms or ISO-8601).")
@click.option("--to-time", default=None, help="Topic mode: stop at this time (epoch ms or ISO-8601).")
@click.option(
    "--from-offset", type=int, default=None, help="Topic mode: start at this offset in every partition."
)
@click.option("--group-id", default=None, help="Topic mode: reader name (never commits; default: unique).")
@click.option(
    "--shards",
    type=click.IntRange(0, 64),
    default=None,
    help="File mode: run the account and cluster stages as K processes each, keyed like K partitions "
    "(0: all in this process; 1: same output as 0, pipelined). Default: replay.shards.",
)
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when a TTY).")
@click.option(
    "--feedback",
    "feedback_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File mode: analysts' labels (FeedbackEvent JSONL), applied by their ts.",
)
@click.option(
    "--challenger",
    "challenger_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File mode: a challenger config (TOML/JSON of the live-changeable detection sections) run beside "
    "the live one; disagreements are counted in the summary.",
)
@click.option(
    "--challenger-output",
    "challenger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File mode: write the challenger's alerts here.",
)
def replay(
    config_file: Path | None,
    input_path: Path | None,
    topic: str | None,
    output_path: Path | None,
    alerts_topic: str | None,
    dlq_path: Path | None,
    from_time: str | None,
    to_time: str | None,
    from_offset: int | None,
    group_id: str | None,
    shards: int | None,
    progress: bool | None,
    feedback_path: Path | None,
    challenger_file: Path | None,
    challenger_path: Path | None,
) -> None:
    """Run the detection core over history: a JSONL file or a topic range."""
    from distillguard.models.detector import Detector
    from distillguard.streams.replay import input_warnings, jsonl_writers, replay_file, replay_records

    s = settings_or_exit(config_file)
    show = sys.stderr.isatty() if progress is None else progress
    bar = ProgressLine("replay", enabled=show)
    if (input_path is None) == (topic is None):
        raise click.UsageError("give exactly one of --input FILE or --topic NAME")
    if input_path is not None:
        if output_path is None:
            raise click.UsageError("--input needs --output FILE")
        shards = s.replay.shards if shards is None else shards
        if shards and (feedback_path is not None or challenger_file is not None):
            raise click.UsageError("--feedback and --challenger run in one process: use --shards 0")
        challenger = None
        if challenger_file is not None:
            from distillguard.models.live_config import ConfigUpdateError, apply_update
            from distillguard.streams.operator_cli import read_update_file

            try:
                challenger = apply_update(s.detection, {}, read_update_file(challenger_file)).config
            except ConfigUpdateError as exc:
                raise click.ClickException(f"challenger {challenger_file}: {exc}") from None
        if shards:
            from distillguard.streams.sharded_replay import replay_file_sharded

            stats = replay_file_sharded(
                input_path,
                output_path,
                s.detection,
                shards,
                dlq_path=dlq_path,
                max_record_bytes=s.worker.max_record_bytes,
                progress=bar,
                chunk_events=s.replay.chunk_events,
                pipeline_depth=s.replay.pipeline_depth,
                partitions=s.topics.partitions,
            )
        else:
            try:
                stats = replay_file(
                    input_path,
                    output_path,
                    s.detection,
                    dlq_path=dlq_path,
                    max_record_bytes=s.worker.max_record_bytes,
                    progress=bar,
                    feedback_path=feedback_path,
                    challenger=challenger,
                    challenger_path=challenger_path,
                    partitions=s.topics.partitions,
                )
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
    else:
        from distillguard.streams.kafka_io import iter_topic, make_producer

        if shards:
            raise click.UsageError("--shards applies to file replay (--input) only")
        if feedback_path is not None:
            raise click.UsageError("--feedback applies to file replay (--input) only")

        if (output_path is None) == (alerts_topic is None):
            raise click.UsageError("topic replay needs exactly one of --output FILE or --alerts-topic NAME")
        if alerts_topic == s.topics.alerts:
            raise click.UsageError("refusing to replay into the live alert topic; name a separate one")
        reader = group_id or f"{s.worker.app_id}-replay-{int(time.time())}"
        records = iter_topic(
            s,
            topic,
            group_id=reader,
            start_ms=_parse_time(from_time),
            end_ms=_parse_time(to_time),
            start_offset=from_offset,
        )
        producer = make_producer(s) if alerts_topic else None
        try:
            with jsonl_writers(output_path, dlq_path) as (write_alert, write_dlq):
                if producer is not None:

                    def write_alert(encoded: bytes, key: str) -> None:
                        producer.send(alerts_topic, key=key.encode(), value=encoded)

                assert write_alert is not None
                stats = replay_records(
                    records,
                    Detector(s.detection, partitions=s.topics.partitions),
                    write_alert,
                    write_dlq,
                    max_record_bytes=s.worker.max_record_bytes,
                    progress=bar,
                )
        finally:
            if producer is not None:
                producer.flush()
                producer.close()
    bar.close()
    for warning in input_warnings(stats):
        click.echo(warning, err=True)
    click.echo(orjson.dumps(stats.as_dict()).decode(), err=True)  # the last line: read by scripts


def _register_operator_commands() -> None:
    from distillguard.streams.operator_cli import register

    register(main, config, settings_or_exit, CONFIG_OPTION)


_register_operator_commands()

if __name__ == "__main__":
    main()
