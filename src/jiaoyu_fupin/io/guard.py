"""Safety checks on a zip-based workbook (.xlsx / .xlsm / .ods) *before* calamine opens it.

calamine is fast but trusts the file: it inflates whatever the zip holds, and it allocates the
sheet's whole rectangle (first to last row × first to last column holding a value) at once, so a
2 KB file with one value in ``A1`` and one in ``XFD1048576`` asks for 17 billion cells and the
process aborts inside Rust (no Python exception, no message).  This module refuses such files with
a Chinese message instead.  What it checks, in one streaming pass over each XML part:

- the zip itself: at most :data:`MAX_ZIP_MEMBERS` members; the XML parts together expand to at
  most :data:`MAX_EXPANDED_BYTES`; a member that expands beyond :data:`RATIO_CHECK_BYTES` must do
  so at most :data:`MAX_MEMBER_RATIO` times its compressed size (a decompression bomb compresses
  ~1000×, real sheet XML 5-30×); only *stored* and *deflate* members;
- the prolog of every XML part must not hold a ``<!DOCTYPE`` or ``<!ENTITY`` (entity expansion,
  "billion laughs"; Excel never writes one);
- a part that inflates to more than the zip declares: calamine's zip reader stops there with an
  error, so only the worksheets, which are inflated here completely, are checked for it (and
  refused);
- every worksheet part: the rectangle calamine would allocate, from the ``r="B7"`` references of
  cells that can hold a value, must stay within :data:`MAX_SHEET_CELLS`; and a rectangle of more
  than :data:`SPARSE_MIN_CELLS` cells holding fewer than one value per :data:`SPARSE_RATIO` cells
  (a stray character typed in row 1,048,576) is refused with a hint, since reading it would take
  gigabytes for a few real rows.

The worksheet scan is vectorised with numpy on ~4 MB inflated blocks: about 5 ms per MB of
sheet XML on one core (inflating included), some 15-20 % of what calamine itself spends on the
sheet; zlib and most numpy operations release the GIL, so it overlaps with the other reader
thread.  Most blocks are only bounded coarsely (the longest row number and the largest column
letter), a sheet those bounds do not clear is measured exactly.  Cells without an ``r``
attribute, attributes written with blanks around ``=``, namespace prefixes and similar rarities
take a slower exact path (a regex tokenizer).

.xls (OLE2) files are checked in ``readers`` (xlrd's compound-file parser validates the structure
before calamine reads it); .ods files only get the zip and prolog checks here (calamine's own
100-million-cell limit applies to them).
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from jiaoyu_fupin.errors import InputError

#: The XML parts of one workbook may expand to at most this many bytes in total.
MAX_EXPANDED_BYTES = 1_500_000_000
#: A member expanding to more than RATIO_CHECK_BYTES must compress at most this many times.
MAX_MEMBER_RATIO = 100
RATIO_CHECK_BYTES = 50_000_000
#: ``keep_xml`` keeps at most this much worksheet XML per workbook (beyond, the reader inflates
#: the part again rather than hold a large workbook's XML all at once).
KEEP_XML_MAX_BYTES = 256_000_000
#: At most this many members in the zip (a real workbook has tens).
MAX_ZIP_MEMBERS = 10_000
#: Largest rectangle (rows × columns, first to last value) a worksheet may span.
MAX_SHEET_CELLS = 30_000_000
#: A rectangle larger than SPARSE_MIN_CELLS must hold at least one value per SPARSE_RATIO cells.
SPARSE_MIN_CELLS = 5_000_000
SPARSE_RATIO = 100
#: A sheet failing those limits with at most this many cells is measured again, exactly.
RESCAN_MAX_CELLS = 2_000_000
#: Excel's own limits: a reference beyond them is not a real cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384

BOMB_MSG = ("文件解压后异常巨大（{size}，压缩比 {ratio}），疑似“压缩炸弹”或已损坏，为安全起见不予读取；"
            "请用 Excel 打开后另存为新的 .xlsx 再试")
TOO_BIG_MSG = "文件解压后超过 {cap}，超出本工具一次可读取的上限；请按学校或乡镇拆分后再试"
DOCTYPE_MSG = ("文件内部含有 DOCTYPE/ENTITY 声明（正常的 Excel 文件不会有，可能是被篡改的文件），"
               "为安全起见不予读取；请用 Excel 打开后另存为新的 .xlsx 再试")
STRUCTURE_MSG = "文件内部结构异常（{what}），可能已损坏或被篡改；请用 Excel 打开后另存为新的 .xlsx 再试"

_CHUNK_IN = 1 << 18          # compressed bytes read at a time
_PIECE = 1 << 20             # inflated bytes produced at a time
_BLOCK = 4 << 20             # inflated bytes scanned at a time
_OVERLAP = 512               # bytes kept from one block for the next (a tag cut in two)
_LOOKBACK = 64               # bytes before a block's first position that the scan may look at
_PROLOG_MAX = 1 << 16        # an XML prolog longer than this is not what Excel writes
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_REL_WORKSHEET = "/worksheet"


def human_size(n: float) -> str:
    for unit in ("字节", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "字节" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


@dataclass
class SheetExtent:
    """What the scan of one worksheet part found (0-based rows/columns of value cells)."""

    part: str
    value_cells: int = 0
    row_min: int = EXCEL_MAX_ROWS
    row_max: int = -1
    col_min: int = EXCEL_MAX_COLS
    col_max: int = -1
    formula_refs: list[tuple[int, int]] = field(default_factory=list)  # formulas without a value
    fast: bool = False          # measured by the fast scan (empty formatted cells counted too)
    coarse: bool = False        # rows/columns are upper bounds (part of the sheet read coarsely)

    @property
    def height(self) -> int:
        return self.row_max - self.row_min + 1 if self.row_max >= 0 else 0

    @property
    def width(self) -> int:
        return self.col_max - self.col_min + 1 if self.col_max >= 0 else 0

    @property
    def area(self) -> int:
        return self.height * self.width

    def add(self, rows: np.ndarray, cols: np.ndarray) -> None:
        if len(rows):
            self.value_cells += len(rows)
            self.row_min = min(self.row_min, int(rows.min()))
            self.row_max = max(self.row_max, int(rows.max()))
            self.col_min = min(self.col_min, int(cols.min()))
            self.col_max = max(self.col_max, int(cols.max()))

    def add_one(self, r: int, c: int) -> None:
        self.value_cells += 1
        self.row_min, self.row_max = min(self.row_min, r), max(self.row_max, r)
        self.col_min, self.col_max = min(self.col_min, c), max(self.col_max, c)

    def used_range(self) -> str:
        if self.row_max < 0:
            return ""
        return (f"{xl_col_to_name(self.col_min)}{self.row_min + 1}:"
                f"{xl_col_to_name(self.col_max)}{self.row_max + 1}")


@dataclass
class ZipCheck:
    """Result of :func:`check_zip`: the worksheet extents by part name (``xl/worksheets/sheet1.xml``)."""

    sheets: dict[str, SheetExtent] = field(default_factory=dict)
    sheet_parts: dict[str, str] = field(default_factory=dict)   # sheet name -> part name
    #: worksheet XML as inflated by the check (``keep_xml``), so the reader need not inflate it again
    xml: dict[str, bytes] = field(default_factory=dict)


class _Unusual(Exception):
    """The fast scan met something it does not model; use the exact path."""


# ----------------------------------------------------------------------------- entry point

def check_zip(zf: zipfile.ZipFile, name: str, *, scan_sheets: bool = True, keep_xml: bool = False) -> ZipCheck:
    """Refuse (InputError naming ``name``) a zip workbook that is unsafe to hand to calamine.

    ``zf`` is open on the file.  Raises InputError; never returns a half-checked result.
    ``keep_xml``: keep each worksheet's inflated XML in ``ZipCheck.xml``.
    """
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputError(STRUCTURE_MSG.format(what=f"压缩包内有 {len(infos)} 个部件"), file=name)
    xml_total = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > RATIO_CHECK_BYTES and size > MAX_MEMBER_RATIO * packed:
            raise InputError(BOMB_MSG.format(size=human_size(size), ratio=f"{size // packed}:1"), file=name)
        if info.filename.lower().endswith(_XML_SUFFIXES):
            xml_total += size
    if xml_total > MAX_EXPANDED_BYTES:
        raise InputError(TOO_BIG_MSG.format(cap=human_size(MAX_EXPANDED_BYTES)), file=name)
    result = ZipCheck()
    kept_bytes = 0
    worksheets = _worksheet_parts(zf, name) if scan_sheets else {}
    by_name = {i.filename: i for i in infos}
    for info in infos:
        if not info.filename.lower().endswith(_XML_SUFFIXES) or info.is_dir():
            continue
        sheet = worksheets.get(info.filename)
        if sheet is not None:
            kept: list[bytes] | None = [] if keep_xml else None
            ext = _scan_part(zf, info, name, sheet=True, keep=kept)
            result.sheets[info.filename] = ext
            if kept is not None and ext.fast and kept_bytes + info.file_size <= KEEP_XML_MAX_BYTES:
                result.xml[info.filename] = b"".join(kept)
                kept_bytes += info.file_size
        else:
            _scan_part(zf, info, name, sheet=False)
    for sheet_name, part in _sheet_names(zf, name, worksheets).items():
        if part in by_name:
            result.sheet_parts[sheet_name] = part
    for part, ext in list(result.sheets.items()):
        label = next((s for s, p in result.sheet_parts.items() if p == part), PurePosixPath(part).stem)
        if _too_large(ext) and ext.coarse:
            ext = result.sheets[part] = _scan_part(zf, by_name[part], name, sheet=True, precise=True)
        if _too_large(ext) and ext.fast and ext.value_cells <= RESCAN_MAX_CELLS:
            # the fast scan counts formatted empty cells too; count only cells with a value
            ext = result.sheets[part] = _exact_scan(zf, by_name[part], name)
        _check_extent(ext, name, label)
    return result


def _too_large(ext: SheetExtent) -> bool:
    area = ext.area
    return area > MAX_SHEET_CELLS or (area > SPARSE_MIN_CELLS and area > SPARSE_RATIO * max(ext.value_cells, 1))


def _check_extent(ext: SheetExtent, name: str, sheet: str) -> None:
    area = ext.area
    if area > MAX_SHEET_CELLS:
        raise InputError(
            f"工作表的数据范围过大（{ext.used_range()}，约 {ext.height} 行 × {ext.width} 列），"
            f"超过本工具的上限 {MAX_SHEET_CELLS:,} 个单元格；请删除多余的行列或拆分文件后再试",
            file=name, sheet=sheet)
    if area > SPARSE_MIN_CELLS and area > SPARSE_RATIO * max(ext.value_cells, 1):
        raise InputError(
            f"工作表的使用范围是 {ext.used_range()}（{ext.height} 行 × {ext.width} 列），"
            f"但其中只有 {ext.value_cells} 个单元格有内容：多半是表格下方或右侧远处有误输入的空格或字符。"
            "请在 Excel 中删除多余的行和列（或把有用的数据复制到新工作簿）后另存再试",
            file=name, sheet=sheet)


# ----------------------------------------------------------------------------- which parts are sheets

_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")


def _attrs(raw: bytes) -> dict[str, str]:
    out = {}
    for m in _ATTR.finditer(raw):
        key = m.group(1).decode("latin-1").split(":")[-1].lower()
        out.setdefault(key, (m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8", "replace"))
    return out


def _small_part(zf: zipfile.ZipFile, part: str, name: str) -> bytes:
    try:
        info = zf.getinfo(part)
    except KeyError:
        return b""
    if info.file_size > 64 << 20:
        raise InputError(STRUCTURE_MSG.format(what=f"{part} 过大"), file=name)
    return _inflate_all(zf, info, name)


def _rels(zf: zipfile.ZipFile, name: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) of xl/workbook.xml."""
    data = _small_part(zf, "xl/_rels/workbook.xml.rels", name)
    out = {}
    for m in _REL.finditer(data):
        a = _attrs(m.group(1))
        target = a.get("target", "")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts: list[str] = []
        for seg in part.split("/"):
            if seg == "..":
                if parts:
                    parts.pop()
            elif seg and seg != ".":
                parts.append(seg)
        out[a.get("id", "")] = (a.get("type", ""), "/".join(parts))
    return out


