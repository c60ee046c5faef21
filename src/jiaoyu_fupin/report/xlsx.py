"""Workbooks for people: a small, safe layer over xlsxwriter in ``constant_memory`` mode.

Usage::

    with WorkbookWriter(out / "对账结果.xlsx", mask_ids=mask) as wb:
        wb.reserve_sheet("说明")                      # keeps 说明 first; filled at the end
        wb.add_table("问题清单", [Column("身份证号", "id"), Column("姓名"),
                                 Column("应发金额", "money")], rows,
                     title="2020年春季学期 资助对账问题清单", total_row={"姓名": "合计", "应发金额": SUM})
        wb.add_key_value_sheet("说明", pairs, sections)

What the writer guarantees, whatever the data:

* **Atomic.** The workbook is built in a hidden temporary folder next to ``path`` (xlsxwriter's
  per-sheet row files live there too, not in a possibly RAM-backed /tmp) and renamed onto ``path``
  only when :meth:`WorkbookWriter.close` succeeds. An exception or Ctrl-C inside the ``with`` block
  removes everything; no complete-looking workbook is left behind.
* **Flat memory.** ``constant_memory`` streams each row to disk once the next row starts, so a
  sheet's rows must be written top to bottom. :meth:`add_table` consumes its row iterable in one
  go and finishes the sheet before returning. Different sheets may still be written in any order
  (each has its own row file), which is what :meth:`reserve_sheet` relies on.
* **Text is text.** Every text and ID cell is written with ``write_string`` (never ``write()``,
  which would turn ``=...`` into a formula), and the workbook is opened with
  ``strings_to_formulas``, ``strings_to_numbers`` and ``strings_to_urls`` off. Text that begins
  with ``= + - @`` (also after leading tab/CR/LF/spaces) additionally gets Excel's *quote prefix*
  style, so it stays text even when the officer edits the cell. Characters XML cannot hold are
  stripped; text over Excel's 32,767-character cell limit is cut and ends with
  :data:`TRUNCATION_MARK`.
* **IDs** (kind ``"id"``) are always strings with number format ``@`` (never a number, never
  ``3.41021E+17``), in a column whose default format is ``@`` too; with ``mask_ids`` they are
  written as ``341021********1234`` (:mod:`.mask`).
* **Money** (kind ``"money"``) is exact :class:`~decimal.Decimal` everywhere in fupin; this is the
  one place it meets float. A Decimal with at most two decimal places and ``|x| < 1e13`` has at
  most 15 significant digits, and any decimal of ≤ 15 significant digits survives the round trip
  through an IEEE double (DBL_DIG = 15) — which is also all Excel keeps — so writing ``float(x)``
  with number format ``#,##0.00`` shows exactly the Decimal. Anything else (more decimal places,
  huge, NaN) is written as its exact text instead of being rounded silently. Totals of money
  columns are summed as Decimal.
* **Row limit.** A table longer than Excel's 1,048,576 rows (title and header count) continues on
  ``名称(2)``, ``名称(3)`` …, and the first part is renamed ``名称(1)``; every part repeats the title
  and header and has its own filter. (``max_rows`` can be lowered for tests.)

Layout of a table sheet: optional title line (row 1, merged, bold), header row (bold, filled,
bordered), data, optional total row (bold, excluded from the filter, ``SUBTOTAL`` formulas with
exact cached values so it follows the filter in Excel yet reads correctly in tools that do not
recalculate). Panes are frozen below the header; the filter spans header and data; column widths
come from the header and the first ``sample_rows`` values (CJK characters count double, capped at
:data:`MAX_WIDTH`) unless a :class:`Column` gives one.

Long tables are fastest given column by column (:class:`TableColumns`): the plain-text check
and the cells' XML are then worked out per column (in Arrow), other values converted and widths
measured once per distinct text — the same workbook as row by row, byte for byte.

For charts (added later by a summary command) use :attr:`WorkbookWriter.workbook` (the
``xlsxwriter.Workbook``) and the :class:`SheetPart` records :meth:`add_table` returns: they hold the
worksheet object and the zero-based first/last data rows to reference.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import numbers
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from jiaoyu_fupin import __version__
from jiaoyu_fupin.errors import FupinError
from jiaoyu_fupin.report.mask import mask_id
from jiaoyu_fupin.report.outdir import replace_into_place

#: Excel's row limit per sheet (title and header rows included).
MAX_ROWS = 1_048_576
#: Excel's limit of characters (UTF-16 units) in one cell.
MAX_CELL_CHARS = 32_767
#: Appended to text cut at :data:`MAX_CELL_CHARS`.
TRUNCATION_MARK = "……（内容超过 Excel 单元格上限，已截断）"
#: Column width cap (Excel width units ≈ characters) for table sheets.
MAX_WIDTH = 50
#: Column width cap for the key/value (说明) sheet: a SHA-256 (64 characters) stays readable.
MAX_WIDTH_KV = 70
MAX_SHEET_NAME = 31
MAX_FILENAME_CHARS = 100
MAX_FILENAME_BYTES = 200   # UTF-8 bytes: 255-byte file-name limits, CJK takes 3 bytes per char

KINDS = ("text", "id", "money", "int", "date", "number")

_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal(10) ** 13
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: what clean_text changes: the XML-illegal characters plus CR (line breaks become LF)
_NEEDS_CLEAN = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")
_FORMULA_START = frozenset("=+-@")
_LEADING_BLANKS = " \t\r\n\u3000"
_SHEET_FORBIDDEN = str.maketrans({"[": "【", "]": "】", ":": "：", "*": "＊", "?": "？",
                                  "/": "／", "\\": "＼"})
_FILE_FORBIDDEN = re.compile(r'[\\/<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
    + ["COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"])


# ---------------------------------------------------------------------------------------------
# public records


@dataclass(frozen=True)
class Column:
    """One column of a table sheet.

    ``kind``: ``"text"`` (string), ``"id"`` (string, format ``@``, masked with ``mask_ids``),
    ``"money"`` (Decimal yuan → number ``#,##0.00``), ``"int"`` (whole number), ``"date"``
    (``datetime.date`` or ISO ``YYYY-MM-DD`` text → date ``yyyy-mm-dd``), ``"number"`` (any other
    number, e.g. a 0-1 score, General format). Values a kind cannot represent are written as text,
    never dropped. ``width`` overrides the measured width.
    """

    header: str
    kind: str = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {KINDS}")


class _Aggregate:
    def __init__(self, name: str, function: int) -> None:
        self.name, self.function = name, function

    def __repr__(self) -> str:
        return self.name


#: ``total_row`` value: sum of the column (exact; ``SUBTOTAL(109, …)`` in Excel).
SUM = _Aggregate("SUM", 109)
#: ``total_row`` value: number of non-empty cells in the column (``SUBTOTAL(103, …)``).
COUNT = _Aggregate("COUNT", 103)


@dataclass(frozen=True)
class PrintSetup:
    """Page setup for sheets meant to be printed (payout rosters, notices lists).

    Footer and header use Excel's codes (``&P`` page, ``&N`` pages); ``header_text`` is plain text
    (an ``&`` in it is escaped) centred at the top of every page. Margins are in inches.
    """

    landscape: bool = True
    paper: int = 9                      # 9 = A4
    fit_width: int = 1                  # pages wide; height unlimited
    repeat_header: bool = True          # repeat the header row on every printed page
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.6, 0.6)   # left, right, top, bottom
    footer: str = "第 &P 页，共 &N 页"
    header_text: str | None = None
    gridlines: bool = True              # print cell grid lines
    center_horizontally: bool = True


@dataclass(frozen=True)
class Section:
    """A block of the key/value (说明) sheet: a heading, then ``pairs`` (``(label, value)``, label
    in bold), then ``rows`` — a small table under a header row when ``columns`` is given,
    otherwise more label/value rows."""

    heading: str
    rows: Sequence[Sequence[Any]] = ()
    columns: Sequence[str] | None = None
    pairs: Sequence[tuple[str, Any]] = ()


@dataclass
class SheetPart:
    """One worksheet written by :meth:`WorkbookWriter.add_table` (zero-based row indices)."""

    name: str
    worksheet: Worksheet
    header_row: int
    first_data_row: int
    last_data_row: int          # first_data_row - 1 when the part has no data rows
    total_row: int | None = None

    @property
    def data_rows(self) -> int:
        return self.last_data_row - self.first_data_row + 1


@dataclass
class TableResult:
    """What :meth:`WorkbookWriter.add_table` wrote."""

    columns: list[Column]
    parts: list[SheetPart] = field(default_factory=list)
    rows_written: int = 0

    @property
    def sheet_names(self) -> list[str]:
        return [p.name for p in self.parts]


class TableColumns:
    """Table data given column by column for :meth:`WorkbookWriter.add_table`: one aligned
    sequence (list, numpy array, pandas Series …) per column, in column order.

    The workbook is the same as with the rows (``zip(*columns)``); with the fast path it is built
    column-wise — value checks, conversions and width measuring once per column (and per distinct
    text) instead of once per cell — several times faster for long tables.
    """

    def __init__(self, columns: Sequence[Sequence[Any]]) -> None:
        self.columns: list[list[Any]] = [c.tolist() if hasattr(c, "tolist") else list(c) for c in columns]
        lengths = {len(c) for c in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"table columns have different lengths: {sorted(lengths)}")
        self.n_rows = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self.n_rows

    def __iter__(self):
        return zip(*self.columns) if self.columns else iter(())


# ---------------------------------------------------------------------------------------------
# names


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _cut_utf16(s: str, limit: int) -> str:
    """Longest prefix of ``s`` with at most ``limit`` UTF-16 units (never splits a pair)."""
    if len(s) * 2 <= limit or _utf16_len(s) <= limit:
        return s
    out, used = [], 0
    for ch in s:
        w = 2 if ord(ch) > 0xFFFF else 1
        if used + w > limit:
            break
        out.append(ch)
        used += w
    return "".join(out)


def sanitize_sheet_name(name: object, used: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name close to ``name``; adds the result to ``used``.

    Excel's rules: at most 31 characters (UTF-16 units), none of ``[ ] : * ? / \\`` (replaced by
    their full-width forms 【】：＊？／＼, which read naturally in Chinese), not blank (→ ``工作表``),
    not starting or ending with ``'``, not ``History`` (→ ``History_``), unique ignoring case
    (→ ``名称(2)``, ``名称(3)`` …, shortened to stay within 31). ``used`` holds the names already
    in the workbook, in any case.
    """
    s = "" if name is None else str(name)
    s = re.sub(r"[\x00-\x1f\x7f]", " ", _ILLEGAL_XML.sub("", s)).translate(_SHEET_FORBIDDEN)
    s = _trim_sheet_name(_cut_utf16(_trim_sheet_name(s), MAX_SHEET_NAME)) or "工作表"
    if s.casefold() == "history":
        s = "History_"
    if used is None:
        return s
    taken = {u.casefold() for u in used}
    candidate, n = s, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f"({n})"
        candidate = _cut_utf16(s, MAX_SHEET_NAME - len(suffix)).rstrip() + suffix
    used.add(candidate)
    return candidate


def _trim_sheet_name(s: str) -> str:
    return s.strip().strip("'").strip()


def sanitize_filename(name: object) -> str:
    """A safe file name (not a path) close to ``name``, for Windows, macOS and Linux.

    Path separators, ``< > : " | ? *`` and control characters become ``_``; runs of dots collapse
    to one (so no ``..``); leading dots/spaces and trailing dots/spaces go; reserved Windows
    device names (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``…, ``LPT1``…, also with an extension)
    get a ``_`` prefix; the name is cut to 100 characters and 200 UTF-8 bytes keeping a short
    extension; an empty result becomes ``未命名``.
    """
    s = "" if name is None else str(name)
    s = _ILLEGAL_XML.sub("", _FILE_FORBIDDEN.sub("_", s))
    s = re.sub(r"\.{2,}", ".", s).lstrip(" .").rstrip(" .")
    stem, dot, ext = s.rpartition(".")
    if not dot or not stem or len(ext) > 10 or " " in ext:
        stem, ext = s, ""
    ext = f".{ext}" if ext else ""
    stem_limit = MAX_FILENAME_CHARS - len(ext)
    stem = stem[:stem_limit]
    while len((stem + ext).encode("utf-8")) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem:
        stem = "未命名"
    if stem.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem + ext


# ---------------------------------------------------------------------------------------------
# value conversion


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def clean_text(s: str) -> str:
    """Strip XML-illegal characters, turn CR/CRLF line breaks into LF (Excel's line break in a
    cell), and cut at Excel's cell limit (ending with :data:`TRUNCATION_MARK`)."""
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    if _ILLEGAL_XML.search(s):
        s = _ILLEGAL_XML.sub("", s)
    if len(s) > MAX_CELL_CHARS // 2 and _utf16_len(s) > MAX_CELL_CHARS:
        s = _cut_utf16(s, MAX_CELL_CHARS - len(TRUNCATION_MARK)) + TRUNCATION_MARK
    return s


def looks_like_formula(s: str) -> bool:
    """True when ``s`` starts with ``= + - @``, also after leading blanks (tab, CR, LF, spaces)."""
    if not s:
        return False
    if s[0] in _FORMULA_START:
        return True
    if s[0] in _LEADING_BLANKS:
        rest = s.lstrip(_LEADING_BLANKS)
        return bool(rest) and rest[0] in _FORMULA_START
    return False


def _as_text(v: object) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour, v.minute, v.second) != (0, 0, 0) \
            else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def money_number(v: object) -> float | None:
    """The float to write for a money value, or None when it cannot be shown exactly as a number
    (see module docs). Accepts Decimal, int, float, and numeric text (``"1,500.00"``)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, numbers.Integral):
        d = Decimal(int(v))
    elif isinstance(v, float):
        return v if math.isfinite(v) else None
    elif isinstance(v, str):
        t = v.strip().replace(",", "").replace("，", "")
        try:
            d = Decimal(t)
        except InvalidOperation:
            return None
    elif isinstance(v, numbers.Real):
        f = float(v)
        return f if math.isfinite(f) else None
    else:
        return None
    if not d.is_finite() or abs(d) >= _MONEY_LIMIT:
        return None
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and d != d.quantize(_CENT):
        return None
    return float(d)


def _as_int(v: object) -> int | None:
    """The whole number an ``int`` column shows for ``v`` (exact below 2**53), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Integral):
        n = int(v)
    elif isinstance(v, str):
        t = v.strip()
        if not _INT_TEXT.fullmatch(t):
            return None
        n = int(t)
    elif isinstance(v, (Decimal, float)):
        if not math.isfinite(v) or v != int(v):
            return None
        n = int(v)
    else:
        return None
    return n if abs(n) < 2 ** 53 else None


