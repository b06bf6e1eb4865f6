"""Every red-team generator writes the same bytes whatever the interpreter's string-hash seed: a set of
strings iterated while a seeded RNG is drawn made ``redteam3`` differ between processes (fixed by sorting),
which a same-process determinism test cannot see. Blind splits are regenerated on other machines and
must be the traffic the documented numbers were measured on."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
from distillguard.evaluation.cli import _redteam_module
name, out = sys.argv[1], sys.argv[2]
split = "dev" if name.endswith("-dev") else "blind"
_redteam_module(name).write(out, split, scale=0.03)
"""


def _digest(name: str, out: Path, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DISTILLGUARD_CORPORA": str(out / "no-corpora")}
    subprocess.run([sys.executable, "-c", SCRIPT, name, str(out)], check=True, env=env, capture_output=True)
    written = (out / "events.jsonl").read_bytes() + (out / "labels.jsonl").read_bytes()
    return hashlib.sha256(written).hexdigest()


@pytest.mark.parametrize("name", ["redteam-dev", "redteam2", "redteam3-dev", "redteam3"])
def test_output_does_not_depend_on_the_hash_seed(name: str, tmp_path: Path) -> None:
    assert _digest(name, tmp_path / "a", "1") == _digest(name, tmp_path / "b", "3")
