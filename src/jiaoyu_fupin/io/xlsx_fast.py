"""Fast .xlsx reading with fastexcel, giving exactly the text the python-calamine path gives.

python-calamine's ``to_python`` builds a Python object per cell while holding the GIL (~55k rows/s,
no gain from a second thread). fastexcel parses with the same Rust calamine, hands whole columns
over as Arrow strings and releases the GIL, so a folder of rosters reads about twice as fast on two
cores. Its text is not ours, though (REFERENCE §6): a number cell comes out as its exact integer
value — an 18-digit ID Excel stored as ``3.41021200501011E+17`` reads ``'341021200501011008'``, a
tidy wrong ID — a boolean as ``true``, a date as ``2005-01-01 00:00:00``.

So every cell whose fastexcel text *could* come from a non-text cell and would read differently
under the rules of :mod:`io.cells` is looked up in the sheet XML, and only a cell whose ``<c>``
element is not text gets the number / boolean / date rule:

- digit strings of 16 or more digits (optionally signed) that are exactly a double's value — what a
  number cell renders as (a text ID passes this test one time in 16-128): a number cell becomes
  ``repr(float)`` (``'3.41021200501011e+17'``), so the ID normaliser marks it precision-lost;
- ``true`` / ``false``: a boolean cell becomes 是 / 否;
- ``YYYY-MM-DD HH:MM:SS``: a date cell at midnight becomes ``YYYY-MM-DD``;
- ``0.0000…``: a number below 1e-4 becomes its ``repr`` (``1e-05``).

Every other number renders the same both ways (integers below 1e15 as ``123``; other numbers as
the shortest round-trip decimal, which is what ``repr`` gives between 1e-4 and 1e16). Merged
ranges are read from the sheet XML as well (fastexcel does not report them).

:func:`read_xlsx_fast` returns None whenever the file is anything but plain — error cells, ISO date
cells, time-only or fractional-second date cells, a looked-up cell without an ``r="…"`` reference,
an unexpected workbook structure, any fastexcel error — and the caller then reads the file the
exact, slower way (which also produces the proper error messages).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from jiaoyu_fupin.io import guard
from jiaoyu_fupin.io.cells import MAX_CELL_CHARS, _text_from_float, _text_from_str, cap_text

_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

#: fastexcel text that may stand for a non-text cell (checked against the XML)
_SUSPECT = (r"^(?:-0|-?[0-9]{16,}|true|false|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
            r"|-?0\.0000[0-9]*)$")
#: texts io.cells would change: whitespace at either end (what str.strip removes), ="…", apostrophes
_SPACE_CLASS = "".join(f"\\x{{{c:04x}}}" for c in range(0x3001) if chr(c).isspace())
_NEEDS_CLEANING = f"^[{_SPACE_CLASS}'\uff07=]|[{_SPACE_CLASS}]$"
_DATETIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?$")
_TYPE_ATTR = re.compile(rb'\st="([A-Za-z]+)"')
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?"')
_I64_MAX = 2 ** 63 - 1
#: up to this many distinct values in a column, the text rules run in Python
_SMALL = 256


class _Bail(Exception):
    """Not a plain workbook: read it the exact way."""


def read_xlsx_fast(path: Path, name: str, sheet_xml: dict[str, bytes] | None = None):
    """Every sheet of an .xlsx/.xlsm as ``RawSheet`` (same text as the python-calamine path), or
    None when the file needs the exact path (see module docs).  ``sheet_xml``: worksheet part ->
    its XML, already inflated (by ``guard.check_zip``); other parts are read from the file."""
    try:
        import fastexcel  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    try:
        return _read(Path(path), name, sheet_xml or {})
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # noqa: BLE001 - _Bail, zip/XML trouble, fastexcel errors (incl. Rust panics)
        return None


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _workbook_sheets(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(sheet name, worksheet part path or None for chart/dialog/macro sheets), in workbook order."""
    from defusedxml import ElementTree as ET

    names = set(zf.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        raise _Bail
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets: dict[str, tuple[str, str]] = {}
    for rel in rels.iter(f"{_PKG_NS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        targets[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], part)
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    out: list[tuple[str, str | None]] = []
    for sh in wb.iter(f"{_MAIN_NS}sheet"):
        kind, part = targets.get(sh.get(f"{_REL_NS}id", ""), ("", ""))
        if kind == "worksheet":
            if part not in names:
                raise _Bail
            out.append((sh.get("name", ""), part))
        elif kind in ("chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet", "xlIntlMacrosheet"):
            out.append((sh.get("name", ""), None))
        else:
            raise _Bail
    if not out:
        raise _Bail
    return out


def _read(p: Path, name: str, sheet_xml: dict[str, bytes]):
    import fastexcel

    from jiaoyu_fupin.io.readers import RawSheet, _fill_merged, _trimmed

    with zipfile.ZipFile(p) as zf:
        sheets = _workbook_sheets(zf)
        styles = zf.read("xl/styles.xml") if "xl/styles.xml" in zf.namelist() else b""
        # elapsed-time formats ([h]:mm): calamine reads those cells as durations
        durations = re.search(rb'formatCode="[^"]*\[(?:h+|m+|s+)\]', styles, re.IGNORECASE) is not None
        reader = fastexcel.read_excel(str(p))
        out = []
        for sheet_name, part in sheets:
            if part is None:
                out.append(RawSheet(name, sheet_name, [], skip_reason="图表或宏工作表，不含数据", fmt="xlsx"))
                continue
            xml = sheet_xml.pop(part, None)
            if xml is None:
                xml = zf.read(part)
            sh = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
            cols = _sheet_columns(sh, xml, durations)
            if not cols or not cols[0]:
                out.append(RawSheet(name, sheet_name, [], skip_reason="工作表是空的", fmt="xlsx"))
                continue
            merges = _merges(xml)
            if merges:
                _fill_merged(cols, merges)
            out.append(_trimmed(RawSheet(name, sheet_name, cols, fmt="xlsx")))
            del xml
    return out


def _sheet_columns(sh, xml: bytes, durations: bool) -> list[list[str]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    batch = sh.to_arrow()
    n = batch.num_rows
    infos = sh.selected_columns
    if not infos or n == 0:
        return []
    # a sheet whose cells are all inline strings holds no number, boolean or date cell (those keep
    # their value in <v>): nothing to look up
    typed = b"<v" in xml
    if typed and b' t="d"' in xml:
        raise _Bail   # ISO date cells: python-calamine's own rendering
    width = max(c.absolute_index for c in infos) + 1
    if n * width > guard.MAX_SHEET_CELLS:
        raise _Bail   # the exact path refuses it with its message
    cols: list[np.ndarray | None] = [None] * width
    checks: list[tuple[int, int, str, np.ndarray]] = []   # (row, col, text, column array) to look up
    for k, info in enumerate(infos):
        arr = batch.column(k)
        if arr.type != pa.string():
            arr = arr.cast(pa.string())
        enc = arr.dictionary_encode()
        d = enc.dictionary
        uniq = d.to_pylist()
        if len(uniq) <= _SMALL:
            # io.cells rules per distinct value (cheaper than three Arrow calls on a short list)
            texts = [cap_text(_text_from_str(u)) for u in uniq]
        else:
            texts = list(uniq)
            # io.cells rules (strip, ="…", leading apostrophe, length cap) only where they can
            # change something
            for u in np.flatnonzero(pc.match_substring_regex(d, _NEEDS_CLEANING).to_numpy(zero_copy_only=False)):
                texts[u] = _text_from_str(uniq[u])
            too_long = pc.greater(pc.utf8_length(d), MAX_CELL_CHARS).to_numpy(zero_copy_only=False)
            for u in np.flatnonzero(too_long):
                texts[u] = cap_text(texts[u])
        texts.append("")
        idx = enc.indices.fill_null(len(uniq)).to_numpy(zero_copy_only=False)
        col = np.array(texts, dtype=object)[idx]
        if typed and uniq:
            codes = _suspect_codes(d, uniq)
            if len(codes):
                mask = np.zeros(len(uniq) + 1, dtype=bool)
                mask[codes] = True
                j = info.absolute_index
                checks.extend((i, j, uniq[idx[i]], col) for i in np.flatnonzero(mask[idx]).tolist())
        cols[info.absolute_index] = col
    if checks:
        _apply_cell_types(checks, xml, durations)
    empty = [""] * n
    return [list(empty) if c is None else c.tolist() for c in cols]


def _suspect_codes(d, uniq: list[str]) -> np.ndarray:
    """Codes of the distinct texts that may come from a non-text cell (see module docs)."""
    import pyarrow.compute as pc

    sus = pc.match_substring_regex(d, _SUSPECT).to_numpy(zero_copy_only=False)
    if not sus.any():
        return np.zeros(0, dtype=np.int64)
    # long digit strings: only those that are exactly a double's value can come from a number cell
    digits = pc.match_substring_regex(d, r"^[0-9]{16,19}$").to_numpy(zero_copy_only=False) & sus
    if digits.any():
        di = np.flatnonzero(digits)
        v = np.array([uniq[u] for u in di.tolist()]).astype(np.uint64)
        f = v.astype(np.float64)
        exact = (f < 2.0 ** 64) & (f.astype(np.uint64) == v)
        sus[di[~exact]] = False
    return np.flatnonzero(sus)


def _apply_cell_types(checks: list, xml: bytes, durations: bool) -> None:
    """Look the cells up in the sheet XML (in row order, so one forward scan) and re-render the
    ones that are not text."""
    checks.sort(key=lambda c: (c[0], c[1]))
    pos = 0
    for i, j, s, col in checks:
        ref = b'<c r="' + xl_col_to_name(j).encode() + str(i + 1).encode() + b'"'
        at = xml.find(ref, pos)
        if at < 0:
            raise _Bail   # no r= reference (or not where expected): exact path
        end = xml.find(b">", at)
        m = _TYPE_ATTR.search(xml, at, end)
        kind = m.group(1) if m else b"n"
        pos = end
        if kind in (b"s", b"inlineStr", b"str"):
            continue   # text: keep it
        if kind == b"b":
            if s not in ("true", "false"):
                raise _Bail
            col[i] = "是" if s == "true" else "否"
        elif kind == b"n":
            dt = _DATETIME.match(s)
            if dt:
                date, time_, frac = dt.groups()
                if frac or date < "1900-03-01" or durations:
                    raise _Bail   # fractional seconds, time-only or duration cells: python-calamine decides
                col[i] = date if time_ == "00:00:00" else f"{date} {time_}"
            elif s in ("true", "false"):
                raise _Bail
            else:
                if s.lstrip("-") == str(_I64_MAX) or s == str(-_I64_MAX - 1):
                    raise _Bail   # possibly a saturated conversion
                col[i] = _text_from_float(float(s))
        else:
            raise _Bail


def _merges(xml: bytes) -> list:
    tail = xml.rfind(b"</sheetData>")
    if tail < 0 or b"<mergeCell" not in xml[tail:]:
        return []
    out = []
    for m in _MERGE.finditer(xml, tail):
        c0, r0 = _col_index(m.group(1)), int(m.group(2)) - 1
        if m.group(3):
            c1, r1 = _col_index(m.group(3)), int(m.group(4)) - 1
        else:
            c1, r1 = c0, r0
        out.append(((r0, c0), (r1, c1)))
    return out
