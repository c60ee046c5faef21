"""notify: 资助结果告知书 — one printable notice per student, one .docx per school and semester.

The wording comes from a plain-text template (``data/notice_template.txt`` by default; the county
copies and edits it): settings above a ``====`` line (``名称 = 内容``), the notice below it with
placeholders (``{姓名}`` …) and three line marks (``^^`` title, ``^`` centred, ``>`` right-aligned).
See the comments at the top of the default template for the full list.

Fonts are set the way Word and WPS both honour: the East-Asian font in ``w:rFonts/@w:eastAsia``
and the Latin font in ``@w:ascii``/``@w:hAnsi`` on the Normal style and on every run, with the
document language zh-CN. Each notice after the first starts with "page break before", so a
school's file prints one student per page without blank pages.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from jiaoyu_fupin.errors import InputError
from jiaoyu_fupin.normalize.ids import normalize_ids
from jiaoyu_fupin.normalize.semesters import parse_semester
from jiaoyu_fupin.payout.engine import grade_label
from jiaoyu_fupin.policy.model import Policy
from jiaoyu_fupin.report.mask import mask_id

ZERO = Decimal(0)
SEPARATOR = re.compile(r"^={4,}\s*$")
PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")
DETAIL = "项目明细"

#: placeholders filled per student (settings add their own names)
FIELDS = ("姓名", "身份证号", "学校", "学段", "年级", "学期", "学年学期", "项目明细", "合计", "合计大写", "项目数",
          "资助中心", "资助中心电话", "日期")
DEFAULT_SETTINGS = {"资助中心": "县学生资助管理中心", "资助中心电话": "", "落款日期": "", "正文字体": "宋体",
                    "标题字体": "黑体", "西文字体": "Times New Roman", "正文字号": "14", "标题字号": "20"}


# ---------------------------------------------------------------------------------------------
# template


@dataclass(frozen=True)
class Template:
    """A parsed notice template: settings and body lines (comments removed)."""

    settings: dict[str, str]
    lines: tuple[str, ...]
    source: str = "默认模板"

    def setting(self, key: str) -> str:
        return self.settings.get(key, DEFAULT_SETTINGS.get(key, ""))

    def size(self, key: str, default: float) -> float:
        try:
            v = float(self.setting(key))
        except ValueError:
            return default
        return v if 6 <= v <= 72 else default


def default_template_text() -> str:
    return resources.files("jiaoyu_fupin.payout").joinpath("data/notice_template.txt").read_text("utf-8")


def load_template(path: Path | None) -> Template:
    """Read and check a template; every problem (file, line) reported together."""
    if path is None:
        return parse_template(default_template_text(), "默认模板")
    p = Path(path)
    if not p.is_file():
        raise InputError("找不到告知书模板文件，请检查路径", file=str(p))
    raw = p.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("模板文件的编码无法识别，请用记事本“另存为 UTF-8”后再试", file=p.name)
    return parse_template(text, p.name)


def parse_template(text: str, name: str = "模板") -> Template:
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sep = next((i for i, ln in enumerate(raw_lines) if SEPARATOR.match(ln.strip()) and not ln.lstrip().startswith("#")),
               None)
    settings: dict[str, str] = {}
    problems: list[str] = []
    body_start = 0
    if sep is not None:
        body_start = sep + 1
        for i, ln in enumerate(raw_lines[:sep], 1):
            s = ln.strip()
            if not s or s.startswith("#"):
                continue
            m = re.match(r"^([^=＝:：]+?)\s*[=＝:：]\s*(.*)$", s)
            if not m:
                problems.append(f"第 {i} 行“{s}”不是“名称 = 内容”的设置")
                continue
            settings[m.group(1).strip()] = m.group(2).strip()
    body = [ln.rstrip() for ln in raw_lines[body_start:] if not ln.lstrip().startswith("#")]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    if not body:
        problems.append("没有告知书正文（正文写在“====”线以下）")
    known = set(FIELDS) | set(settings) | set(DEFAULT_SETTINGS)
    for k, ln in enumerate(raw_lines[body_start:], body_start + 1):
        if ln.lstrip().startswith("#"):
            continue
        for m in PLACEHOLDER.finditer(ln.replace("{{", "").replace("}}", "")):
            if m.group(1) not in known:
                problems.append(f"第 {k} 行的占位符 {{{m.group(1)}}} 无法识别")
    if problems:
        raise InputError(f"告知书模板有 {len(problems)} 处错误：" + "；".join(problems) +
                         f"。可用的占位符：{'、'.join('{' + f + '}' for f in FIELDS)}，以及设置中的名称",
                         file=name)
    return Template(settings, tuple(body), name)


# ---------------------------------------------------------------------------------------------
# notices


@dataclass
class Notice:
    """One student's notice."""

    semester: str
    school: str
    name: str
    id_number: str
    stage: str
    grade: str
    items: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.items), ZERO)


