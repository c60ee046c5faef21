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
import pyarrow as pa
import pyarrow.compute as pc

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


def _dates_ok(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Vectorised ``_date_ok`` (int arrays)."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    mdays = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)[np.clip(m, 0, 12)]
    mdays = mdays + ((m == 2) & leap)
    return (y >= _MIN_YEAR) & (y <= _MAX_YEAR) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= mdays)


def _ascii_rows(values, width: int) -> np.ndarray:
    """Equal-length ASCII strings as an (n, width) uint8 array."""
    return np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _shared_text(keys: np.ndarray, render) -> np.ndarray:
    """Object array of ``render(key)`` per element, one str object per distinct key (a million
    rows of a few thousand dates must not hold a million string objects)."""
    codes, uniq = pd.factorize(keys)
    texts = np.empty(len(uniq), dtype=object)
    texts[:] = [render(k) for k in uniq.tolist()]
    return texts[codes]


def _digits_value(digits: np.ndarray) -> np.ndarray:
    """(n, k) digit values -> int64 numbers."""
    out = np.zeros(len(digits), dtype=np.int64)
    for k in range(digits.shape[1]):
        out = out * 10 + digits[:, k]
    return out


def normalize_id_arrays(raw) -> dict[str, np.ndarray]:
    """``normalize_ids`` as a dict of object arrays (COLUMNS), for callers that keep object
    columns. Work is done once per distinct value: 18-character IDs (after the formatting repairs
    every export needs: a leading apostrophe, a lowercase x) with numpy, everything else through
    ``normalize_id``."""
    values = raw.to_numpy(dtype=object) if isinstance(raw, pd.Series) else np.asarray(raw, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # missing cells (None, NaN, NA) are '' (a last distinct value; '' may be there already)
    codes = np.where(codes < 0, len(uniques), codes)
    uniq = [u if type(u) is str else str(u) for u in uniques.tolist()] + [""]
    n = len(uniq)
    out = {c: np.full(n, "", dtype=object) for c in COLUMNS}
    done = np.zeros(n, dtype=bool)
    # already clean, or clean after the repairs normalize_id makes (same result as its slow path)
    clean = pc.match_substring_regex(pa.array(uniq, type=pa.string()), r"^[0-9]{17}[0-9X]$").to_numpy(
        zero_copy_only=False)
    others = np.flatnonzero(~clean)
    repaired = np.zeros(n, dtype=bool)
    if len(others):
        repaired[others] = pd.Series([uniq[i] for i in others.tolist()], dtype="str").str.fullmatch(
            r"'?[0-9]{17}[0-9Xx]").to_numpy(dtype=bool)
    idx = np.flatnonzero(clean | repaired)
    if len(idx):
        ids = np.empty(n, dtype=object)
        ids[:] = uniq
        ri = np.flatnonzero(repaired)
        ids[ri] = [uniq[i].lstrip("'").upper() for i in ri.tolist()]
        ids = ids[idx]
        buf = _ascii_rows(ids, 18)
        digits = buf[:, :17].astype(np.int64) - 48
        check = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)[(digits @ WEIGHTS) % 11]
        y = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        m = digits[:, 10] * 10 + digits[:, 11]
        d = digits[:, 12] * 10 + digits[:, 13]
        # the branches of normalize_id for an 18-character ID, vectorised
        date_ok = _dates_ok(y, m, d)
        check_ok = check == buf[:, 17]
        zeros = (buf[:, 15] == 48) & (buf[:, 16] == 48) & (buf[:, 17] == 48)
        names = ("valid", "bad_date", "precision_lost", "bad_checksum")
        status = np.where(~date_ok, 1, np.where(check_ok, 0, np.where(zeros, 2, 3)))
        region = _digits_value(digits[:, :6])
        ymd = _digits_value(digits[:, 6:14])
        out["id"][idx] = ids
        out["id_status"][idx] = np.array(names, dtype=object)[status]
        out["id_region"][idx] = _shared_text(region, lambda v: f"{v:06d}")
        dated = idx[date_ok]
        out["id_birth"][dated] = _shared_text(ymd[date_ok],
                                              lambda v: f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}")
        out["id_prefix14"][dated] = _shared_text((region * 100_000_000 + ymd)[date_ok], lambda v: f"{v:014d}")
        sexed = date_ok & (status != 2)
        sex = np.empty(int(sexed.sum()), dtype=object)
        sex[:] = "女"
        sex[digits[sexed, 16] % 2 == 1] = "男"
        out["id_sex"][idx[sexed]] = sex
        out["id_note"][idx[status == 2]] = "证件号末三位为000，疑似被 Excel 转成数字后丢失"
        done[idx] = True
    for i in np.flatnonzero(~done).tolist():
        info = normalize_id(uniq[i])
        out["id"][i] = info.id
        out["id_status"][i] = info.status
        out["id_region"][i] = info.region
        out["id_birth"][i] = info.birth
        out["id_sex"][i] = info.sex
        out["id_prefix14"][i] = info.prefix14
        out["id_note"][i] = info.note
    return {c: out[c][codes] for c in COLUMNS}


