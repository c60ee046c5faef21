"""Spreadsheet cell values -> text.

Every cell the tool reads becomes ``str``: IDs, phone numbers and amounts must never pass
through a numeric type.  The conversion rules (ARCHITECTURE.md):

- ``str``: surrounding whitespace removed, a ``="…"`` wrapper unwrapped, one leading apostrophe
  dropped;
- ``float``: integral and ``abs < 1e15`` -> ``"123"``; anything else -> ``repr()``.  An 18-digit ID
  stored as a number therefore arrives as ``"3.41021200501011e+17"`` and the ID normaliser marks it
  precision-lost.  A big numeric cell is never rendered as plain digits;
- ``int`` -> ``str(int)`` (same 1e15 rule, so a big int is rendered like the float Excel stored);
- ``bool`` -> ``是`` / ``否``;
- ``date`` -> ``YYYY-MM-DD``; ``datetime`` -> ``YYYY-MM-DD`` at midnight, else ``YYYY-MM-DD HH:MM:SS``;
- ``None`` -> ``""``.

Text longer than :data:`MAX_CELL_CHARS` (Excel's own cell limit; only a damaged or hostile file
holds more) is cut and ends with :data:`TRUNCATED_MARK`, so the officer sees it was cut and a
10-million-character cell cannot slow every later step down.

``column_text`` converts a whole column with one type test per cell and no exceptions.
"""

from __future__ import annotations

import datetime as _dt
import math

_BIG = 1e15
_QUOTES = frozenset("='\uff07")  # first characters that need a second look

#: Longest cell text kept (Excel's limit).
MAX_CELL_CHARS = 32_767
#: Ends a cell cut at MAX_CELL_CHARS.
TRUNCATED_MARK = "……（单元格内容超过 32767 个字符，已截断）"


def cap_text(s: str) -> str:
    """``s`` cut to :data:`MAX_CELL_CHARS` characters (ending with the mark) when longer."""
    if len(s) <= MAX_CELL_CHARS:
        return s
    return s[: MAX_CELL_CHARS - len(TRUNCATED_MARK)].rstrip() + TRUNCATED_MARK


def _text_from_str(v: str) -> str:
    s = v.strip()
    if s and s[0] in _QUOTES:
        if s[0] in "'\uff07":
            return s[1:].strip()
        if s.startswith('="') and s.endswith('"') and len(s) >= 3:
            return s[2:-1].replace('""', '"').strip()
    return s


def _text_from_float(v: float) -> str:
    if -_BIG < v < _BIG and v.is_integer():  # False for nan and inf
        return str(int(v))
    if math.isnan(v):
        return ""
    return repr(v)


def _text_from_other(v: object) -> str:
    if v is None:
        return ""
    t = type(v)
    if t is float:
        return _text_from_float(v)  # type: ignore[arg-type]
    if t is bool:
        return "是" if v else "否"
    if t is int:
        if -_BIG < v < _BIG:  # type: ignore[operator]
            return str(v)
        return repr(float(v))  # what Excel would have stored: the precision is gone anyway
    if t is _dt.datetime:
        if v.hour or v.minute or v.second or v.microsecond:  # type: ignore[union-attr]
            return v.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
        return v.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    if t is _dt.date:
        return v.isoformat()  # type: ignore[union-attr]
    if t is _dt.time:
        return v.strftime("%H:%M:%S")  # type: ignore[union-attr]
    if t is _dt.timedelta:
        return str(v)
    if t is str:
        return _text_from_str(v)  # type: ignore[arg-type]
    # subclasses (numpy scalars, pandas Timestamp, str subclasses, …)
    if isinstance(v, bool) or getattr(getattr(v, "dtype", None), "kind", "") == "b":
        return "是" if v else "否"
    if isinstance(v, _dt.datetime):
        return _text_from_other(_dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second))
    if isinstance(v, _dt.date):
        return _dt.date(v.year, v.month, v.day).isoformat()
    if isinstance(v, str):
        return _text_from_str(str(v))
    if isinstance(v, int):
        return _text_from_other(int(v))
    if isinstance(v, float):
        return _text_from_float(float(v))
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _text_from_str(str(v))
    return _text_from_float(f)


def cell_text(v: object) -> str:
    """One cell value (from calamine, xlrd, csv, html) as text; ``""`` for an empty cell."""
    if type(v) is str:
        return cap_text(_text_from_str(v))
    return cap_text(_text_from_other(v))


def _unwrap_pass(out: list[str]) -> list[str]:
    # one cheap scan of the whole column decides whether any cell needs the ="…" / ' treatment
    joined = "".join(out)
    if "'" in joined or "=" in joined or "\uff07" in joined:
        fs, q = _text_from_str, _QUOTES
        out = [fs(s) if s[:1] in q else s for s in out]
    if len(joined) > MAX_CELL_CHARS and max(map(len, out)) > MAX_CELL_CHARS:
        out = [cap_text(s) for s in out]
    return out


def column_text(values) -> list[str]:
    """A column of cell values as a list of text, same result as ``cell_text`` per cell.

    Plain strings are only stripped in the first pass; the rare ``="…"`` / apostrophe cells are
    fixed in a second pass that runs only when the column contains such a character."""
    fo, ff = _text_from_other, _text_from_float
    return _unwrap_pass([v.strip() if type(v) is str else (ff(v) if type(v) is float else fo(v))
                         for v in values])


def str_column_text(values) -> list[str]:
    """A column known to hold only ``str`` (CSV, HTML): strip and unwrap."""
    return _unwrap_pass([v.strip() for v in values])
