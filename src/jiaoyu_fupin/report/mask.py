"""Masking of ID numbers for ``--mask-ids`` (every human-facing output).

An 18-character resident ID keeps its first 6 (region) and last 4 characters:
``341021********1234``. A ``G`` 学籍号 (``G`` + 18-character ID) masks its ID part the same way, and a
20/22-character disability-certificate number masks its leading 18-character ID and keeps its short
suffix. Any other non-empty value keeps roughly a third of its characters (split between the start
and the end) and stars the rest; values of 3 characters or fewer keep at most one. Empty stays empty.

Masking is for display only: it is applied by the writers at the last moment and never to the
values the tool compares.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

STAR = "*"


def _mask_generic(s: str) -> str:
    n = len(s)
    visible = n // 3
    head = (visible + 1) // 2
    tail = visible // 2
    return s[:head] + STAR * (n - head - tail) + (s[n - tail:] if tail else "")


def _mask18(s: str) -> str:
    return s[:6] + STAR * 8 + s[14:]


def mask_id(value: object) -> str:
    """Mask one ID-like value for display; ``None`` / NaN / ``""`` give ``""``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    s = value if isinstance(value, str) else str(value)
    n = len(s)
    if n == 0:
        return ""
    if n == 18:
        return _mask18(s)
    if n == 19 and s[0].isalpha() and s[1:7].isdigit():   # G + 18-character ID (全国学籍号)
        return s[0] + _mask18(s[1:])
    if n in (20, 22) and s[:17].isdigit():                  # disability certificate: ID + suffix
        return _mask18(s[:18]) + s[18:]
    return _mask_generic(s)


def mask_ids(series: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id` over a Series; missing values stay missing; index, name and a
    string dtype are kept."""
    values = series.to_numpy(dtype=object)
    out = values.copy()
    where = np.flatnonzero(series.notna().to_numpy())
    if len(where):
        text = pd.Series(values[where], dtype=object).astype(str)
        is18 = (text.str.len() == 18).to_numpy()
        masked = np.empty(len(text), dtype=object)
        if is18.any():
            t18 = text[is18]
            masked[is18] = (t18.str[:6] + STAR * 8 + t18.str[14:]).to_numpy(dtype=object)
        if not is18.all():
            masked[~is18] = [mask_id(v) for v in text[~is18].tolist()]
        out[where] = masked
    result = pd.Series(out, index=series.index, name=series.name, dtype=object)
    if isinstance(series.dtype, pd.StringDtype):
        result = result.astype(series.dtype)
    return result