@functools.lru_cache(maxsize=4096)
def _money_decimal(d: Decimal) -> float | None:
    """:func:`money_number` for Decimals, cached: amounts repeat a lot (312.50, 1500, …)."""
    return money_number(d)


def _to_decimal(v: object) -> Decimal | None:
    if _missing(v) or isinstance(v, bool):
        return None
    if isinstance(v, Decimal):
        return v if v.is_finite() else None
    if isinstance(v, numbers.Integral):
        return Decimal(int(v))
    if isinstance(v, (float, numbers.Real)):
        f = float(v)
        return Decimal(repr(f)) if math.isfinite(f) else None
    if isinstance(v, str):
        try:
            d = Decimal(v.strip().replace(",", ""))
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def _summed(v: object, money: bool) -> Decimal | None:
    """What a total row adds for cell value ``v``: exactly what Excel's SUBTOTAL will see, i.e.
    values written as numbers (in a money column: amounts written as money); None otherwise."""
    if type(v) is Decimal:
        return v if v.is_finite() and (not money or _money_decimal(v) is not None) else None
    d = _to_decimal(v)
    return d if d is not None and (not money or money_number(v) is not None) else None


#: CJK Unified Ideographs and full-width forms: all East-Asian wide/full-width (checked below)
_COMMON_WIDE = re.compile("[\u4e00-\u9fff\uff01-\uff60]")
assert all(unicodedata.east_asian_width(chr(c)) in "WF" for c in (*range(0x4E00, 0xA000), *range(0xFF01, 0xFF61)))


