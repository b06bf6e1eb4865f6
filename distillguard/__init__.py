"""distillguard: streaming detection of distillation attacks on LLM APIs.

The repository keeps the design card's top-level folders (``models/``, ``streams/``, ``schemas/``,
``evaluation/``); installed, they live under this one namespace so that no generic top-level name
(``models``, ``streams``) is put into site-packages:

- :mod:`distillguard.schemas`: the wire contract (RequestEvent, SuspicionEvent) and its codec;
- :mod:`distillguard.models`: the pure detection core (no Kafka import);
- :mod:`distillguard.streams`: the Faust worker, replay, CLI and the local broker;
- :mod:`distillguard.evaluation`: offline tools (simulator, red-team scenarios, metrics, baselines),
  never imported by the runtime.

>>> import distillguard
>>> distillguard.__version__
'0.2.0'
"""

__version__ = "0.2.0"
