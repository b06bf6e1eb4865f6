# ruff: noqa: RUF001
"""The learned content model (models/content.py) and its training script (models/train_content.py).

Weights-load, inference and held-out-phrasing tests always run. Tests that need the shared prompt corpora
(reproducibility, held-out corpus metrics) skip when the corpora folder is absent. Reproducibility is
checked on a reduced deterministic configuration (``train_content.SMALL``, ~10 s) against the committed
``models/data/content_weights_small_reference.npz``; retraining the full model (~1-2 min) and comparing it
with the committed ``content_weights.npz`` runs with ``pytest -m slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from distillguard.models import train_content as T
from distillguard.models.content import CLASSES, DEFAULT_WEIGHTS, ContentModel, ContentScores, hashed_ngrams

LANGS = ("en", "zh", "ru", "es", "de", "fr", "ja", "ko", "pt", "it")
CORPORA = T.default_corpora()
needs_corpora = pytest.mark.skipif(
    not CORPORA.is_dir(), reason=f"shared prompt corpora not found at {CORPORA} (set DISTILLGUARD_CORPORA)"
)

# Short task texts written for this test (one per language) to attach held-out phrasings to.
TASKS = {
    "en": "A train leaves at 9:40 and arrives at 13:05. How long is the journey in minutes?",
    "zh": "一个长方形的长是12厘米，宽是5厘米，它的周长是多少？",
    "ru": "В корзине 18 яблок, половину съели, потом добавили 7. Сколько яблок в корзине?",
    "es": "Si un libro cuesta 14 euros y compro 3, ¿cuánto pago en total?",
    "de": "Ein Zug fährt 240 km in 3 Stunden. Wie schnell fährt er im Durchschnitt?",
    "fr": "Un rectangle mesure 9 cm sur 4 cm. Quelle est son aire ?",
    "ja": "りんごが15個あります。4人で同じ数ずつ分けると、1人何個で何個余りますか。",
    "ko": "연필 3자루에 1,200원이면 연필 10자루는 얼마입니까?",
    "pt": "Um carro percorre 180 km com 12 litros. Quantos km faz por litro?",
    "it": "Un negozio sconta del 20% una giacca da 85 euro. Quanto costa dopo lo sconto?",
}


@pytest.fixture(scope="module")
def model() -> ContentModel:
    return ContentModel.load()


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_weights_file_is_small_and_well_formed() -> None:
    assert DEFAULT_WEIGHTS.stat().st_size <= 2_100_000
    with np.load(DEFAULT_WEIGHTS, allow_pickle=False) as data:
        assert tuple(str(c) for c in data["classes"]) == CLASSES
        assert data["weights"].dtype == np.float16
        assert data["weights"].shape == (1 << int(data["bits"]), len(CLASSES))
        assert np.isfinite(data["weights"].astype(np.float32)).all()


def test_scores_are_probabilities_and_deterministic(model: ContentModel) -> None:
    texts = ["", " ", "hello", "x" * 50_000, "\ud800 lone surrogate", "数学 " * 300, "Ünïcödé\tand\nspaces"]
    for text in texts:
        s = model.score_one(text)
        assert isinstance(s, ContentScores)
        values = list(s.as_dict().values())
        assert len(values) == len(CLASSES)
        assert all(0.0 <= v <= 1.0 for v in values)
        assert model.score_one(text) == s
    assert model.score_one(None).mundane >= 0.0  # type: ignore[arg-type]
    batch = model.score_many(texts)
    assert batch.shape == (len(texts), len(CLASSES))
    assert np.allclose(batch[2], list(model.score_one("hello").as_dict().values()))


def test_ngram_hash_is_stable() -> None:
    # Fixed values: the hash must not depend on the process (no salted hash()) or the platform.
    assert hashed_ngrams("Ab 猫", bits=10).tolist() == [
        664,
        840,
        449,
        664,
        376,
        664,
        744,
        703,
        671,
        280,
        916,
        519,
        577,
        755,
        732,
        661,
        2,
        329,
    ]
    assert hashed_ngrams("ab  C", bits=12).tolist() == hashed_ngrams("AB\nc", bits=12).tolist()
    long = "q" * 5000 + "tail text"
    assert len(hashed_ngrams(long)) <= 4 * (400 + 400 + 3)


def test_model_loads_from_explicit_path(tmp_path: Path) -> None:
    weights = np.zeros((1 << 8, len(CLASSES)), dtype=np.float16)
    path = tmp_path / "w.npz"
    T.save(path, weights.astype(np.float64), np.array([0.0, 0.0, 0.0, 0.0, 1.0]), bits=8)
    m = ContentModel.load(path)
    s = m.score_one("anything")
    assert s.elicitation == 0.5 and s.mundane > 0.7


def test_heldout_phrasings_are_not_in_training_examples() -> None:
    train = {T.normalised(r["text"]) for r in _read(T.EXAMPLES)}
    held = _read(T.HELDOUT_EXAMPLES)
    assert held and not [r["text"] for r in held if T.normalised(r["text"]) in train]
    assert {r["lang"] for r in held if r["label"] == "elicitation"} >= set(LANGS)


def test_heldout_elicitation_phrasings_alone(model: ContentModel) -> None:
    held = [r for r in _read(T.HELDOUT_EXAMPLES) if r["label"] == "elicitation"]
    hits = {lang: [] for lang in LANGS}
    for r in held:
        hits[r["lang"]].append(model.score_one(r["text"]).elicitation >= 0.5)
    recall = {lang: float(np.mean(v)) for lang, v in hits.items()}
    assert all(v >= 0.5 for v in recall.values()), recall
    assert float(np.mean([h for v in hits.values() for h in v])) >= 0.8, recall


def test_heldout_elicitation_phrasings_attached_to_tasks(model: ContentModel) -> None:
    held = [r for r in _read(T.HELDOUT_EXAMPLES) if r["label"] == "elicitation"]
    hits, lifted = [], []
    for r in held:
        task = TASKS[r["lang"]]
        for text in (f"{task}\n\n{r['text']}", f"{r['text']}\n{task}"):
            s = model.score_one(text)
            hits.append(s.elicitation >= 0.5)
            lifted.append(s.elicitation > model.score_one(task).elicitation)
    assert float(np.mean(hits)) >= 0.55  # measured 0.64 (phrasing alone: 0.84)
    assert all(lifted)


def test_plain_tasks_and_heldout_chat_are_not_elicitation(model: ContentModel) -> None:
    capable = 0
    for lang, task in TASKS.items():
        s = model.score_one(task)
        assert s.elicitation < 0.5, (lang, s)
        capable += s.capability >= 0.5
    # Measured 9/10: short word problems in languages no corpus covers (it) are weaker.
    assert capable >= 8
    chat = [r for r in _read(T.HELDOUT_EXAMPLES) if r["label"] == "mundane"]
    scores = [model.score_one(r["text"]) for r in chat]
    assert float(np.mean([s.mundane >= 0.5 for s in scores])) >= 0.9
    assert float(np.mean([s.elicitation < 0.5 for s in scores])) >= 0.9


def test_heldout_grading_phrasings_in_context(model: ContentModel) -> None:
    held = [r for r in _read(T.HELDOUT_EXAMPLES) if r["label"] == "grading"]
    hits = []
    for r in held:
        task = TASKS[r["lang"]]
        text = f"{r['text']}\n\nQuestion: {task}\n\nAnswer A: 42\n\nAnswer B: 37"
        hits.append(model.score_one(text).grading >= 0.5)
    assert float(np.mean(hits)) >= 0.75


def test_training_fails_loudly_without_corpora(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not found"):
        T.main(["--corpora", str(tmp_path / "absent"), "--out", str(tmp_path / "w.npz")])
    assert not (tmp_path / "w.npz").exists()


@needs_corpora
def test_small_config_reproduces_committed_reference(tmp_path: Path) -> None:
    weights, bias, _, _ = T.train(CORPORA, T.SMALL)
    out = tmp_path / "small.npz"
    T.save(out, weights, bias, T.SMALL.bits)
    with np.load(out) as new, np.load(T.SMALL_REFERENCE) as ref:
        assert new["weights"].shape == ref["weights"].shape
        assert np.array_equal(new["weights"], ref["weights"])
        assert np.allclose(new["bias"], ref["bias"], rtol=0, atol=1e-6)


@needs_corpora
@pytest.mark.slow  # full retraining takes 1-2 min: run with -m slow
def test_full_training_reproduces_committed_weights(tmp_path: Path) -> None:
    weights, bias, _, _ = T.train(CORPORA, T.FULL)
    out = tmp_path / "full.npz"
    T.save(out, weights, bias)
    with np.load(out) as new, np.load(DEFAULT_WEIGHTS) as ref:
        assert np.array_equal(new["weights"], ref["weights"])
        assert np.allclose(new["bias"], ref["bias"], rtol=0, atol=1e-6)


@needs_corpora
def test_heldout_metrics_above_floors(model: ContentModel) -> None:
    sets = T.build_eval_rows(CORPORA, T.read_jsonl(T.EXAMPLES))
    corpora = T.evaluate(model, sets["corpora"])
    assert corpora["capability"]["precision"] >= 0.99 and corpora["capability"]["recall"] >= 0.97
    assert corpora["synthetic"]["recall"] >= 0.93 and corpora["synthetic"]["precision"] >= 0.8
    assert corpora["mundane"]["recall"] >= 0.87 and corpora["mundane"]["precision"] >= 0.65
    fpr = T.false_positive_rates(model, sets["corpora"])
    # v3 examples (2,510 phrasings) traded corpus elicitation FPR 0.017 -> 0.034 at 0.5 (0.004 -> 0.009 at
    # 0.8) for held-out elicitation recall 0.66 -> 0.80 (English 0.44 -> 0.82); accounts are judged on EW
    # shares, where a stray request weighs little. The floors hold that trade, not more.
    assert fpr["elicitation"]["0.5"] <= 0.036 and fpr["elicitation"]["0.8"] <= 0.01
    assert fpr["grading"]["0.5"] <= 0.015
    trained = T.evaluate(model, sets["train_phrasings_on_heldout_tasks"])
    # 0.93 -> 0.92 when the 70 phrasings sharing a 5-word run with the red-team generator were dropped
    # (measured 0.9253; vocabulary firewall over a hundredth of precision).
    assert trained["elicitation"]["recall"] >= 0.88 and trained["elicitation"]["precision"] >= 0.92
    assert trained["grading"]["recall"] >= 0.95 and trained["grading"]["precision"] >= 0.93
    composed = T.evaluate(model, sets["heldout_phrasings_composed"])
    # Measured 0.828 / 0.910 after the vocabulary-firewall pruning (was 0.800 / 0.937 before it).
    assert composed["elicitation"]["recall"] >= 0.62 and composed["elicitation"]["precision"] >= 0.90
    assert composed["grading"]["recall"] >= 0.88 and composed["grading"]["precision"] >= 0.8
    assert composed["synthetic"]["recall"] >= 0.95


def test_the_model_pickles_without_its_memo_of_prompt_text() -> None:
    import pickle

    from distillguard.models.content import ContentModel

    model = ContentModel.load()
    text = "Show every step of the working."
    model.score_short(text)
    raw = pickle.dumps(model)
    assert text.encode() not in raw  # the memo's keys are prompt text: they must not travel
    copy = pickle.loads(raw)
    assert copy.score_short(text) == model.score_one(text)
