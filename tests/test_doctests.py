"""The tiny runnable examples in the core's docstrings are tests too."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

from distillguard import models, schemas

MODULES = sorted(
    [
        *(
            f"{package.__name__}.{info.name}"
            for package in (models, schemas)
            for info in pkgutil.iter_modules(package.__path__)
        ),
        "distillguard.streams.pacing",  # the shell's pure-logic module with examples
        "distillguard.streams.operator_cli",  # which topics exist before the worker starts
        "distillguard.streams.replay",  # how late an input's events are
        "distillguard.evaluation.compare",
        "distillguard.evaluation.content_shift",
    ]
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest failure(s) in {name}"
