"""Resident ID numbers (GB 11643-1999) as they arrive in real exports.

Pure functions. ``normalize_id`` handles one value; ``normalize_ids`` does a whole column and
computes every rule once per *distinct* value, with the checksum and date checks vectorised in
numpy, so a million rows cost about a second.

Statuses:

- ``valid``          18 characters, date and checksum right
- ``converted_15``   a 15-digit (pre-1999) number, widened to 18 with "19" and a check digit
- ``precision_lost`` the value passed through a spreadsheet number (``3.41021E+17``,
                     ``341021200501011232.0``, or 18 digits ending in ``000`` with a wrong check
                     digit): only the first 14 digits (region + birth date) can be trusted
- ``bad_checksum``   18 characters with a real date but the wrong check digit (a typo)
- ``bad_date``       18 (or 15) characters whose birth-date part is not a real date
- ``wrong_length``   anything else that is not empty
- ``empty``          nothing there
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

STATUSES = ("valid", "converted_15", "precision_lost", "bad_checksum", "bad_date", "wrong_length", "empty")
#: Statuses whose normalized ID can be trusted whole.
USABLE = frozenset({"valid", "converted_15"})

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"

_WS = re.compile(r"[\s\u200b\u200c\u200d\ufeff\u00a0\u3000]+")
_SCI = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?[eE][+]?[0-9]+$")
_DECIMAL = re.compile(r"^([0-9]+)\.([0-9]+)$")
_ID18 = re.compile(r"^[0-9]{17}[0-9X]$")
_ID15 = re.compile(r"^[0-9]{15}$")
_XUEJI_G = re.compile(r"^G([0-9]{17}[0-9X])$")
_DISABILITY = re.compile(r"^([0-9]{17}[0-9X])[0-9A-Z]{2}([0-9A-Z]{2})?$")
_MIN_YEAR, _MAX_YEAR = 1900, 2099

COLUMNS = ("id", "id_status", "id_region", "id_birth", "id_sex", "id_prefix14", "id_note")


@dataclass(frozen=True)
class IdInfo:
    id: str            # normalized value (18 chars when the status allows; cleaned text otherwise)
    status: str
    region: str        # 6-digit region code or ''
    birth: str         # YYYY-MM-DD or ''
    sex: str           # 男 / 女 / ''
    prefix14: str      # region + birth date digits that can be trusted, or ''
    note: str          # Chinese remark on what was done (e.g. 残疾证号取前18位, 15位转18位)


def check_char(first17: str) -> str:
    """GB 11643 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(c) * int(w) for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def is_valid_id(s: str) -> bool:
    info = normalize_id(s)
    return info.status == "valid"


def id15_to_18(id15: str) -> str:
    body = id15[:6] + "19" + id15[6:]
    return body + check_char(body)


def clean_text(raw: object) -> str:
    """Formatting repairs that are never a data mismatch: spaces, full-width, quotes, ="…", x."""
    if raw is None:
        return ""
    s = str(raw)
    if s in ("nan", "None", "NaN", "<NA>"):
        return ""
    s = unicodedata.normalize("NFKC", s)
    s = _WS.sub("", s)
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1]
    s = s.strip("'\"‘’“”`")
    return s.upper()


def _date_ok(y: int, m: int, d: int) -> bool:
    if not (_MIN_YEAR <= y <= _MAX_YEAR and 1 <= m <= 12 and d >= 1):
        return False
    mdays = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30,
             31, 31, 30, 31, 30, 31][m - 1]
    return d <= mdays


def _parts(id18: str, status: str, note: str) -> IdInfo:
    region, ymd = id18[:6], id18[6:14]
    y, m, d = int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8])
    birth = f"{y:04d}-{m:02d}-{d:02d}" if _date_ok(y, m, d) else ""
    sex = ""
    if status in USABLE or status == "bad_checksum":
        sex = "男" if int(id18[16]) % 2 == 1 else "女"
    return IdInfo(id18, status, region, birth, sex, id18[:14] if birth else "", note)


def normalize_id(raw: object) -> IdInfo:
    """Normalize one raw ID cell (text as read; numbers already rendered by io.cells)."""
    s = clean_text(raw)
    if not s:
        return IdInfo("", "empty", "", "", "", "", "")
    note = ""
    # numbers that went through a float
    if _SCI.match(s):
        try:
            digits = str(int(Decimal(s)))
        except (InvalidOperation, ValueError):
            return IdInfo(s, "wrong_length", "", "", "", "", "")
        if len(digits) == 18:
            info = _parts(digits, "precision_lost", "证件号被存成数字（科学计数法），后几位已丢失")
            return info
        if len(digits) == 15:
            s = digits  # 15 digits survive a double exactly
        else:
            return IdInfo(digits, "wrong_length", "", "", "", "", "证件号被存成数字")
    m = _DECIMAL.match(s)
    if m:
        digits, frac = m.group(1), m.group(2)
        if set(frac) != {"0"}:
            return IdInfo(s, "wrong_length", "", "", "", "", "")
        if len(digits) > 15:
            if len(digits) == 18:
                return _parts(digits, "precision_lost", "证件号被存成数字，后几位不可信")
            return IdInfo(digits, "wrong_length", "", "", "", "", "证件号被存成数字")
        s = digits
    g = _XUEJI_G.match(s)
    if g:
        s = g.group(1)
        note = "G学籍号取证件号"
    if len(s) in (20, 22):
        dm = _DISABILITY.match(s)
        if dm:
            s = dm.group(1)
            note = "残疾证号取前18位"
    if _ID15.match(s):
        y, mth, d = 1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])
        if not _date_ok(y, mth, d):
            return IdInfo(s, "bad_date", s[:6], "", "", "", "")
        return _parts(id15_to_18(s), "converted_15", "15位旧证件号已转为18位")
    if len(s) != 18 or not _ID18.match(s):
        return IdInfo(s, "wrong_length", "", "", "", "", note)
    y, mth, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not _date_ok(y, mth, d):
        return IdInfo(s, "bad_date", s[:6], "", "", "", note)
    if check_char(s[:17]) == s[17]:
        return _parts(s, "valid", note)
    if s.endswith("000"):
        return _parts(s, "precision_lost", "证件号末三位为000，疑似被 Excel 转成数字后丢失")
    return _parts(s, "bad_checksum", note)


