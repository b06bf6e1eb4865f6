"""Per-request features: cheap, prompt-text-free facts about one request.

:class:`FeatureExtractor` turns a :class:`~schemas.RequestEvent` into :class:`RequestFeatures`. The raw
prompt is read here and nowhere else; what leaves is markers, hashes, a cluster id and numbers. The
text-derived part (:class:`PromptAnalysis`) is a pure function of the prompt, memoised in process memory
for recent short prompts (never stored or sent anywhere).

>>> from distillguard.schemas import RequestEvent
>>> fx = FeatureExtractor(DetectionConfig())
>>> e = RequestEvent(schema_version=1, event_id="e1", ts=1_767_225_600_000, account_id="a1",
...                  ip="203.0.113.7", model="m-1", input_tokens=12, output_tokens=40,
...                  prompt="Résous 3x+4=10 et montre chaque étape de ton raisonnement, sans rien omettre.")
>>> f = fx.extract(e)
>>> f.elicitation > 0.5, f.network, f.traits[:2]
(True, '203.0.113', ('ip32:203.0.113.7', 'ip24:203.0.113'))
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from distillguard.models.clustering import SimHashClusterer
from distillguard.models.config import DetectionConfig
from distillguard.models.content import ContentModel
from distillguard.models.embedder import HashingEmbedder
from distillguard.models.hashing import stable_hash32
from distillguard.models.text import (
    TemplateView,
    elicitation_strength,
    estimated_tokens,
    instruction_view,
    is_grading,
    marker_window,
    task_kind,
    template_view,
    whole_view_chars,
)
from distillguard.schemas.request_event import RequestEvent

_MS_PER_DAY = 86_400_000


@lru_cache(maxsize=256)
def network_type(asn_type: str | None) -> str:
    """One spelling of an ASN type: lower-cased, spaces and hyphens as underscores.

    >>> network_type("Data Center"), network_type("content-delivery-network"), network_type(None)
    ('data_center', 'content_delivery_network', '')
    """
    if not asn_type:
        return ""
    return asn_type.strip().lower().replace(" ", "_").replace("-", "_")


_MS_PER_HOUR = 3_600_000
_UA_FAMILY = re.compile(r"^[A-Za-z][\w.-]*")
# Simhashes of embedded texts (template views, marked instructions) memoised: one template recurs with
# every slot filler, so most views have been seen (4/5 of the reference stream). Keys are at most
# 2 x template_view_words masked words, so the cache holds a few MB at most.
_SIMHASH_CACHE = 1 << 14
# Analyses of short prompts memoised: those recur verbatim ("ok continue", fixed extraction prompts;
# 45% of the reference stream hits at this size). Only prompts short enough for the template view to
# mask them whole are cached (240 characters by default): longer ones rarely recur verbatim, and the
# bound keeps the cache to a few MB (at most ~25 MB whatever the prompts).
_PROMPT_CACHE = 1 << 14
# User agents come from a few clients and recur on nearly every request.
_USER_AGENT_CACHE = 1 << 10


@dataclass(frozen=True, slots=True)
class PromptAnalysis:
    """What the features take from a prompt's text (and whether tools are declared): a pure function."""

    task: str
    elicitation: float
    grading: float
    capability: float
    synthetic: float
    markers: str  # "e" (elicitation) and/or "g" (grading), or ""
    cluster_task: str
    embedded_text: str  # the marked instruction, else the template view: what the cluster id embeds
    prefix_hash: int
    suffix_hash: int
    head_hash: int
    tail_hash: int


