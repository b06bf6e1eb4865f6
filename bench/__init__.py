"""``make bench``: throughput, latency, memory and scaling benchmarks of distillguard on a real Kafka.

Entry point: ``python -m bench.run`` (see ``--help``). Results go to ``bench/results.json`` and a
table in ``BENCHMARKS.md``. Modules:

* :mod:`bench.workload`   fast replicated/perturbed simulator traffic, live (now-stamped) traffic, JSONL
* :mod:`bench.kafka`      bulk producer, topic/offset helpers, the alert tail used for latency
* :mod:`bench.passthrough` a bare Faust agent (raw bytes in → raw bytes out), the throughput ceiling
* :mod:`bench.procs`      worker subprocesses: start, readiness, /metrics polling, RSS sampling
* :mod:`bench.memory`     per-account state size and RSS at 1M accounts, in a clean subprocess
* :mod:`bench.offline`    ``replay_file`` throughput and a cProfile of the offline core
* :mod:`bench.report`     machine info, targets, ``results.json`` and ``BENCHMARKS.md``
"""
