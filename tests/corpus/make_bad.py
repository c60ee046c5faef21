"""Writes the corpus of broken and hostile input files into a folder, at test time.

Nothing binary is committed: every file is built here from a few bytes of Python, most with the
standard library only (zipfile, zlib, struct).  ``python tests/corpus/make_bad.py DIR`` writes the
whole corpus into DIR for manual poking (``fupin inspect DIR/*``).

Each builder takes the target folder and returns the path written.  ``CASES`` maps a case name to
``(builder, expectation)``; the expectation says what ``fupin inspect`` must do:

- ``"refuse"``: exit 2, a one-line Chinese message naming the file (and the listed words);
- ``"read"``: exit 0 (the file is odd but usable), optionally with the rows ``inspect`` must count.

``valid_county`` writes a small consistent county (registry, national ledger, roster) so a bad
file can stand in for any one of them in ``fupin reconcile``.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str = "341021", birth: str = "20100101", seq: str = "123") -> str:
    body = f"{region}{birth}{seq}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS)) % 11]


# ----------------------------------------------------------------------------- raw xlsx parts

CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      '<Override PartName="/xl/sharedStrings.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
      '<Override PartName="/xl/styles.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
      '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'worksheet" Target="worksheets/sheet1.xml"/>'
           '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'styles" Target="styles.xml"/>'
           '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders>'
          '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf applyFill="1" fillId="1"/>'
          '</cellXfs></styleSheet>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
EMPTY_SST = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>')


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _col(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def row_xml(r: int, values: list[str], extra: str = "") -> str:
    """One <row> of inline strings (1-based row number r)."""
    cells = "".join(f'<c r="{_col(j)}{r}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>'
                    for j, v in enumerate(values) if v != "")
    return f'<row r="{r}"{extra}>{cells}</row>'


def write_xlsx_parts(path: Path, sheet_xml: str | bytes, sst: str | bytes = EMPTY_SST,
                     extra: dict[str, bytes] | None = None) -> Path:
    """A minimal workbook whose sheet1 is ``sheet_xml`` (the whole part)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/sharedStrings.xml", sst)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def simple_sheet(rows: list[list[str]], dimension: str | None = None, tail: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(row_xml(r + 1, v) for r, v in enumerate(rows))
    return f"{SHEET_HEAD}{dim}<sheetData>{body}{tail}</sheetData></worksheet>"


# ----------------------------------------------------------------------------- a hand-made zip

@dataclass
class RawMember:
    name: str
    data: bytes                 # the bytes stored (already deflated when method == 8)
    method: int = 8
    crc: int = 0
    file_size: int = 0          # declared uncompressed size


def write_raw_zip(path: Path, members: list[RawMember]) -> Path:
    """A zip whose sizes and CRCs are whatever the members declare (zip64 when needed)."""
    out = io.BytesIO()
    central = []
    for m in members:
        offset = out.tell()
        name = m.name.encode()
        big = m.file_size >= 0xFFFFFFFF or len(m.data) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, m.file_size, len(m.data)) if big else b""
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45 if big else 20, 0, m.method, 0, 0x21,
                              m.crc, 0xFFFFFFFF if big else len(m.data),
                              0xFFFFFFFF if big else m.file_size, len(name), len(extra)))
        out.write(name + extra)
        out.write(m.data)
        central.append((m, name, offset, big))
    cd_start = out.tell()
    for m, name, offset, big in central:
        extra = struct.pack("<HHQQQ", 1, 24, m.file_size, len(m.data), offset) if big else b""
        out.write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 45 if big else 20, 45 if big else 20,
                              0, m.method, 0, 0x21, m.crc, 0xFFFFFFFF if big else len(m.data),
                              0xFFFFFFFF if big else m.file_size, len(name), len(extra), 0, 0, 0, 0,
                              0xFFFFFFFF if big else offset))
        out.write(name + extra)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), cd_size, cd_start, 0))
    path.write_bytes(out.getvalue())
    return path


def _deflated(data: bytes) -> tuple[bytes, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data)


def _plain_members(sheet: RawMember) -> list[RawMember]:
    out = []
    for name, text in (("[Content_Types].xml", CT), ("_rels/.rels", RELS), ("xl/workbook.xml", WB),
                       ("xl/_rels/workbook.xml.rels", WB_RELS), ("xl/styles.xml", STYLES),
                       ("xl/sharedStrings.xml", EMPTY_SST)):
        raw = text.encode()
        data, crc = _deflated(raw)
        out.append(RawMember(name, data, 8, crc, len(raw)))
    return [*out, sheet]