@dataclass
class NotifyResult:
    notices: list[Notice]
    files: dict[tuple[str, str], Path]       # (school, semester) -> docx
    warnings: list[str]
    skipped: dict[str, int]
    template: str

    @property
    def schools(self) -> int:
        return len({s for s, _ in self.files})

    def to_dict(self) -> dict[str, Any]:
        return {"notices": len(self.notices), "files": len(self.files), "schools": self.schools,
                "template": self.template, "skipped": self.skipped, "warnings": list(self.warnings),
                "total": f"{sum((n.total for n in self.notices), ZERO):.2f}"}


def build_notices(frame: pd.DataFrame, policy: Policy) -> tuple[list[Notice], pd.Series]:
    """Group payout rows into notices (semester × school × student). Returns the notices and, per
    row, the reason it was left out ('' = used)."""
    skip = pd.Series("", index=frame.index, dtype=object)
    skip[frame["amount_d"].isna()] = "金额无法识别"
    skip[(frame["sem"] == "") & (skip == "")] = "学期无法识别"
    ids = normalize_ids(frame["id_number"].astype(object)) if len(frame) else pd.DataFrame({"id": [], "id_status": []})
    key_id = ids["id"].where(ids["id"] != "", frame["id_number"].astype(str)) if len(frame) else frame["id_number"]
    notices: dict[tuple, Notice] = {}
    for i, r in enumerate(frame.itertuples(index=False)):
        if skip.iat[i]:
            continue
        idn = str(key_id.iat[i])
        key = (r.sem, r.school, idn or f"{r.name}")
        n = notices.get(key)
        if n is None:
            n = notices[key] = Notice(r.sem, str(r.school), str(r.name), idn, str(r.stage_n),
                                      grade_label(r.stage_n, r.grade_n))
        label = policy.item(r.code).name if r.item_status == "ok" else str(r.item)
        n.items.append((label, r.amount_d))
    out = sorted(notices.values(), key=lambda n: (n.semester, n.school, n.stage, n.grade, n.name, n.id_number))
    return out, skip


# ---------------------------------------------------------------------------------------------
# money in words

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def rmb_upper(amount: Decimal) -> str:
    """Amount in Chinese capital numerals as on a receipt: 2350 → 贰仟叁佰伍拾元整,
    312.50 → 叁佰壹拾贰元伍角, 1000.05 → 壹仟元零伍分."""
    a = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if a < 0 else ""
    a = abs(a)
    yuan = int(a)
    jiao, fen = int(a * 10) % 10, int(a * 100) % 10
    head = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        prev: int | None = None          # the last non-zero group written
        gap = False                      # an all-zero group since then
        for gi in range(len(groups) - 1, -1, -1):
            g = groups[gi]
            if g == 0:
                gap = prev is not None
                continue
            text, zero = "", False
            for pos in range(3, -1, -1):
                d = (g // 10 ** pos) % 10
                if d == 0:
                    zero = bool(text)
                    continue
                if zero:
                    text += "零"
                    zero = False
                text += _DIGITS[d] + _UNITS[pos]
            if prev is not None and (gap or g < 1000 or prev % 10 == 0):
                text = "零" + text
            head += text + _GROUPS[gi]
            prev, gap = g, False
        head += "元"
    if jiao == 0 and fen == 0:
        return sign + (head or "零元") + "整"
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif head:
        tail += "零"
    if fen:
        tail += _DIGITS[fen] + "分"
    return sign + head + tail


# ---------------------------------------------------------------------------------------------
# docx


def _values(n: Notice, tpl: Template, mask_ids: bool, today: dt.date) -> dict[str, str]:
    sem = parse_semester(n.semester)
    date_text = tpl.setting("落款日期") or f"{today.year}年{today.month}月{today.day}日"
    vals = {k: v for k, v in tpl.settings.items()}
    vals.update({
        "姓名": n.name, "身份证号": mask_id(n.id_number) if mask_ids else n.id_number, "学校": n.school,
        "学段": n.stage, "年级": n.grade, "学期": sem.label if sem else n.semester,
        "学年学期": sem.school_year_label if sem else n.semester,
        "项目明细": "；".join(f"{name} {a:,.2f} 元" for name, a in n.items),
        "合计": f"{n.total:,.2f}", "合计大写": rmb_upper(n.total), "项目数": str(len(n.items)),
        "资助中心": tpl.setting("资助中心"), "资助中心电话": tpl.setting("资助中心电话"), "日期": date_text,
    })
    return vals


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def fill(line: str, values: dict[str, str]) -> str:
    line = line.replace("{{", "\x00").replace("}}", "\x01")
    line = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), line)
    return line.replace("\x00", "{").replace("\x01", "}")