@dataclass(slots=True)
class RequestFeatures:
    """What the detector knows about one request (no prompt text)."""

    event_id: str
    account_id: str
    ts: int
    model: str
    input_tokens: int
    output_tokens: int
    network: str  # IPv4 /24 or IPv6 /48: the unit proxies rotate through
    asn: int | None
    proxy_network: bool
    # the country of a request from a network that sits where its user is (not hosting or proxy), else None
    located_country: str | None
    account_age_days: float | None
    young_account: bool
    easy_entry_tier: bool
    payment: str | None
    user_agent_family: str
    task: str  # tool | code | math | chat
    elicitation: float  # in [0, 1]: asks for the reasoning trace (learned model, or a phrase marker)
    grading: float  # in [0, 1]: uses the model as grader / reward model
    capability: float  # in [0, 1]: maths, code, exam or tool-use material
    synthetic: float  # in [0, 1]: self-instruct style generation of instruction data
    tool_use: bool
    thinking: bool
    long_output: bool  # a long answer to a much shorter prompt (FeatureConfig.long_output_*)
    conversation_turns: int | None
    prefix_hash: int
    suffix_hash: int
    head_hash: int  # the frame: first/last few masked words, fixed while a template's filler varies
    tail_hash: int
    cluster_id: str
    new_model: bool
    owner_id: str  # the org when the account belongs to one (its keys are one customer), else the account
    traits: tuple[str, ...]  # shared-trait keys (kind:value) the trait stage links accounts on

    @property
    def opens_conversation(self) -> bool:
        """A one-shot request (first turn of a conversation); False when the gateway does not say."""
        return self.conversation_turns is not None and self.conversation_turns <= 1

    @property
    def extraction(self) -> float:
        """How much this request is extraction material (what distillers harvest), in [0, 1]."""
        return max(self.capability, self.elicitation, self.grading, self.synthetic)


