"""Offline, reproducible training of the content model (:mod:`models.content`).

Usage::

    python -m distillguard.models.train_content [--corpora DIR] [--out models/data/content_weights.npz]

``--corpora`` defaults to ``$DISTILLGUARD_CORPORA`` or ``../shared/corpora`` next to the repository; when
that folder is absent the script fails loudly (it is an offline tool: inference never needs the corpora).

Training data
-------------
Only permissively licensed corpora are read (licences from the corpora's ``README.md``/``manifest.json``):

============================  ===============  =========================================================
corpus                        licence          use
============================  ===============  =========================================================
gsm8k                         MIT              capability
mgsm (bn de es fr ja ru sw    CC-BY-4.0        capability (10 languages); also task text for composites
te th zh)
math_test_5000                MIT              capability
mmlu_test                     MIT              capability (exam / multiple choice)
commonsenseqa_dev             MIT              capability (multiple choice)
humaneval, codecontests_test  MIT              capability (code)
gpteacher_codegen             MIT              capability (code)
gpteacher_toolformer          MIT              capability (tool use)
apibank_queries               Apache-2.0       capability (tool use)
math_wordproblems_misc        MIT / Apache     capability; only gsm_hard, svamp, mawps (MIT) and mathqa
                                               (Apache-2.0) rows -- asdiv (CC-BY-NC-4.0) is dropped
gpteacher_roleplay            MIT              synthetic (machine-written instruction data)
alpaca_seed_tasks             Apache-2.0       seed tasks inside synthetic composites only
rulm_ru_seed_tasks            Apache-2.0       seed tasks inside synthetic composites only
oasst_prompts                 Apache-2.0       mundane (rows flagged ``synthetic`` dropped)
awesome_chatgpt_prompts       CC0-1.0          mundane (en, zh, ru, ar)
arena_hard_v2.0               Apache-2.0       creative_writing -> mundane; hard coding/maths -> capability
arena_hard_v0.1               Apache-2.0       mundane (capability head not trained on it: mostly technical)
mt_bench_en                   Apache-2.0       maths/coding/reasoning -> capability; the rest -> mundane
============================  ===============  =========================================================

Not used: alpaca_5000, alpaca_eval_805, hh_rlhf_helpful_base_via_alpaca_eval, wizardlm_testset
(CC-BY-NC), alpaca_chinese_5000 and sharegpt_sample_1000 (no licence), cmmlu_test_zh (CC-BY-NC-SA),
math500 (a subset of math_test_5000).

No corpus labels ``elicitation`` or ``grading``: the project's own labelled phrasings in
``data/content_examples.jsonl`` (en zh ru es de fr ja ko pt it, and a few phrasings in ar hi tr vi pl nl id
(field labels of grading composites fall back to English there); elicitation and grading
instructions, self-instruct generation requests, multilingual ordinary chat including hard negatives,
a few capability tasks for languages no corpus covers) are composed with corpus task text: an
instruction before or after a task (various separators), a grading instruction around a question and
one or two candidate responses, a generation request around numbered seed tasks. ``{n}`` in a
synthetic request is a random count.

Splits
------
Every corpus row is assigned by a hash of its normalised text (lower-cased, whitespace collapsed;
BLAKE2b): one in :data:`HELDOUT_MODULUS` rows is held out. Identical prompts in two corpora land in the
same split. Composites are built from train-split task text for training and from held-out task text
for evaluation. ``data/content_examples_heldout.jsonl`` holds phrasings written separately and never
trained on; they are evaluated alone and composed with held-out tasks.

Model and fit
-------------
Features are :func:`models.content.hashed_ngrams` counts scaled by ``1/sqrt(n_grams)``; five one-vs-rest
logistic heads share them. Each row carries a 0/1 mask per head (a head is not trained on rows whose
label for it is ambiguous, e.g. the capability head on grading composites). The masked, weighted log
loss plus an L2 penalty is minimised with L-BFGS (SciPy, float64, single-threaded sparse products),
from zeros, for a fixed number of iterations. All sampling uses ``numpy.random.default_rng(SEED)`` in a
fixed order, so a run is deterministic: the test suite retrains and compares with the committed weights
(stored as float16).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from distillguard.models.content import (
    BITS,
    CLASSES,
    DEFAULT_WEIGHTS,
    HEAD_CHARS,
    MAX_ORDER,
    TAIL_CHARS,
    ContentModel,
    hashed_ngrams,
)

SEED = 20261129
HELDOUT_MODULUS = 5  # one row in five is held out
PER_CORPUS_CAP = 1200  # training rows per corpus (largest corpora are subsampled deterministically)
COMPOSITES_PER_INSTRUCTION = 6
OWN_EXAMPLE_REPEATS = 3  # own standalone examples (multilingual mundane, capability) count this often
L2 = 1e-5
MAX_ITER = 150
DATA_DIR = Path(__file__).resolve().parent / "data"
EXAMPLES = DATA_DIR / "content_examples.jsonl"
HELDOUT_EXAMPLES = DATA_DIR / "content_examples_heldout.jsonl"
K = {name: i for i, name in enumerate(CLASSES)}
LANGS = ("en", "zh", "ru", "es", "de", "fr", "ja", "ko", "pt", "it")

# (corpus, role): role "capability" / "mundane" / "synthetic" rows are standalone examples; "seed" rows
# only fill synthetic composites. Functions below refine roles per row (arena, mt_bench, misc maths).
CORPORA = (
    ("gsm8k", "capability"),
    ("mgsm", "capability"),
    ("math_test_5000", "capability"),
    ("mmlu_test", "capability"),
    ("commonsenseqa_dev", "capability"),
    ("humaneval", "capability"),
    ("codecontests_test", "capability"),
    ("gpteacher_codegen", "capability"),
    ("gpteacher_toolformer", "capability"),
    ("apibank_queries", "capability"),
    ("math_wordproblems_misc", "capability"),
    ("gpteacher_roleplay", "synthetic"),
    ("alpaca_seed_tasks", "seed"),
    ("rulm_ru_seed_tasks", "seed"),
    ("oasst_prompts", "mundane"),
    ("awesome_chatgpt_prompts", "mundane"),
    ("arena_hard_v2.0", "mundane"),
    ("arena_hard_v0.1", "mundane"),
    ("mt_bench_en", "mundane"),
)
_MISC_PERMISSIVE = frozenset({"gsm_hard", "svamp", "mawps", "mathqa"})
_MT_BENCH_CAPABILITY = frozenset({"math", "coding", "reasoning"})

# Field labels for grading composites, per language (question, response).
_QA_LABELS = {
    "en": [
        ("Question", "Answer"),
        ("[Instruction]", "[Response]"),
        ("### Prompt", "### Response"),
        ("Q", "A"),
    ],
    "zh": [("问题", "回答"), ("【题目】", "【作答】")],
    "ru": [("Вопрос", "Ответ"), ("Задание", "Решение")],
    "es": [("Pregunta", "Respuesta")],
    "de": [("Frage", "Antwort"), ("Aufgabe", "Lösung")],
    "fr": [("Question", "Réponse"), ("Énoncé", "Solution")],
    "ja": [("質問", "回答"), ("問題", "解答")],
    "ko": [("질문", "답변"), ("문제", "풀이")],
    "pt": [("Pergunta", "Resposta")],
    "it": [("Domanda", "Risposta")],
}
_SEPARATORS = ("\n\n", "\n", " ", "\n\n---\n\n", "\n\n###\n\n", "\n\n\n", " -- ")
_SHORT_ANSWERS = (
    "42",
    "The answer is 7.",
    "B",
    "x = 3",
    "答案是 12。",
    "Ответ: 5.",
    "C) 18",
    "True",
    "return n * 2",
)


@dataclass
class Row:
    text: str
    y: list[float] = field(default_factory=lambda: [0.0] * len(CLASSES))
    mask: list[float] = field(default_factory=lambda: [1.0] * len(CLASSES))
    weight: float = 1.0
    group: str = ""
    lang: str = "en"


def _label(text: str, group: str, lang: str = "en", positive=(), masked=(), weight: float = 1.0) -> Row:
    row = Row(text=text, group=group, lang=lang, weight=weight)
    for name in positive:
        row.y[K[name]] = 1.0
    for name in masked:
        row.mask[K[name]] = 0.0
    return row


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def is_heldout(text: str) -> bool:
    digest = hashlib.blake2b(normalised(text).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % HELDOUT_MODULUS == 0


def _order_key(text: str) -> bytes:
    """A deterministic pseudo-random order for subsampling (independent of the split hash)."""
    return hashlib.blake2b(
        normalised(text).encode("utf-8", "surrogatepass"), digest_size=8, person=b"order"
    ).digest()


def default_corpora() -> Path:
    env = os.environ.get("DISTILLGUARD_CORPORA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Pools:
    """Standalone rows and task texts per split."""

    standalone: list[Row]
    capability_tasks: list[tuple[str, str]]  # (text, lang)
    mundane_tasks: list[str]
    seed_tasks: list[str]


def load_corpora(corpora: Path, heldout: bool, cap: int = PER_CORPUS_CAP) -> Pools:
    """Rows of one split (``heldout`` or train) of every permissively licensed corpus."""
    if not corpora.is_dir():
        raise SystemExit(
            f"train_content: corpora folder {corpora} not found (pass --corpora DIR or set "
            "DISTILLGUARD_CORPORA); training is offline-only and needs the shared prompt corpora"
        )
    pools = Pools([], [], [], [])
    seen: set[str] = set()
    for name, role in CORPORA:
        path = corpora / name / "prompts.jsonl"
        if not path.is_file():
            raise SystemExit(f"train_content: missing corpus file {path}")
        rows = []
        for rec in read_jsonl(path):
            text = rec.get("prompt") or ""
            key = normalised(text)
            if not key or key in seen or is_heldout(text) != heldout:
                continue
            if name == "oasst_prompts" and rec.get("synthetic"):
                continue
            if name == "math_wordproblems_misc" and rec.get("source") not in _MISC_PERMISSIVE:
                continue
            seen.add(key)
            rows.append(rec)
        rows.sort(key=lambda r: _order_key(r["prompt"]))
        if not heldout:
            rows = rows[:cap]
        for rec in rows:
            text, lang = rec["prompt"], rec.get("lang") or "en"
            group = f"corpus:{name}"
            if role == "seed":
                pools.seed_tasks.append(text)
                continue
            if role == "synthetic":
                pools.standalone.append(_label(text, group, lang, positive=["synthetic"]))
                pools.seed_tasks.append(text)
                continue
            capability = role == "capability"
            masked: list[str] = []
            if name == "arena_hard_v2.0":
                capability = rec.get("category") == "hard_prompt"
            elif name == "mt_bench_en":
                capability = rec.get("category") in _MT_BENCH_CAPABILITY
            elif name == "arena_hard_v0.1":
                masked = ["capability"]
            if capability:
                pools.standalone.append(_label(text, group, lang, positive=["capability"]))
                pools.capability_tasks.append((text, lang))
            else:
                pools.standalone.append(_label(text, group, lang, positive=["mundane"], masked=masked))
                pools.mundane_tasks.append(text)
            if name == "gpteacher_codegen" and not heldout:
                pools.seed_tasks.append(text)
    return pools


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _task(rng: np.random.Generator, pools: Pools, lang: str) -> tuple[str, bool]:
    """A task text (preferring the instruction's language for maths), and whether it is capability."""
    u = rng.random()
    if u < 0.25:
        return _pick(rng, pools.mundane_tasks), False
    same = [t for t, tl in pools.capability_tasks if tl == lang] if u < 0.6 and lang != "en" else []
    return (_pick(rng, same) if same else _pick(rng, pools.capability_tasks)[0]), True


def _attach(rng: np.random.Generator, instruction: str, task: str) -> str:
    sep = _pick(rng, _SEPARATORS)
    return f"{instruction}{sep}{task}" if rng.random() < 0.35 else f"{task}{sep}{instruction}"


def _response(rng: np.random.Generator, pools: Pools) -> str:
    if rng.random() < 0.3:
        return _pick(rng, _SHORT_ANSWERS)
    text = _pick(rng, pools.mundane_tasks if rng.random() < 0.5 else pools.seed_tasks)
    return text[: int(rng.integers(60, 400))]


def compose(
    rng: np.random.Generator,
    examples: list[dict],
    pools: Pools,
    per_instruction: int,
    group: str,
    standalone: bool = True,
) -> list[Row]:
    """Rows built from labelled phrasings and corpus task text (see the module docstring).

    ``standalone`` adds each phrasing alone too (and the own mundane / capability examples).
    """
    rows: list[Row] = []
    for ex in examples:
        label, lang, text = ex["label"], ex["lang"], ex["text"]
        if label in ("mundane", "capability"):
            if standalone:
                rows.append(
                    _label(text, f"{group}:{label}", lang, positive=[label], weight=OWN_EXAMPLE_REPEATS)
                )
            continue
        if label == "elicitation":
            if standalone:
                rows.append(
                    _label(text, f"{group}:elicitation", lang, positive=["elicitation"], masked=["mundane"])
                )
            for _ in range(per_instruction):
                task, capability = _task(rng, pools, lang)
                positive = ["elicitation", "capability"] if capability else ["elicitation"]
                rows.append(_label(_attach(rng, text, task), f"{group}:elicitation", lang, positive=positive))
                # The same task without the instruction, as a negative: only the instruction discriminates.
                rows.append(
                    _label(task, f"{group}:pair", lang, positive=["capability" if capability else "mundane"])
                )
        elif label == "grading":
            if standalone:
                rows.append(
                    _label(
                        text,
                        f"{group}:grading",
                        lang,
                        positive=["grading"],
                        masked=["elicitation", "capability"],
                    )
                )
            for _ in range(per_instruction):
                task, _ = _task(rng, pools, lang)
                labels = _QA_LABELS.get(lang, _QA_LABELS["en"])
                q, a = _pick(rng, labels if rng.random() < 0.6 else _QA_LABELS["en"])
                if rng.random() < 0.4:
                    body = f"{q}: {task}\n\n{a} A: {_response(rng, pools)}\n\n{a} B: {_response(rng, pools)}"
                else:
                    body = f"{q}: {task}\n\n{a}: {_response(rng, pools)}"
                rows.append(
                    _label(
                        _attach(rng, text, body),
                        f"{group}:grading",
                        lang,
                        positive=["grading"],
                        masked=["elicitation", "capability"],
                    )
                )
        elif label == "synthetic":
            for i in range(per_instruction + 1):
                request = text.replace("{n}", str(int(rng.integers(3, 120))))
                k = int(rng.integers(0, 6))
                if k == 0 and not standalone:
                    k = 1 + i % 5
                if k == 0:
                    composed = request
                else:
                    style = int(rng.integers(3))
                    seeds = [_pick(rng, pools.seed_tasks)[:300] for _ in range(k)]
                    if style == 0:
                        listing = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(seeds))
                    elif style == 1:
                        listing = "\n".join(json.dumps({"instruction": s}, ensure_ascii=False) for s in seeds)
                    else:
                        listing = "\n\n".join(f"Task {i + 1}: {s}" for i, s in enumerate(seeds))
                    composed = _attach(rng, request, listing)
                rows.append(
                    _label(
                        composed, f"{group}:synthetic", lang, positive=["synthetic"], masked=["capability"]
                    )
                )
        else:
            raise ValueError(f"unknown label {label!r} in examples")
    return rows


