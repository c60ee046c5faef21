"""Dates in the exports' many spellings -> ``datetime.date``.

Accepted (after NFKC and whitespace trimming at the ends):

- ``2005-01-01``, ``2005/1/1``, ``2005.1.1``, ``2005年1月1日`` (or ``号``), with or without a time
  part (``2005-01-01 00:00:00``, ``2005-01-01T08:30``, ``2005/1/1 0:00``);
- ``20050101`` (8 digits);
- month precision, returned as the first of the month: ``200501``, ``2005-01``, ``2005/1``,
  ``2005.01``, ``2005年1月`` (the registry's 识别监测时间 is YYYYMM);
- Excel serial numbers as text: ``38353`` or ``38353.0`` / ``38353.5`` (time ignored). Only
  5-digit serials (1927-05-18 … 2100-12-31) are read as serials, so that a bare year (``2005``),
  an age or a count is never taken for a date. Excel's 1900 leap-year bug is honoured
  (:func:`excel_serial_to_date`);
- ``1/31/2005`` (Excel's US rendering: month/day/year; read as day/month when the first number
  is above 12);
- ``datetime.date`` / ``datetime.datetime`` / ``pandas.Timestamp`` values as they are; a float
  cell is read as a serial when it is one.

Years outside 1900-2100 and impossible dates (2005-02-30) give None. Nothing raises.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from typing import Any

import pandas as pd

from .values import map_distinct

__all__ = ["MAX_YEAR", "MIN_YEAR", "excel_serial_to_date", "parse_date", "parse_dates"]

MIN_YEAR, MAX_YEAR = 1900, 2100
_EXCEL_MAX = 73415  # 2100-12-31

_TIME = r"(?:[t ]?\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
_YMD_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _TIME)
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[t ]?\d{6})?")
_YM_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?")
_YM_COMPACT_RE = re.compile(r"(\d{4})(\d{2})")
_SERIAL_RE = re.compile(r"(\d{5})(?:\.\d+)?")
_US_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)


def excel_serial_to_date(serial: float) -> _dt.date | None:
    """Excel (1900 system) serial -> date; None outside 1..73415 (1900-01-01 … 2100-12-31).

    Serial 60 is Excel's fictitious 1900-02-29 -> None; serials 1-59 are one day later than the
    plain day count from 1899-12-30 would give.
    """
    try:
        n = math.floor(float(serial))
    except (TypeError, ValueError, OverflowError):
        return None
    if n < 1 or n > _EXCEL_MAX or n == 60:
        return None
    base = _dt.date(1899, 12, 31) if n < 60 else _dt.date(1899, 12, 30)
    return base + _dt.timedelta(days=n)


def _make(y: str | int, m: str | int, d: str | int) -> _dt.date | None:
    try:
        yi, mi, di = int(y), int(m), int(d)
        if not (MIN_YEAR <= yi <= MAX_YEAR):
            return None
        return _dt.date(yi, mi, di)
    except (ValueError, OverflowError):
        return None


def parse_date(text: Any) -> _dt.date | None:
    """Date cell -> ``datetime.date`` or None (see the module documentation)."""
    if text is None:
        return None
    if isinstance(text, _dt.datetime):  # includes pd.Timestamp
        if text is pd.NaT:
            return None
        d = text.date()
        return d if MIN_YEAR <= d.year <= MAX_YEAR else None
    if isinstance(text, _dt.date):
        return text if MIN_YEAR <= text.year <= MAX_YEAR else None
    if isinstance(text, bool):
        return None
    if isinstance(text, float):
        if not math.isfinite(text):
            return None
        if text.is_integer():
            text = str(int(text))
        else:
            return excel_serial_to_date(text) if 10000 <= text < _EXCEL_MAX + 1 else None
    if text is pd.NA or text is pd.NaT:
        return None
    t = unicodedata.normalize("NFKC", str(text)).strip().lower().lstrip("'")
    if not t:
        return None
    m = _YMD_RE.fullmatch(t)
    if m:
        return _make(*m.groups())
    m = _COMPACT_RE.fullmatch(t)
    if m:
        return _make(*m.groups())
    m = _YM_RE.fullmatch(t)
    if m:
        return _make(m.group(1), m.group(2), 1)
    m = _YM_COMPACT_RE.fullmatch(t)
    if m:
        return _make(m.group(1), m.group(2), 1)
    m = _SERIAL_RE.fullmatch(t)
    if m:
        return excel_serial_to_date(int(m.group(1)))
    m = _US_RE.fullmatch(t)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
        return _make(y, b, a) if a > 12 else _make(y, a, b)
    return None


def _iso(value: Any) -> str:
    d = parse_date(value)
    return d.isoformat() if d is not None else ""


def parse_dates(series: Any) -> pd.Series:
    """Vectorised :func:`parse_date`: str Series of ISO dates (``2005-01-01``), '' when
    unparseable or missing."""
    return map_distinct(series, _iso)
