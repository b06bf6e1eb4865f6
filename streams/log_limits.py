"""Keeping a broker outage from flooding the worker log, and noticing the outage.

While the broker is down, aiokafka retries every ~100 ms per connection and logs each failure at ERROR
(``Unable connect to node with id 1``, ``Unable to update metadata from [1]``, ...): over a thousand lines
a second. :class:`RepeatLimit` is a :class:`logging.Filter` on the library loggers that lets the first
line of each message *template* (logger, level, unformatted message) through, then at most one per
interval, that one carrying the number of lines suppressed since the last. :class:`BrokerWatch` notes
when aiokafka last reported that it could not reach the broker (``/readyz`` and the
``distillguard_broker_unreachable`` gauge read it).

Logger filters only see records logged on their own logger, not on its children, so
:func:`install_filters` puts the filters on every existing logger under the library prefixes; it is
idempotent and cheap, and the worker calls it again periodically for loggers created later (lazy
imports).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

__all__ = [
    "LIMITED_LOGGERS",
    "UNREACHABLE",
    "BrokerWatch",
    "RepeatLimit",
    "install_filters",
]

# Loggers whose repeated warnings and errors are rate-limited (with their children).
LIMITED_LOGGERS = ("aiokafka", "kafka", "faust", "mode")
# aiokafka's messages (templates) when it cannot reach a broker or get metadata.
UNREACHABLE = (
    "Unable connect to",
    "Unable to request metadata",
    "Unable to update metadata",
)


class RepeatLimit(logging.Filter):
    """Pass the first record of each template, then at most one per ``interval_s`` seconds.

    A template is (logger name, level, unformatted message), so lines that differ only in their
    arguments (node id, error text) count as one. The record let through after a quiet period says how
    many lines were suppressed since the previous one: ``... [N similar lines suppressed in 10 s]``.
    Records below ``min_level`` always pass. ``on_suppressed`` is called once per suppressed record
    (the worker counts them in a metric). ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        interval_s: float = 10.0,
        *,
        min_level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
        on_suppressed: Callable[[logging.LogRecord], None] | None = None,
        max_templates: int = 4096,
    ) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.min_level = min_level
        self.clock = clock
        self.on_suppressed = on_suppressed
        self.max_templates = max_templates
        self.suppressed_total = 0
        # template -> [time the last line went out, lines suppressed since]
        self._seen: dict[tuple[str, int, str], list[float]] = {}
        self._lock = threading.Lock()  # aiokafka's consumer runs in a thread of its own

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.min_level or self.interval_s <= 0:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            state = self._seen.get(key)
            if state is None:
                if len(self._seen) >= self.max_templates:
                    self._seen.clear()  # bounded: forgetting only lets a line through early
                self._seen[key] = [now, 0]
                return True
            last, suppressed = state
            if now - last < self.interval_s:
                state[1] = suppressed + 1
                self.suppressed_total += 1
                suppress = True
            else:
                state[0], state[1] = now, 0
                suppress = False
        if suppress:
            if self.on_suppressed is not None:
                self.on_suppressed(record)
            return False
        if suppressed:
            # str(msg) % args is what getMessage() does; the suffix holds no '%'.
            record.msg = f"{record.msg} [{int(suppressed)} similar lines suppressed in {now - last:.0f} s]"
        return True


class BrokerWatch(logging.Filter):
    """Remembers when aiokafka last logged that a broker could not be reached (never drops a record).

    ``unreachable()`` is true while such a line was logged within the last ``window_s`` seconds: during
    an outage aiokafka retries (and logs) several times a second, so the window bridges its retries.
    """

    def __init__(self, window_s: float = 5.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self.last_failure: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if record.levelno >= logging.WARNING and isinstance(msg, str) and msg.startswith(UNREACHABLE):
            self.last_failure = self.clock()
        return True

    def unreachable(self) -> bool:
        last = self.last_failure
        return last is not None and self.clock() - last < self.window_s


def install_filters(filters: Iterable[logging.Filter], prefixes: Iterable[str] = LIMITED_LOGGERS) -> int:
    """Put ``filters`` (in order) on every existing logger named ``prefix`` or ``prefix.*`` that lacks
    them, replacing filters of the same classes; returns how many loggers were newly given them.
    Watchers that must see every record should come before filters that drop records."""
    filters = list(filters)
    prefixes = tuple(prefixes)
    names = [
        name
        for name in [*prefixes, *list(logging.root.manager.loggerDict)]
        if name in prefixes or name.startswith(tuple(p + "." for p in prefixes))
    ]
    kinds = tuple({type(f) for f in filters})
    added = 0
    for name in dict.fromkeys(names):
        logger = logging.getLogger(name)
        if all(f in logger.filters for f in filters):
            continue
        # Replace, not pile up, the filters of an earlier app built in this process (tests build several).
        for old in [f for f in logger.filters if isinstance(f, kinds)]:
            logger.removeFilter(old)
        for f in filters:
            logger.addFilter(f)
        added += 1
    return added