def featurise(rows: list[Row], bits: int = BITS):
    """CSR parts (data, indices, indptr) of the scaled n-gram counts of ``rows``."""
    data, indices, indptr = [], [], [0]
    for row in rows:
        buckets = hashed_ngrams(row.text, bits, MAX_ORDER, HEAD_CHARS, TAIL_CHARS)
        uniq, counts = np.unique(buckets, return_counts=True)
        indices.append(uniq.astype(np.int32))
        data.append(counts / np.sqrt(len(buckets)))
        indptr.append(indptr[-1] + len(uniq))
    return np.concatenate(data), np.concatenate(indices), np.asarray(indptr, dtype=np.int64)


def fit(rows: list[Row], bits: int = BITS, l2: float = L2, max_iter: int = MAX_ITER):
    """(weights (2**bits, C) float64, bias (C,) float64) of the masked one-vs-rest logistic heads."""
    from scipy import sparse
    from scipy.optimize import minimize

    data, indices, indptr = featurise(rows, bits)
    n, dim, c = len(rows), 1 << bits, len(CLASSES)
    x = sparse.csr_matrix((data, indices, indptr), shape=(n, dim))
    xt = x.T.tocsr()
    y = np.asarray([r.y for r in rows])
    m = np.asarray([r.mask for r in rows]) * np.asarray([r.weight for r in rows])[:, None]
    # Balance each head: positives and negatives weigh alike (on the rows the head is trained on).
    for k in range(c):
        pos = (m[:, k] * y[:, k]).sum()
        neg = (m[:, k] * (1 - y[:, k])).sum()
        if pos > 0 and neg > 0:
            m[:, k] *= np.where(y[:, k] > 0, (pos + neg) / (2 * pos), (pos + neg) / (2 * neg))
    total = m.sum(axis=0)
    m = m / total

    def objective(theta: np.ndarray):
        w = theta[: dim * c].reshape(dim, c)
        b = theta[dim * c :]
        z = x @ w + b
        # log(1 + exp(-z)) for positives, log(1 + exp(z)) for negatives, computed stably.
        loss_terms = np.logaddexp(0.0, np.where(y > 0, -z, z))
        loss = float((m * loss_terms).sum()) + 0.5 * l2 * float(w.ravel() @ w.ravel())
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        g = m * (p - y)
        grad_w = xt @ g + l2 * w
        return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    theta0 = np.zeros(dim * c + c)
    result = minimize(
        objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "maxcor": 10, "gtol": 0}
    )
    theta = result.x
    return theta[: dim * c].reshape(dim, c), theta[dim * c :], result