class ModelRegistry:
    """First-seen time of each model, to tell when traffic moves to a newly released model.

    Models already present in the first ``window`` of the stream count as established, so starting
    the detector (or a replay) does not make every model look new.
    """

    def __init__(
        self, window_ms: int, first_seen: dict[str, int] | None = None, start_events: int = 101
    ) -> None:
        self.window_ms = window_ms
        self.first_seen: dict[str, int] = first_seen if first_seen is not None else {}
        self.stream_start: int | None = None
        self._start_events = start_events
        self._early: list[int] = []

    def observe(self, model: str, ts: int) -> bool:
        """Record a request to ``model`` at ``ts``; True when the model is new (released recently)."""
        if self.stream_start is None:
            # Fixed once: from the restored first-seen times after a restart, else the median time of
            # the first events, so that one outlier timestamp cannot make every model look new.
            if len(self.first_seen) and not self._early:
                self.stream_start = min(self.first_seen.values())
            else:
                self._early.append(ts)
                if len(self._early) >= self._start_events:
                    self.stream_start = sorted(self._early)[len(self._early) // 2]
                    self._early = []
        first = self.first_seen.get(model)
        if first is None or ts < first:
            self.first_seen[model] = first = ts
        if self.stream_start is None:
            return False
        released_during_stream = first - self.stream_start > self.window_ms
        return released_during_stream and ts - first <= self.window_ms


class FeatureExtractor:
    """Builds :class:`RequestFeatures`; holds the embedder, the clusterer and the model registry."""

    def __init__(self, config: DetectionConfig, models: ModelRegistry | None = None) -> None:
        self.config = config
        fc = config.features
        self.embedder = HashingEmbedder(config.embedding.dims, config.embedding.seed)
        self.clusterer = SimHashClusterer(
            config.clusters.simhash_bits, config.embedding.dims, config.embedding.seed
        )
        self.models = models or ModelRegistry(int(fc.new_model_window_hours * _MS_PER_HOUR))
        self.content = ContentModel.load(fc.content_weights)
        self._easy_tiers = frozenset(t.lower() for t in fc.easy_entry_tiers)
        self._proxy_types = frozenset(network_type(t) for t in fc.proxy_asn_types)
        self._located_types = frozenset(network_type(t) for t in fc.located_asn_types)
        # Requests whose turn was read from their input tokens, and how many of them read as later turns.
        self._turns_read = 0
        self._later_turns_read = 0
        self._text_simhash = lru_cache(maxsize=_SIMHASH_CACHE)(self._simhash_of_text)
        self._cached_analysis = lru_cache(maxsize=_PROMPT_CACHE)(self.analyse)
        self._cacheable_chars = whole_view_chars(fc.template_view_words)
        traits = config.traits
        self._combines_creation = any("created" in group for group in traits.combined)
        # Kinds weighed 0 are evidence of nothing by themselves: sent only inside combined traits.
        silent = {rule.kind for rule in traits.kinds if rule.weight == 0 and "+" not in rule.kind}
        self._silent_kinds = frozenset(silent | {"created"} if self._combines_creation else silent)
        self._creation_window_ms = traits.created_window_days * 24 * _MS_PER_HOUR

    def _simhash_of_text(self, text: str) -> int:
        return self.clusterer.simhash(self.embedder.embed_text(text))

    def analyse(self, text: str, has_tools: bool) -> PromptAnalysis:
        """Markers, task, template hashes and the text to embed, from the prompt text alone."""
        fc = self.config.features
        window = marker_window(text, fc.marker_window_chars)
        learned = self.content.score_one(text)
        if fc.phrase_markers:
            task = task_kind(window, has_tools)
            phrase_elicitation, phrase_grading = elicitation_strength(window), is_grading(window)
        else:  # the ablation: only what needs no word list (declared tools) and the learned model
            task, phrase_elicitation, phrase_grading = ("tool" if has_tools else "chat"), 0.0, False
        view = template_view(text, fc.template_view_words, fc.long_token_chars)
        markers = ("e" if phrase_elicitation > 0 else "") + ("g" if phrase_grading else "")
        instruction = (
            instruction_view(window, 2 * fc.template_view_words, fc.long_token_chars) if markers else ""
        )
        if not instruction and max(learned.elicitation, learned.grading) >= fc.learned_marker:
            # No listed phrase, but the learned model says the prompt asks for reasoning or grades: the
            # instruction is the end of the template (either language, any wording) that says it most.
            markers = ("e" if learned.elicitation >= fc.learned_marker else "") + (
                "g" if learned.grading >= fc.learned_marker else ""
            )
            instruction = self._instruction_end(text, view, fc.template_view_words)
        seed = self.config.embedding.seed
        return PromptAnalysis(
            task=task,
            elicitation=max(phrase_elicitation, learned.elicitation),
            grading=max(float(phrase_grading), learned.grading),
            capability=max(float(task != "chat"), learned.capability),
            synthetic=learned.synthetic,
            markers=markers,
            # A marked instruction defines the cluster on its own; the task kind depends on the filler.
            cluster_task="instr" if instruction else task,
            embedded_text=instruction or view.text,
            prefix_hash=stable_hash32(view.prefix, seed) if view.prefix else 0,
            suffix_hash=stable_hash32(view.suffix, seed) if view.suffix else 0,
            head_hash=_frame_hash("h", view.prefix.split()[: fc.frame_words], seed),
            tail_hash=_frame_hash("t", view.suffix.split()[-fc.frame_words :], seed),
        )

    def _instruction_end(self, text: str, view: TemplateView, words: int) -> str:
        """The view end (prefix or suffix) whose raw text the content model finds more instruction-like."""
        span = whole_view_chars(words) // 2
        head, tail = self.content.score_short(text[:span]), self.content.score_short(text[-span:])
        head_says = max(head.elicitation, head.grading)
        tail_says = max(tail.elicitation, tail.grading)
        return view.prefix if head_says > tail_says else view.suffix

    def extract(self, event: RequestEvent) -> RequestFeatures:
        fc = self.config.features
        text = event.prompt or ""
        has_tools = bool(event.tools)
        if len(text) <= self._cacheable_chars:
            prompt = self._cached_analysis(text, has_tools)
        else:
            prompt = self.analyse(text, has_tools)
        if event.prompt_embedding is not None:
            simhash = self.clusterer.simhash(self.embedder.project(event.prompt_embedding))
        else:
            simhash = self._text_simhash(prompt.embedded_text)
        age_days = None
        if event.account_created_ts is not None:
            age_days = max(0.0, (event.ts - event.account_created_ts) / _MS_PER_DAY)
        return RequestFeatures(
            event_id=event.event_id,
            account_id=event.account_id,
            ts=event.ts,
            model=event.model,
            input_tokens=event.input_tokens,
            output_tokens=event.output_tokens,
            network=network_of(event.ip),
            asn=event.asn,
            proxy_network=network_type(event.asn_type) in self._proxy_types,
            located_country=self._located_country(event),
            account_age_days=age_days,
            young_account=age_days is not None and age_days < fc.young_account_days,
            easy_entry_tier=(event.account_tier or "").lower() in self._easy_tiers,
            payment=event.payment_fingerprint,
            user_agent_family=user_agent_family(event.user_agent),
            task=prompt.task,
            elicitation=prompt.elicitation,
            grading=prompt.grading,
            capability=prompt.capability,
            synthetic=prompt.synthetic,
            tool_use=has_tools,
            thinking=bool(event.thinking),
            long_output=event.output_tokens >= fc.long_output_tokens
            and event.output_tokens >= fc.long_output_ratio * max(event.input_tokens, 1),
            conversation_turns=event.conversation_turns
            if event.conversation_turns is not None or not fc.read_turns_from_tokens
            else self._read_turn(event),
            prefix_hash=prompt.prefix_hash,
            suffix_hash=prompt.suffix_hash,
            head_hash=prompt.head_hash,
            tail_hash=prompt.tail_hash,
            cluster_id=self.clusterer.format_id(prompt.cluster_task, prompt.markers, simhash),
            new_model=self.models.observe(event.model, event.ts),
            owner_id=f"org:{event.org_id}" if event.org_id else f"acct:{event.account_id}",
            traits=combined_keys(
                trait_keys(event) + self._frame_trait(prompt.head_hash) + self._creation_window(event),
                self.config.traits.combined,
                self._silent_kinds,
            ),
        )

    def _read_turn(self, event: RequestEvent) -> int | None:
        """The turn a request without ``conversation_turns`` most likely is: 2 (a later turn) when its input
        exceeds by far what it shows (prompt, system prompt, tools), since an API bills the whole
        conversation as input; else 1. On the red teams' dev files, where the turn is known, this reads
        99.2-100 % of openings and 92-97 % of later turns right (README, v6.6).

        None (unknown) once the reading has been seen to say nothing: when, after a warm-up, hardly any
        request reads as a later turn, this gateway's input tokens leave the history out, and reading every
        request as an opening would make every account look one-shot. The count is this extractor's (per
        process, as for the soft models); it only decides in that degenerate case."""
        fc = self.config.features
        shown = (
            estimated_tokens(event.prompt)
            + estimated_tokens(event.system_prompt)
            + fc.tool_tokens * len(event.tools or ())
        )
        later = event.input_tokens > fc.history_input_ratio * shown + fc.history_input_slack_tokens
        self._turns_read += 1
        self._later_turns_read += later
        if (
            self._turns_read >= fc.turn_reading_warmup
            and self._later_turns_read < fc.turn_reading_min_later_share * self._turns_read
        ):
            return None
        return 2 if later else 1

    def _located_country(self, event: RequestEvent) -> str | None:
        """The request's country when its network type says the exit sits with its subscriber (a home line
        or a mobile network; a corporate or campus network may exit through a far-away head office)."""
        if not event.country or network_type(event.asn_type) not in self._located_types:
            return None
        return event.country.upper()

    def _creation_window(self, event: RequestEvent) -> tuple[str, ...]:
        """The account's creation window, for combined traits only (alone it is shared by every sign-up
        of those weeks)."""
        if event.account_created_ts is None or not self._combines_creation:
            return ()
        return (f"created:{event.account_created_ts // self._creation_window_ms}",)

    def _frame_trait(self, head_hash: int) -> tuple[str, ...]:
        """The prompt frame (its first masked words) as a shared trait, when configured: an operator's
        fixed instruction wrapper around varying filler. A common opening ("what is the") is shared by
        hundreds of ordinary owners; the trait stage weighs a value by how unusual its sharers are."""
        if not head_hash or not self.config.traits.frame_trait:
            return ()
        return (f"frame:{head_hash:08x}",)


def trait_keys(event: RequestEvent) -> tuple[str, ...]:
    """The request's shared-trait keys: exit IP, its /24, user agent, system prompt, tool set, payment and
    account-creation hour: an operator's infrastructure and tooling. Only hashes and network ids: no
    prompt text leaves. (Prompt templates are the cluster stage's business: public benchmark questions
    are shared by attackers and by honest benchmarkers alike, so they are not an operator's trait.)"""
    keys = [f"ip32:{event.ip}", f"ip24:{network_of(event.ip)}"]
    if event.user_agent:
        keys.append(f"ua:{_text_hash(event.user_agent):08x}")
    if event.system_prompt:
        keys.append(f"sys:{_text_hash(event.system_prompt):08x}")
    if event.tools:
        keys.append(f"tools:{_text_hash(chr(31).join(sorted(event.tools))):08x}")
    if event.payment_fingerprint:
        keys.append(f"pay:{event.payment_fingerprint}")
    if event.account_created_ts is not None:
        keys.append(f"cohort:{event.account_created_ts // _MS_PER_HOUR}")
    return tuple(keys)


def combined_keys(
    keys: tuple[str, ...], groups: tuple[tuple[str, ...], ...], silent: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """``keys`` followed by one key per group of kinds that the request shows all of, e.g. the pair of
    its system prompt and user agent (a public prompt and a popular client are each shared by unrelated
    people; the same pair of both far less often). The kind of a combined key is its kinds joined by '+'.
    Keys of a ``silent`` kind take part in groups but are not sent alone.

    >>> request = ("ip32:10.0.0.1", "ua:0000aaaa", "sys:0000bbbb", "created:7")
    >>> groups = (("sys", "ua"), ("sys", "pay"), ("sys", "created"))
    >>> keys = combined_keys(request, groups, frozenset({"created"}))
    >>> [key.partition(":")[0] for key in keys]
    ['ip32', 'ua', 'sys', 'sys+ua', 'sys+created']
    """
    if not groups and not silent:
        return keys
    by_kind = {key.partition(":")[0]: key for key in keys}
    extra = []
    for group in groups:
        parts = [by_kind[kind] for kind in group if kind in by_kind]
        if len(parts) == len(group):
            extra.append(f"{'+'.join(group)}:{stable_hash32(chr(31).join(parts)):08x}")
    if silent:
        keys = tuple(key for key in keys if key.partition(":")[0] not in silent)
    return keys + tuple(extra)


# System prompts and user agents recur on nearly every request of an integration.
_text_hash = lru_cache(maxsize=_USER_AGENT_CACHE)(stable_hash32)


def _frame_hash(end: str, words: list[str], seed: int) -> int:
    return stable_hash32(f"{end}:{' '.join(words)}", seed) if words else 0


def network_of(ip: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 address, as text."""
    if ":" not in ip:  # IPv4 (already validated and normalised by the schema)
        return ip.rsplit(".", 1)[0]
    return str(ipaddress.ip_network(f"{ip}/48", strict=False).network_address)


@lru_cache(maxsize=_USER_AGENT_CACHE)
def user_agent_family(user_agent: str | None) -> str:
    """Product token of the user agent ('python-requests', 'Mozilla', ...), or '-'."""
    if not user_agent:
        return "-"
    match = _UA_FAMILY.match(user_agent.strip())
    return match.group(0)[:48].lower() if match else "-"
