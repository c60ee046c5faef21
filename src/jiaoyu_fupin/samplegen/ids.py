"""GB 11643-1999 ID numbers: checksum, construction, damage and a small normaliser.

Deliberately independent of ``jiaoyu_fupin.normalize``: the generator is the tool's oracle and must
not share its bugs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_W = np.array(WEIGHTS, dtype=np.int64)
_CHECK_BYTES = np.frombuffer(CHECK.encode(), dtype=np.uint8)


def check_digit(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def make_id(region: str, birth: date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def parse_date8(s: str) -> date | None:
    if len(s) != 8 or not s.isdigit():
        return None
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    except ValueError:
        return None


def is_valid18(s: str) -> bool:
    return (len(s) == 18 and s[:17].isdigit() and s[17] in "0123456789X"
            and check_digit(s[:17]) == s[17] and parse_date8(s[6:14]) is not None)


def to18(id15: str) -> str:
    body = id15[:6] + "19" + id15[6:]
    return body + check_digit(body)


def to15(id18: str) -> str:
    """The old 15-digit form of an ID of someone born in the 1900s."""
    assert id18[6:8] == "19"
    return id18[:6] + id18[8:17]


def neighbours(id18: str) -> list[str]:
    """Every string one substitution or one adjacent transposition away (digits / X)."""
    out = []
    chars = "0123456789X"
    for i, c in enumerate(id18):
        for d in chars:
            if d != c and (d != "X" or i == 17):
                out.append(id18[:i] + d + id18[i + 1:])
    for i in range(17):
        if id18[i] != id18[i + 1]:
            out.append(id18[:i] + id18[i + 1] + id18[i] + id18[i + 2:])
    return out


def excel_number(id18: str) -> float:
    """What Excel stores for an ID typed into a General cell: 15 significant digits."""
    return float((int(id18) + 500) // 1000 * 1000)


# ----------------------------------------------------------------------------------------------
# Normaliser used by the oracle's self-check (mirrors docs/SEMANTICS.md, written independently)
# ----------------------------------------------------------------------------------------------
_SCI = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def normalize(raw) -> tuple[str, str]:
    """(status, value): status in valid, converted_15, precision_lost, invalid, empty.

    value is the 18-character ID for valid/converted_15, the 15-digit prefix text for
    precision_lost, the cleaned text otherwise."""
    if raw is None:
        return "empty", ""
    if isinstance(raw, float):
        digits = f"{raw:.0f}"
        return "precision_lost", digits[:15]
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1]
    s = s.lstrip("'")
    s = re.sub(r"\s+", "", s).upper()
    if not s:
        return "empty", ""
    if _SCI.match(s):
        return "precision_lost", f"{float(s):.0f}"[:15]
    if len(s) in (20, 22) and is_valid18(s[:18]):
        return "valid", s[:18]
    if len(s) == 18:
        if is_valid18(s):
            return "valid", s
        if s.isdigit() and s.endswith("000"):
            return "precision_lost", s[:15]
        return "invalid", s
    if len(s) == 15 and s.isdigit() and parse_date8("19" + s[6:12]) is not None:
        return "converted_15", to18(s)
    return "invalid", s


def xueji_id(xueji: str) -> str | None:
    """The ID carried by a G 学籍号, if it is a valid one."""
    if not xueji:
        return None
    s = unicodedata.normalize("NFKC", str(xueji)).strip()
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1]
    s = re.sub(r"\s+", "", s.lstrip("'")).upper()
    if s.startswith("G") and is_valid18(s[1:19]):
        return s[1:19]
    return None


# ----------------------------------------------------------------------------------------------
# Vectorised (bench scale)
# ----------------------------------------------------------------------------------------------
_EPOCH = np.datetime64("1970-01-01", "D")


def ids_vectorised(region_codes: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Build 18-character IDs. region_codes int (6 digits), birth_days datetime64[D], seq int 1..999.

    Returns a numpy array of str (dtype '<U18')."""
    n = len(seq)
    ymd = birth_days.astype("datetime64[D]")
    years = ymd.astype("datetime64[Y]").astype(np.int64) + 1970
    months = ymd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (ymd - ymd.astype("datetime64[M]")).astype(np.int64) + 1
    digits = np.empty((n, 17), dtype=np.int64)
    r = region_codes.astype(np.int64)
    for k in range(6):
        digits[:, 5 - k] = r % 10
        r = r // 10
    date_num = years * 10000 + months * 100 + days
    for k in range(8):
        digits[:, 13 - k] = date_num % 10
        date_num = date_num // 10
    s = seq.astype(np.int64)
    for k in range(3):
        digits[:, 16 - k] = s % 10
        s = s // 10
    chk = (digits @ _W) % 11
    buf = np.empty((n, 18), dtype=np.uint8)
    buf[:, :17] = digits + 48
    buf[:, 17] = _CHECK_BYTES[chk]
    return buf.view("S18").ravel().astype("U18")