@dataclass(frozen=True)
class TrainConfig:
    bits: int = BITS
    per_corpus_cap: int = PER_CORPUS_CAP
    composites_per_instruction: int = COMPOSITES_PER_INSTRUCTION
    l2: float = L2
    max_iter: int = MAX_ITER


FULL = TrainConfig()
# A reduced deterministic configuration (seconds to train) whose result is committed as
# data/content_weights_small_reference.npz, so the test suite can check reproducibility quickly.
SMALL = TrainConfig(bits=12, per_corpus_cap=60, composites_per_instruction=1, max_iter=25)
SMALL_REFERENCE = DATA_DIR / "content_weights_small_reference.npz"


def build_training_rows(corpora: Path, config: TrainConfig = FULL) -> list[Row]:
    rng = np.random.default_rng(SEED)
    pools = load_corpora(corpora, heldout=False, cap=config.per_corpus_cap)
    rows = list(pools.standalone)
    rows += compose(rng, read_jsonl(EXAMPLES), pools, config.composites_per_instruction, "own")
    return rows


def train(corpora: Path, config: TrainConfig = FULL):
    """(weights, bias, scipy result) of one deterministic training run."""
    rows = build_training_rows(corpora, config)
    weights, bias, result = fit(rows, config.bits, config.l2, config.max_iter)
    return weights, bias, result, len(rows)