def repeated_deflate(head: bytes, block: bytes, times: int, tail: bytes) -> bytes:
    """A raw deflate stream inflating to head + block * times + tail, built in O(len(block)):
    the block is compressed once after a full flush (so it does not refer back) and repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    one = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(tail) + c.flush(zlib.Z_FINISH)
    return first + one * times + last


# ----------------------------------------------------------------------------- OLE2 (CFB)

def write_encrypted_ole(path: Path) -> Path:
    """A real (minimal) OLE2 compound file holding the two streams of a password-protected .xlsx:
    ``EncryptionInfo`` and ``EncryptedPackage`` (what Excel writes for "Encrypt with Password").

    Layout: header, sector 0 = FAT, sector 1 = directory (root + 2 streams), sectors 2-9 =
    EncryptionInfo (4096 bytes), sectors 10-17 = EncryptedPackage (4096 bytes).  Streams of 4096
    bytes sit in regular sectors, so no mini stream is needed."""
    sec = 512
    endchain, freesect, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16,
                         0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 0x1000, endchain, 0,
                         endchain, 0)
    header += struct.pack("<109I", 0, *([freesect] * 108))
    assert len(header) == 512
    fat = [fatsect, endchain] + list(range(3, 10)) + [endchain] + list(range(11, 18)) + [endchain]
    fat += [freesect] * (128 - len(fat))

    def entry(name: str, typ: int, start: int, size: int, child: int = 0xFFFFFFFF) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIII", raw.ljust(64, b"\0"), len(raw), typ, 1,
                           0xFFFFFFFF, 0xFFFFFFFF if name != "EncryptionInfo" else 2, child, b"\0" * 16, 0, 0, 0,
                           start, size, 0)

    directory = (entry("Root Entry", 5, endchain, 0, child=1) + entry("EncryptionInfo", 2, 2, 4096)
                 + entry("EncryptedPackage", 2, 10, 4096) + b"\0" * 128)
    body = struct.pack("<128I", *fat) + directory
    info = struct.pack("<HHI", 4, 4, 0x40) + b"\x00" * (4096 - 8)        # "agile" version 4.4
    package = struct.pack("<Q", 1234) + bytes(random.Random(7).randrange(256) for _ in range(4088))
    path.write_bytes(header + body + info + package)
    assert len(path.read_bytes()) == sec * 19
    return path


# ----------------------------------------------------------------------------- the cases

HEADER = ["姓名", "身份证号", "学校", "年级"]
ID1, ID2, ID3 = make_id(seq="101"), make_id(seq="102"), make_id(seq="103")


def good_rows() -> list[list[str]]:
    return [HEADER, ["张三", ID1, "城关小学", "三年级"], ["李四", ID2, "城关小学", "四年级"],
            ["王五", ID3, "城关小学", "五年级"]]


def case_zero_bytes(d: Path) -> Path:
    p = d / "空文件.xlsx"
    p.write_bytes(b"")
    return p


def case_text_as_xlsx(d: Path) -> Path:
    p = d / "其实是文本.xlsx"
    p.write_text("各位老师：\n请于周五前报送名册。\n", encoding="utf-8")
    return p


def case_pdf_as_xlsx(d: Path) -> Path:
    p = d / "其实是PDF.xlsx"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    return p


def case_png_as_xlsx(d: Path) -> Path:
    p = d / "其实是图片.xlsx"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + b"\0" * 17)
    return p


def case_truncated_zip(d: Path) -> Path:
    good = write_xlsx_parts(d / "_good_for_truncation.xlsx", simple_sheet(good_rows()))
    data = good.read_bytes()
    good.unlink()
    p = d / "下载中断.xlsx"
    p.write_bytes(data[: len(data) * 2 // 3])
    return p


def case_encrypted(d: Path) -> Path:
    return write_encrypted_ole(d / "有密码.xlsx")


def case_million_styled_rows(d: Path) -> Path:
    """<dimension ref="A1:Z1048576"/> and 1,048,572 formatted but empty rows under 3 real ones
    (what Excel writes after "format the whole sheet"): ~45 MB of XML, 0.3 MB on disk."""
    rows = good_rows()
    p = d / "百万空行.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in (("[Content_Types].xml", CT), ("_rels/.rels", RELS), ("xl/workbook.xml", WB),
                           ("xl/_rels/workbook.xml.rels", WB_RELS), ("xl/styles.xml", STYLES),
                           ("xl/sharedStrings.xml", EMPTY_SST)):
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write((f'{SHEET_HEAD}<dimension ref="A1:Z1048576"/><sheetData>'
                     + "".join(row_xml(r + 1, v) for r, v in enumerate(rows))).encode())
            for start in range(len(rows) + 1, 1_048_577, 65536):
                stop = min(start + 65536, 1_048_577)
                f.write("".join(f'<row r="{r}" s="1" customFormat="1" ht="15"><c r="A{r}" s="1"/></row>'
                                for r in range(start, stop)).encode())
            f.write(b"</sheetData></worksheet>")
    return p


def case_stray_far_cell(d: Path) -> Path:
    """Real data plus one stray character in Z1048576: 27 million cells for 13 values."""
    tail = '<row r="1048576"><c r="Z1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_xlsx_parts(d / "末行有杂字.xlsx", simple_sheet(good_rows(), tail=tail))


def case_far_corner_cell(d: Path) -> Path:
    """A value in XFD1048576: calamine would allocate 17 billion cells (the process aborts)."""
    tail = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return write_xlsx_parts(d / "右下角.xlsx", simple_sheet(good_rows(), tail=tail))


def case_bomb(d: Path) -> Path:
    """A ~2.5 MB .xlsx whose sheet XML inflates to 2.5 GB (spaces between rows)."""
    rows = good_rows()
    head = (f"{SHEET_HEAD}<sheetData>" + "".join(row_xml(r + 1, v) for r, v in enumerate(rows))).encode()
    block = b" " * (1 << 20)
    times = 2500
    tail = b"</sheetData></worksheet>"
    data = repeated_deflate(head, block, times, tail)
    size = len(head) + len(block) * times + len(tail)
    sheet = RawMember("xl/worksheets/sheet1.xml", data, 8, 0, size)   # CRC not computed: never reached
    return write_raw_zip(d / "压缩炸弹.xlsx", _plain_members(sheet))


def case_bomb_lying(d: Path) -> Path:
    """The same stream, but the zip claims the part is only 4 KB (and gives the CRC of those)."""
    rows = good_rows()
    head = (f"{SHEET_HEAD}<sheetData>" + "".join(row_xml(r + 1, v) for r, v in enumerate(rows))).encode()
    block = b" " * (1 << 20)
    data = repeated_deflate(head, block, 2500, b"</sheetData></worksheet>")
    claimed = (head + block)[:4096]
    sheet = RawMember("xl/worksheets/sheet1.xml", data, 8, zlib.crc32(claimed), 4096)
    return write_raw_zip(d / "谎报大小.xlsx", _plain_members(sheet))


LAUGHS = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + "".join(f' <!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">\n'
                    for k in range(1, 10))
          + "]>\n")


def case_laughs_sheet(d: Path) -> Path:
    rows = good_rows()
    rows[1][0] = "&lol9;"
    body = "".join(row_xml(r + 1, v) for r, v in enumerate(rows)).replace("&amp;lol9;", "&lol9;")
    sheet = LAUGHS + SHEET_HEAD.split("?>", 1)[1] + f"<sheetData>{body}</sheetData></worksheet>"
    return write_xlsx_parts(d / "实体炸弹_工作表.xlsx", sheet)


def case_laughs_sst(d: Path) -> Path:
    sst = (LAUGHS + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
           'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    sheet = simple_sheet(good_rows()).replace("</sheetData>",
                                              '<row r="5"><c r="A5" t="s"><v>0</v></c></row></sheetData>')
    return write_xlsx_parts(d / "实体炸弹_共享字符串.xlsx", sheet, sst=sst)


def case_duplicate_header_conflict(d: Path) -> Path:
    rows = [["姓名", "身份证号", "学校", "身份证号"],
            ["张三", ID1, "城关小学", ID2], ["李四", ID2, "城关小学", ID3]]
    return write_xlsx_parts(d / "两列身份证号.xlsx", simple_sheet(rows))


def case_duplicate_header_harmless(d: Path) -> Path:
    """身份证号 twice (a header merged over two columns) with data in one; empty header cells."""
    rows = [["姓名", "身份证号", "身份证号", "", "学校"],
            ["张三", ID1, "", "备注一", "城关小学"], ["李四", ID2, "", "", "城关小学"]]
    return write_xlsx_parts(d / "表头重复但无害.xlsx", simple_sheet(rows))


def case_header_only(d: Path) -> Path:
    return write_xlsx_parts(d / "只有表头.xlsx", simple_sheet([HEADER]))


def case_random_bytes_csv(d: Path) -> Path:
    rnd = random.Random(6)
    data = bytes(rnd.choice([b for b in range(0x80, 0x100)]) for _ in range(3000))
    p = d / "乱码.csv"
    p.write_bytes(b"name,id\n" + data.replace(b"\n", b" ") + b"\n")
    return p


def case_formula_ids(d: Path) -> Path:
    """An ID column of formulas saved without results (openpyxl and some tools do this)."""
    rows = good_rows()
    body = [row_xml(1, rows[0])]
    for r, v in enumerate(rows[1:], 2):
        cells = (f'<c r="A{r}" t="inlineStr"><is><t>{v[0]}</t></is></c>'
                 f'<c r="B{r}"><f>TEXT(E{r},"0")</f><v></v></c>'
                 f'<c r="C{r}" t="inlineStr"><is><t>{v[2]}</t></is></c>'
                 f'<c r="D{r}" t="inlineStr"><is><t>{v[3]}</t></is></c>')
        body.append(f'<row r="{r}">{cells}</row>')
    sheet = f"{SHEET_HEAD}<sheetData>{''.join(body)}</sheetData></worksheet>"
    return write_xlsx_parts(d / "证件号是公式.xlsx", sheet)


LONG_CELL = 10_000_000


def case_huge_cell(d: Path) -> Path:
    """One cell (E2) of 10 million characters, kept in sharedStrings."""
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           f'<si><t>{"备" * LONG_CELL}</t></si></sst>')
    rows = good_rows()
    body = [row_xml(1, [*rows[0], "备注"])]
    body.append(row_xml(2, rows[1]).replace("</row>", '<c r="E2" t="s"><v>0</v></c></row>'))
    body += [row_xml(r + 1, v) for r, v in enumerate(rows) if r >= 2]
    sheet = f"{SHEET_HEAD}<sheetData>{''.join(body)}</sheetData></worksheet>"
    return write_xlsx_parts(d / "超长单元格.xlsx", sheet, sst=sst)


def case_html_span_bomb(d: Path) -> Path:
    cell = '<td colspan="1000" rowspan="1000">x</td>' * 50
    p = d / "合并单元格炸弹.xls"
    p.write_text("<html><body><table><tr><td>姓名</td><td>身份证号</td></tr><tr>" + cell + "</tr>"
                 + "<tr></tr>" * 1000 + "</table></body></html>", encoding="utf-8")
    return p


def case_spreadsheetml_far_index(d: Path) -> Path:
    p = d / "XML表格越界.xml"
    p.write_text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                 'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="名册"><Table>'
                 '<Row><Cell><Data ss:Type="String">姓名</Data></Cell></Row>'
                 '<Row ss:Index="1048576"><Cell ss:Index="16384"><Data ss:Type="String">x</Data></Cell></Row>'
                 '</Table></Worksheet></Workbook>', encoding="utf-8")
    return p


def case_wide_csv(d: Path) -> Path:
    p = d / "超宽.csv"
    p.write_text("姓名,身份证号\n张三,1\n" + "," * 200_000 + "\n", encoding="utf-8")
    return p


def case_xlsb(d: Path) -> Path:
    p = d / "二进制工作簿.xlsb"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return p


def case_word_as_xlsx(d: Path) -> Path:
    p = d / "其实是Word.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return p


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    expect: str                       # "refuse" or "read"
    words: tuple[str, ...] = ()       # must appear in the message (refuse) …
    rows: int | None = None           # … or the rows inspect counts (read)
    heavy: bool = False               # measure time and memory in a subprocess
    extra: dict = field(default_factory=dict)


CASES: dict[str, Case] = {
    "zero_bytes": Case(case_zero_bytes, "refuse", ("0 字节",)),
    "text_as_xlsx": Case(case_text_as_xlsx, "refuse", ("不是表格文件",)),
    "pdf_as_xlsx": Case(case_pdf_as_xlsx, "refuse", ("PDF",)),
    "png_as_xlsx": Case(case_png_as_xlsx, "refuse", ("PNG",)),
    "word_as_xlsx": Case(case_word_as_xlsx, "refuse", ("Word",)),
    "truncated_zip": Case(case_truncated_zip, "refuse", ("损坏",)),
    "encrypted": Case(case_encrypted, "refuse", ("密码",)),
    "million_styled_rows": Case(case_million_styled_rows, "read", rows=3, heavy=True),
    "stray_far_cell": Case(case_stray_far_cell, "refuse", ("Z1048576", "删除多余的行和列"), heavy=True),
    "far_corner_cell": Case(case_far_corner_cell, "refuse", ("XFD1048576", "上限"), heavy=True),
    "bomb": Case(case_bomb, "refuse", ("压缩炸弹",), heavy=True),
    "bomb_lying": Case(case_bomb_lying, "refuse", ("声明",), heavy=True),
    "laughs_sheet": Case(case_laughs_sheet, "refuse", ("DOCTYPE",)),
    "laughs_sst": Case(case_laughs_sst, "refuse", ("DOCTYPE",)),
    "duplicate_header_conflict": Case(case_duplicate_header_conflict, "refuse", ("身份证号", "B、D")),
    "duplicate_header_harmless": Case(case_duplicate_header_harmless, "read", rows=2),
    "header_only": Case(case_header_only, "read", rows=0),
    "random_bytes_csv": Case(case_random_bytes_csv, "refuse", ("编码",)),
    "formula_ids": Case(case_formula_ids, "read", rows=3),
    "huge_cell": Case(case_huge_cell, "read", rows=3, heavy=True),
    "html_span_bomb": Case(case_html_span_bomb, "refuse", ("rowspan",), heavy=True),
    "spreadsheetml_far_index": Case(case_spreadsheetml_far_index, "refuse", ("上限",)),
    "wide_csv": Case(case_wide_csv, "refuse", ("列",)),
    "xlsb": Case(case_xlsb, "refuse", (".xlsb",)),
}


def build_all(d: Path) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    return {name: case.build(d) for name, case in CASES.items()}


# ----------------------------------------------------------------------------- a valid county

def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    return write_xlsx_parts(path, simple_sheet(rows))


A = make_id(birth="20080101", seq="123")    # 初中 住校, paid the day rate -> UNDERPAID
B = make_id(birth="20120301", seq="331")    # 小学, unpaid -> UNPAID
C = make_id(birth="20090909", seq="222")    # paid as 建档立卡, not in the registry -> NOT_REGISTERED
ITEM = "义务教育家庭经济困难学生生活补助"


def registry_rows() -> list[list[str]]:
    return [["乡镇", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "在校生状况", "脱贫属性"],
            ["城关镇", "东村", "1001", "1", "张三", A, "之子", "七年级", "已脱贫（享受政策）"],
            ["城关镇", "西村", "1004", "1", "王六", B, "之子", "小学", "未脱贫"]]


def national_rows() -> list[list[str]]:
    return [["学校", "学生姓名", "身份证号", "资助项目", "金额", "学年", "学期", "家庭经济困难类型"],
            ["城关初中", "张三", A, ITEM, "312.5", "2020-2021学年", "秋季学期", "建档立卡"],
            ["城关初中", "孙九", C, ITEM, "312.5", "2020-2021学年", "秋季学期", "建档立卡"]]


def roster_rows() -> list[list[str]]:
    return [["学校名称", "姓名", "身份证件号", "全国学籍号", "年级", "班级", "就读方式", "学籍状态"],
            ["城关初中", "张三", A, "G" + A, "七年级", "1班", "住校", "在读"],
            ["城关小学", "王六", B, "", "三年级", "2班", "走读", "在读"],
            ["城关初中", "孙九", C, "", "八年级", "2班", "走读", "在读"]]


def valid_county(d: Path) -> dict[str, Path]:
    """registry / national / roster (a folder) of a 3-person county; returns the paths by role."""
    (d / "名册").mkdir(parents=True, exist_ok=True)
    return {"registry": write_xlsx(d / "建档立卡.xlsx", registry_rows()),
            "national": write_xlsx(d / "全国.xlsx", national_rows()),
            "roster": write_xlsx(d / "名册" / "名册.xlsx", roster_rows()).parent}


if __name__ == "__main__":  # pragma: no cover - manual use
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_corpus")
    for case_name, path in build_all(target).items():
        sys.stdout.write(f"{case_name:28s} {path} ({path.stat().st_size} bytes)\n")