class _Docx:
    """A python-docx document set up for Chinese official printing (A4, fonts, zh-CN).

    python-docx appends every block by scanning the body for its section properties, which is
    quadratic in the length of the document; so each notice is built in a small scratch document
    and its finished blocks are moved into the real body in one pass when saving. Run properties
    (fonts, size, bold) are prepared once and copied onto each run.
    """

    def __init__(self, tpl: Template) -> None:
        from docx import Document
        from docx.oxml.ns import qn
        from docx.shared import Mm, Pt

        self.qn, self.Pt = qn, Pt
        self.tpl = tpl
        self.body_font = tpl.setting("正文字体")
        self.title_font = tpl.setting("标题字体")
        self.latin = tpl.setting("西文字体") or "Times New Roman"
        self.body_size = tpl.size("正文字号", 14)
        self.title_size = tpl.size("标题字号", 20)
        doc = self.doc = Document()
        sec = doc.sections[0]
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.top_margin, sec.bottom_margin = Mm(30), Mm(25)
        sec.left_margin, sec.right_margin = Mm(28), Mm(26)
        normal = doc.styles["Normal"]
        normal.font.name = self.latin
        normal.font.size = Pt(self.body_size)
        self._fonts(normal.element.get_or_add_rPr(), self.body_font)
        pf = normal.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        pf.line_spacing = 1.5
        self.scratch = Document()
        self.table_style = self.scratch.styles["Table Grid"]
        self.blocks: list = []
        self.first = True
        self._starting = False
        self._rpr: dict[tuple[bool, bool, float], Any] = {}
        self._protos: dict[int, tuple[list, list]] = {}
        self._specs: list = []

    def _fonts(self, rpr, east: str) -> None:
        qn = self.qn
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, rfonts)
        for attr, value in (("w:ascii", self.latin), ("w:hAnsi", self.latin), ("w:eastAsia", east),
                            ("w:cs", self.latin)):
            rfonts.set(qn(attr), value)
        rfonts.set(qn("w:hint"), "eastAsia")
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang)
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")

    def _run_props(self, title: bool, bold: bool, size: float):
        """A w:rPr prototype: fonts (East-Asian and Latin), bold, size, language."""
        key = (title, bold, size)
        if key not in self._rpr:
            from docx.oxml import OxmlElement

            qn = self.qn
            rpr = OxmlElement("w:rPr")
            rfonts = OxmlElement("w:rFonts")
            rpr.append(rfonts)
            if bold:
                rpr.append(OxmlElement("w:b"))
                rpr.append(OxmlElement("w:bCs"))
            half_points = str(round(size * 2))
            for tag in ("w:sz", "w:szCs"):
                el = OxmlElement(tag)
                el.set(qn("w:val"), half_points)
                rpr.append(el)
            self._fonts(rpr, self.title_font if title else self.body_font)
            self._rpr[key] = rpr
        return self._rpr[key]

    def run(self, paragraph, text: str, *, title: bool = False, bold: bool = False, size: float | None = None,
            spec: Any = None):
        r = paragraph.add_run(text or "-")        # every run gets a w:t (filled per notice)
        self._specs.append(spec if spec is not None else ("text", text))
        rpr = self._run_props(title, bold or title, size or (self.title_size if title else self.body_size))
        r._element.insert(0, copy.deepcopy(rpr))
        return r

    def paragraph(self, text: str, *, align: str = "left", indent: bool = False, title: bool = False,
                  spec: Any = None):
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        p = self.scratch.add_paragraph()
        p.alignment = {"left": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                       "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
        if indent:
            p.paragraph_format.first_line_indent = self.Pt(self.body_size * 2)
        if title:
            p.paragraph_format.space_after = self.Pt(self.body_size * 0.5)
        self._starting = False
        if text:
            self.run(p, text, title=title, spec=spec)
        return p

    def table(self, items: list[tuple[str, Decimal]]) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        rows = [("序号", "资助项目", "金额（元）")] + \
            [(str(i), name, f"{a:,.2f}") for i, (name, a) in enumerate(items, 1)] + \
            [("", "合计", f"{sum((a for _, a in items), ZERO):,.2f}")]
        t = self.scratch.add_table(rows=len(rows), cols=3)
        t.style = self.table_style
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = (Mm(18), Mm(100), Mm(38))
        for k, (row, vals) in enumerate(zip(t.rows, rows)):
            for j, (cell, v) in enumerate(zip(row.cells, vals)):
                cell.width = widths[j]
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if j == 2 and k else WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.line_spacing = 1.2
                self.run(p, v, bold=(k == 0 or k == len(rows) - 1), spec=("cell", k, j))

    def _prototype(self, lines: tuple[str, ...], n_items: int) -> tuple[list, list]:
        """The blocks of a notice with ``n_items`` items, and what each w:t of them shows."""
        self._specs = []
        self._starting = True
        items = [("", ZERO)] * n_items
        for raw in lines:
            if raw.strip() == "{" + DETAIL + "}":
                if self._starting:                # a notice that starts with the table
                    self.paragraph("")
                self.table(items)
                continue
            if raw.startswith("^^"):
                text, kw = raw[2:].strip(), {"align": "center", "title": True}
            elif raw.startswith("^"):
                text, kw = raw[1:].strip(), {"align": "center"}
            elif raw.startswith(">"):
                text, kw = raw[1:].strip(), {"align": "right"}
            else:
                text, kw = raw.strip(), {"indent": raw[:1] in (" ", "\t", "\u3000")}
            self.paragraph(text, spec=("line", text), **kw)
        body = self.scratch.element.body
        sect = self.qn("w:sectPr")
        blocks = [child for child in body if child.tag != sect]
        for b in blocks:
            body.remove(b)
        return blocks, self._specs

    def notice(self, lines: tuple[str, ...], values: dict[str, str], items: list[tuple[str, Decimal]]) -> None:
        key = len(items)
        if key not in self._protos:
            self._protos[key] = self._prototype(lines, key)
        blocks, specs = self._protos[key]
        new = [copy.deepcopy(b) for b in blocks]
        qn = self.qn
        texts = [t for b in new for t in b.iter(qn("w:t"))]
        cells = [("序号", "资助项目", "金额（元）")] + \
            [(str(i), name, f"{a:,.2f}") for i, (name, a) in enumerate(items, 1)] + \
            [("", "合计", f"{sum((a for _, a in items), ZERO):,.2f}")]
        for t, spec in zip(texts, specs):
            if spec[0] == "line":
                text = fill(spec[1], values)
            elif spec[0] == "cell":
                text = cells[spec[1]][spec[2]]
            else:
                text = spec[1]
            t.text = _xml_safe(text)
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        if self.first:
            self.first = False
        elif new:
            first = new[0]
            if first.tag == qn("w:p"):
                from docx.oxml import OxmlElement

                ppr = first.find(qn("w:pPr"))
                if ppr is None:
                    ppr = OxmlElement("w:pPr")
                    first.insert(0, ppr)
                before = {qn("w:pStyle"), qn("w:keepNext"), qn("w:keepLines")}
                pos = sum(1 for c in ppr if c.tag in before)      # schema order: after these
                ppr.insert(pos, OxmlElement("w:pageBreakBefore"))
        self.blocks.extend(new)

    def save(self, path: Path) -> Path:
        from jiaoyu_fupin.report.outdir import atomic_target

        body = self.doc.element.body
        sect = body.find(self.qn("w:sectPr"))
        for block in self.blocks:
            sect.addprevious(block)
        self.blocks = []
        with atomic_target(Path(path)) as tmp:
            self.doc.save(str(tmp))
        return Path(path)


def write_notices_docx(path: Path, notices: list[Notice], tpl: Template, *, mask_ids: bool = False,
                       today: dt.date | None = None) -> Path:
    """One .docx holding ``notices`` (one page each)."""
    today = today or dt.date.today()
    d = _Docx(tpl)
    for n in notices:
        d.notice(tpl.lines, _values(n, tpl, mask_ids, today), n.items)
    return d.save(path)


def group_by_file(notices: list[Notice]) -> dict[tuple[str, str], list[Notice]]:
    out: dict[tuple[str, str], list[Notice]] = {}
    for n in notices:
        out.setdefault((n.school or "未填写学校", n.semester), []).append(n)
    return out


ProgressFn = Callable[[str, int, int], None]
