"""Geo-velocity: is a move between two countries, this fast, something a person could have made?

Someone on a home line or a mobile handset stays in one place: when their requests come from two
countries, the gap between them is at least the time it takes to travel between them. An exit pool that
claims several countries hops between them in minutes. So a request from a residential or mobile network
(its exit sits with its subscriber; hosting and proxy exits can be anywhere, and corporate or campus ones
may leave through a distant head office) whose country is not that of the account's last such request is
an *implausible move* when the gap is shorter than the travel time: the great-circle distance between
the two countries' reference points, less a border allowance (neighbours and cross-border commuters
move freely), at airliner speed.

This is the long-standing "impossible travel" check of account-security systems, applied per account to
the API's own request metadata; it needs no prompt text and no other account. A single implausible move
can be a geolocation error, so the account keeps the recent share of such moves (``country_hopping``).

Reference points are approximate (a country's population centre or capital, to ~300 km); a country not
in the table never counts as a move (unknown distance: no claim), so the table errs towards silence.

>>> implausible_move("US", 0, "JP", 20 * 60_000)        # 20 minutes, across the Pacific
True
>>> implausible_move("US", 0, "JP", 14 * 3_600_000)     # a flight's time later
False
>>> implausible_move("DE", 0, "AT", 60_000)             # neighbours: within the border allowance
False
>>> implausible_move("DE", 0, "DE", 60_000), implausible_move("DE", 0, "QQ", 60_000)
(False, False)
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0

# Approximate reference points (latitude, longitude in degrees) by ISO-3166 alpha-2 code.
# fmt: off
COUNTRY_POINTS: dict[str, tuple[float, float]] = {
    # North and Central America, Caribbean
    "US": (39.8, -96.0), "CA": (45.5, -79.0), "MX": (21.0, -100.0), "GT": (14.6, -90.5),
    "BZ": (17.2, -88.7), "SV": (13.7, -89.2), "HN": (14.6, -87.0), "NI": (12.6, -85.9),
    "CR": (9.9, -84.1), "PA": (8.9, -79.6), "CU": (22.0, -79.5), "JM": (18.1, -77.3),
    "HT": (18.9, -72.7), "DO": (18.7, -70.2), "PR": (18.2, -66.5), "TT": (10.5, -61.3),
    "BS": (25.0, -77.4), "BB": (13.2, -59.5),
    # South America
    "CO": (4.6, -74.1), "VE": (8.0, -66.0), "EC": (-1.5, -78.5), "PE": (-10.0, -76.0),
    "BO": (-17.0, -65.0), "BR": (-15.8, -47.9), "PY": (-24.0, -57.5), "UY": (-34.0, -56.0),
    "AR": (-34.6, -60.0), "CL": (-33.5, -70.7), "GY": (6.8, -58.2), "SR": (5.8, -55.2),
    # Europe
    "GB": (52.5, -1.5), "IE": (53.3, -7.5), "FR": (46.6, 2.4), "BE": (50.8, 4.4),
    "NL": (52.2, 5.3), "LU": (49.8, 6.1), "DE": (51.0, 10.0), "CH": (46.8, 8.2),
    "AT": (47.6, 14.1), "IT": (42.8, 12.5), "ES": (40.2, -3.7), "PT": (39.6, -8.2),
    "DK": (56.0, 10.0), "NO": (60.5, 9.0), "SE": (59.5, 16.0), "FI": (61.9, 25.7),
    "IS": (64.5, -21.0), "PL": (52.1, 19.4), "CZ": (49.8, 15.5), "SK": (48.7, 19.7),
    "HU": (47.2, 19.5), "SI": (46.1, 14.8), "HR": (45.3, 16.0), "BA": (44.2, 17.8),
    "RS": (44.0, 20.9), "ME": (42.7, 19.4), "MK": (41.6, 21.7), "AL": (41.2, 20.0),
    "GR": (38.5, 23.0), "BG": (42.7, 25.2), "RO": (45.9, 24.9), "MD": (47.2, 28.6),
    "UA": (49.0, 31.4), "BY": (53.7, 27.9), "LT": (55.2, 23.9), "LV": (56.9, 24.6),
    "EE": (58.8, 25.0), "RU": (55.8, 37.6), "MT": (35.9, 14.4), "CY": (35.1, 33.4),
    "AD": (42.5, 1.5), "MC": (43.7, 7.4), "LI": (47.2, 9.6), "SM": (43.9, 12.4),
    # Middle East, Caucasus, Central Asia
    "TR": (39.5, 32.5), "GE": (42.0, 43.5), "AM": (40.2, 44.5), "AZ": (40.4, 49.0),
    "IL": (31.8, 34.9), "PS": (31.9, 35.2), "JO": (31.9, 36.0), "LB": (33.9, 35.8),
    "SY": (34.8, 38.5), "IQ": (33.3, 44.0), "IR": (34.0, 52.0), "SA": (24.0, 45.0),
    "AE": (24.5, 54.5), "QA": (25.3, 51.2), "BH": (26.1, 50.6), "KW": (29.3, 47.8),
    "OM": (23.0, 57.5), "YE": (15.4, 45.0), "KZ": (48.0, 68.0), "UZ": (41.3, 64.5),
    "TM": (39.0, 59.5), "KG": (42.0, 74.5), "TJ": (38.6, 70.0), "AF": (34.0, 66.0),
    "MN": (47.9, 106.9),
    # South and East Asia, Oceania
    "IN": (22.0, 79.0), "PK": (30.0, 70.0), "BD": (23.7, 90.4), "LK": (7.9, 80.7),
    "NP": (27.7, 85.3), "BT": (27.5, 90.4), "MV": (4.2, 73.5), "CN": (32.0, 112.0),
    "HK": (22.3, 114.2), "MO": (22.2, 113.5), "TW": (23.7, 121.0), "JP": (36.0, 138.5),
    "KR": (36.5, 127.8), "KP": (39.0, 125.8), "VN": (16.0, 106.5), "LA": (18.0, 103.0),
    "KH": (12.0, 105.0), "TH": (14.5, 100.8), "MM": (19.8, 96.1), "MY": (3.5, 102.0),
    "SG": (1.35, 103.8), "BN": (4.9, 114.9), "ID": (-6.5, 109.0), "PH": (13.0, 122.0),
    "TL": (-8.8, 125.7), "AU": (-32.0, 146.0), "NZ": (-40.5, 174.5), "PG": (-6.5, 147.0),
    "FJ": (-17.8, 178.0),
    # Africa
    "EG": (30.0, 31.2), "LY": (31.0, 16.0), "TN": (35.5, 10.0), "DZ": (35.5, 3.5),
    "MA": (33.0, -6.5), "SD": (15.5, 32.5), "ET": (9.0, 38.7), "KE": (-1.0, 37.0),
    "UG": (0.5, 32.5), "TZ": (-6.5, 36.0), "RW": (-2.0, 30.0), "SO": (3.0, 45.3),
    "NG": (8.0, 7.5), "GH": (6.5, -1.0), "CI": (6.8, -5.3), "SN": (14.7, -17.0),
    "CM": (4.5, 11.5), "CD": (-4.3, 15.3), "AO": (-10.0, 15.0), "ZM": (-14.5, 28.3),
    "ZW": (-18.5, 30.5), "MZ": (-19.0, 34.5), "MG": (-19.0, 47.0), "ZA": (-27.0, 27.0),
    "NA": (-22.5, 17.0), "BW": (-23.5, 25.5), "MU": (-20.3, 57.5),
}
# fmt: on


def distance_km(a: str, b: str) -> float | None:
    """Great-circle distance between two countries' reference points (None: a country is unknown).

    >>> round(distance_km("GB", "FR") / 100)
    7
    """
    pa, pb = COUNTRY_POINTS.get(a.upper()), COUNTRY_POINTS.get(b.upper())
    if pa is None or pb is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*pa, *pb))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def implausible_move(
    previous: str,
    previous_ts: int,
    country: str,
    ts: int,
    *,
    speed_kmh: float = 900.0,
    border_km: float = 800.0,
) -> bool:
    """True when going from ``previous`` (at ``previous_ts``) to ``country`` (at ``ts``, epoch ms) is
    faster than ``speed_kmh`` over the distance beyond ``border_km``."""
    if previous == country:
        return False
    distance = distance_km(previous, country)
    if distance is None or distance <= border_km:
        return False
    hours = abs(ts - previous_ts) / 3_600_000
    return hours * speed_kmh < distance - border_km


def pack_country(code: str | None) -> int:
    """A two-letter code as a 16-bit number for compact state (0: none).

    >>> unpack_country(pack_country("jp")), pack_country(None), unpack_country(0)
    ('JP', 0, None)
    """
    if not code or len(code) != 2:
        return 0
    upper = code.upper()
    return (ord(upper[0]) << 8) | ord(upper[1])


def unpack_country(packed: int) -> str | None:
    if not packed:
        return None
    return chr(packed >> 8) + chr(packed & 0xFF)