def normalize_ids(raw: pd.Series) -> pd.DataFrame:
    """Vectorised ``normalize_id`` over a column; returns a DataFrame with COLUMNS, same index.

    Work is done once per distinct value: the fast path (already-clean 18/15-digit strings) is
    checked with numpy; the rare messy values go through ``normalize_id``.
    """
    values = raw.astype("object").where(raw.notna(), "")
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    uniq = pd.Series(uniques, dtype="object").astype(str)
    n = len(uniq)
    out = {c: np.full(n, "", dtype=object) for c in COLUMNS}

    clean18 = uniq.str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool)
    idx = np.flatnonzero(clean18)
    if len(idx):
        ids = uniq.to_numpy()[idx].astype("U18")
        buf = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = buf[:, :17].astype(np.int64) - 48
        check = np.array(list(CHECK_CHARS))[(digits @ WEIGHTS) % 11]
        last = buf[:, 17].view("S1").astype("U1")
        y = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        m = digits[:, 10] * 10 + digits[:, 11]
        d = digits[:, 12] * 10 + digits[:, 13]
        dates = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce")
        date_ok = dates.notna().to_numpy() & (y >= _MIN_YEAR) & (y <= _MAX_YEAR)
        ok = date_ok & (check == last)
        # only the fully valid ones take the fast path; everything else goes the slow way
        fast = idx[ok]
        fids = ids[ok]
        out["id"][fast] = fids
        out["id_status"][fast] = "valid"
        out["id_region"][fast] = [s[:6] for s in fids]
        out["id_birth"][fast] = dates[ok].dt.strftime("%Y-%m-%d").to_numpy()
        out["id_sex"][fast] = np.where(digits[ok, 16] % 2 == 1, "男", "女")
        out["id_prefix14"][fast] = [s[:14] for s in fids]
        done = np.zeros(n, dtype=bool)
        done[fast] = True
    else:
        done = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(~done):
        info = normalize_id(uniq.iat[i])
        out["id"][i] = info.id
        out["id_status"][i] = info.status
        out["id_region"][i] = info.region
        out["id_birth"][i] = info.birth
        out["id_sex"][i] = info.sex
        out["id_prefix14"][i] = info.prefix14
        out["id_note"][i] = info.note
    frame = pd.DataFrame({c: out[c][codes] for c in COLUMNS}, index=raw.index)
    return frame


def id_from_xueji(raw: pd.Series) -> pd.Series:
    """The ID a ``G`` 全国学籍号 carries ('' for J/L numbers and anything else)."""
    cleaned = raw.astype("object").where(raw.notna(), "").map(clean_text)
    ext = cleaned.str.extract(r"^G([0-9]{17}[0-9X])$", expand=False)
    return ext.fillna("").astype(object)


def xueji_birth(raw: pd.Series) -> pd.Series:
    """Birth date (YYYY-MM-DD) carried by a G/J/L 学籍号, '' when none can be read."""
    cleaned = raw.astype("object").where(raw.notna(), "").map(clean_text)
    ext = cleaned.str.extract(r"^[GJL][0-9]{6}([0-9]{4})([0-9]{2})([0-9]{2})", expand=True)
    out = pd.Series("", index=raw.index, dtype=object)
    has = ext[0].notna()
    if has.any():
        y = ext.loc[has, 0].astype(int)
        m = ext.loc[has, 1].astype(int)
        d = ext.loc[has, 2].astype(int)
        ok = [_date_ok(a, b, c) for a, b, c in zip(y, m, d)]
        vals = [f"{a:04d}-{b:02d}-{c:02d}" if k else "" for a, b, c, k in zip(y, m, d, ok)]
        out.loc[has] = vals
    return out


def mask(id_text: str) -> str:
    """341021********1234 for display."""
    if len(id_text) >= 18:
        return id_text[:6] + "*" * (len(id_text) - 10) + id_text[-4:]
    if len(id_text) > 6:
        keep = max(1, len(id_text) // 3)
        return id_text[:keep] + "*" * (len(id_text) - 2 * keep) + id_text[-keep:]
    return id_text