def build_eval_rows(corpora: Path, training_examples: list[dict]) -> dict[str, list[Row]]:
    """Held-out evaluation sets: corpus rows; train phrasings on held-out tasks; held-out phrasings."""
    rng = np.random.default_rng(SEED + 1)
    pools = load_corpora(corpora, heldout=True)
    heldout_examples = read_jsonl(HELDOUT_EXAMPLES)
    return {
        "corpora": pools.standalone,
        "train_phrasings_on_heldout_tasks": compose(rng, training_examples, pools, 2, "trainphr", False),
        "heldout_phrasings_alone": [
            _label(
                ex["text"].replace("{n}", "25"),
                f"heldout:{ex['label']}",
                ex["lang"],
                positive=[ex["label"]],
                masked=["mundane", "capability"] if ex["label"] != "mundane" else [],
            )
            for ex in heldout_examples
        ],
        "heldout_phrasings_composed": compose(rng, heldout_examples, pools, 3, "heldout", False),
    }


def save(path: Path, weights: np.ndarray, bias: np.ndarray, bits: int = BITS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        weights=weights.astype(np.float16),
        bias=bias.astype(np.float32),
        classes=np.asarray(CLASSES),
        bits=np.int64(bits),
        max_order=np.int64(MAX_ORDER),
        head=np.int64(HEAD_CHARS),
        tail=np.int64(TAIL_CHARS),
    )


