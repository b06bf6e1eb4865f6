"""Second-generation red-team scenario generator for distillguard: adaptive operators, written blind.

Public API: ``generate(split, seed=None, corpora_root=None, scale=1.0)`` and ``write(out_dir, ...)``.
See README.md in this directory for the families and the dev/blind split rule.
"""

from .scenario import families, generate, write

__all__ = ["families", "generate", "write"]
