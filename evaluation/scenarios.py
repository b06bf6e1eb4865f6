"""Scenario parameters of the traffic simulator: populations, campaigns, prompt templates and presets.

Every tunable number of :mod:`evaluation.simulator` lives here, in dataclasses, so that one
:class:`Scenario` fully describes a run (it is written to ``scenario.json`` next to the events) and a preset
can be changed without touching the generator. Ranges are ``(low, high)`` tuples; the simulator draws
uniformly from them (log-uniformly for account ages and request rates, which span orders of magnitude).

Populations are deliberately overlapping: some normal users are young free accounts, researchers send
GSM8K/MMLU bursts with "Let's think step by step.", enterprise integrations send thousands of templated
requests from hosting IPs, coding agents run hot on cloud IPs with thinking on; some campaign accounts sit
on residential ISP addresses with browser user agents and paid tiers. No single field separates the classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
HOURS_PER_DAY = 24

NORMAL_FAMILIES: tuple[str, ...] = (
    "casual",
    "stepwise_casual",
    "developer",
    "coding_agent",
    "enterprise",
    "researcher",
)
CAMPAIGN_FAMILIES: tuple[str, ...] = (
    "hydra_agentic",
    "cot_rubric",
    "model_pivot",
    "low_and_slow",
    "heavy_single",
)

# ---------------------------------------------------------------------------------------------------------
# Shared vocabularies
# ---------------------------------------------------------------------------------------------------------

# (ISO2, UTC offset in hours, share of accounts). Offsets are one representative zone per country.
COUNTRIES: tuple[tuple[str, float, float], ...] = (
    ("US", -6.0, 0.30),
    ("IN", 5.5, 0.09),
    ("GB", 0.0, 0.06),
    ("DE", 1.0, 0.06),
    ("BR", -3.0, 0.05),
    ("FR", 1.0, 0.04),
    ("JP", 9.0, 0.04),
    ("CA", -5.0, 0.04),
    ("KR", 9.0, 0.03),
    ("AU", 10.0, 0.03),
    ("ES", 1.0, 0.03),
    ("MX", -6.0, 0.03),
    ("ID", 7.0, 0.03),
    ("NL", 1.0, 0.02),
    ("SG", 8.0, 0.02),
    ("IT", 1.0, 0.02),
    ("PL", 1.0, 0.02),
    ("VN", 7.0, 0.02),
    ("TR", 3.0, 0.02),
    ("PH", 8.0, 0.02),
    ("NG", 1.0, 0.02),
)
# Where datacentres and commercial proxy providers announce their address space.
HOSTING_COUNTRIES: dict[str, float] = {
    "US": 0.45,
    "DE": 0.15,
    "NL": 0.12,
    "SG": 0.1,
    "GB": 0.08,
    "FR": 0.05,
    "JP": 0.05,
}

BROWSER_UAS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    "AtlasChat/4.12.0 (iOS 17.6; iPhone15,2)",
    "AtlasChat/4.11.3 (Android 14; SM-S918B)",
)
SDK_UAS: tuple[str, ...] = (
    "atlas-python/1.42.0",
    "atlas-python/1.38.2",
    "atlas-node/4.7.1",
    "python-requests/2.32.3",
    "python-httpx/0.27.2",
    "curl/8.5.0",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
)
AGENT_UAS: tuple[str, ...] = (
    "codeloop-cli/2.3.1 (linux-x64)",
    "codeloop-cli/2.3.0 (darwin-arm64)",
    "patchpilot/0.31.4 node/20.11.1",
    "atlas-agent-sdk/0.9.2 python/3.12",
)
INTEGRATION_UAS: tuple[str, ...] = (
    "Java-http-client/21.0.4",
    "Apache-HttpClient/5.3.1 (Java/17.0.11)",
    "Go-http-client/2.0",
    "atlas-python/1.40.0",
    "ticketflow-connector/3.2.0",
)
RESEARCH_UAS: tuple[str, ...] = (
    "python-httpx/0.27.2",
    "atlas-python/1.42.0",
    "evalkit/0.4.5 python-httpx/0.27.2",
    "python-requests/2.31.0",
)

# Local-hour activity weights (index = local hour 0..23).
CASUAL_DIURNAL: tuple[float, ...] = (
    0.3, 0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.8, 1.0, 1.1, 1.1, 1.2,
    1.3, 1.2, 1.1, 1.1, 1.2, 1.3, 1.5, 1.7, 1.8, 1.6, 1.1, 0.6,
)  # fmt: skip
WORKDAY_DIURNAL: tuple[float, ...] = (
    0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.2, 0.6, 1.3, 1.8, 1.9, 1.8,
    1.2, 1.6, 1.9, 1.9, 1.8, 1.5, 0.9, 0.5, 0.4, 0.3, 0.2, 0.1,
)  # fmt: skip
INTEGRATION_DIURNAL: tuple[float, ...] = (
    0.8, 0.75, 0.7, 0.7, 0.7, 0.75, 0.85, 0.95, 1.1, 1.2, 1.25, 1.25,
    1.2, 1.25, 1.25, 1.2, 1.15, 1.1, 1.0, 0.95, 0.9, 0.9, 0.85, 0.8,
)  # fmt: skip
FLAT_DIURNAL: tuple[float, ...] = (1.0,) * HOURS_PER_DAY

STEP_PHRASES: tuple[str, ...] = (
    "Can you explain step by step?",
    "think step by step",
    "Please explain it step by step.",
    "walk me through it step by step",
    "explain step by step pls",
    "Think step by step before answering.",
)
BENCHMARK_COT_SUFFIXES: tuple[str, ...] = ("Let's think step by step.",)
BENCHMARK_PREFIXES: tuple[str, ...] = (
    "",
    "Answer the following question.",
    "Question:",
    "Solve the following problem and put the final answer at the end.",
)

DEVELOPER_TOOLS: tuple[str, ...] = ("web_search", "code_interpreter", "fetch_url")
AGENT_TOOLS: tuple[str, ...] = (
    "read_file",
    "edit_file",
    "write_file",
    "run_tests",
    "bash",
    "search",
    "list_dir",
)
CASUAL_TOOLS: tuple[str, ...] = ("web_search", "image_generation")
CAMPAIGN_TOOLS: tuple[str, ...] = (
    "web_search",
    "calculator",
    "python",
    "wikipedia",
    "calendar",
    "weather",
    "bash",
)

AGENT_SYSTEM_PROMPTS: tuple[str, ...] = (
    "You are an expert software engineering agent working inside the user's repository. Use the provided "
    "tools to read, edit and test code. Make minimal, correct changes, run the tests, and report what you "
    "did.",
    "You are a coding assistant operating in a terminal. You can call tools to inspect files, run commands "
    "and apply patches. Think before acting, prefer small verified steps, and never invent file contents.",
    "You are PatchPilot, an autonomous pair programmer. Plan the task, then loop: read relevant files, edit, "
    "run tests, fix failures. Stop when all tests pass and summarise the diff.",
)
# Agent loop messages after the initial task; {tool} {path} {name} {n} {m} are filled per request.
AGENT_STEP_TEMPLATES: tuple[str, ...] = (
    "Tool result ({tool}): {n} passed, {m} failed",
    '<tool_result name="read_file" path="{path}">({n} lines)</tool_result>',
    "the tests in {path} still fail, please fix",
    "ok continue",
    "Command output (exit code {m}):\n{n} files changed",
    "now also update the docstring of {name} in {path}",
    "looks good, next: handle the empty input case in {name}",
    "<tool_result name=\"search\">{n} matches for '{name}'</tool_result>",
)
AGENT_STEP_LINES: tuple[int, int] = (5, 900)  # {n}: test counts, file lengths
AGENT_STEP_COUNTS: tuple[int, int] = (0, 12)  # {m}: failures, exit codes
CODE_DIRS: tuple[str, ...] = ("src", "lib", "app", "tests", "pkg", "internal", "services")
CODE_FILES: tuple[str, ...] = (
    "parser",
    "client",
    "utils",
    "handlers",
    "models",
    "config",
    "cache",
    "auth",
    "api",
)
CODE_EXTS: tuple[str, ...] = (".py", ".ts", ".go", ".rs", ".java")
CODE_NAMES: tuple[str, ...] = ("load_config", "parse_args", "retry_request", "UserCache", "render", "to_json")

# (template, filler pool). One enterprise integration account uses exactly one of these.
INTEGRATION_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Classify this support ticket into one of [billing, tech, other]. Reply with the label only.\n\n"
     "Ticket: {q}", "ticket"),
    ("Summarise the following document in three sentences:\n\n{q}", "sharegpt_sample_1000"),
    ("Extract the customer's intent and sentiment from the message below as JSON with keys intent and "
     "sentiment.\n\nMessage: {q}", "ticket"),
    ("Write a polite reply of under 80 words to this customer message.\n\nCustomer: {q}", "ticket"),
    ("Summarise the following document: {q}", "oasst_prompts"),
)  # fmt: skip
INTEGRATION_SUFFIXES: tuple[str, ...] = (
    "",
    " Order #{n}.",
    " Ref: {n}",
    " (account {n})",
    " - sent from my phone",
)

# Campaign prompt templates: {q} is a question / task from the distill corpora, {a} a synthetic answer.
# "tune" sets are what a detector may be tuned on; "holdout" sets are only used by the holdout preset.
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "hydra_agentic": {
        "tune": (
            "You are an autonomous agent with access to the tools described below. Plan each step, call "
            "tools when useful, and show the full trace of thoughts, actions and observations.\n\n{q}",
            "Complete the following task as a tool-using assistant. Output the exact tool calls you would "
            "make, in order, then the final answer.\n\n{q}",
            'TASK:\n{q}\n\nReturn a JSON array of tool invocations followed by a field "final_answer".',
            "Write production-quality code for the following. Include docstrings, type hints and "
            "tests.\n\n{q}",
            "Act as a senior engineer pairing with me. Think out loud, then implement:\n\n{q}",
        ),
        "holdout": (
            "Operate as an agent. For the request below, enumerate Thought / Action / Observation cycles "
            "until done.\n\n{q}",
            "Here is a job for you and your tools. Describe every call (name and arguments) and what it "
            "returns, then conclude.\n\n{q}",
            "Implement this fully. Provide the code first, then a line-by-line explanation.\n\n{q}",
            "<task>\n{q}\n</task>\nRespond only with the tool-call transcript and the final result.",
        ),
    },
    "cot_rubric": {
        "tune": (
            "{q}\n\nArticulate the internal reasoning behind a completed response, step by step.",
            "You are a strict grader. Score the following answer from 1-10 using this rubric: correctness "
            "(5 points), clarity of reasoning (3 points), final formatting (2 points). Explain each "
            "deduction.\n\nQuestion: {q}\nAnswer: {a}",
            "Solve the problem below. Before the final answer, write out your complete chain of "
            "thought, including any dead ends.\n\n{q}",
            "Question: {q}\nCandidate answer: {a}\n\nIs the candidate correct? Reason through it step by "
            "step, then give a verdict and a score out of 10.",
            "Reconstruct the hidden reasoning an expert would use to reach the answer. Number every "
            "step.\n\n{q}",
        ),
        "holdout": (
            "{q}\n\nWalk through the full derivation you would perform internally, one numbered step at a "
            "time, before stating the result.",
            "Act as an exam marker. Using the marking scheme (accuracy 6, method 3, presentation 1), mark "
            "this response and justify every point.\nProblem: {q}\nResponse: {a}",
            "Provide a detailed rationale, then the answer, for:\n{q}",
            "Compare the answer below with your own worked solution and explain every discrepancy step by "
            "step.\nQ: {q}\nA: {a}",
        ),
    },
    "model_pivot": {
        "tune": (
            "{q}",
            "{q}\n\nGive a thorough, expert-level answer.",
            "Answer the following. Give your reasoning and put the final answer on the last line.\n\n{q}",
            "Respond as a world-class expert would.\n\n{q}",
        ),
        "holdout": (
            "{q}\n\nBe comprehensive and precise.",
            "Please answer in detail: {q}",
            "{q}\n\nExplain your answer fully.",
        ),
    },
    "low_and_slow": {
        "tune": (
            "{q}\n\nExplain your reasoning in detail.",
            "Please help with this: {q}",
            "I need a complete and careful answer to the following.\n\n{q}",
            "{q}\n\nShow your work.",
        ),
        "holdout": (
            "hey, quick one: {q}",
            "{q}\n\nCan you go through it carefully?",
            "Could you answer this thoroughly? {q}",
            "{q}\n\nplease show the steps",
        ),
    },
    "heavy_single": {
        "tune": (
            "{q}\n\nShow every step of your reasoning before giving the final answer.",
            "Explain your full chain of thought, then answer:\n{q}",
            "Grade this solution and justify each deduction.\nQuestion: {q}\nProposed answer: {a}",
            "Write a complete, well-commented solution.\n\n{q}",
            "Think carefully and exhaustively about the following, considering alternatives, then answer."
            "\n\n{q}",
            "{q}",
        ),
        "holdout": (
            "Reason step by step in as much detail as possible.\n\n{q}",
            "{q}\n\nFirst outline the approach, then execute it, then verify the result.",
            "Evaluate the following answer for correctness and explain your evaluation.\nQ: {q}\nA: {a}",
            "Produce an exemplary answer that could be used as a teaching reference.\n\n{q}",
        ),
    },
}
# Paraphrase noise: the template separator "\n\n" is swapped for one of these; casing is varied too.
NOISE_SEPARATORS: tuple[str, ...] = ("\n", "\n\n", " ", "\n---\n", "\n\n\n", " \n", "\n\n###\n")
# Synthetic answers for grading templates; {n} a number, {l} an option letter.
ANSWER_NUMBERS: tuple[int, int] = (0, 5000)
ANSWER_LETTERS = "ABCD"
ANSWER_FORMATS: tuple[str, ...] = (
    "{n}",
    "The answer is {n}.",
    "{l}",
    "The correct option is {l}.",
    "After simplifying we get {n}.",
    "x = {n}",
)

NORMAL_CHAT_POOLS: dict[str, float] = {
    "alpaca_eval_805": 0.25,
    "oasst_prompts": 0.3,
    "sharegpt_sample_1000": 0.3,
    "hh_rlhf_helpful_base_via_alpaca_eval": 0.15,
}
NORMAL_CODING_POOLS: dict[str, float] = {
    "arena_hard_v0.1": 0.3,
    "arena_hard_v2.0": 0.25,
    "sharegpt_sample_1000": 0.25,
    "gpteacher_codegen": 0.2,
}
BENCHMARK_POOLS: dict[str, float] = {
    "gsm8k": 0.35,
    "mmlu_test": 0.35,
    "math500": 0.15,
    "math_test_5000": 0.15,
}


# ---------------------------------------------------------------------------------------------------------
# Dataclasses
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AccountTraits:
    """Stable attributes shared by every account of a population or campaign."""

    tiers: dict[str, float]
    age_days: tuple[float, float]  # account age at its first possible request (log-uniform)
    user_agents: tuple[str, ...]
    countries: dict[str, float] | None = None  # None: the global COUNTRIES mix
    api_key_prob: float = 1.0  # accounts that call through API keys (else the consumer app)
    keys_per_account: tuple[int, int] = (1, 2)
    free_payment_prob: float = 0.3  # free-tier accounts with a verified card
    org_prob: float = 0.0  # accounts that belong to an organisation
    models: dict[str, float] = field(default_factory=lambda: {"atlas-2-pro": 0.5, "atlas-2-flash": 0.5})
    thinking_prob: float = 0.0
    tool_prob: float = 0.0
    tools: tuple[str, ...] = ()
    tools_per_request: tuple[int, int] = (1, 3)
    output_tokens_median: float = 350.0
    output_tokens_sigma: float = 0.7
    thinking_token_factor: tuple[float, float] = (2.0, 6.0)
    context_tokens_per_turn: int = 150
    max_context_tokens: int = 180_000  # clients truncate or compact history beyond this


@dataclass(frozen=True, kw_only=True)
class NormalProfile(AccountTraits):
    """Common behaviour of a normal population; subclasses pick the timing engine."""

    asn_types: dict[str, float]  # home network type
    mobile_secondary_prob: float = 0.3  # accounts that also use a phone on a carrier network
    mobile_share: float = 0.3  # share of such an account's requests from the phone
    vpn_prob: float = 0.03  # accounts that sometimes appear from a hosting (VPN) exit
    vpn_share: float = 0.4  # share of such an account's requests through the VPN
    home_ips: tuple[int, int] = (1, 2)
    shared_payment_prob: float = 0.02  # household/family cards shared with another account
    new_account_share: float = 0.0  # accounts registered just before the window (hard negatives) ...
    new_account_days: tuple[float, float] = (0.2, 14.0)  # ... this many days before it (uniform)
    org_join_prob: float = 0.5  # organisation members that join an existing org of their population
    prompt_pools: dict[str, float] = field(default_factory=lambda: dict(NORMAL_CHAT_POOLS))
    system_prompt_prob: float = 0.0
    system_prompts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ChatProfile(NormalProfile):
    """Interactive users: diurnal conversations of a few turns each."""

    requests_per_day: tuple[float, float] = (1.0, 40.0)  # mean on active days, log-uniform per account
    active_day_prob: float = 0.6
    diurnal: tuple[float, ...] = CASUAL_DIURNAL
    turns_per_conversation: tuple[int, int] = (1, 6)
    turn_gap_s: tuple[float, float] = (20.0, 420.0)
    followup_prob: float = 0.7  # later turns use a short follow-up rather than a new corpus prompt
    step_phrase_prob: float = 0.0  # prompts with "explain step by step" style phrasing ...
    step_phrase_after_prob: float = 0.6  # ... appended (else prepended) ...
    step_phrase_separators: tuple[str, ...] = ("\n", "\n\n", " ")  # ... with one of these in between
    step_phrases: tuple[str, ...] = STEP_PHRASES
    step_pools: dict[str, float] = field(default_factory=dict)  # extra pools for the reasoning-minded
    step_pool_prob: float = 0.0


@dataclass(frozen=True, kw_only=True)
class AgentProfile(NormalProfile):
    """Coding-agent power users: long tool loops in work-hour sessions."""

    sessions_per_day: tuple[float, float] = (0.6, 2.0)
    active_day_prob: float = 0.8
    diurnal: tuple[float, ...] = WORKDAY_DIURNAL
    session_hours: tuple[float, float] = (0.5, 3.0)
    step_gap_s: tuple[float, float] = (6.0, 45.0)
    step_templates: tuple[str, ...] = AGENT_STEP_TEMPLATES
    cloud_prob: float = 0.35  # accounts that run the agent on a cloud dev box
    cloud_share: float = 0.6


@dataclass(frozen=True, kw_only=True)
class IntegrationProfile(NormalProfile):
    """Enterprise integrations: one narrow template, thousands a day, steady around the clock."""

    requests_per_day: tuple[float, float] = (600.0, 4000.0)
    diurnal: tuple[float, ...] = INTEGRATION_DIURNAL
    templates: tuple[tuple[str, str], ...] = INTEGRATION_TEMPLATES
    suffixes: tuple[str, ...] = INTEGRATION_SUFFIXES
    ref_number: tuple[int, int] = (10_000, 999_999)
    fixed_ips: tuple[int, int] = (1, 4)


@dataclass(frozen=True, kw_only=True)
class BenchmarkProfile(ChatProfile):
    """Researchers: quiet chat use plus one benchmark burst of hundreds of questions."""

    burst_prob: float = 0.9  # accounts whose run falls inside the window
    burst_questions: tuple[int, int] = (150, 600)
    burst_hours: tuple[float, float] = (1.0, 3.0)
    benchmark_pools: dict[str, float] = field(default_factory=lambda: dict(BENCHMARK_POOLS))
    cot_prob: float = 0.5  # runs that append a chain-of-thought suffix to every question
    cot_suffixes: tuple[str, ...] = BENCHMARK_COT_SUFFIXES
    prefixes: tuple[str, ...] = BENCHMARK_PREFIXES
    new_model_eval_prob: float = 0.35  # runs after a release that benchmark the new model


@dataclass(frozen=True, kw_only=True)
class CampaignSpec(AccountTraits):
    """One or more distillation campaigns of a family. Accounts stay below per-account rate limits
    (except ``heavy_single``); the campaign's volume comes from the number of accounts."""

    family: str
    id_prefix: str  # campaign ids are "<id_prefix>-<k>"
    campaigns: int = 1
    accounts: tuple[int, int] = (20, 40)
    requests_per_account_per_day: tuple[float, float] = (10.0, 30.0)
    timing: Literal["diurnal", "uniform", "rotation"] = "diurnal"
    diurnal: tuple[float, ...] = CASUAL_DIURNAL
    tz_jitter_hours: float = 2.0  # accounts' active hours spread around the campaign's persona time zone
    start_hour: tuple[float, float] = (0.0, 0.0)  # campaign start, hours after the window start
    ramp_hours: tuple[float, float] = (0.0, 12.0)  # accounts join over this span after the start
    rotation_interval_s: tuple[float, float] = (30.0, 60.0)  # campaign-wide gap between requests
    rotation_jitter: float = 0.15  # fraction of the interval
    rotation_skip_prob: float = 0.05
    templates: tuple[str, ...]  # the family's template library; each campaign uses a subset
    template_set: Literal["tune", "holdout"] = "tune"
    templates_per_campaign: tuple[int, int] = (3, 5)
    template_weights: tuple[float, float] = (0.5, 1.5)  # each campaign favours some templates
    noise_prob: float = 0.35
    prompt_pools: dict[str, float]  # slot fillers for {q}
    mundane_share: tuple[float, float] = (0.0, 0.0)
    mundane_pools: dict[str, float] = field(default_factory=lambda: dict(NORMAL_CHAT_POOLS))
    ip_mode: Literal["pool", "residential", "fixed"] = "pool"
    ip_asn_types: dict[str, float] = field(default_factory=lambda: {"proxy": 0.6, "hosting": 0.4})
    ip_networks: tuple[int, int] = (3, 6)  # networks (ASNs) in the campaign's pool
    ip_subnets: tuple[int, int] = (8, 30)  # /24 subnets in the pool, shared by all accounts
    residential_account_prob: float = 0.0  # accounts routed through residential ISP proxies instead
    creation_waves: tuple[int, int] = (1, 3)  # accounts are registered in batches
    wave_jitter_hours: float = 6.0
    payment_group_size: tuple[int, int] = (3, 10)  # accounts sharing one card fingerprint
    no_payment_prob: float = 0.2
    ua_count: tuple[int, int] = (1, 3)  # distinct user agents used by the whole campaign
    orgs: tuple[int, int] = (1, 3)
    pivot_delay_hours: tuple[float, float] = (2.0, 10.0)  # model_pivot: switch after the release
    pivot_share: tuple[float, float] = (0.65, 0.9)