def display_width(s: str) -> int:
    """Width of ``s`` in Excel column units: East-Asian wide/full-width characters count 2; the
    longest line of multi-line text counts; only the first 120 characters are measured."""
    if "\n" in s:
        return max(display_width(line) for line in s.split("\n"))
    s = s[:120]
    if s.isascii():
        return len(s)
    rest = _COMMON_WIDE.sub("", s)
    wide = len(s) - len(rest)
    if not rest.isascii():
        wide += sum(1 for ch in rest if unicodedata.east_asian_width(ch) in "WF")
    return len(s) + wide


_INT_TEXT = re.compile(r"[+-]?\d{1,15}")


# ---------------------------------------------------------------------------------------------
# the writer

_Cell = tuple[str, Any, Any]
_Converter = Callable[..., "_Cell | None"]
_XML_SPECIAL = re.compile("[&<>]")
_X_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
#: text that needs cleaning, escaping or xml:space (anything else is written verbatim)
_NOT_PLAIN = re.compile("[\x00-\x1f\ufffe\uffff\ud800-\udfff&<>]|_x|\\s$")
#: rows per block when a table given column by column is written
_BLOCK_ROWS = 16_384
#: from this many values on, a column's texts are checked with Arrow functions (else one by one)
_ARROW_CHECKS = 256
_LSTR = pa.large_string()
#: the characters a plain text cannot start with (a formula's or a blank)
_RISKY_FIRST = pa.array(sorted(_FORMULA_START | frozenset(_LEADING_BLANKS)), _LSTR)
_NOTHING, _QUOTE, _TEXT_END = pa.scalar("", _LSTR), pa.scalar('"', _LSTR), pa.scalar("</t></is></c>", _LSTR)
_ROW_START, _ROW_MID, _ROW_END = pa.scalar('<row r="', _LSTR), pa.scalar('">', _LSTR), pa.scalar("</row>", _LSTR)


#: zlib level for the workbook's parts: 1 deflates sheet XML ~3x faster than the default 6 for
#: files about a quarter larger (a 40,000-row ledger: 0.35 s instead of 1 s, 7.9 MB instead of 6.2).
ZIP_LEVEL = 1


class _LevelZipFile(zipfile.ZipFile):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


@contextlib.contextmanager
def _fast_deflate():
    """xlsxwriter packs the workbook with ``ZipFile(..., ZIP_DEFLATED)``: give it ZIP_LEVEL."""
    import xlsxwriter.workbook as xw

    original = getattr(xw, "ZipFile", None)
    if original is not zipfile.ZipFile:
        yield
        return
    xw.ZipFile = _LevelZipFile
    try:
        yield
    finally:
        xw.ZipFile = original


@functools.cache
def _spaces() -> pa.Array:
    """Every character ``str.isspace`` (and ``\\s`` in a pattern) calls blank: a plain text
    cannot end with one. (All are in the Basic Multilingual Plane.)"""
    return pa.array([c for c in map(chr, range(0x10000)) if c.isspace()], _LSTR)


def _utf8_bytes(texts: pa.Array) -> bytes:
    """The UTF-8 bytes of a large_string array's values, one after the other."""
    if not len(texts):
        return b""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)
    lo, hi = int(offsets[texts.offset]), int(offsets[texts.offset + len(texts)])
    data = texts.buffers()[2]
    return bytes(memoryview(data)[lo:hi]) if data is not None and hi > lo else b""


def _supports_fast_path(ws: Worksheet) -> bool:
    return bool(getattr(ws, "constant_memory", False)) and all(
        hasattr(ws, a) for a in ("row_data_fh", "previous_row", "_write_single_row",
                                 "_check_dimensions", "_convert_date_time"))


def _byte_copy_sheet_data(ws: Worksheet) -> Callable[[], None]:
    """xlsxwriter's ``_write_optimized_sheet_data`` (closing the workbook: the streamed rows go
    into the sheet's XML) copying the row file's bytes instead of decoding and re-encoding its text
    (both files are UTF-8): the same file, in a third of the time."""
    original = ws._write_optimized_sheet_data

    def write_sheet_data() -> None:
        target = getattr(ws.fh, "buffer", None)
        if ws.dim_rowmin is None or target is None or ws.row_data_fh is None:
            original()
            return
        ws._xml_start_tag("sheetData")
        ws.row_data_fh.flush()
        ws.fh.flush()
        with open(ws.row_data_filename, "rb") as src:
            shutil.copyfileobj(src, target, 1 << 20)
        ws.row_data_fh.close()
        os.unlink(ws.row_data_filename)
        ws._xml_end_tag("sheetData")
    return write_sheet_data