def evaluate(model: ContentModel, rows: list[Row], threshold: float = 0.5) -> dict:
    """Per-class precision / recall / support on the rows each head is labelled for."""
    if not rows:
        return {}
    probs = model.score_many([r.text for r in rows])
    y = np.asarray([r.y for r in rows]) > 0
    mask = np.asarray([r.mask for r in rows]) > 0
    out = {}
    for k, name in enumerate(CLASSES):
        sel = mask[:, k]
        pred = probs[sel, k] >= threshold
        truth = y[sel, k]
        tp = int((pred & truth).sum())
        out[name] = {
            "precision": round(tp / max(int(pred.sum()), 1), 4) if pred.sum() else None,
            "recall": round(tp / max(int(truth.sum()), 1), 4) if truth.sum() else None,
            "positives": int(truth.sum()),
            "predicted": int(pred.sum()),
            "rows": int(sel.sum()),
        }
    return out


def false_positive_rates(model: ContentModel, rows: list[Row], thresholds=(0.5, 0.8)) -> dict:
    """Per class, the share of negative rows (for that head) scoring at or above each threshold."""
    probs = model.score_many([r.text for r in rows])
    y = np.asarray([r.y for r in rows]) > 0
    mask = np.asarray([r.mask for r in rows]) > 0
    return {
        name: {str(t): round(float((probs[mask[:, k] & ~y[:, k], k] >= t).mean()), 4) for t in thresholds}
        for k, name in enumerate(CLASSES)
    }