@dataclass(frozen=True, kw_only=True)
class NetworkSpec:
    """The synthetic internet: ASNs per type, per country for access networks, global for datacentres."""

    per_country: dict[str, int] = field(
        default_factory=lambda: {"isp": 3, "mobile": 1, "education": 1, "business": 1}
    )
    global_types: dict[str, int] = field(default_factory=lambda: {"hosting": 24, "proxy": 10})
    blocks_per_asn: tuple[int, int] = (1, 3)  # /16 blocks announced by each ASN
    asn_range: tuple[int, int] = (1_000, 400_000)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Everything needed to regenerate one labelled event stream, bit for bit."""

    name: str
    seed: int
    start_ts: int  # epoch ms of the window start (UTC midnight keeps days aligned)
    duration_hours: float
    split: Literal["tune", "holdout", "all"] = "tune"
    normal_counts: dict[str, int]
    normal_profiles: dict[str, NormalProfile]
    campaigns: tuple[CampaignSpec, ...]
    base_models: tuple[str, ...] = ("atlas-2-pro", "atlas-2-flash")
    new_model: str = "atlas-3-pro"
    new_model_release_hour: float = 30.0  # hours after start_ts
    launch_adoption: float = 0.03  # normal traffic's share on the new model right at its release ...
    adoption_per_day: float = 0.08  # ... growing by this much per day ...
    adoption_cap: float = 0.35  # ... up to this share
    corpus_cap: int | None = 4000  # prompts per corpus pool
    max_prompt_chars: int = 6000
    chars_per_token: float = 4.0
    network: NetworkSpec = field(default_factory=NetworkSpec)

    @property
    def end_ts(self) -> int:
        return self.start_ts + round(self.duration_hours * HOUR_MS)

    @property
    def release_ts(self) -> int:
        return self.start_ts + round(self.new_model_release_hour * HOUR_MS)


# ---------------------------------------------------------------------------------------------------------
# Default populations
# ---------------------------------------------------------------------------------------------------------


def default_normal_profiles() -> dict[str, NormalProfile]:
    """The six normal populations, hard negatives included."""
    casual = ChatProfile(
        tiers={"free": 0.75, "pro": 0.25},
        age_days=(14.0, 2500.0),
        new_account_share=0.12,  # days-old free accounts, as young as campaign accounts
        user_agents=BROWSER_UAS,
        api_key_prob=0.05,
        asn_types={"isp": 0.62, "mobile": 0.3, "business": 0.05, "education": 0.03},
        models={"atlas-2-flash": 0.65, "atlas-2-pro": 0.35},
        thinking_prob=0.08,
        tool_prob=0.05,
        tools=CASUAL_TOOLS,
        tools_per_request=(1, 1),
        output_tokens_median=320.0,
    )
    stepwise = replace(
        casual,
        step_phrase_prob=0.35,
        step_pools={"gsm8k": 0.5, "math_wordproblems_misc": 0.3, "mmlu_test": 0.2},
        step_pool_prob=0.15,
        thinking_prob=0.25,
        output_tokens_median=520.0,
    )
    developer = ChatProfile(
        tiers={"pro": 0.65, "team": 0.35},
        age_days=(30.0, 2500.0),
        new_account_share=0.05,
        user_agents=SDK_UAS + BROWSER_UAS[:4],
        api_key_prob=0.7,
        org_prob=0.35,
        asn_types={"business": 0.45, "isp": 0.45, "mobile": 0.05, "hosting": 0.05},
        mobile_secondary_prob=0.1,
        requests_per_day=(3.0, 60.0),
        active_day_prob=0.75,
        diurnal=WORKDAY_DIURNAL,
        turns_per_conversation=(1, 8),
        turn_gap_s=(30.0, 600.0),
        followup_prob=0.5,
        prompt_pools=dict(NORMAL_CODING_POOLS),
        models={"atlas-2-pro": 0.7, "atlas-2-flash": 0.3},
        thinking_prob=0.2,
        tool_prob=0.25,
        tools=DEVELOPER_TOOLS,
        tools_per_request=(1, 3),
        output_tokens_median=600.0,
    )
    coding_agent = AgentProfile(
        tiers={"pro": 0.5, "team": 0.35, "enterprise": 0.15},
        age_days=(10.0, 2000.0),
        user_agents=AGENT_UAS,
        org_prob=0.5,
        asn_types={"isp": 0.5, "business": 0.45, "hosting": 0.05},
        mobile_secondary_prob=0.0,
        vpn_prob=0.0,
        prompt_pools={"arena_hard_v0.1": 0.35, "arena_hard_v2.0": 0.3, "sharegpt_sample_1000": 0.2,
                      "gpteacher_codegen": 0.15},
        system_prompt_prob=1.0,
        system_prompts=AGENT_SYSTEM_PROMPTS,
        models={"atlas-2-pro": 0.9, "atlas-2-flash": 0.1},
        thinking_prob=0.7,
        tool_prob=1.0,
        tools=AGENT_TOOLS,
        tools_per_request=(4, 7),
        output_tokens_median=450.0,
        context_tokens_per_turn=900,
    )  # fmt: skip
    enterprise = IntegrationProfile(
        tiers={"enterprise": 1.0},
        age_days=(200.0, 2500.0),
        user_agents=INTEGRATION_UAS,
        org_prob=1.0,
        free_payment_prob=0.0,
        asn_types={"hosting": 1.0},
        mobile_secondary_prob=0.0,
        vpn_prob=0.0,
        system_prompt_prob=0.5,
        system_prompts=("You are a precise back-office assistant. Follow the output format exactly.",
                        "Answer concisely. Output only what is asked for."),
        models={"atlas-2-flash": 0.75, "atlas-2-pro": 0.25},
        output_tokens_median=60.0,
        output_tokens_sigma=0.5,
    )  # fmt: skip
    researcher = BenchmarkProfile(
        tiers={"research": 0.6, "pro": 0.4},
        age_days=(30.0, 2000.0),
        user_agents=RESEARCH_UAS,
        org_prob=0.4,
        asn_types={"education": 0.6, "isp": 0.3, "hosting": 0.1},
        mobile_secondary_prob=0.1,
        requests_per_day=(0.5, 5.0),
        active_day_prob=0.5,
        diurnal=WORKDAY_DIURNAL,
        models={"atlas-2-pro": 0.6, "atlas-2-flash": 0.4},
        thinking_prob=0.3,
        output_tokens_median=400.0,
    )
    return {
        "casual": casual,
        "stepwise_casual": stepwise,
        "developer": developer,
        "coding_agent": coding_agent,
        "enterprise": enterprise,
        "researcher": researcher,
    }


AGENTIC_FILLERS: dict[str, float] = {
    "gpteacher_toolformer": 0.5,
    "gpteacher_codegen": 0.35,
    "humaneval": 0.15,
}
REASONING_FILLERS: dict[str, float] = {
    "gsm8k": 0.35,
    "math500": 0.1,
    "math_test_5000": 0.25,
    "mmlu_test": 0.3,
}
BROAD_FILLERS: dict[str, float] = {
    "alpaca_5000": 0.3,
    "alpaca_seed_tasks": 0.05,
    "mmlu_test": 0.2,
    "gpteacher_codegen": 0.15,
    "math_test_5000": 0.1,
    "gsm8k": 0.1,
    "gpteacher_roleplay": 0.1,
}
HEAVY_FILLERS: dict[str, float] = {
    "math_test_5000": 0.2,
    "math_wordproblems_misc": 0.15,
    "gsm8k": 0.1,
    "gpteacher_codegen": 0.2,
    "humaneval": 0.05,
    "mmlu_test": 0.15,
    "alpaca_5000": 0.15,
}


def default_campaigns(template_set: Literal["tune", "holdout"] = "tune") -> dict[str, CampaignSpec]:
    """One spec per campaign family; presets scale counts and sizes with ``dataclasses.replace``."""
    young = (1.0, 14.0)
    return {
        "hydra_agentic": CampaignSpec(
            family="hydra_agentic",
            id_prefix="hydra",
            accounts=(60, 300),
            requests_per_account_per_day=(12.0, 35.0),
            timing="diurnal",
            diurnal=WORKDAY_DIURNAL,
            tiers={"free": 0.5, "startup": 0.3, "education": 0.15, "pro": 0.05},
            age_days=young,
            user_agents=SDK_UAS[:5] + BROWSER_UAS[:2],
            ua_count=(1, 3),
            templates=TEMPLATES["hydra_agentic"][template_set],
            template_set=template_set,
            prompt_pools=dict(AGENTIC_FILLERS),
            mundane_share=(0.2, 0.4),
            ip_mode="pool",
            ip_asn_types={"proxy": 0.55, "hosting": 0.45},
            residential_account_prob=0.15,
            org_prob=0.3,
            models={"atlas-2-pro": 0.8, "atlas-2-flash": 0.2},
            thinking_prob=0.3,
            tool_prob=0.6,
            tools=CAMPAIGN_TOOLS,
            output_tokens_median=700.0,
        ),
        "cot_rubric": CampaignSpec(
            family="cot_rubric",
            id_prefix="rubric",
            accounts=(25, 60),
            timing="rotation",
            rotation_interval_s=(30.0, 60.0),
            tiers={"education": 0.6, "research": 0.35, "free": 0.05},
            age_days=young,
            user_agents=SDK_UAS,
            ua_count=(1, 2),
            templates=TEMPLATES["cot_rubric"][template_set],
            template_set=template_set,
            prompt_pools=dict(REASONING_FILLERS),
            mundane_share=(0.0, 0.1),
            ip_mode="pool",
            ip_asn_types={"hosting": 0.6, "proxy": 0.2, "education": 0.2},
            org_prob=0.5,
            models={"atlas-2-pro": 1.0},
            thinking_prob=0.7,
            output_tokens_median=900.0,
        ),
        "model_pivot": CampaignSpec(
            family="model_pivot",
            id_prefix="pivot",
            accounts=(20, 50),
            requests_per_account_per_day=(20.0, 50.0),
            timing="uniform",
            tiers={"pro": 0.4, "startup": 0.3, "free": 0.3},
            age_days=(2.0, 30.0),
            user_agents=SDK_UAS,
            templates=TEMPLATES["model_pivot"][template_set],
            template_set=template_set,
            prompt_pools=dict(BROAD_FILLERS),
            mundane_share=(0.05, 0.2),
            ip_mode="pool",
            ip_asn_types={"hosting": 0.7, "proxy": 0.3},
            org_prob=0.2,
            models={"atlas-2-pro": 0.7, "atlas-2-flash": 0.3},
            thinking_prob=0.4,
            output_tokens_median=650.0,
        ),
        "low_and_slow": CampaignSpec(
            family="low_and_slow",
            id_prefix="slow",
            accounts=(100, 220),
            requests_per_account_per_day=(5.0, 20.0),
            timing="diurnal",
            diurnal=CASUAL_DIURNAL,
            tiers={"free": 0.7, "pro": 0.3},
            age_days=young,
            user_agents=BROWSER_UAS + SDK_UAS[:3],
            ua_count=(2, 4),
            api_key_prob=0.6,
            templates=TEMPLATES["low_and_slow"][template_set],
            template_set=template_set,
            prompt_pools={**REASONING_FILLERS, **{"alpaca_5000": 0.3, "gpteacher_codegen": 0.2}},
            mundane_share=(0.1, 0.25),
            ip_mode="residential",
            ip_asn_types={"isp": 1.0},
            payment_group_size=(5, 15),
            no_payment_prob=0.5,
            models={"atlas-2-pro": 0.75, "atlas-2-flash": 0.25},
            thinking_prob=0.2,
            output_tokens_median=500.0,
        ),
        "heavy_single": CampaignSpec(
            family="heavy_single",
            id_prefix="heavy",
            accounts=(1, 1),
            requests_per_account_per_day=(2500.0, 5000.0),
            timing="uniform",
            tiers={"pro": 0.5, "startup": 0.3, "team": 0.2},
            age_days=(3.0, 60.0),
            user_agents=SDK_UAS,
            ua_count=(1, 1),
            templates=TEMPLATES["heavy_single"][template_set],
            template_set=template_set,
            templates_per_campaign=(4, 6),
            prompt_pools=dict(HEAVY_FILLERS),
            ip_mode="fixed",
            ip_asn_types={"hosting": 1.0},
            ip_networks=(1, 1),
            ip_subnets=(1, 2),
            no_payment_prob=0.0,
            models={"atlas-2-pro": 1.0},
            thinking_prob=0.9,
            output_tokens_median=800.0,
        ),
    }


# ---------------------------------------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------------------------------------

TUNE_START_TS = 1_767_571_200_000  # 2026-01-05T00:00:00Z (a Monday)
HOLDOUT_START_TS = 1_770_595_200_000  # 2026-02-09T00:00:00Z (a Monday)


def _small(seed: int) -> Scenario:
    """One campaign per family, ~24 h, a few hundred accounts: fast enough for unit tests."""
    camp = default_campaigns("tune")
    return Scenario(
        name="small",
        seed=seed,
        start_ts=TUNE_START_TS,
        duration_hours=24.0,
        split="tune",
        normal_counts={"casual": 150, "stepwise_casual": 15, "developer": 40, "coding_agent": 4,
                       "enterprise": 2, "researcher": 4},
        normal_profiles=default_normal_profiles(),
        campaigns=(
            replace(camp["hydra_agentic"], accounts=(25, 25)),
            replace(camp["cot_rubric"], accounts=(12, 12), rotation_interval_s=(60.0, 80.0)),
            replace(camp["model_pivot"], accounts=(8, 8), pivot_delay_hours=(1.0, 4.0)),
            replace(camp["low_and_slow"], accounts=(30, 30)),
            replace(camp["heavy_single"], requests_per_account_per_day=(1500.0, 2000.0)),
        ),
        new_model_release_hour=8.0,
        corpus_cap=1500,
    )  # fmt: skip


def _full(seed: int) -> Scenario:
    """Three days, thousands of normal accounts with hard negatives, two or more campaigns per family."""
    camp = default_campaigns("tune")
    return Scenario(
        name="full",
        seed=seed,
        start_ts=TUNE_START_TS,
        duration_hours=72.0,
        split="tune",
        normal_counts={"casual": 4000, "stepwise_casual": 400, "developer": 800, "coding_agent": 100,
                       "enterprise": 20, "researcher": 60},
        normal_profiles=default_normal_profiles(),
        campaigns=(
            replace(camp["hydra_agentic"], campaigns=2, start_hour=(0.0, 24.0)),
            replace(camp["cot_rubric"], campaigns=2, start_hour=(0.0, 30.0)),
            replace(camp["model_pivot"], campaigns=2),
            replace(camp["low_and_slow"], campaigns=2, start_hour=(0.0, 12.0)),
            replace(camp["heavy_single"], campaigns=2, start_hour=(0.0, 36.0)),
        ),
        new_model_release_hour=30.0,
        corpus_cap=4000,
    )  # fmt: skip


def _holdout(seed: int) -> Scenario:
    """A different mix for evaluating on unseen data: holdout prompt split and templates, other campaign
    sizes and timing, a different release hour, more hard negatives."""
    camp = default_campaigns("holdout")
    profiles = default_normal_profiles()
    researcher = profiles["researcher"]
    assert isinstance(researcher, BenchmarkProfile)
    profiles["researcher"] = replace(researcher, cot_prob=0.7, burst_questions=(200, 900))
    return Scenario(
        name="holdout",
        seed=seed,
        start_ts=HOLDOUT_START_TS,
        duration_hours=72.0,
        split="holdout",
        normal_counts={"casual": 3500, "stepwise_casual": 500, "developer": 900, "coding_agent": 120,
                       "enterprise": 24, "researcher": 80},
        normal_profiles=profiles,
        campaigns=(
            replace(camp["hydra_agentic"], campaigns=3, accounts=(50, 150), timing="uniform",
                    requests_per_account_per_day=(8.0, 25.0), mundane_share=(0.3, 0.45), noise_prob=0.5,
                    start_hour=(0.0, 36.0)),
            replace(camp["cot_rubric"], campaigns=2, accounts=(40, 80), rotation_interval_s=(20.0, 45.0),
                    rotation_jitter=0.3, start_hour=(6.0, 40.0)),
            replace(camp["model_pivot"], campaigns=3, accounts=(15, 35), pivot_delay_hours=(4.0, 18.0),
                    pivot_share=(0.55, 0.8)),
            replace(camp["low_and_slow"], campaigns=2, accounts=(150, 260),
                    requests_per_account_per_day=(3.0, 12.0), noise_prob=0.5),
            replace(camp["heavy_single"], campaigns=3, requests_per_account_per_day=(1500.0, 3500.0),
                    start_hour=(0.0, 48.0)),
        ),
        new_model_release_hour=20.0,
        corpus_cap=4000,
    )  # fmt: skip


def _dev(seed: int) -> Scenario:
    """A validation set for tuning without touching the holdout: the full mix and tune templates with
    another seed, and low-and-slow campaigns at the holdout's lower request rates and paraphrase noise
    (the family the full scenario makes easiest)."""
    full = _full(seed)
    campaigns = tuple(
        replace(spec, accounts=(150, 220), requests_per_account_per_day=(3.0, 12.0), noise_prob=0.5)
        if spec.family == "low_and_slow"
        else spec
        for spec in full.campaigns
    )
    return replace(full, name="dev", campaigns=campaigns)


PRESETS = {"small": (_small, 7), "full": (_full, 2026), "dev": (_dev, 4242), "holdout": (_holdout, 9001)}


def get_scenario(name: str, seed: int | None = None) -> Scenario:
    """A preset scenario (``small``, ``full``, ``dev``, ``holdout``), optionally with another seed."""
    try:
        build, default_seed = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(PRESETS)}") from None
    return build(default_seed if seed is None else seed)