#: parts of a workbook that never hold cells (anything else is scanned as a worksheet)
_NOT_SHEETS = ("[content_types].xml", "_rels/", "docprops/", "customxml/", "xl/_rels/", "xl/workbook.xml",
               "xl/styles.xml", "xl/sharedstrings.xml", "xl/theme/", "xl/calcchain.xml", "xl/drawings/",
               "xl/charts/", "xl/media/", "xl/printersettings/", "xl/externallinks/", "xl/pivot", "xl/tables/",
               "xl/comments", "xl/persons/", "xl/threadedcomments/", "xl/metadata.xml", "xl/connections.xml",
               "xl/querytables/", "xl/richdata/", "xl/ctrlprops/", "xl/activex/", "xl/embeddings/",
               "xl/volatiledependencies.xml", "xl/webextensions/", "xl/model/", "xl/slicers/",
               "xl/slicercaches/", "xl/timelines/", "xl/timelinecaches/", "xl/featurepropertybag/")


def _worksheet_parts(zf: zipfile.ZipFile, name: str) -> dict[str, str]:
    """Part name -> "worksheet" for every part calamine may read cells from.

    The workbook's relationships name the sheets; every other XML part that is not one of the
    known non-sheet parts counts too (whatever path a hostile relationship might lead calamine
    to, the part it reads has been measured)."""
    parts = {p: "worksheet" for p in zf.namelist()
             if p.lower().endswith(".xml") and not p.lower().startswith(_NOT_SHEETS)}
    for typ, part in _rels(zf, name).values():
        if typ.endswith((_REL_WORKSHEET, "/chartsheet", "/dialogsheet", "/macrosheet")):
            parts[part] = "worksheet"
    return parts


