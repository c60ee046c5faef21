"""CSV files for batch scripts (``findings.csv``, ``links.csv``, ``payout.csv``).

Format: UTF-8 with a byte-order mark (``utf-8-sig``: Excel and WPS then open Chinese text
correctly on double-click), ``csv.QUOTE_MINIMAL``, lines ending in ``\\r\\n`` (RFC 4180, what Excel
writes). CRLF rather than LF for a concrete reason: Python's csv writer quotes a field only when it
holds a character of the line terminator, so with LF a bare CR inside a value (it happens in
exported cells) would be written unquoted and split the record for every reader; with CRLF both
CR and LF force quoting. Excel, WPS, pandas and ``csv.reader`` read it natively.

Values: ``None``/NaN → empty; :class:`~decimal.Decimal` (money, always yuan) → two places, rounded
half-up (``312.50``); ``int`` as is; ``float`` in its shortest form; ``date`` → ``2020-03-01``;
``datetime`` → ``2020-03-01 08:00:00``; ``bool`` → ``true``/``false``; anything else ``str()``.

Formula neutralisation (on by default): a text value from input data that a spreadsheet would run as
a formula — it starts with ``= + - @``, or with tab/CR/LF/spaces followed by one of those — is
written with a leading ``'`` (the OWASP "CSV injection" advice). Left alone, because they cannot be
formulas: numbers the tool formatted itself (Decimal, int, float), text that is a plain number
(``-12.50``, ``+86…``), and a bare placeholder of dashes (``-``, ``--``). Columns the caller lists
in ``raw_columns`` (by index) are never altered at all — use it for amounts and IDs the tool
produced, and for codes (``method``, ``category``) it controls.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jiaoyu_fupin.report.outdir import atomic_target

_CENT = Decimal("0.01")
_FORMULA_START = frozenset("=+-@")
_BLANKS = " \t\r\n\u3000"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DASHES = re.compile(r"-+")


def format_decimal(d: Decimal) -> str:
    """Money as text with two places, half-up (``Decimal("312.5")`` → ``"312.50"``)."""
    if not d.is_finite():
        return ""
    q = d.quantize(_CENT, rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)   # no "-0.00"
    return f"{q:.2f}"


def needs_neutralising(s: str) -> bool:
    """True when a spreadsheet could read text ``s`` as a formula (see module docs)."""
    if not s:
        return False
    first = s[0]
    if first not in _FORMULA_START:
        if first not in _BLANKS:
            return False
        rest = s.lstrip(_BLANKS)
        if not rest or rest[0] not in _FORMULA_START:
            return False
        if first in "\t\r\n":   # OWASP: a leading tab/CR is itself a risk
            return True
        s = rest
    return not (_PLAIN_NUMBER.fullmatch(s) or _DASHES.fullmatch(s))


def neutralise(s: str) -> str:
    """``s`` with a leading ``'`` when it could run as a formula, else unchanged."""
    return "'" + s if needs_neutralising(s) else s


def cell_text(v: Any) -> str:
    """The CSV text of one value (see module docs), before neutralisation."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format_decimal(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    s = str(v)
    return "" if s in ("<NA>", "NaT", "nan") else s


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              neutralize_formulas: bool = True, raw_columns: Iterable[int] = ()) -> Path:
    """Write a CSV atomically (temporary file + rename) and return ``path``.

    ``rows`` is consumed once (a generator is fine; a ``pandas.DataFrame`` is read with
    ``itertuples``). Every row must have ``len(header)`` values. ``raw_columns``: indices of
    columns written exactly as :func:`cell_text` gives them, never neutralised.
    """
    raw = frozenset(raw_columns)
    width = len(header)
    if hasattr(rows, "itertuples"):
        rows = rows.itertuples(index=False, name=None)  # type: ignore[union-attr]
    guarded = [neutralize_formulas and i not in raw for i in range(width)]
    count = 0
    with atomic_target(Path(path)) as tmp, open(tmp, "x", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([cell_text(h) for h in header])
        out_rows = []
        for row in rows:
            if len(row) != width:
                raise ValueError(f"row {count + 1} has {len(row)} values, expected {width}")
            out = []
            for guard, v in zip(guarded, row):
                if type(v) is str:
                    out.append("'" + v if guard and v and needs_neutralising(v) else v)
                else:
                    t = cell_text(v)
                    # text from other types (e.g. a stray object) is guarded too;
                    # numbers are never formulas
                    if guard and t and not isinstance(v, (int, float, Decimal)) \
                                and needs_neutralising(t):
                        t = "'" + t
                    out.append(t)
            out_rows.append(out)
            count += 1
            if len(out_rows) >= 10_000:
                writer.writerows(out_rows)
                out_rows.clear()
        writer.writerows(out_rows)
    return Path(path)


_CSV_SPECIAL = (",", '"', "\r", "\n")


def _csv_field(s: str) -> str:
    """One field as ``csv.writer`` (QUOTE_MINIMAL, ``\r\n``) writes it."""
    if "," in s or '"' in s or "\r" in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


_RISKY_START = frozenset(_FORMULA_START | set(_BLANKS))


def _column_texts(values, guard: bool) -> list[str]:
    """A column as the final CSV field texts (same rules as :func:`write_csv`). Plain text that
    needs neither a ``'`` nor quotes — nearly all of it — passes through untouched; the rest gets
    the per-value rules."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype(str).tolist()   # integers: never quoted, never formulas
    import pandas as pd

    texts = values.tolist() if isinstance(values, np.ndarray) else list(values)
    guard_str = None
    if texts and pd.api.types.infer_dtype(texts, skipna=False) != "string":   # not all text
        guard_str = [type(v) is str for v in texts]
        texts = [v if type(v) is str else _other_text(v, guard) for v in texts]
    if guard:
        risky = _RISKY_START
        for i in [i for i, t in enumerate(texts) if t and t[0] in risky]:
            t = texts[i]
            if (guard_str is None or guard_str[i]) and needs_neutralising(t):
                texts[i] = "'" + t
    joined = "".join(texts)
    if "," in joined or '"' in joined or "\r" in joined or "\n" in joined:
        texts = [_csv_field(t) for t in texts]
    return texts


