"""Semesters and school years.

Canonical semester: ``Semester(year, term)`` with ``term`` ``春`` or ``秋``; ``str()`` gives
``2020春``. School year ``Y`` means ``Y-(Y+1)学年``: its first term is ``Y秋``, its second ``(Y+1)春``.

Accepted spellings (whitespace, full-width forms and case do not matter):

- one cell: ``2020春``, ``2020秋``, ``2020-spring``, ``2020-autumn``, ``2020-fall``, ``2020年春季``,
  ``2020年秋季学期``, ``2020春季学期``, ``2020年春期``, ``2019-2020学年第二学期`` (-> 2020春),
  ``2019-2020学年第一学期`` (-> 2019秋), ``2019-2020学年春季学期``, ``2019-2020-1``, ``2019学年第一学期``;
- split cells: a semester cell (``春季学期``, ``秋季学期``, ``春季``, ``秋季``, ``上学期`` = first term,
  ``下学期`` = second term, ``第一学期``, ``第二学期``, ``1``, ``2``) plus a school-year cell
  (``2019-2020学年``, ``2019-2020``, ``2019—2020``, ``2019～2020``, ``2019至2020``, ``2019-20``,
  ``2019学年``, ``2019``).

When the semester cell carries its own year (``2020春``) that year is used and the school-year
cell is ignored. A calendar year with an ordinal term (``2020年第一学期``) is ambiguous and is not
accepted; a bare term (``春季``) without a school year gives None.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import total_ordering
from typing import Any

import pandas as pd

from ..errors import UsageError
from .values import map_distinct, map_distinct_pairs

__all__ = [
    "AUTUMN",
    "SPRING",
    "Semester",
    "parse_school_year",
    "parse_school_year_arg",
    "parse_school_years",
    "parse_semester",
    "parse_semester_arg",
    "parse_semesters",
    "school_year_of",
    "semesters_of_school_year",
]

SPRING = "春"
AUTUMN = "秋"
_MIN_YEAR, _MAX_YEAR = 1990, 2100


@total_ordering
@dataclass(frozen=True)
class Semester:
    """One semester: ``Semester(2020, "春")``. Ordered in time (2019秋 < 2020春 < 2020秋)."""

    year: int
    term: str

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or isinstance(self.year, bool):
            raise TypeError(f"year must be an int, not {self.year!r}")
        if self.term not in (SPRING, AUTUMN):
            raise ValueError(f"term must be {SPRING!r} or {AUTUMN!r}, not {self.term!r}")

    def __str__(self) -> str:
        return f"{self.year}{self.term}"

    def _key(self) -> tuple[int, int]:
        return (self.year, 0 if self.term == SPRING else 1)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Semester):
            return NotImplemented
        return self._key() < other._key()

    @property
    def is_spring(self) -> bool:
        return self.term == SPRING

    @property
    def school_year(self) -> int:
        """First calendar year of the school year this semester belongs to."""
        return self.year - 1 if self.term == SPRING else self.year

    @property
    def label(self) -> str:
        """``2020年春季学期``."""
        return f"{self.year}年{'春季' if self.is_spring else '秋季'}学期"

    @property
    def school_year_label(self) -> str:
        """``2019-2020学年第二学期``."""
        y = self.school_year
        return f"{y}-{y + 1}学年{'第二' if self.is_spring else '第一'}学期"

    def next(self) -> Semester:
        return Semester(self.year, AUTUMN) if self.is_spring else Semester(self.year + 1, SPRING)

    def previous(self) -> Semester:
        return Semester(self.year - 1, AUTUMN) if self.is_spring else Semester(self.year, SPRING)


def semesters_of_school_year(year: int) -> tuple[Semester, Semester]:
    """School year Y -> (Y秋, (Y+1)春)."""
    return (Semester(year, AUTUMN), Semester(year + 1, SPRING))


def school_year_of(semester: Semester | str) -> int:
    """2019秋 -> 2019, 2020春 -> 2019. Accepts a Semester or any one-cell spelling."""
    if not isinstance(semester, Semester):
        parsed = parse_semester(semester)
        if parsed is None:
            raise ValueError(f"not a semester: {semester!r}")
        semester = parsed
    return semester.school_year


# --------------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------------

_WS_RE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff\x00-\x1f]+")
_DASHES_RE = re.compile(r"[‐‑‒–—―−─━~〜～_/至到]+")
# Y-(Y+1) or Y-YY, optionally 学年/年度/年
_SPAN_RE = re.compile(r"(?<!\d)(\d{4})年?-(\d{4}|\d{2})(?!\d)(?:学年度|学年|年度|年)?")
_SY_RE = re.compile(r"(?<!\d)(\d{4})(?:学年度|学年)")
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)(?:年度|年)?")
_FILLER_RE = re.compile(r"学年度|学年|年度|学期|semester|term|sem|期|季|度|年|第|[-.,:;()\[\]（）【】、，。]")

_TERMS = {
    "春": SPRING, "spring": SPRING, "spr": SPRING, "sp": SPRING, "春夏": SPRING,
    "秋": AUTUMN, "autumn": AUTUMN, "fall": AUTUMN, "aut": AUTUMN, "fa": AUTUMN, "秋冬": AUTUMN,
}
_ORDINALS = {
    "一": 1, "1": 1, "01": 1, "上": 1, "first": 1, "1st": 1,
    "二": 2, "2": 2, "02": 2, "下": 2, "second": 2, "2nd": 2,
}


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if value is pd.NA:
        return ""
    t = unicodedata.normalize("NFKC", str(value))
    t = _WS_RE.sub("", t).lower()
    return _DASHES_RE.sub("-", t)


def _school_year_from_clean(t: str) -> tuple[int | None, str]:
    """Find a school year in cleaned text; return (year, text with it removed)."""
    m = _SPAN_RE.search(t)
    if m:
        y1, y2 = int(m.group(1)), m.group(2)
        ok = int(y2) == y1 + 1 if len(y2) == 4 else int(y2) == (y1 + 1) % 100
        if not ok or not (_MIN_YEAR - 1 <= y1 <= _MAX_YEAR):
            return (None, t)
        return (y1, t[: m.start()] + "-" + t[m.end():])
    m = _SY_RE.search(t)
    if m:
        y = int(m.group(1))
        if _MIN_YEAR - 1 <= y <= _MAX_YEAR:
            return (y, t[: m.start()] + "-" + t[m.end():])
    return (None, t)


def _term_of(rest: str) -> tuple[str | None, int | None]:
    """Remainder after the years -> (春/秋, None) or (None, 1/2) or (None, None)."""
    r = _FILLER_RE.sub("", rest)
    if r in _TERMS:
        return (_TERMS[r], None)
    if r in _ORDINALS:
        return (None, _ORDINALS[r])
    return (None, None)


def parse_school_year(text: Any) -> int | None:
    """``2019`` / ``2019-2020`` / ``2019—2020`` / ``2019～2020`` / ``2019-20`` / ``2019学年`` /
    ``2019-2020学年`` / ``2019年`` -> 2019; None when unparseable."""
    t = _clean(text)
    if not t:
        return None
    y, rest = _school_year_from_clean(t)
    if y is None:
        m = re.fullmatch(r"(\d{4})(?:年度|年)?", t)
        if not m:
            return None
        y, rest = int(m.group(1)), ""
        if not (_MIN_YEAR - 1 <= y <= _MAX_YEAR):
            return None
    if _FILLER_RE.sub("", rest):
        return None
    return y


def parse_school_years(series: Any) -> pd.Series:
    """Vectorised :func:`parse_school_year` (nullable Int64)."""
    return map_distinct(series, parse_school_year, na_value=None, dtype="Int64")


def parse_semester(text: Any, school_year: Any = None) -> Semester | None:
    """Semester cell (plus, optionally, the school-year cell) -> Semester or None.

    See the module documentation for the accepted spellings.
    """
    t = _clean(text)
    if not t:
        return None
    sy, rest = _school_year_from_clean(t)
    if sy is not None:
        term, ordinal = _term_of(rest)
        if term is not None:
            ordinal = 2 if term == SPRING else 1
        if ordinal is None:
            return None
        return semesters_of_school_year(sy)[ordinal - 1]
    years = list(_YEAR_RE.finditer(t))
    if len(years) > 1:
        return None
    if len(years) == 1:
        m = years[0]
        year = int(m.group(1))
        if not (_MIN_YEAR <= year <= _MAX_YEAR):
            return None
        term, _ordinal = _term_of(t[: m.start()] + "-" + t[m.end():])
        if term is None:  # calendar year + 第一学期 is ambiguous
            return None
        return Semester(year, term)
    # no year in the cell: the school-year cell decides
    term, ordinal = _term_of(t)
    if term is None and ordinal is None:
        return None
    sy = parse_school_year(school_year) if school_year is not None else None
    if sy is None:
        return None
    if term is not None:
        ordinal = 2 if term == SPRING else 1
    return semesters_of_school_year(sy)[ordinal - 1]  # type: ignore[index]


def parse_semesters(sem_series: Any, year_series: Any = None) -> pd.Series:
    """Vectorised :func:`parse_semester` over aligned semester / school-year columns.

    Returns a str Series of canonical values (``2020春``), '' where unparseable.
    """
    def one(x: Any, y: Any) -> str:
        s = parse_semester(x, y)
        return str(s) if s is not None else ""

    return map_distinct_pairs(sem_series, year_series, one)


_ACCEPTED = ("2020春、2020秋、2020-spring、2020-autumn、2020年春季、2020年秋季学期、"
             "2019-2020学年第二学期（即 2020春）、2019-2020学年第一学期（即 2019秋）")


def parse_semester_arg(text: str) -> Semester:
    """``--semester`` value -> Semester; raises :class:`errors.UsageError` in Chinese."""
    s = parse_semester(text)
    if s is None:
        raise UsageError(f"无法识别学期“{text}”。可用的写法：{_ACCEPTED}。"
                         "学年 Y-(Y+1) 的第一学期是 Y 年秋季，第二学期是 Y+1 年春季。")
    return s


def parse_school_year_arg(text: str) -> int:
    """``--school-year`` value -> first calendar year; raises :class:`errors.UsageError`."""
    y = parse_school_year(text)
    if y is None:
        raise UsageError(f"无法识别学年“{text}”。可用的写法：2019、2019-2020、2019-2020学年、2019学年"
                         "（都表示 2019 年秋季开学的学年）。")
    return y
