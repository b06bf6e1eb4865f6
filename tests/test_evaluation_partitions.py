"""The evaluation builds its detectors as the worker is deployed."""

from __future__ import annotations

from distillguard.evaluation.ablations import ablation_factories
from distillguard.evaluation.runner import MAIN_DETECTOR, detector_factories
from distillguard.models.config import DetectionConfig


def test_evaluated_detectors_are_partitioned_like_the_worker() -> None:
    """The soft models are kept per input partition, so the evaluation must build the detector (and its
    ablations) for the worker's ``topics.partitions``, not the library default."""
    main = detector_factories(DetectionConfig(), include_baselines=False, partitions=8)[MAIN_DETECTOR]()
    assert main.accounts.partition_of.partitions == 8
    assert main.clusters.partition_of.partitions == 8
    for build in ablation_factories(DetectionConfig(), partitions=8).values():
        assert build().accounts.partition_of.partitions == 8
