"""distillguard detection core: a pure library (no Kafka), deterministic given its config and seed.

Modules, one concept each: :mod:`models.config` (every threshold), :mod:`models.features` (per-request
features), :mod:`models.embedder` (hashed n-gram embeddings), :mod:`models.clustering` (stable prompt
clusters), :mod:`models.sketches` (HyperLogLog, count-min), :mod:`models.account_state`,
:mod:`models.cluster_state`, :mod:`models.burst` (MIDAS-style), :mod:`models.population` (HalfSpaceTrees),
:mod:`models.campaigns` (linking), :mod:`models.fusion` (score, severity, reasons, cooldown),
:mod:`models.stages` (the two keyed stages) and :mod:`models.detector` (both stages in one process).
"""
