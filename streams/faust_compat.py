"""The only place the worker touches Faust internals (checked against faust-streaming 0.15.3).

Everything else uses Faust's public API. Each function here wraps one private name that has no public
equivalent; after a Faust upgrade, re-check these two against ``faust/streams.py`` and
``faust/transport/consumer.py`` (tests/test_faust_compat.py fails if either name disappears).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Why private: Faust has a public getter for the event being processed (faust.streams.current_event())
# but no setter; its own stream iterator sets this context variable directly (0.15.3: Stream._c_aiter,
# Stream._set_current_event). Table.partition_for_key reads only current_event(), so it is the one way to
# tell a table which changelog partition a write outside of that iteration (our batched flush) belongs to.
from faust.streams import _current_event

FAUST_VERSION_CHECKED = "0.15.3"


@contextmanager
def current_event(event: Any) -> Iterator[None]:
    """Make ``event`` Faust's current event within the block (what ``faust.streams.current_event()``
    returns, so table writes go to its partition's changelog), then restore the previous one."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def committed_offset(consumer: Any, tp: Any) -> int | None:
    """The last committed offset of an assigned partition as the Faust consumer knows it (None if none).

    Why private: ``Consumer._committed_offset`` is filled from the group's committed offsets when a
    partition is assigned and updated on every commit, and Faust has no public getter for it. The public
    alternatives are not the same number: ``app.monitor.tp_committed_offsets`` only holds what this
    process has committed (nothing after a restart until its first commit), and aiokafka's
    ``committed()`` asks the group coordinator (a broker round trip per partition per gauge update).
    """
    return consumer._committed_offset.get(tp)  # type: ignore[no-any-return]