def _other_text(v: Any, guard: bool) -> str:
    """A value that is not text, as write_csv renders it (neutralised when guarded and it is not
    a number)."""
    t = cell_text(v)
    if guard and t and not isinstance(v, (int, float, Decimal)) and needs_neutralising(t):
        t = "'" + t
    return t


def write_csv_columns(path: Path, header: Sequence[str], columns: Sequence[Any], *,
                      neutralize_formulas: bool = True, raw_columns: Iterable[int] = (),
                      chunk_rows: int = 200_000, digest: Any = None) -> Path:
    """:func:`write_csv` for data held as columns (equal-length sequences / arrays): the same
    bytes, written column-wise, ~10x faster on a million rows.

    Text columns become Arrow arrays in C; only the few values that need a ``'`` or quotes (found
    by scanning the UTF-8 bytes with numpy) get the per-value rules in Python. Integer arrays
    are formatted by Arrow; a column of anything else (mixed types, None, numbers held as
    objects) goes through :func:`_column_texts`. A column may also be a ``pyarrow.DictionaryArray``
    of text (no null indices), e.g. a per-table file name: the rules then run once per dictionary
    value, and adjacent dictionary columns are joined once per distinct combination. Rows are
    joined and written by Arrow, one ``chunk_rows`` slice at a time. ``digest`` (e.g. a
    ``hashlib.sha256()``) is updated with the bytes written.
    """
    raw = frozenset(raw_columns)
    width = len(header)
    if len(columns) != width:
        raise ValueError(f"{len(columns)} columns, expected {width}")
    n = len(columns[0]) if width else 0
    if any(len(c) != n for c in columns):
        raise ValueError("columns differ in length")
    sources = _merge_dictionaries([_FieldSource(c, neutralize_formulas and j not in raw)
                                   for j, c in enumerate(columns)])
    head = ",".join(_csv_field(cell_text(h)) for h in header) + "\r\n"

    def write(data) -> None:
        fh.write(data)
        if digest is not None:
            digest.update(data)

    with atomic_target(Path(path)) as tmp, open(tmp, "xb") as fh:
        write(codecs.BOM_UTF8 + head.encode("utf-8"))
        if sources:
            sources[-1].end_lines()
        for start in range(0, n, chunk_rows):
            stop = min(start + chunk_rows, n)
            write(_string_bytes(pc.binary_join_element_wise(*[s.texts(start, stop) for s in sources], ",")))
    return Path(path)


class _FieldSource:
    """One column's final CSV field texts (the rules of :func:`_column_texts`), as Arrow string
    arrays for row ranges. Dictionary columns keep ``dictionary`` (final texts) and ``indices``."""

    def __init__(self, values, guard: bool) -> None:
        self.values, self.guard, self.line_end = values, guard, False
        self.dictionary: pa.Array | None = None
        self.indices: np.ndarray | None = None
        if isinstance(values, pa.DictionaryArray):
            if values.indices.null_count:
                raise ValueError("dictionary column with null indices")
            self.dictionary = _arrow_texts(values.dictionary.to_pylist(), guard)
            self.indices = values.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        elif isinstance(values, np.ndarray) and values.dtype.kind in "iu":
            pass
        elif not (isinstance(values, list) or (isinstance(values, np.ndarray) and values.dtype == object)):
            self.values = values.tolist() if isinstance(values, np.ndarray) else list(values)

    def end_lines(self) -> None:
        """Make this (the last) column's texts end the lines (``\\r\\n``)."""
        if self.dictionary is not None:
            self.dictionary = pc.binary_join_element_wise(self.dictionary, "", "\r\n")
        else:
            self.line_end = True

    def texts(self, start: int, stop: int) -> pa.Array:
        if self.dictionary is not None:
            return self.dictionary.take(pa.array(self.indices[start:stop]))
        part = self.values[start:stop]
        if isinstance(part, np.ndarray) and part.dtype.kind in "iu":
            out = pa.array(part).cast(pa.string())   # integers: never quoted, never formulas
        else:
            out = _arrow_texts(part, self.guard)
        return pc.binary_join_element_wise(out, "", "\r\n") if self.line_end else out