def _sheet_names(zf: zipfile.ZipFile, name: str, worksheets: dict[str, str]) -> dict[str, str]:
    """Sheet name -> part name, from xl/workbook.xml (for messages)."""
    if not worksheets:
        return {}
    rels = _rels(zf, name)
    data = _small_part(zf, "xl/workbook.xml", name)
    out = {}
    for m in _SHEET_TAG.finditer(data):
        a = _attrs(m.group(1))
        rid = a.get("id", "")
        if rid in rels:
            out[html.unescape(a.get("name", ""))] = rels[rid][1]
    return out


# ----------------------------------------------------------------------------- inflating

def _member_data_offset(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> int:
    fp = zf.fp
    if fp is None:  # pragma: no cover - the zip is open
        raise InputError(STRUCTURE_MSG.format(what="无法读取"), file=name)
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    n_name, n_extra = struct.unpack("<HH", head[26:30])
    return info.header_offset + 30 + n_name + n_extra


def _too_big(info: zipfile.ZipInfo, name: str) -> InputError:
    # built only when raised: a click exception costs a context lookup to construct
    return InputError(STRUCTURE_MSG.format(
        what=f"{info.filename} 解压后比声明的 {human_size(info.file_size)} 更大，疑似压缩炸弹"), file=name)


def _iter_inflated(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str):
    """Yield the member's content in pieces of at most ``_PIECE`` bytes, checking it against the
    declared size.

    Reads the raw member (not ``ZipFile.open``, which stops at the declared size and so would not
    see a stream that inflates to more than it claims)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InputError(STRUCTURE_MSG.format(what=f"{info.filename} 使用了不支持的压缩方式"), file=name)
    if info.flag_bits & 0x1:
        raise InputError("文件已加密（设置了打开密码），请在 Excel 中取消密码后另存再试", file=name)
    start = _member_data_offset(zf, info, name)
    fp = zf.fp
    assert fp is not None
    left = info.compress_size
    declared = info.file_size
    produced = 0
    pos = start
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        fp.seek(pos)
        raw = fp.read(min(_CHUNK_IN, left))
        if not raw:
            raise zipfile.BadZipFile("truncated member")
        pos += len(raw)
        left -= len(raw)
        if inflater is None:
            produced += len(raw)
            if produced > declared:
                raise _too_big(info, name)
            yield raw
            continue
        while raw:
            # small pieces (cache-friendly), never more than one byte past the declared size
            out = inflater.decompress(raw, min(_PIECE, max(declared - produced + 1, 1)))
            raw = inflater.unconsumed_tail
            produced += len(out)
            if produced > declared:
                raise _too_big(info, name)
            if out:
                yield out
            if inflater.eof:
                break
        if inflater.eof:
            break
    if inflater is not None:
        tail = inflater.flush()
        produced += len(tail)
        if produced > declared:
            raise _too_big(info, name)
        if tail:
            yield tail
    if produced != declared:
        raise zipfile.BadZipFile("size mismatch")


def _inflate_all(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    return b"".join(_iter_inflated(zf, info, name))


# ----------------------------------------------------------------------------- prolog

_UTF16 = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


def _check_prolog(head: bytes, part: str, name: str, sheet: bool) -> None:
    """No DOCTYPE/ENTITY before the root element; UTF-16 parts are decoded for the check."""
    if head.startswith(_UTF16):
        if sheet:
            raise InputError(STRUCTURE_MSG.format(what=f"{part} 使用 UTF-16 编码"), file=name)
        enc = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else (
            "utf-16-le" if head.startswith(b"<\x00") else "utf-16-be")
        head = head[: len(head) // 2 * 2].decode(enc, "replace").encode("utf-8", "replace")
    low = head[:_PROLOG_MAX].lower()
    pos = 0
    n = len(low)
    while True:
        lt = low.find(b"<", pos)
        if lt < 0 or lt + 1 >= n:
            prolog = low
            break
        nxt = low[lt + 1:lt + 2]
        if nxt == b"?":
            end = low.find(b"?>", lt)
        elif low.startswith(b"<!--", lt):
            end = low.find(b"-->", lt)
        elif nxt == b"!":
            prolog = low[: lt + 12]
            break
        else:
            prolog = low[:lt]
            break
        if end < 0:
            prolog = low
            break
        pos = end + 2
    if b"<!doctype" in prolog or b"<!entity" in prolog or b"<!entity" in low[:4096]:
        raise InputError(DOCTYPE_MSG, file=name)


# ----------------------------------------------------------------------------- scanning

def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *, sheet: bool,
               precise: bool = False, keep: list[bytes] | None = None) -> SheetExtent:
    """Check one XML part's prolog and, for a worksheet, inflate it completely (size check) and
    measure the cells it holds (``precise``: parse every reference, no coarse bounds).
    ``keep``: a list the worksheet's inflated content is appended to, in pieces."""
    ext = SheetExtent(info.filename, fast=sheet)
    scanner = _FastScan(ext, precise=precise) if sheet else None
    head = b""
    checked = False
    carry = b""
    pending: list[bytes] = []
    pending_len = 0
    try:
        for piece in _iter_inflated(zf, info, name):
            if not checked:
                head += piece[:_PROLOG_MAX]
                if len(head) >= _PROLOG_MAX:
                    _check_prolog(head, info.filename, name, sheet)
                    checked = True
            if scanner is None:
                if checked:
                    break       # calamine's zip reader itself stops at the declared size
                continue
            pending.append(piece)
            pending_len += len(piece)
            if pending_len >= _BLOCK:
                joined = b"".join(pending)
                if keep is not None:
                    keep.append(joined)
                buf = carry + joined
                pending, pending_len = [], 0
                scanner.block(buf, start=len(carry) - _OVERLAP if carry else 0, final=False)
                carry = buf[-(_OVERLAP + _LOOKBACK):]
        if not checked:
            _check_prolog(head, info.filename, name, sheet)
        if scanner is not None:
            joined = b"".join(pending)
            if keep is not None:
                keep.append(joined)
            scanner.block(carry + joined, start=len(carry) - _OVERLAP if carry else 0, final=True)
    except _Unusual:
        ext = _exact_scan(zf, info, name)
    except _BadRef as exc:
        raise InputError(STRUCTURE_MSG.format(what=f"单元格位置“{exc.text}”超出 Excel 的范围或不合法"),
                         file=name) from None
    return ext


_WS = np.zeros(256, dtype=bool)
_WS[[0x20, 0x09, 0x0A, 0x0D]] = True
_TAG_END = _WS.copy()
_TAG_END[[ord(">"), ord("/")]] = True
_IS_LETTER = np.zeros(256, dtype=bool)
_IS_LETTER[65:91] = True
_IS_LETTER[97:123] = True
_IS_DIGIT = np.zeros(256, dtype=bool)
_IS_DIGIT[48:58] = True
_LETTER_VALUE = np.zeros(256, dtype=np.int64)
_LETTER_VALUE[65:91] = np.arange(1, 27)
_LETTER_VALUE[97:123] = np.arange(1, 27)
_PAD = b"\0" * 32


class _FastScan:
    """Vectorised scan of worksheet XML blocks (see module docs).

    ``block`` is called with overlapping buffers: each position is looked at in exactly one call
    (everything before ``len(buf) - _OVERLAP``, or all of the final buffer)."""

    def __init__(self, ext: SheetExtent, *, precise: bool = False) -> None:
        self.ext = ext
        self.precise = precise
        self.cell_tags = 0
        self.cell_refs = 0
        # upper bounds from blocks read coarsely (0-based; -1: none)
        self.coarse_row = -1
        self.coarse_col = -1
        self.coarse_cells = 0

    def block(self, buf: bytes, *, start: int, final: bool) -> None:
        """Scan positions ``start`` … ``len(buf) - _OVERLAP`` (all of it when ``final``); the
        bytes before ``start`` are only looked back at."""
        n = len(buf)
        limit = n if final else n - _OVERLAP
        if limit > start:
            self._block(buf, n, start, limit)
        if final:
            if self.cell_tags > self.cell_refs:
                raise _Unusual  # cells without r=: positions follow from their order
            if self.coarse_cells:
                ext = self.ext
                ext.coarse = True
                ext.value_cells += self.coarse_cells
                ext.row_min, ext.col_min = 0, 0
                ext.row_max = max(ext.row_max, self.coarse_row)
                ext.col_max = max(ext.col_max, self.coarse_col)

    def _block(self, buf: bytes, n: int, start: int, limit: int) -> None:
        # lookahead stays within buf except in the final block, which gets padding
        a = np.frombuffer(buf if limit + 40 <= n else buf + _PAD, dtype=np.uint8)
        w = a[start:limit]
        # --- cell tags "<c " (cells written without r= would follow the previous cell)
        cidx = np.flatnonzero(w == 0x63) + start
        cidx = cidx[cidx >= 1]
        cpos = cidx[a[cidx - 1] == 0x3C] - 1
        after = a[cpos + 2]
        self.cell_tags += int(np.count_nonzero(after == 0x20))
        if np.any(_TAG_END[after] & (after != 0x20)):
            raise _Unusual                           # <c>, <c/>, <c⏎ …
        colon = np.flatnonzero(w == 0x3A) + start
        if len(colon):
            c1, c2 = a[colon + 1], a[colon + 2]
            if np.any(((c1 == 0x63) | (c1 == 0x66) | (c1 == 0x76)) & _TAG_END[c2]) or np.any(
                    (c1 == 0x72) & (c2 == 0x6F) & (a[colon + 3] == 0x77) & _TAG_END[a[colon + 4]]):
                raise _Unusual                       # namespace-prefixed sheet XML
        # --- r="…" attributes
        rpos = np.flatnonzero(w == 0x72) + start
        rpos = rpos[rpos >= 1]
        nxt = a[rpos + 1]
        attr = _WS[a[rpos - 1]]
        if np.any(attr & _WS[nxt]):
            # "r =": an attribute written with blanks around '='?
            for i in rpos[attr & _WS[nxt]][:10_000]:
                if buf[i + 1:i + 40].lstrip(b" \t\r\n")[:1] == b"=":
                    raise _Unusual
        p = rpos[attr & (nxt == 0x3D)] + 3           # first byte of each r= value
        if not len(p):
            return
        if not np.all(a[p - 1] == 0x22):
            raise _Unusual                           # r= "…" or r='…'
        # --- parse the references: 1-3 letters, 1-7 digits, closing quote
        g0 = a[p]
        l0 = _IS_LETTER[g0]
        l1 = l0 & _IS_LETTER[a[p + 1]]
        l2 = l1 & _IS_LETTER[a[p + 2]]
        fidx = np.flatnonzero(w == 0x66) + start
        fidx = fidx[fidx >= 1]
        has_formula = bool(np.any(a[fidx - 1] == 0x3C))      # "<f": a formula somewhere
        if not self.precise and not has_formula and not l2.any() and self._coarse(a, p, g0, l0, l1):
            return
        bad = l2 & _IS_LETTER[a[p + 3]]
        letters = l0.astype(np.int64) + l1 + l2
        col = np.where(l0, _LETTER_VALUE[a[p]], 0)
        col = np.where(l1, col * 26 + _LETTER_VALUE[a[p + 1]], col)
        col = np.where(l2, col * 26 + _LETTER_VALUE[a[p + 2]], col)
        first_digit = p + letters
        row = np.zeros(len(p), dtype=np.int64)
        inside = np.ones(len(p), dtype=bool)
        digits = np.zeros(len(p), dtype=np.int64)
        for k in range(8):
            ch = a[first_digit + k]
            is_digit = inside & (ch >= 0x30) & (ch <= 0x39)
            if k == 7:
                bad |= is_digit                      # 8 digits: beyond Excel
                bad |= inside & ~is_digit & (ch != 0x22)
                break
            bad |= inside & ~is_digit & (ch != 0x22)
            row = np.where(is_digit, row * 10 + (ch.astype(np.int64) - 0x30), row)
            digits += is_digit
            inside = is_digit
            if not inside.any():
                break
        bad |= (digits < 1) | (row > EXCEL_MAX_ROWS) | (col > EXCEL_MAX_COLS)
        if bad.any():
            at = int(p[int(np.argmax(bad))])
            raise _BadRef(re.split(rb"[\"'\s>]", buf[at:at + 24])[0].decode("latin-1", "replace"))
        n_cells = int(np.count_nonzero(l0))
        self.cell_refs += n_cells
        if not n_cells:
            return
        cp = p[l0]
        crow, ccol = row[l0] - 1, col[l0] - 1
        # every cell counts here (also <c r="A1" s="3"/>, which holds no value): when that
        # rectangle is too large, check_zip re-measures with the exact scan
        self.ext.add(crow, ccol)
        if has_formula:
            self._formulas(a, buf, n, start, limit, cp, crow, ccol)

    def _coarse(self, a: np.ndarray, p: np.ndarray, g0: np.ndarray, l0: np.ndarray, l1: np.ndarray) -> bool:
        """Bounds without parsing every number: the longest row number (and its largest first
        digit) bounds the rows, the largest (first) letter the columns.  Most sheets stay far
        inside the limits this way; check_zip re-reads exactly the rare one that does not.
        False: this block needs the exact parse (7-digit rows)."""
        first_digit = p + l0 + l1
        inside = _IS_DIGIT[a[first_digit]]
        digits = 1
        for k in range(1, 8):
            more = inside & _IS_DIGIT[a[first_digit + k]]
            if not more.any():
                break
            inside = more
            digits = k + 1
        if digits >= 7 or not inside.any():
            return False
        lead = int(a[first_digit[inside]].max()) - 0x30
        row_bound = (lead + 1) * 10 ** (digits - 1) - 2          # 0-based
        n_cells = int(np.count_nonzero(l0))
        self.cell_refs += n_cells
        if not n_cells:
            return True
        if l1.any():
            col_bound = (int(_LETTER_VALUE[g0[l1]].max()) + 1) * 26 - 1
        else:
            col_bound = int(_LETTER_VALUE[g0[l0]].max()) - 1
        self.coarse_row = max(self.coarse_row, row_bound)
        self.coarse_col = max(self.coarse_col, col_bound)
        self.coarse_cells += n_cells
        return True

    def _formulas(self, a, buf, n, start, limit, cp, crow, ccol) -> None:
        lt = np.flatnonzero(a[start:limit] == 0x3C) + start
        n1, n2 = a[lt + 1], a[lt + 2]
        is_f = (n1 == 0x66) & _TAG_END[n2]
        if not np.any(is_f):
            return
        fpos = lt[is_f]
        ctag = lt[(n1 == 0x63) & _TAG_END[n2]]
        vpos = lt[(n1 == 0x76) & _TAG_END[n2]]
        owner = np.searchsorted(cp, fpos) - 1
        nxt_c = np.searchsorted(ctag, fpos)
        bound = np.full(len(fpos), n, dtype=np.int64)
        found = nxt_c < len(ctag)
        bound[found] = ctag[nxt_c[found]]
        vi = np.searchsorted(vpos, fpos)
        vat = np.full(len(fpos), n, dtype=np.int64)
        found = vi < len(vpos)
        vat[found] = vpos[vi[found]]
        has_v = (vat < bound) & (a[vat + 2] == 0x3E) & (a[vat + 3] != 0x3C)
        for o in owner[(~has_v) & (owner >= 0)]:
            self.ext.formula_refs.append((int(crow[o]), int(ccol[o])))


class _BadRef(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


_TOKEN = re.compile(
    rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|c|f|v|is)(?=[\s/>])((?:[^>\"'/]|/(?!>)|\"[^\"]*\"|'[^']*')*)(/?)>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]{0,3})([0-9]{1,7})")


def _parse_ref(raw: bytes) -> tuple[int, int] | None:
    m = _REF.fullmatch(raw)
    if not m:
        raise _BadRef(raw[:16].decode("latin-1", "replace"))
    letters, digits = m.group(1).upper(), int(m.group(2))
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    if digits < 1 or digits > EXCEL_MAX_ROWS or col > EXCEL_MAX_COLS:
        raise _BadRef(raw[:16].decode("latin-1", "replace"))
    return digits - 1, (col - 1 if letters else -1)


def _exact_scan(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> SheetExtent:
    """Tag-by-tag scan following calamine's rules: a row without r= follows the previous one, a
    cell without r= the previous cell of its row.  Records formulas that have no cached value."""
    ext = SheetExtent(info.filename)
    row = -1
    col = -1
    in_cell: tuple[int, int] | None = None
    cell_has_value = False
    cell_has_formula = False
    carry = b""
    try:
        for piece in _iter_inflated(zf, info, name):
            buf = carry + piece
            last = 0
            for m in _TOKEN.finditer(buf):
                last = m.end()
                closing, tag, attrs, selfclose = m.group(1), m.group(2), m.group(3), m.group(4)
                if tag == b"row" and not closing:
                    r = _R_ATTR.search(attrs)
                    if r:
                        rr, _ = _parse_ref(r.group(1) if r.group(1) is not None else r.group(2))
                        row = rr
                    else:
                        row += 1
                    col = -1
                elif tag == b"c" and not closing:
                    r = _R_ATTR.search(attrs)
                    if r:
                        cr, cc = _parse_ref(r.group(1) if r.group(1) is not None else r.group(2))
                        if cc < 0:
                            raise _BadRef((r.group(1) or r.group(2) or b"").decode("latin-1", "replace"))
                        row, col = cr, cc
                    else:
                        col += 1
                    if col >= EXCEL_MAX_COLS or row >= EXCEL_MAX_ROWS:
                        raise _BadRef(f"{xl_col_to_name(min(col, 99999))}{row + 1}")
                    if selfclose:
                        in_cell = None
                    else:
                        in_cell = (max(row, 0), col)
                        cell_has_value = False
                        cell_has_formula = False
                elif tag == b"c" and closing:
                    if in_cell is not None and (cell_has_value or cell_has_formula):
                        ext.add_one(*in_cell)
                        if cell_has_formula and not cell_has_value:
                            ext.formula_refs.append(in_cell)
                    in_cell = None
                elif in_cell is not None and not closing:
                    if tag == b"f":
                        cell_has_formula = True
                    elif not selfclose:      # <v>…</v> or <is>…</is>
                        cell_has_value = True
            # keep an unfinished tag for the next piece
            cut = buf.rfind(b"<")
            carry = buf[max(cut, last):] if cut >= last else b""
            if len(carry) > _PROLOG_MAX:
                carry = b""
    except _BadRef as exc:
        raise InputError(STRUCTURE_MSG.format(what=f"单元格位置“{exc.text}”超出 Excel 的范围或不合法"),
                         file=name) from None
    # a value cell never closed (truncated XML) still counts
    if in_cell is not None:
        ext.add_one(*in_cell)
    ext.value_cells = max(ext.value_cells, 0)
    return ext