def per_language_recall(model: ContentModel, rows: list[Row], label: str, threshold: float = 0.5) -> dict:
    out = {}
    for lang in LANGS:
        sel = [r for r in rows if r.lang == lang and r.y[K[label]] > 0]
        if sel:
            probs = model.score_many([r.text for r in sel])[:, K[label]]
            out[lang] = {"recall": round(float((probs >= threshold).mean()), 4), "n": len(sel)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=None, help="shared prompt corpora folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS, help="weights file to write (.npz)")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation report")
    parser.add_argument(
        "--small-reference",
        action="store_true",
        help=f"train the reduced configuration instead and write it to {SMALL_REFERENCE.name} (no eval)",
    )
    args = parser.parse_args(argv)
    corpora = args.corpora or default_corpora()
    config, out = FULL, args.out
    if args.small_reference:
        config, out, args.no_eval = (
            SMALL,
            (args.out if args.out != DEFAULT_WEIGHTS else SMALL_REFERENCE),
            True,
        )
    started = time.perf_counter()
    weights, bias, result, n_rows = train(corpora, config)
    save(out, weights, bias, config.bits)
    seconds = time.perf_counter() - started
    args.out = out
    report: dict = {
        "rows": n_rows,
        "iterations": int(result.nit),
        "final_loss": float(result.fun),
        "train_seconds": round(seconds, 1),
        "weights_bytes": args.out.stat().st_size,
    }
    if not args.no_eval:
        model = ContentModel.load(args.out)
        sets = build_eval_rows(corpora, read_jsonl(EXAMPLES))
        report["heldout"] = {name: evaluate(model, rows) for name, rows in sets.items()}
        report["heldout_corpora_false_positive_rate"] = false_positive_rates(model, sets["corpora"])
        report["heldout_phrasings_elicitation_recall_by_language"] = {
            "alone": per_language_recall(model, sets["heldout_phrasings_alone"], "elicitation"),
            "composed": per_language_recall(model, sets["heldout_phrasings_composed"], "elicitation"),
        }
        report["heldout_phrasings_grading_recall_by_language"] = {
            "alone": per_language_recall(model, sets["heldout_phrasings_alone"], "grading"),
            "composed": per_language_recall(model, sets["heldout_phrasings_composed"], "grading"),
        }
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
