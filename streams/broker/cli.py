"""``distillguard broker ...``: manage the local Kafka 3.9.1 broker from the command line.

The group is importable on its own (no Faust import) and is registered in the main CLI; for direct use
run ``python -m streams.broker.cli start``. Home and port come from ``DISTILLGUARD_BROKER_HOME`` and
``DISTILLGUARD_BROKER_PORT`` unless given as options.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from distillguard.streams.broker.local import (
    KAFKA_VERSION,
    BrokerError,
    LocalBroker,
    default_home,
    default_port,
)

_META_KEY = "distillguard.broker"


def _broker(ctx: click.Context) -> LocalBroker:
    """Build the LocalBroker from the group options (kept in ``ctx.meta``, not ``ctx.obj``).

    ``ctx.meta`` is used because the parent ``distillguard`` CLI may own ``ctx.obj`` (e.g. settings).
    """
    options = ctx.meta.get(_META_KEY, {})
    home: Path | None = options.get("home")
    port: int | None = options.get("port")
    try:
        return LocalBroker(
            home=home if home is not None else default_home(),
            port=port if port is not None else default_port(),
        )
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc


def _echo_json(data: object) -> None:
    """Print ``data`` as indented JSON on stdout (machine-readable for scripts and CI)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group(name="broker")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Broker home (jars, config, data, logs). Default: $DISTILLGUARD_BROKER_HOME, .distillguard/broker",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="PLAINTEXT port on 127.0.0.1 (controller uses port+1). Default: $DISTILLGUARD_BROKER_PORT or 19092.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what the broker manager does.")
@click.pass_context
def broker(ctx: click.Context, home: Path | None, port: int | None, verbose: bool) -> None:
    """Run a local single-node Apache Kafka broker (KRaft, loopback only) from Maven-resolved jars."""
    ctx.meta[_META_KEY] = {"home": home, "port": port}
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("kafka").setLevel(logging.WARNING)


@broker.command()
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait for readiness.")
@click.pass_context
def start(ctx: click.Context, timeout: float) -> None:
    """Fetch jars if needed, format storage if new, start the broker and wait until it is ready."""
    local = _broker(ctx)
    was_running = local.is_running()
    if not local.is_fetched():
        click.echo(f"Resolving Kafka {KAFKA_VERSION} jars with Maven (first run only)...", err=True)
    try:
        seconds = local.start(timeout=timeout)
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    if was_running:
        click.echo(f"Kafka already running on {local.bootstrap} (pid {local.pid()})", err=True)
    else:
        click.echo(f"Kafka {KAFKA_VERSION} ready on {local.bootstrap} in {seconds:.1f}s", err=True)
    _echo_json(local.status())


@broker.command()
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds before SIGKILL.")
@click.pass_context
def stop(ctx: click.Context, timeout: float) -> None:
    """Stop the broker (SIGTERM, SIGKILL after --timeout); a no-op if it is not running."""
    local = _broker(ctx)
    try:
        stopped = local.stop(timeout=timeout)
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("stopped" if stopped else "not running", err=True)


@broker.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Print the broker status as JSON; exit code 0 when running, 1 otherwise."""
    local = _broker(ctx)
    info = local.status()
    _echo_json(info)
    ctx.exit(0 if info["running"] else 1)


@broker.command()
@click.option("--force", is_flag=True, help="Re-copy the jars even if they are already present.")
@click.pass_context
def fetch(ctx: click.Context, force: bool) -> None:
    """Resolve the Kafka jars from Maven Central into <home>/libs (idempotent)."""
    local = _broker(ctx)
    try:
        libs = local.fetch(force=force)
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(libs))


@broker.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def wipe(ctx: click.Context, yes: bool) -> None:
    """Stop the broker if running and delete its data dir (all topics, offsets and metadata)."""
    local = _broker(ctx)
    if not yes:
        click.confirm(f"Delete all Kafka data in {local.data_dir}?", abort=True)
    try:
        stopped = local.wipe()
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wiped {local.data_dir}" + (" (broker stopped)" if stopped else ""), err=True)


cli = broker
"""Alias for registration in the main CLI: ``main.add_command(cli)``."""


if __name__ == "__main__":
    broker()
