# ruff: noqa: RUF001 - intentional non-Latin text (Chinese, Russian, Japanese phrasings)
"""Procedurally generated stand-in text, used only when the real corpora are unavailable.

Every generator is seeded from a fixed string, so the same rows exist for every split; the usual
hash rule then puts each row into the dev or the blind half. Quality is deliberately modest: the
point is that every family still produces plausible, varied traffic without corpus files.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_N = 400

_NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]
_ITEMS = ["apples", "pencils", "stamps", "marbles", "tickets", "cookies", "books", "shells", "cards"]
_TOPICS = [
    "a birthday party",
    "a job interview",
    "learning the guitar",
    "a trip to Lisbon",
    "composting at home",
    "a slow laptop",
    "a vegetarian dinner",
    "a cover letter",
    "saving for a car",
    "a noisy neighbour",
    "running a first 10k",
    "planting tomatoes",
]
_ASKS = [
    "Any tips for {t}?",
    "Can you help me plan {t}?",
    "What should I know about {t}?",
    "Give me three ideas for {t}.",
    "I'm stressed about {t}, where do I start?",
    "Write a short checklist for {t}.",
    "Explain like I'm new to this: {t}.",
]
_CODE_VERBS = [
    "returns the k-th smallest element of",
    "removes duplicates from",
    "reverses every word in",
    "counts the vowels in",
    "finds the longest increasing run in",
    "merges two sorted copies of",
    "computes the running median of",
    "groups anagrams in",
    "rotates by k positions",
]
_CODE_OBJS = ["a list of integers", "a string", "a linked list", "an array of floats", "a list of words"]
_LANGS = ["Python", "JavaScript", "Go", "Rust", "C++", "Java", "TypeScript"]
_FACTS = [
    "photosynthesis",
    "the French Revolution",
    "plate tectonics",
    "inflation",
    "the immune system",
    "binary search",
    "the water cycle",
    "supply and demand",
    "the Roman Empire",
    "vaccination",
]
_TOOLS = ["calculator", "wikipedia", "weather", "calendar", "translator", "search"]

_MATH_LANG: dict[str, tuple[list[str], list[str]]] = {
    "zh": (
        ["小明", "小红", "王老师", "李阿姨", "张伟"],
        [
            "{n}有{a}个苹果，又买了{b}个，然后分给{c}个朋友每人{d}个。{n}还剩多少个苹果？",
            "{n}每天读{a}页书，一本书有{b}页。读完{c}本书需要多少天？",
            "一件衣服原价{b}元，打{d}折后又减{a}元，{n}最后付了多少钱？",
        ],
    ),
    "ru": (
        ["Маша", "Иван", "Олег", "Анна", "Пётр"],
        [
            "У {n} было {a} яблок. {n} купил(а) ещё {b}, а потом раздал(а) {c} друзьям по {d}. "
            "Сколько яблок осталось?",
            "{n} читает {a} страниц в день. В книге {b} страниц. За сколько дней {n} прочитает {c} книги?",
            "Куртка стоит {b} рублей. Скидка {d}0 %, затем ещё минус {a} рублей. Сколько заплатит {n}?",
        ],
    ),
    "es": (
        ["Lucía", "Mateo", "Sofía", "Diego", "Carmen"],
        [
            "{n} tiene {a} manzanas, compra {b} más y reparte {d} a cada uno de sus {c} amigos. "
            "¿Cuántas manzanas le quedan?",
            "{n} lee {a} páginas al día. Un libro tiene {b} páginas. ¿Cuántos días tarda en leer {c} libros?",
            "Una chaqueta cuesta {b} euros; tiene un descuento del {d}0 % y luego {a} euros menos. "
            "¿Cuánto paga {n}?",
        ],
    ),
    "de": (
        ["Lena", "Jonas", "Mia", "Felix", "Greta"],
        [
            "{n} hat {a} Äpfel, kauft {b} dazu und gibt jedem ihrer {c} Freunde {d}. "
            "Wie viele bleiben übrig?",
            "{n} liest {a} Seiten pro Tag. Ein Buch hat {b} Seiten. "
            "Wie viele Tage braucht {n} für {c} Bücher?",
            "Eine Jacke kostet {b} Euro, es gibt {d}0 % Rabatt und danach {a} Euro Nachlass. "
            "Wie viel zahlt {n}?",
        ],
    ),
    "fr": (
        ["Léa", "Hugo", "Chloé", "Louis", "Inès"],
        [
            "{n} a {a} pommes, en achète {b} de plus et en donne {d} à chacun de ses {c} amis. "
            "Combien lui en reste-t-il ?",
            "{n} lit {a} pages par jour. Un livre fait {b} pages. Combien de jours pour lire {c} livres ?",
            "Une veste coûte {b} euros, remisée de {d}0 %, puis {a} euros de moins. Combien paie {n} ?",
        ],
    ),
    "ja": (
        ["たろう", "はなこ", "さくら", "けんた", "ゆき"],
        [
            "{n}はりんごを{a}個持っていて、さらに{b}個買いました。{c}人の友だちに{d}個ずつあげると、"
            "何個残りますか。",
            "{n}は1日に{a}ページ本を読みます。本は{b}ページあります。{c}冊読むのに何日かかりますか。",
            "{b}円の上着が{d}割引きになり、さらに{a}円引かれました。{n}はいくら払いますか。",
        ],
    ),
}

_INSTRUCT_LANG: dict[str, list[str]] = {
    "zh": [
        "请用三句话介绍{t}。",
        "列出关于{t}的五个要点。",
        "为{t}写一段简短的说明。",
        "解释一下{t}的基本原理。",
    ],
    "ru": [
        "Кратко объясни, что такое {t}.",
        "Перечисли пять фактов про {t}.",
        "Напиши короткое пояснение о {t}.",
        "Объясни принцип: {t}.",
    ],
}
_TOPICS_LANG = {
    "zh": ["光合作用", "通货膨胀", "板块构造", "免疫系统", "二分查找", "水循环", "供求关系", "罗马帝国"],
    "ru": [
        "фотосинтез",
        "инфляция",
        "тектоника плит",
        "иммунная система",
        "двоичный поиск",
        "круговорот воды",
    ],
}


def _math_en(rng: random.Random) -> str:
    n, it = rng.choice(_NAMES), rng.choice(_ITEMS)
    a, b, c, d = rng.randint(3, 90), rng.randint(2, 40), rng.randint(2, 9), rng.randint(1, 6)
    forms = [
        f"{n} has {a} {it}. She buys {b} more and gives {d} to each of {c} friends. How many {it} are left?",
        f"A shop sells {it} at ${d}.{b % 10}0 each. {n} buys {a} of them and pays with ${a * d + 20}. "
        f"How much change does {n} get?",
        f"Solve for x: {a}x + {b} = {c * a + b}.",
        f"What is the sum of all integers from {b} to {a + b}?",
        f"A train travels {a * 10} km in {c} hours. At the same speed, how far does it go in {c + d} hours?",
        f"Find the remainder when {a}^{c} is divided by {d + 5}.",
    ]
    return rng.choice(forms)


def _math_lang(lang: str) -> Callable[[random.Random], str]:
    names, forms = _MATH_LANG[lang]

    def gen(rng: random.Random) -> str:
        return rng.choice(forms).format(
            n=rng.choice(names),
            a=rng.randint(3, 60),
            b=rng.randint(20, 400),
            c=rng.randint(2, 9),
            d=rng.randint(1, 8),
        )

    return gen


def _code(rng: random.Random) -> str:
    lang, verb, obj = rng.choice(_LANGS), rng.choice(_CODE_VERBS), rng.choice(_CODE_OBJS)
    forms = [
        f"Write a {lang} function that {verb} {obj}.",
        f"Implement, in {lang}, a routine that {verb} {obj}. Include unit tests.",
        f'def solve(xs):\n    """Return a value that {verb} {obj}; n <= {rng.randint(10, 200000)}."""\n',
        f"You are given {obj} of length n (1 <= n <= {rng.randint(1000, 200000)}). Output the result of a "
        f"procedure that {verb} it. Input: first line n, second line the values.",
    ]
    return rng.choice(forms)


def _chat(rng: random.Random) -> str:
    return rng.choice(_ASKS).format(t=rng.choice(_TOPICS))


def _mcq(rng: random.Random) -> str:
    fact = rng.choice(_FACTS)
    opts = rng.sample(["energy", "trade", "cells", "pressure", "voting", "sorting", "taxes", "rain"], 4)
    body = "\n".join(f"{k}. {o}" for k, o in zip("ABCD", opts, strict=True))
    return f"Which concept is most closely related to {fact}?\n{body}"


def _instruct(rng: random.Random) -> str:
    forms = [
        "Summarise {t} in two sentences.",
        "List five facts about {t}.",
        "Write a haiku about {t}.",
        "Explain {t} to a ten-year-old.",
        "Give an analogy for {t}.",
    ]
    return rng.choice(forms).format(t=rng.choice(_FACTS))


def _instruct_lang(lang: str) -> Callable[[random.Random], str]:
    def gen(rng: random.Random) -> str:
        return rng.choice(_INSTRUCT_LANG[lang]).format(t=rng.choice(_TOPICS_LANG[lang]))

    return gen


def _tools(rng: random.Random) -> str:
    tool = rng.choice(_TOOLS)
    return f"toolformer: enabled\ntoolformer access: {tool}\nUse {tool}(query) to answer: {_chat(rng)}"


_KIND: dict[str, Callable[[random.Random], str]] = {
    "math_en": _math_en,
    "code": _code,
    "chat_en": _chat,
    "mcq_en": _mcq,
    "instruct_en": _instruct,
    "tools": _tools,
    **{f"math_{lang}": _math_lang(lang) for lang in _MATH_LANG},
    "instruct_zh": _instruct_lang("zh"),
    "instruct_ru": _instruct_lang("ru"),
}

#: corpus name -> built-in generator kind(s); for mgsm every language gets its own kind.
CORPUS_KIND: dict[str, str] = {
    "gsm8k": "math_en",
    "math500": "math_en",
    "math_test_5000": "math_en",
    "math_wordproblems_misc": "math_en",
    "wizardlm_testset": "chat_en",
    "humaneval": "code",
    "codecontests_test": "code",
    "gpteacher_codegen": "code",
    "sharegpt_sample_1000": "chat_en",
    "oasst_prompts": "chat_en",
    "alpaca_eval_805": "chat_en",
    "arena_hard_v0.1": "chat_en",
    "arena_hard_v2.0": "chat_en",
    "mt_bench_en": "chat_en",
    "awesome_chatgpt_prompts": "chat_en",
    "hh_rlhf_helpful_base_via_alpaca_eval": "chat_en",
    "mmlu_test": "mcq_en",
    "commonsenseqa_dev": "mcq_en",
    "alpaca_5000": "instruct_en",
    "alpaca_seed_tasks": "instruct_en",
    "gpteacher_roleplay": "chat_en",
    "gpteacher_toolformer": "tools",
    "apibank_queries": "chat_en",
    "alpaca_chinese_5000": "instruct_zh",
    "cmmlu_test_zh": "instruct_zh",
    "rulm_ru_seed_tasks": "instruct_ru",
}


def builtin_rows(corpus: str) -> list[dict]:
    """Generated rows shaped like corpus rows (``prompt``, optional ``lang``) for one corpus name."""
    rng = random.Random(f"builtin|{corpus}")
    if corpus == "mgsm":
        return [
            {"prompt": _KIND[f"math_{lang}"](rng), "lang": lang}
            for lang in _MATH_LANG
            for _ in range(_N // 4)
        ]
    kind = CORPUS_KIND.get(corpus, "chat_en")
    lang = kind.rsplit("_", 1)[-1] if kind.startswith("instruct_") else "en"
    rows = [{"prompt": _KIND[kind](rng), "lang": lang} for _ in range(_N)]
    if corpus == "sharegpt_sample_1000":
        for row in rows:
            row["conversation_start"] = True
    return rows
