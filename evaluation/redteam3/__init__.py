"""Third red-team scenario generator: reasoning-heavy legitimate individuals versus campaigns that copy them.

Public API: ``generate(split, seed=None, corpora_root=None, scale=1.0)``, ``write(out_dir, ...)`` and
``families()``. See README.md in this directory for the families, the leak levels and the split rule.
"""

from .scenario3 import families, generate, write

__all__ = ["families", "generate", "write"]