def normalize_ids(raw: pd.Series) -> pd.DataFrame:
    """Vectorised ``normalize_id`` over a column; returns a DataFrame with COLUMNS, same index.

    Work is done once per distinct value: the fast path (already-clean 18/15-digit strings) is
    checked with numpy; the rare messy values go through ``normalize_id``.
    """
    arrays = normalize_id_arrays(raw)
    return pd.DataFrame({c: arrays[c] for c in COLUMNS}, index=raw.index)


_G_CLEAN = r"G[0-9]{17}[0-9X]"
_XUEJI_BIRTH = re.compile(r"^[GJL][0-9]{6}([0-9]{4})([0-9]{2})([0-9]{2})")


def xueji_arrays(raw) -> tuple[np.ndarray, np.ndarray]:
    """(``id_from_xueji``, ``xueji_birth``) as object arrays, computed once per distinct value;
    already-clean G numbers with numpy."""
    values = pd.Series(raw, dtype=object) if not isinstance(raw, pd.Series) else raw.astype("object")
    values = values.where(values.notna(), "")
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    uniq = [u if type(u) is str else str(u) for u in uniques.tolist()]
    n = len(uniq)
    ids = np.full(n, "", dtype=object)
    births = np.full(n, "", dtype=object)
    clean = pd.Series(uniq, dtype="str").str.fullmatch(_G_CLEAN).to_numpy(dtype=bool)
    idx = np.flatnonzero(clean)
    if len(idx):
        picked = [uniq[i] for i in idx.tolist()]
        ids[idx] = [v[1:] for v in picked]
        dg = _ascii_rows(picked, 19)[:, 7:15].astype(np.int64) - 48
        y = dg[:, 0] * 1000 + dg[:, 1] * 100 + dg[:, 2] * 10 + dg[:, 3]
        m = dg[:, 4] * 10 + dg[:, 5]
        d = dg[:, 6] * 10 + dg[:, 7]
        ok = _dates_ok(y, m, d)
        ymd = _digits_value(dg[ok])
        births[idx[ok]] = _shared_text(ymd, lambda v: f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}")
    for i in np.flatnonzero(~clean).tolist():
        c = clean_text(uniq[i])
        g = _XUEJI_G.match(c)
        ids[i] = g.group(1) if g else ""
        b = _XUEJI_BIRTH.match(c)
        if b:
            y, m, d = int(b.group(1)), int(b.group(2)), int(b.group(3))
            births[i] = f"{y:04d}-{m:02d}-{d:02d}" if _date_ok(y, m, d) else ""
    return ids[codes], births[codes]


def id_from_xueji(raw: pd.Series) -> pd.Series:
    """The ID a ``G`` 全国学籍号 carries ('' for J/L numbers and anything else)."""
    ids, _ = xueji_arrays(raw)
    return pd.Series(ids, index=raw.index, dtype=object)


def xueji_birth(raw: pd.Series) -> pd.Series:
    """Birth date (YYYY-MM-DD) carried by a G/J/L 学籍号, '' when none can be read."""
    _, births = xueji_arrays(raw)
    return pd.Series(births, index=raw.index, dtype=object)


def mask(id_text: str) -> str:
    """341021********1234 for display."""
    if len(id_text) >= 18:
        return id_text[:6] + "*" * (len(id_text) - 10) + id_text[-4:]
    if len(id_text) > 6:
        keep = max(1, len(id_text) // 3)
        return id_text[:keep] + "*" * (len(id_text) - 2 * keep) + id_text[-keep:]
    return id_text
