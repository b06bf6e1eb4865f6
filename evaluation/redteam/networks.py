"""Network plan: countries, ASNs (ISP / mobile / hosting / proxy / education / business), IPs, user agents.

The plan is fixed (seeded from a constant), so an IP prefix always maps to the same ASN and country in
every split. IP blocks are synthetic /16s drawn from publicly routable space; they do not claim to match
real-world registry data, only to be self-consistent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .common import weighted

# country -> (UTC offsets its users live in, ISP ASNs, mobile ASNs, weight among generic users)
COUNTRIES: dict[str, tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...], float]] = {
    "US": ((-5, -6, -7, -8), (7922, 701, 7018, 20115, 22773), (21928, 6167, 20057), 30.0),
    "CA": ((-5, -8), (812, 577, 6327), (852,), 4.0),
    "GB": ((0,), (2856, 5089, 5607), (12576, 25135), 6.0),
    "DE": ((1,), (3320, 3209, 8881), (6805,), 6.0),
    "FR": ((1,), (3215, 12322, 5410, 15557), (51207,), 5.0),
    "ES": ((1,), (3352, 12479, 12430), (12357,), 3.0),
    "IT": ((1,), (3269, 30722, 12874), (1267,), 3.0),
    "NL": ((1,), (1136, 33915), (50266,), 2.0),
    "PL": ((1,), (5617, 12741), (12912,), 2.0),
    "SE": ((1,), (3301, 8473), (44034,), 1.0),
    "CH": ((1,), (3303,), (15796,), 1.0),
    "JP": ((9,), (4713, 2516, 17676), (9605,), 5.0),
    "KR": ((9,), (4766, 9318), (17858,), 3.0),
    "TW": ((8,), (3462,), (24158,), 1.5),
    "HK": ((8,), (9269, 4760), (10118,), 1.0),
    "SG": ((8,), (7473, 55430), (4657,), 1.5),
    "MY": ((8,), (4788,), (9534,), 1.0),
    "IN": ((5.5,), (24560, 9829), (55836, 45609), 7.0),
    "BR": ((-3,), (28573, 26599, 18881), (26615,), 4.0),
    "MX": ((-6,), (8151,), (28403,), 2.0),
    "AR": ((-3,), (7303,), (22927,), 1.0),
    "CL": ((-4,), (27651,), (27995,), 0.5),
    "CO": ((-5,), (10620,), (27831,), 0.5),
    "AU": ((10, 8), (1221, 4804), (7545,), 2.0),
    "KZ": ((5,), (9198,), (48503,), 0.7),
    "UA": ((2,), (6849,), (15895,), 1.0),
    "GE": ((4,), (35805,), (16010,), 0.3),
    "AM": ((4,), (12297,), (44395,), 0.3),
    "RS": ((1,), (8400,), (31042,), 0.4),
    "IL": ((2,), (8551,), (12400,), 1.0),
    "TR": ((3,), (9121,), (16135,), 1.5),
    "VN": ((7,), (45899,), (7552,), 1.5),
    "ID": ((7,), (7713,), (23693,), 2.0),
    "PH": ((8,), (9299,), (132199,), 1.5),
    "BE": ((1,), (5432,), (6848,), 0.7),
    "AT": ((1,), (8447,), (25255,), 0.5),
}

#: speakers of each non-English language live in these countries (weights)
LANG_COUNTRIES: dict[str, tuple[tuple[str, float], ...]] = {
    "zh": (("TW", 3), ("SG", 3), ("HK", 2), ("MY", 2), ("US", 2), ("CA", 1), ("AU", 1)),
    "ru": (("KZ", 3), ("UA", 2), ("GE", 1), ("AM", 1), ("RS", 1), ("IL", 2), ("DE", 1)),
    "es": (("ES", 4), ("MX", 3), ("AR", 2), ("CO", 1), ("CL", 1), ("US", 2)),
    "de": (("DE", 6), ("AT", 1), ("CH", 1)),
    "fr": (("FR", 6), ("BE", 1), ("CA", 1), ("CH", 1)),
    "ja": (("JP", 1),),
    "en": (("US", 10), ("GB", 3), ("CA", 2), ("AU", 1), ("IN", 2), ("SG", 0.5)),
}

_HOSTING = (  # (asn, countries)
    (16509, ("US", "DE", "IE", "SG", "JP")),
    (14618, ("US",)),
    (396982, ("US", "NL", "SG")),
    (8075, ("US", "NL", "GB")),
    (14061, ("US", "DE", "SG", "GB")),
    (24940, ("DE", "FI")),
    (16276, ("FR", "CA")),
    (63949, ("US", "JP")),
    (20473, ("US", "NL", "JP")),
    (45102, ("SG", "US")),
    (132203, ("SG", "HK")),
    (31898, ("US", "GB")),
)
_PROXY = (
    (9009, ("GB", "US", "NL", "DE")),
    (212238, ("US", "DE")),
    (60068, ("NL", "US")),
    (62240, ("US", "SE")),
)
_EDU = (
    (3, "US"),
    (25, "US"),
    (786, "GB"),
    (680, "DE"),
    (2200, "FR"),
    (7575, "AU"),
    (2907, "JP"),
    (766, "ES"),
)

_BAD_FIRST_OCTETS = {0, 10, 100, 127, 169, 172, 192, 198, 203}


@dataclass(frozen=True)
class Endpoint:
    """Network facts an event carries."""

    ip: str
    asn: int
    asn_type: str
    country: str


@dataclass
class Net:
    """One autonomous system in one country with its synthetic /16 blocks."""

    asn: int
    asn_type: str
    country: str
    blocks: list[tuple[int, int]] = field(default_factory=list)

    def slash24(self, rng: random.Random) -> tuple[int, int, int]:
        """A random /24 inside this network."""
        a, b = rng.choice(self.blocks)
        return a, b, rng.randrange(256)

    def endpoint(self, rng: random.Random, prefix: tuple[int, int, int] | None = None) -> Endpoint:
        """An address in this network (inside ``prefix`` when given)."""
        a, b, c = prefix or self.slash24(rng)
        return Endpoint(f"{a}.{b}.{c}.{rng.randint(2, 254)}", self.asn, self.asn_type, self.country)


class NetworkPlan:
    """All networks of the simulated internet; identical for every split."""

    def __init__(self) -> None:
        rng = random.Random("redteam-network-plan-v1")
        self._used: set[tuple[int, int]] = set()
        self.isp: dict[str, list[Net]] = {}
        self.mobile: dict[str, list[Net]] = {}
        for cc, (_tz, isps, mobiles, _w) in COUNTRIES.items():
            self.isp[cc] = [self._net(rng, asn, "isp", cc, 6) for asn in isps]
            self.mobile[cc] = [self._net(rng, asn, "mobile", cc, 4) for asn in mobiles]
        self.hosting = [self._net(rng, asn, "hosting", cc, 3) for asn, ccs in _HOSTING for cc in ccs]
        self.proxy = [self._net(rng, asn, "proxy", cc, 2) for asn, ccs in _PROXY for cc in ccs]
        self.education = [self._net(rng, asn, "education", cc, 1) for asn, cc in _EDU]
        self.business = [
            self._net(rng, 394_000 + rng.randrange(9000), "business", cc, 1)
            for cc in ("US", "US", "US", "GB", "DE", "FR", "JP", "SG", "CA", "NL", "IN", "AU")
        ]

    def _net(self, rng: random.Random, asn: int, kind: str, cc: str, n_blocks: int) -> Net:
        net = Net(asn, kind, cc)
        while len(net.blocks) < n_blocks:
            a = rng.randint(2, 223)
            block = (a, rng.randrange(256))
            if a in _BAD_FIRST_OCTETS or block in self._used:
                continue
            self._used.add(block)
            net.blocks.append(block)
        return net

    # --- choosing networks -------------------------------------------------------------------------
    def home_isp(self, rng: random.Random, country: str) -> Net:
        """A residential ISP of ``country``."""
        return rng.choice(self.isp.get(country) or self.isp["US"])

    def carrier(self, rng: random.Random, country: str) -> Net:
        """A mobile carrier of ``country``."""
        return rng.choice(self.mobile.get(country) or self.mobile["US"])

    def cloud(self, rng: random.Random, country: str | None = None) -> Net:
        """A hosting provider network (optionally in ``country``)."""
        nets = [n for n in self.hosting if country is None or n.country == country] or self.hosting
        return rng.choice(nets)

    def vpn(self, rng: random.Random) -> Net:
        """A commercial VPN / datacentre proxy network."""
        return rng.choice(self.proxy)

    def campus(self, rng: random.Random) -> Net:
        """A university network."""
        return rng.choice(self.education)

    def office(self, rng: random.Random, country: str | None = None) -> Net:
        """A corporate network."""
        nets = [n for n in self.business if country is None or n.country == country] or self.business
        return rng.choice(nets)

    def residential_exit(self, rng: random.Random, country: str, mobile_share: float) -> Endpoint:
        """A residential-proxy exit: a random household or handset in ``country``."""
        net = self.carrier(rng, country) if rng.random() < mobile_share else self.home_isp(rng, country)
        return net.endpoint(rng)


def country_for(rng: random.Random, lang: str = "en") -> str:
    """A plausible country for a user writing in ``lang``."""
    if lang == "en":
        return weighted(rng, [(cc, spec[3]) for cc, spec in COUNTRIES.items()])
    return weighted(rng, list(LANG_COUNTRIES.get(lang, LANG_COUNTRIES["en"])))


def tz_offset(rng: random.Random, country: str) -> float:
    """A UTC offset (hours) for someone living in ``country``."""
    return rng.choice(COUNTRIES.get(country, COUNTRIES["US"])[0])


# --- user agents ---------------------------------------------------------------------------------------
_OSES = ["Linux x86_64", "Darwin arm64", "Windows AMD64", "Darwin x86_64", "Linux aarch64"]
_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{c}.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{c}.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_{m}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{f}.0) Gecko/20100101 Firefox/{f}.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{f}.0) Gecko/20100101 Firefox/{f}.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{c}.0.0.0 Safari/537.36",
]


def user_agent(rng: random.Random, kind: str) -> str:
    """A realistic user-agent string of a given kind: sdk, http, browser, mobile, framework, cli."""
    if kind == "sdk":
        if rng.random() < 0.6:
            return (
                f"python-sdk/{rng.randint(0, 2)}.{rng.randint(0, 60)}.{rng.randint(0, 9)} "
                f"(CPython 3.{rng.choice([10, 11, 11, 12, 12, 13])}.{rng.randint(0, 9)}; {rng.choice(_OSES)})"
            )
        return (
            f"node-sdk/{rng.randint(3, 5)}.{rng.randint(0, 40)}.{rng.randint(0, 9)} "
            f"(node v{rng.choice([18, 20, 20, 22])}.{rng.randint(0, 19)}.{rng.randint(0, 9)}; "
            f"{rng.choice(_OSES)})"
        )
    if kind == "http":
        return rng.choice(
            [
                f"python-httpx/0.{rng.choice([24, 25, 26, 27, 28])}.{rng.randint(0, 2)}",
                f"python-requests/2.{rng.choice([28, 31, 32])}.{rng.randint(0, 3)}",
                f"aiohttp/3.{rng.choice([8, 9, 10, 11])}.{rng.randint(0, 9)}",
                f"axios/1.{rng.randint(4, 8)}.{rng.randint(0, 9)}",
                "Go-http-client/2.0",
                "Go-http-client/1.1",
                f"okhttp/4.{rng.choice([9, 11, 12])}.0",
                f"reqwest/0.{rng.choice([11, 12])}.{rng.randint(0, 9)}",
            ]
        )
    if kind == "browser":
        return (
            rng.choice(_BROWSERS)
            .replace("{c}", str(rng.randint(124, 134)))
            .replace("{f}", str(rng.randint(125, 136)))
            .replace("{m}", str(rng.randint(1, 6)))
        )
    if kind == "mobile":
        if rng.random() < 0.5:
            return (
                f"ChatPad/{rng.randint(2, 4)}.{rng.randint(0, 9)}.{rng.randint(0, 9)} "
                f"(iPhone; iOS {rng.choice([17, 18])}.{rng.randint(0, 6)}; Scale/3.00)"
            )
        return (
            f"Dalvik/2.1.0 (Linux; U; Android {rng.choice([12, 13, 14, 15])}; "
            f"{rng.choice(['Pixel 8', 'SM-S918B', 'SM-A546E', '2201117TG', 'CPH2451'])} Build/"
            f"{rng.choice(['AP1A', 'UP1A', 'TP1A'])}.{rng.randint(230101, 250301)}.0{rng.randint(10, 99)})"
        )
    if kind == "framework":
        return rng.choice(
            [
                f"langchain-python/0.3.{rng.randint(0, 25)}",
                f"litellm/1.{rng.randint(40, 70)}.{rng.randint(0, 9)}",
                f"llama-index/0.12.{rng.randint(0, 30)}",
                f"openai-compatible-proxy/{rng.randint(0, 3)}.{rng.randint(0, 9)}",
                f"dspy/2.{rng.randint(4, 6)}.{rng.randint(0, 9)}",
            ]
        )
    if kind == "cli":
        return rng.choice(
            [
                f"curl/8.{rng.randint(4, 12)}.{rng.randint(0, 1)}",
                "PostmanRuntime/7.43.0",
                f"HTTPie/3.2.{rng.randint(1, 4)}",
                f"Wget/1.{rng.choice([21, 24, 25])}",
            ]
        )
    raise ValueError(f"unknown user-agent kind {kind!r}")