def _merge_dictionaries(sources: list[_FieldSource]) -> list[_FieldSource]:
    """Adjacent dictionary columns joined into one (with the ``,`` between them), once per
    distinct combination: fewer, cheaper columns for the row join."""
    import pandas as pd

    out: list[_FieldSource] = []
    for s in sources:
        prev = out[-1] if out else None
        if s.dictionary is None or prev is None or prev.dictionary is None:
            out.append(s)
            continue
        k = len(s.dictionary)
        codes, combos = pd.factorize(prev.indices * k + s.indices)
        merged = _FieldSource.__new__(_FieldSource)
        merged.values, merged.guard, merged.line_end = None, False, False
        merged.indices = codes.astype(np.int64, copy=False)
        merged.dictionary = pc.binary_join_element_wise(prev.dictionary.take(pa.array(combos // k)),
                                                        s.dictionary.take(pa.array(combos % k)), ",")
        out[-1] = merged
    return out


_QUOTE_CHARS = (b",", b'"', b"\r", b"\n")
_QUOTE_BYTES = np.zeros(256, dtype=bool)
_QUOTE_BYTES[[ord(","), ord('"'), ord("\r"), ord("\n")]] = True
_RISKY_BYTES = np.zeros(256, dtype=bool)
_RISKY_BYTES[[ord(c) for c in _RISKY_START if ord(c) < 128]] = True
_IDEOGRAPHIC_SPACE = "\u3000".encode()   # the one non-ASCII character of _RISKY_START


def _arrow_texts(values, guard: bool) -> pa.Array:
    """The final CSV field texts of a list / object array, as an Arrow string array."""
    import pandas as pd

    if not len(values) or pd.api.types.infer_dtype(values, skipna=False) != "string":
        return pa.array(_column_texts(values, guard), type=pa.string())
    arr = pa.array(values, type=pa.string())
    idx = _flagged(arr, guard)
    if not len(idx):
        return arr
    # the few values a spreadsheet could run as a formula, or that need quotes
    fixed = []
    for i in idx.tolist():
        t = values[i]
        if guard and t and t[0] in _RISKY_START and needs_neutralising(t):
            t = "'" + t
        fixed.append(_csv_field(t))
    mask = np.zeros(len(arr), dtype=bool)
    mask[idx] = True
    return pc.replace_with_mask(arr, pa.array(mask), pa.array(fixed, type=pa.string()))


def _flagged(arr: pa.Array, guard: bool) -> np.ndarray:
    """Positions of the values holding ``, " CR LF``, and (``guard``) of those starting with a
    character of ``_RISKY_START``: a superset of the values the rules change."""
    _, offsets, data = arr.buffers()
    if data is None or not len(arr):
        return np.zeros(0, dtype=np.int64)
    off = np.frombuffer(offsets, dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1].astype(np.int64)
    if off[-1] == off[0]:        # all empty
        return np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    text = raw[off[0]:off[-1]].tobytes()
    if any(c in text for c in _QUOTE_CHARS):   # (bytes.__contains__ is a memchr-fast scan)
        hits = np.flatnonzero(_QUOTE_BYTES[raw[off[0]:off[-1]]]) + off[0]
        flagged = np.searchsorted(off, hits, side="right") - 1
    else:
        flagged = np.zeros(0, dtype=np.int64)
    if guard:
        starts = off[:-1]
        lengths = off[1:] - starts
        first = raw[np.minimum(starts, len(raw) - 1)]
        risky = (lengths > 0) & _RISKY_BYTES[first]
        wide = np.flatnonzero((lengths >= 3) & (first == _IDEOGRAPHIC_SPACE[0]))
        if len(wide):
            w = starts[wide]
            risky[wide[(raw[w + 1] == _IDEOGRAPHIC_SPACE[1]) & (raw[w + 2] == _IDEOGRAPHIC_SPACE[2])]] = True
        flagged = np.concatenate([flagged, np.flatnonzero(risky)])
    return np.unique(flagged)


def _string_bytes(arr: pa.Array) -> memoryview:
    """The concatenated UTF-8 bytes of a string array's values."""
    _, offsets, data = arr.buffers()
    if data is None or not len(arr):
        return memoryview(b"")
    off = np.frombuffer(offsets, dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1]
    return memoryview(data)[int(off[0]):int(off[-1])]