class WorkbookWriter:
    """Writes one .xlsx workbook atomically; use as a context manager (see module docs).

    ``mask_ids``: write ``id`` columns masked. ``max_rows``: rows per sheet before a table
    continues on a new sheet (Excel's limit; lower it only in tests). ``sample_rows``: how many
    data rows are measured for column widths. ``title``: the workbook's document title
    (file properties). ``fast``: stream data rows directly (see :meth:`_row_emitter`); ``False``
    writes every cell through xlsxwriter's public methods (same result, slower; for tests).
    """

    def __init__(self, path: Path | str, *, mask_ids: bool = False, max_rows: int = MAX_ROWS,
                 sample_rows: int = 1000, title: str | None = None, fast: bool = True) -> None:
        self.path = Path(path)
        self.mask_ids = mask_ids
        if max_rows < 4:
            raise ValueError("max_rows must leave room for a title, a header, data and a total row")
        self.max_rows = min(max_rows, MAX_ROWS)
        self.sample_rows = sample_rows
        self._fast = fast
        self._used: set[str] = set()
        self._reserved: dict[str, Worksheet] = {}
        self._closed = False
        try:
            # short fixed prefix: a long (CJK) file name must not push the folder name over 255 bytes
            self._tmpdir = Path(tempfile.mkdtemp(prefix=".fupin-", suffix=".tmp", dir=self.path.parent))
        except OSError as exc:
            raise FupinError(f"无法写入“{self.path}”：{exc.strerror or exc}") from exc
        self._tmpfile = self._tmpdir / self.path.name
        self._wb = xlsxwriter.Workbook(str(self._tmpfile), {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
            "remove_timezone": True,
            "tmpdir": str(self._tmpdir),
        })
        self._wb.set_properties({
            "title": title or self.path.stem,
            "author": "fupin",
            "comments": f"由 fupin {__version__} 生成",
        })
        self._formats()

    # -- formats ---------------------------------------------------------------------------------

    def _formats(self) -> None:
        add = self._wb.add_format
        self.fmt_header = add({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                               "align": "center", "valign": "vcenter"})
        self.fmt_title = add({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.fmt_heading = add({"bold": True, "font_size": 12})
        self.fmt_label = add({"bold": True, "valign": "top"})
        self.fmt_text_quoted = add({"quote_prefix": True})
        self.fmt_id = add({"num_format": "@"})
        self.fmt_id_quoted = add({"num_format": "@", "quote_prefix": True})
        self.fmt_money = add({"num_format": "#,##0.00"})
        self.fmt_int = add({"num_format": "0"})
        self.fmt_date = add({"num_format": "yyyy-mm-dd"})
        self.fmt_total_text = add({"bold": True, "top": 1})
        self.fmt_total_money = add({"bold": True, "top": 1, "num_format": "#,##0.00"})
        self.fmt_total_int = add({"bold": True, "top": 1, "num_format": "0"})
        self.fmt_total_number = add({"bold": True, "top": 1})

    # -- context management ----------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    @property
    def workbook(self) -> xlsxwriter.Workbook:
        """The underlying ``xlsxwriter.Workbook`` (for charts and other extras)."""
        return self._wb

    @property
    def sheet_names(self) -> list[str]:
        return [ws.name for ws in self._wb.worksheets()]

    def close(self) -> Path:
        """Finish the workbook and move it onto ``path``. Returns ``path``."""
        if self._closed:
            return self.path
        unfilled = sorted({ws.name for ws in self._reserved.values()})
        if unfilled:
            self.abort()
            raise RuntimeError(f"reserved sheets never filled: {unfilled}")
        try:
            if self._row_data_bytes() > 3_500_000_000:
                self._wb.use_zip64()
            with _fast_deflate():
                self._wb.close()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, (OSError, xlsxwriter.exceptions.XlsxWriterException)):
                raise FupinError(f"无法写入“{self.path}”：{exc}") from exc
            raise
        self._closed = True
        try:
            replace_into_place(self._tmpfile, self.path)
        finally:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        return self.path

    def abort(self) -> None:
        """Discard the workbook: close and delete every temporary file; ``path`` is untouched."""
        if self._closed:
            return
        self._closed = True
        for ws in self._wb.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None:
                with contextlib.suppress(Exception):
                    fh.close()
            ws.row_data_fh_closed = True
        self._wb.fileclosed = True   # xlsxwriter must not try to finish it later
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def _row_data_bytes(self) -> int:
        total = 0
        for ws in self._wb.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None and not fh.closed:
                fh.flush()
                total += os.fstat(fh.fileno()).st_size
        return total

    # -- sheets ----------------------------------------------------------------------------------

    def reserve_sheet(self, name: str) -> str:
        """Create an empty sheet now (so it comes first in the workbook) to be filled later by
        :meth:`add_table` or :meth:`add_key_value_sheet` with the same ``name``. Returns the
        sanitised sheet name. A reserved sheet left unfilled makes :meth:`close` fail."""
        ws = self._new_sheet(name)
        self._reserved[name] = ws
        self._reserved.setdefault(ws.name, ws)
        return ws.name

    def _take_sheet(self, name: str) -> Worksheet:
        ws = self._reserved.get(name)
        if ws is not None:
            for key in [k for k, v in self._reserved.items() if v is ws]:
                del self._reserved[key]
            return ws
        return self._new_sheet(name)

    def _new_sheet(self, name: str) -> Worksheet:
        self._check_open()
        ws = self._wb.add_worksheet(sanitize_sheet_name(name, self._used))
        if self._fast and _supports_fast_path(ws) and hasattr(ws, "_write_optimized_sheet_data") \
                and hasattr(ws, "row_data_filename"):
            ws._write_optimized_sheet_data = _byte_copy_sheet_data(ws)
        return ws

    def _rename(self, ws: Worksheet, new_name: str) -> None:
        self._used.discard(ws.name)
        old = ws.name
        ws.name = sanitize_sheet_name(new_name, self._used)
        self._wb.sheetnames.pop(old, None)
        self._wb.sheetnames[ws.name] = ws

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("workbook already closed")

    # -- cell values -----------------------------------------------------------------------------
    #
    # A converter turns one Python value into the cell to write: ("s", text, format),
    # ("n", number, format), ("d", date, format) or None for an empty cell. Both ways of writing
    # (the streaming fast path and plain xlsxwriter calls) use the same converters.

    def _converter(self, kind: str) -> _Converter:
        illegal, limit, danger = _NEEDS_CLEAN.search, MAX_CELL_CHARS // 2, _FORMULA_START
        fmt_text_quoted = self.fmt_text_quoted

        def text(v: Any, fmt: Any = None, fmt_q: Any = fmt_text_quoted) -> _Cell | None:
            if v is None:
                return None
            s = v if type(v) is str else (None if _missing(v) else _as_text(v))
            if not s:
                return None
            if illegal(s) or len(s) > limit:
                s = clean_text(s)
                if not s:
                    return None
            if s[0] in danger or (s[0] in _LEADING_BLANKS and looks_like_formula(s)):
                return ("s", s, fmt_q)
            return ("s", s, fmt)

        if kind == "text":
            return text

        if kind == "id":
            fmt_id, fmt_id_quoted, masking = self.fmt_id, self.fmt_id_quoted, self.mask_ids

            def ident(v: Any) -> _Cell | None:
                if v is None or _missing(v):
                    return None
                s = v if type(v) is str else _as_text(v)
                if masking and s:
                    s = mask_id(s)
                return text(s, fmt_id, fmt_id_quoted)
            return ident

        if kind == "money":
            fmt_money = self.fmt_money

            def money(v: Any) -> _Cell | None:
                if v is None or _missing(v):
                    return None
                f = _money_decimal(v) if type(v) is Decimal and v.is_finite() else money_number(v)
                return text(v) if f is None else ("n", f, fmt_money)
            return money

        if kind == "int":
            fmt_int = self.fmt_int

            def integer(v: Any) -> _Cell | None:
                if v is None or _missing(v):
                    return None
                n = _as_int(v)
                return text(v) if n is None else ("n", n, fmt_int)
            return integer

        if kind == "number":
            def number(v: Any) -> _Cell | None:
                if v is None or _missing(v):
                    return None
                if isinstance(v, (numbers.Real, Decimal)) and not isinstance(v, bool):
                    f = float(v)
                    if math.isfinite(f):
                        return ("n", f, None)
                return text(v)
            return number

        if kind == "date":
            fmt_date = self.fmt_date

            def date(v: Any) -> _Cell | None:
                if v is None or _missing(v):
                    return None
                d = v
                if isinstance(v, str):
                    t = v.strip()
                    try:
                        d = dt.date.fromisoformat(t) if len(t) == 10 else v
                    except ValueError:
                        d = v
                if isinstance(d, dt.date) and d.year >= 1900:
                    if isinstance(d, dt.datetime) and (d.hour, d.minute, d.second) == (0, 0, 0):
                        d = d.date()
                    return ("d", d, fmt_date)
                return text(v)
            return date

        raise ValueError(kind)  # pragma: no cover - Column validates kinds

    def _put(self, ws: Worksheet, r: int, c: int, cell: _Cell | None, fmt: Any = None) -> None:
        """Write one converted cell with plain xlsxwriter calls (``fmt`` overrides a None format)."""
        if cell is None:
            return
        typ, value, cell_fmt = cell
        f = cell_fmt if cell_fmt is not None else fmt
        if typ == "s":
            ws.write_string(r, c, value, f)
        elif typ == "n":
            ws.write_number(r, c, value, f)
        else:
            ws.write_datetime(r, c, value, f)

    def _row_emitter(self, ws: Worksheet, kinds: list[str], convs: list[_Converter]
                     ) -> Callable[[int, Sequence[Any]], None]:
        """A function writing one data row at row index ``r``.

        Fast path: the row's XML is built here and appended to xlsxwriter's constant_memory row
        file directly, the same XML xlsxwriter would write (inline strings, ``s`` style index,
        ``xml:space`` for edge blanks, ``_xHHHH_`` escaping) but several times faster, since
        xlsxwriter's per-cell bookkeeping dominates a million-row sheet. It is used only when the
        worksheet exposes the internals it relies on; otherwise cells go through xlsxwriter's
        public ``write_*`` methods.
        """
        if not (self._fast and _supports_fast_path(ws)):
            put = self._put

            def slow(r: int, row: Sequence[Any]) -> None:
                for c, (conv, v) in enumerate(zip(convs, row)):
                    put(ws, r, c, conv(v))
            return slow

        letters = [xl_col_to_name(c) for c in range(len(convs))]
        # plain-text shortcut per column: "" = no attribute, a string = its s="…", None = no shortcut
        shortcut = [("" if k == "text" else f' s="{self.fmt_id._get_xf_index()}"')
                    if k == "text" or (k == "id" and not self.mask_ids) else None for k in kinds]
        style: dict[int, str] = {}
        convert_date = ws._convert_date_time
        special, x_escape, not_plain = _XML_SPECIAL.search, _X_ESCAPE, _NOT_PLAIN.search
        risky_first, limit = _FORMULA_START | frozenset(_LEADING_BLANKS), MAX_CELL_CHARS // 2
        write = ws.row_data_fh.write

        def s_attr(fmt: Any) -> str:
            if fmt is None:
                return ""
            a = style.get(id(fmt))
            if a is None:
                a = style[id(fmt)] = f' s="{fmt._get_xf_index()}"'
            return a

        def fast(r: int, row: Sequence[Any]) -> None:
            rs = str(r + 1)
            out = []
            append = out.append
            for letter, short, conv, v in zip(letters, shortcut, convs, row):
                if v is None:
                    continue
                if short is not None and type(v) is str:
                    # the common case: ordinary text needing no cleaning, escaping or quoting
                    if not v:
                        continue
                    if v[0] not in risky_first and len(v) <= limit and not not_plain(v):
                        append(f'<c r="{letter}{rs}"{short} t="inlineStr"><is><t>{v}</t></is></c>')
                        continue
                cell = conv(v)
                if cell is None:
                    continue
                typ, value, fmt = cell
                if typ == "s":
                    if special(value):
                        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    if "_x" in value:
                        value = x_escape.sub(r"_x005F\1", value)
                    pre = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                    append(f'<c r="{letter}{rs}"{s_attr(fmt)} t="inlineStr"><is><t{pre}>{value}</t></is></c>')
                else:
                    number = value if typ == "n" else convert_date(value)
                    append(f'<c r="{letter}{rs}"{s_attr(fmt)}><v>{number:.16G}</v></c>')
            if out:
                write(f'<row r="{rs}">{"".join(out)}</row>')
        fast.streams = True  # type: ignore[attr-defined]
        return fast

    # -- tables ----------------------------------------------------------------------------------

    def add_table(self, sheet_name: str, columns: Sequence[Column | str], rows: Iterable[Sequence[Any]],
                  *, title: str | None = None, total_row: Mapping[str | int, Any] | None = None,
                  print_setup: PrintSetup | None = None, freeze_columns: int = 0) -> TableResult:
        """Write a table sheet (see module docs) and return where it went.

        ``columns``: :class:`Column` records (a bare string is a text column). ``rows``: any
        iterable of sequences with one value per column (a ``pandas.DataFrame`` is accepted and
        read with ``itertuples``; :class:`TableColumns` gives the data column by column, the
        fast way for long tables); consumed once, top to bottom. ``total_row``: values for a
        final row, keyed by column header or index: :data:`SUM`, :data:`COUNT` or a literal
        (e.g. ``{"姓名": "合计", "金额": SUM}``). ``freeze_columns``: also freeze that many
        leading columns (e.g. the name).
        """
        self._check_open()
        cols = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
        if not cols:
            raise ValueError("a table needs at least one column")
        ncols = len(cols)
        totals = self._resolve_totals(cols, total_row)
        sums: dict[int, Decimal | int] = {i: 0 for i, v in totals.items() if v is SUM}
        money_sums = {i for i in sums if cols[i].kind == "money"}
        counts: dict[int, int] = {i: 0 for i, v in totals.items() if v is COUNT}
        header_row = 1 if title else 0
        first_data = header_row + 1
        capacity = self.max_rows - first_data - (1 if totals else 0)
        if hasattr(rows, "itertuples"):
            rows = rows.itertuples(index=False, name=None)  # type: ignore[union-attr]

        widths = [display_width(c.header) + 4 for c in cols]   # + room for the filter button
        for i, c in enumerate(cols):
            if c.kind == "id":
                widths[i] = max(widths[i], 20)
            elif c.kind == "date" or c.kind == "money":
                widths[i] = max(widths[i], 12)
        sample = self.sample_rows

        convs = [self._converter(c.kind) for c in cols]
        result = TableResult(columns=cols)
        ws = self._take_sheet(sheet_name)
        if isinstance(rows, TableColumns) and self._fast and _supports_fast_path(ws):
            self._table_columns(ws, rows, cols, convs, widths, result, title=title, header_row=header_row,
                                capacity=capacity, totals=totals, sums=sums, money_sums=money_sums, counts=counts,
                                print_setup=print_setup, freeze_columns=freeze_columns)
            return result
        base_name = ws.name
        emit = self._start_part(ws, cols, convs, title, header_row)
        part = SheetPart(ws.name, ws, header_row, first_data, first_data - 1)
        n_in_part = 0
        total = 0
        for row in rows:
            if len(row) != ncols:
                raise ValueError(f"row {total + 1} of sheet {base_name!r} has {len(row)} values, "
                                 f"expected {ncols}")
            if n_in_part == capacity:          # sheet full: continue on the next part
                ws = self._next_part(result, part, base_name, first_data + n_in_part - 1, ncols, cols, widths,
                                     print_setup, freeze_columns)
                emit = self._start_part(ws, cols, convs, title, header_row)
                part = SheetPart(ws.name, ws, header_row, first_data, first_data - 1)
                n_in_part = 0
            emit(first_data + n_in_part, row)
            if total < sample:
                self._measure(row, cols, widths)
            for i in sums:
                d = _summed(row[i], i in money_sums)
                if d is not None:
                    sums[i] += d
            for i in counts:
                v = row[i]
                if not (_missing(v) or v == ""):
                    counts[i] += 1
            n_in_part += 1
            total += 1
        part.last_data_row = first_data + n_in_part - 1
        self._end_rows(part, ncols)
        if totals:
            self._write_totals(part, cols, totals, sums, counts, single=not result.parts)
        self._finish_part(part, cols, widths, print_setup, freeze_columns)
        result.parts.append(part)
        result.rows_written = total
        return result

    def _table_columns(self, ws: Worksheet, data: TableColumns, cols: list[Column], convs: list[_Converter],
                       widths: list[float], result: TableResult, *, title: str | None, header_row: int,
                       capacity: int, totals: dict[int, Any], sums: dict[int, Any], money_sums: set[int],
                       counts: dict[int, int], print_setup: PrintSetup | None, freeze_columns: int) -> None:
        """:meth:`add_table` for :class:`TableColumns` on the fast path: the same sheets, parts,
        widths and totals as row by row, built column-wise."""
        ncols, n = len(cols), len(data)
        if n and len(data.columns) != ncols:
            raise ValueError(f"row 1 of sheet {ws.name!r} has {len(data.columns)} values, expected {ncols}")
        base_name = ws.name
        first_data = header_row + 1
        self._start_part(ws, cols, convs, title, header_row)
        emit = self._column_emitter(ws, [c.kind for c in cols], convs)
        part = SheetPart(ws.name, ws, header_row, first_data, first_data - 1)
        start = measured = 0
        while True:
            stop = min(n, start + capacity)
            emit(first_data, data.columns, start, stop)
            upto = min(stop, self.sample_rows)
            if measured < upto:
                self._measure_columns(data.columns, measured, upto, cols, widths)
                measured = upto
            if sums or counts:
                self._accumulate(data.columns, start, stop, cols, sums, money_sums, counts)
            n_in_part = stop - start
            if stop >= n:
                break
            # sheet full: continue on the next part
            ws = self._next_part(result, part, base_name, first_data + n_in_part - 1, ncols, cols, widths,
                                 print_setup, freeze_columns)
            self._start_part(ws, cols, convs, title, header_row)
            emit = self._column_emitter(ws, [c.kind for c in cols], convs)
            part = SheetPart(ws.name, ws, header_row, first_data, first_data - 1)
            start = stop
        part.last_data_row = first_data + n_in_part - 1
        self._end_rows(part, ncols)
        if totals:
            self._write_totals(part, cols, totals, sums, counts, single=not result.parts)
        self._finish_part(part, cols, widths, print_setup, freeze_columns)
        result.parts.append(part)
        result.rows_written = n

    def _column_emitter(self, ws: Worksheet, kinds: list[str], convs: list[_Converter]
                        ) -> Callable[[int, list[list[Any]], int, int], None]:
        """The column-wise :meth:`_row_emitter`: ``emit(first_data, columns, start, stop)`` writes
        rows ``start:stop`` of ``columns`` from sheet row ``first_data`` on, the same XML as the
        row emitter. A column of plain texts is written with one check of the whole column; other
        values are converted once per distinct text. Cell formats get their style index in the
        order the row emitter would first use them (row by row), so the styles are numbered alike."""
        letters = [xl_col_to_name(c) for c in range(len(convs))]
        shortcut = [("" if k == "text" else f' s="{self.fmt_id._get_xf_index()}"')
                    if k == "text" or (k == "id" and not self.mask_ids) else None for k in kinds]
        style: dict[int, str] = {}
        convert_date = ws._convert_date_time
        special, x_escape, not_plain = _XML_SPECIAL.search, _X_ESCAPE, _NOT_PLAIN.search
        risky_first, limit = _FORMULA_START | frozenset(_LEADING_BLANKS), MAX_CELL_CHARS // 2
        fh = ws.row_data_fh

        def s_attr(fmt: Any) -> str:
            if fmt is None:
                return ""
            a = style.get(id(fmt))
            if a is None:
                a = style[id(fmt)] = f' s="{fmt._get_xf_index()}"'
            return a

        def tail(v: Any, short: str | None, conv: _Converter) -> tuple[Any, str] | None:
            """(style: a ready attribute text or a format, the cell XML after it); None: no cell."""
            if v is None:
                return None
            if short is not None and type(v) is str:
                if not v:
                    return None
                if v[0] not in risky_first and len(v) <= limit and not not_plain(v):
                    return short, f' t="inlineStr"><is><t>{v}</t></is></c>'
            cell = conv(v)
            if cell is None:
                return None
            typ, value, fmt = cell
            if typ == "s":
                if special(value):
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                if "_x" in value:
                    value = x_escape.sub(r"_x005F\1", value)
                pre = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                return fmt, f' t="inlineStr"><is><t{pre}>{value}</t></is></c>'
            number = value if typ == "n" else convert_date(value)
            return fmt, f"><v>{number:.16G}</v></c>"

        def as_texts(values: list[Any]) -> pa.Array | None:
            """The column as Arrow text (blanks null: no cell) when every value is a text needing
            no cleaning, escaping or quoting; else None. Checked on the whole column's UTF-8 bytes
            (a control character is a byte below 0x20; "_x" across two values only costs the slow
            way)."""
            if not values or set(map(type, values)) != {str}:
                return None
            try:
                arr = pa.array(values, _LSTR)
            except (UnicodeError, pa.ArrowException):      # e.g. a lone surrogate
                return None
            data = _utf8_bytes(arr)
            if data:
                if b"_x" in data or b"&" in data or b"<" in data or b">" in data or b"\xef\xbf\xbe" in data \
                        or b"\xef\xbf\xbf" in data or np.frombuffer(data, np.uint8).min() < 0x20:
                    return None
                if len(values) < _ARROW_CHECKS:      # a few values: quicker one by one
                    filled = [v for v in values if v]
                    if max(map(len, filled)) > limit or any(v[0] in risky_first or v[-1].isspace() for v in filled):
                        return None
                elif pc.max(pc.utf8_length(arr)).as_py() > limit \
                        or pc.any(pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=_RISKY_FIRST)).as_py() \
                        or pc.any(pc.is_in(pc.utf8_slice_codeunits(arr, -1, 1 << 30), value_set=_spaces())).as_py():
                    return None
            if "" in values:
                arr = pc.if_else(pc.equal(arr, _NOTHING), pa.scalar(None, _LSTR), arr)
            return arr

        def emit(first_data: int, columns: list[list[Any]], start: int, stop: int) -> None:
            for a in range(start, stop, _BLOCK_ROWS):
                b = min(stop, a + _BLOCK_ROWS)
                texts: dict[int, pa.Array] = {}             # column → its plain texts (null: blank cell)
                tails: dict[int, list] = {}                 # column → tail() of each value
                full = False                                # some column has a cell in every row
                for c, (short, conv) in enumerate(zip(shortcut, convs)):
                    values = columns[c][a:b]
                    if short is not None:
                        arr = as_texts(values)
                        if arr is not None:
                            texts[c] = arr
                            full = full or not arr.null_count
                            continue
                    seen: dict[Any, Any] = {}
                    col_tails = []
                    for v in values:
                        if type(v) is str or type(v) is int:    # equal values, the same cell
                            t = seen.get(v, seen)
                            if t is seen:
                                t = seen[v] = tail(v, short, conv)
                        else:
                            t = tail(v, short, conv)
                        col_tails.append(t)
                    tails[c] = col_tails
                    full = full or None not in col_tails
                # style indices in the order of first use, row by row
                first_use = []
                for c, col_tails in tails.items():
                    new = {id(t[0]): t[0] for t in col_tails if t is not None and t[0] is not None
                           and type(t[0]) is not str and id(t[0]) not in style}
                    for f in new.values():
                        j = next(j for j, t in enumerate(col_tails) if t is not None and t[0] is f)
                        first_use.append((j, c, f))
                for _, _, f in sorted(first_use, key=lambda x: (x[0], x[1])):
                    s_attr(f)
                # the XML, column-wise in Arrow: <row r="N"> cells </row>
                first = first_data + 1 + a - start
                rows = pc.cast(pa.array(np.arange(first, first + b - a, dtype=np.int64)), _LSTR)
                cells = []
                for c in range(len(convs)):
                    head = pa.scalar(f'<c r="{letters[c]}', _LSTR)
                    if c in texts:
                        mid = pa.scalar(f'"{shortcut[c]} t="inlineStr"><is><t>', _LSTR)
                        cell = pc.binary_join_element_wise(head, rows, mid, texts[c], _TEXT_END, _NOTHING)
                    else:
                        done: dict[int, str] = {}
                        ends = []
                        for t in tails[c]:
                            if t is None:
                                ends.append(None)
                                continue
                            e = done.get(id(t))
                            if e is None:
                                e = done[id(t)] = (t[0] if type(t[0]) is str else s_attr(t[0])) + t[1]
                            ends.append(e)
                        cell = pc.binary_join_element_wise(head, rows, _QUOTE, pa.array(ends, _LSTR), _NOTHING)
                    cells.append(pc.fill_null(cell, _NOTHING) if cell.null_count else cell)
                xml = pc.binary_join_element_wise(_ROW_START, rows, _ROW_MID, *cells, _ROW_END, _NOTHING)
                if not full:     # rows without a cell are left out
                    blank = pc.equal(cells[0], _NOTHING)
                    for cell in cells[1:]:
                        blank = pc.and_(blank, pc.equal(cell, _NOTHING))
                    xml = xml.filter(pc.invert(blank))
                if len(xml):
                    fh.flush()                       # what xlsxwriter wrote as text goes first
                    fh.buffer.write(_utf8_bytes(xml))
        return emit

    def _measure_columns(self, columns: list[list[Any]], a: int, b: int, cols: list[Column],
                         widths: list[float]) -> None:
        """:meth:`_measure` of rows ``a:b`` given column by column (each distinct text once)."""
        for i, col in enumerate(cols):
            if col.width is not None:
                continue
            kind, best = col.kind, widths[i]
            texts: set[str] = set()
            others = []
            for v in columns[i][a:b]:
                if type(v) is str:
                    texts.add(v)
                elif not (v is None or _missing(v)):
                    others.append(v)
            if kind == "text":
                texts.discard("")
            if kind not in ("money", "date"):
                # longest first; a text of n characters is at most 2n wide: stop when none can widen
                for v in sorted(texts, key=len, reverse=True):
                    if 2 * len(v) + 2 <= best:
                        break
                    best = max(best, display_width(v) + 2)
                texts = set()
            for v in [*texts, *others]:
                if kind == "money":
                    f = money_number(v)
                    w = len(f"{f:,.2f}") if f is not None else display_width(_as_text(v))
                elif kind == "date":
                    w = 10
                else:
                    w = display_width(v if type(v) is str else _as_text(v))
                best = max(best, w + 2)
            widths[i] = best

    def _accumulate(self, columns: list[list[Any]], a: int, b: int, cols: list[Column],
                    sums: dict[int, Any], money_sums: set[int], counts: dict[int, int]) -> None:
        """The totals of rows ``a:b`` given column by column (as :meth:`add_table` row by row)."""
        for i in sums:
            money = i in money_sums
            for v in columns[i][a:b]:
                d = _summed(v, money)
                if d is not None:
                    sums[i] += d
        for i in counts:
            counts[i] += sum(1 for v in columns[i][a:b] if not (_missing(v) or v == ""))

    def _resolve_totals(self, cols: list[Column], total_row: Mapping[str | int, Any] | None
                        ) -> dict[int, Any]:
        if not total_row:
            return {}
        index = {c.header: i for i, c in enumerate(cols)}
        out: dict[int, Any] = {}
        for key, value in total_row.items():
            i = key if isinstance(key, int) else index.get(key)
            if i is None or not 0 <= i < len(cols):
                raise ValueError(f"total_row names unknown column {key!r}")
            out[i] = value
        return out

    def _start_part(self, ws: Worksheet, cols: list[Column], convs: list[_Converter],
                    title: str | None, header_row: int) -> Callable[[int, Sequence[Any]], None]:
        """Write title and header; return the data-row emitter for this sheet."""
        if title:
            ws.set_row(0, 24)
            if len(cols) > 1:
                ws.merge_range(0, 0, 0, len(cols) - 1, "", self.fmt_title)
            ws.write_string(0, 0, clean_text(title), self.fmt_title)
        for c, col in enumerate(cols):
            ws.write_string(header_row, c, clean_text(col.header) or f"列{c + 1}", self.fmt_header)
        emit = self._row_emitter(ws, [c.kind for c in cols], convs)
        if getattr(emit, "streams", False):
            ws._write_single_row(header_row + 1)   # flush the header before streaming rows
        return emit

    def _end_rows(self, part: SheetPart, ncols: int) -> None:
        """After streamed rows: tell xlsxwriter the sheet's extent and that those rows are done."""
        ws = part.worksheet
        if part.data_rows > 0 and part.first_data_row >= getattr(ws, "previous_row", 0) \
                and _supports_fast_path(ws) and self._fast:
            ws._check_dimensions(part.first_data_row, 0)
            ws._check_dimensions(part.last_data_row, ncols - 1)
            ws.previous_row = part.last_data_row

    def _next_part(self, result, part: SheetPart, base_name: str, last_data_row: int, ncols: int,
                   cols: list[Column], widths: list[float], print_setup, freeze_columns):
        """Close a full sheet part (the first one is renamed "…(1)") and open the next sheet,
        "…(2)" and so on; returns the new worksheet."""
        ws = part.worksheet
        if not result.parts:
            self._rename(ws, f"{_cut_utf16(base_name, MAX_SHEET_NAME - 3)}(1)")
            part.name = ws.name
        part.last_data_row = last_data_row
        self._end_rows(part, ncols)
        self._finish_part(part, cols, widths, print_setup, freeze_columns)
        result.parts.append(part)
        suffix = f"({len(result.parts) + 1})"
        return self._new_sheet(_cut_utf16(base_name, MAX_SHEET_NAME - len(suffix)) + suffix)

    def _measure(self, row: Sequence[Any], cols: list[Column], widths: list[float]) -> None:
        for i, (col, v) in enumerate(zip(cols, row)):
            if type(v) is str and col.kind == "text" and col.width is None:   # the common case
                if v:
                    widths[i] = max(widths[i], display_width(v) + 2)
                continue
            if v is None or _missing(v) or col.width is not None:
                continue
            if col.kind == "money":
                f = money_number(v)
                w = len(f"{f:,.2f}") if f is not None else display_width(_as_text(v))
            elif col.kind == "date":
                w = 10
            else:
                w = display_width(v if type(v) is str else _as_text(v))
            widths[i] = max(widths[i], w + 2)

    def _write_totals(self, part: SheetPart, cols: list[Column], totals: dict[int, Any],
                      sums: dict[int, Any], counts: dict[int, int], *, single: bool) -> None:
        ws, r = part.worksheet, part.last_data_row + 1
        part.total_row = r
        write_string = ws.write_string
        for c, col in enumerate(cols):
            value = totals.get(c)
            fmt_num = {"money": self.fmt_total_money, "int": self.fmt_total_int}.get(
                col.kind, self.fmt_total_number)
            if isinstance(value, _Aggregate):
                exact = sums[c] if value is SUM else counts[c]
                if value is COUNT:
                    fmt_num = self.fmt_total_int
                cached: float | int = float(exact) if isinstance(exact, Decimal) else exact
                if isinstance(exact, Decimal) and exact == exact.to_integral_value() \
                        and col.kind != "money":
                    cached = int(exact)
                if single and part.data_rows > 0:
                    letter = xl_col_to_name(c)
                    rng = f"{letter}{part.first_data_row + 1}:{letter}{part.last_data_row + 1}"
                    ws.write_formula(r, c, f"=SUBTOTAL({value.function},{rng})", fmt_num, cached)
                else:   # split table: a formula would only see the last part
                    ws.write_number(r, c, cached, fmt_num)
            elif value is None:
                ws.write_blank(r, c, None, self.fmt_total_text)
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                f = money_number(value) if col.kind == "money" else float(value)
                if f is None:
                    write_string(r, c, clean_text(_as_text(value)), self.fmt_total_text)
                else:
                    ws.write_number(r, c, f, fmt_num)
            else:
                write_string(r, c, clean_text(_as_text(value)), self.fmt_total_text)

    def _finish_part(self, part: SheetPart, cols: list[Column], widths: list[float],
                     print_setup: PrintSetup | None, freeze_columns: int) -> None:
        ws = part.worksheet
        last = max(part.last_data_row, part.header_row)
        ws.freeze_panes(part.header_row + 1, max(0, freeze_columns))
        ws.autofilter(part.header_row, 0, last, len(cols) - 1)
        for c, col in enumerate(cols):
            width = col.width if col.width is not None else min(widths[c], MAX_WIDTH)
            ws.set_column(c, c, width, self.fmt_id if col.kind == "id" else None)
        if print_setup is not None:
            self._apply_print_setup(ws, print_setup, part.header_row)

    def _apply_print_setup(self, ws: Worksheet, ps: PrintSetup, header_row: int | None) -> None:
        if ps.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_paper(ps.paper)
        ws.fit_to_pages(ps.fit_width, 0)
        if ps.repeat_header and header_row is not None:
            ws.repeat_rows(header_row)
        left, right, top, bottom = ps.margins
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
        if ps.footer:
            ws.set_footer("&C" + ps.footer)
        if ps.header_text:
            text = clean_text(ps.header_text).replace("&", "&&")
            ws.set_header("&C" + text[:240])
        ws.hide_gridlines(0 if ps.gridlines else 1)
        if ps.center_horizontally:
            ws.center_horizontally()

    # -- key/value sheet -------------------------------------------------------------------------

    def add_key_value_sheet(self, name: str, pairs: Sequence[tuple[str, Any]],
                            sections: Sequence[Section] = (), *, title: str | None = None,
                            print_setup: PrintSetup | None = None) -> str:
        """Write a descriptive sheet (the 说明 sheet): an optional title, ``pairs`` as two columns
        (bold label, value), then each :class:`Section` after a blank line: a bold heading, then
        label/value pairs or a small table with a header row. Values keep their type (numbers
        stay numbers, Decimal money shows two places); text is written safely as in tables.
        Returns the sheet name."""
        self._check_open()
        ws = self._take_sheet(name)
        text = self._converter("text")
        ncols = max([2] + [len(s.columns) for s in sections if s.columns]
                    + [len(r) for s in sections for r in s.rows]
                    + [len(p) for s in sections for p in s.pairs])
        widths = [0.0] * ncols
        r = 0

        def put(row_values: Sequence[Any], first_fmt=None, fmt=None) -> None:
            nonlocal r
            for c, v in enumerate(row_values):
                f = first_fmt if c == 0 and first_fmt is not None else fmt
                self._put(ws, r, c, self._auto_cell(text, v), f)
                if not _missing(v) and v is not None:
                    widths[c] = max(widths[c], display_width(_as_text(v)) + 2)
            r += 1

        if title:
            ws.write_string(r, 0, clean_text(title), self.fmt_title)
            ws.set_row(r, 24)
            r += 2
        for label, value in pairs:
            put((label, value), self.fmt_label)
        for section in sections:
            if r:
                r += 1
            ws.write_string(r, 0, clean_text(section.heading), self.fmt_heading)
            r += 1
            for pair in section.pairs:
                put(pair, self.fmt_label)
            if section.columns:
                put(list(section.columns), fmt=self.fmt_header)
                for row in section.rows:
                    put(row)
            else:
                for row in section.rows:
                    put(row, self.fmt_label)
        for c, w in enumerate(widths):
            ws.set_column(c, c, min(max(w, 8), MAX_WIDTH_KV))
        if print_setup is not None:
            self._apply_print_setup(ws, print_setup, None)
        return ws.name

    def _auto_cell(self, text: _Converter, v: Any) -> _Cell | None:
        """Convert a value of any type for the key/value sheet."""
        if v is None or _missing(v):
            return None
        if isinstance(v, (bool, str)):
            return text(v)
        if isinstance(v, Decimal):
            f = money_number(v)
            if f is None:
                return text(v)
            exponent = v.as_tuple().exponent
            return ("n", f, self.fmt_money if isinstance(exponent, int) and exponent < 0 else None)
        if isinstance(v, numbers.Real) and math.isfinite(float(v)):
            return ("n", v if isinstance(v, int) else float(v), None)
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return ("d", v, self.fmt_date)
        return text(_as_text(v))
