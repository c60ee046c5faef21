"""fupin notify: one notice per student, one .docx per school, Chinese fonts, editable template."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn
from payout_world import EXPECTED, P, ident, make_world

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.payout.notify import parse_template, rmb_upper

D = Decimal
TITLE = "学生资助结果告知书"


def run(*args) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["-q", *map(str, args)])
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


@pytest.fixture
def payout_dir(files, tmp_path) -> Path:
    world = make_world(files)
    out = tmp_path / "发放"
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--schools", world.schools,
                     "--semester", "2020秋", "-o", out)
    assert code == 0, text
    return out


def notices_of(doc) -> list[dict]:
    """Split a document into notices at the title paragraphs; each with its text and table."""
    body = doc.element.body
    out: list[dict] = []
    tables = iter(doc.tables)
    paras = iter(doc.paragraphs)
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            p = next(paras)
            if p.text == TITLE:
                out.append({"title": p, "text": [], "tables": []})
            elif out:
                out[-1]["text"].append(p.text)
        elif child.tag == qn("w:tbl"):
            out[-1]["tables"].append(next(tables))
    return out


def test_one_notice_per_student_one_file_per_school(payout_dir, tmp_path):
    out = tmp_path / "告知书"
    code, text = run("notify", "--payout", payout_dir / "payout.csv", "-o", out)
    assert code == 0, text
    docs = sorted(out.glob("*.docx"))
    assert len(docs) == 7                              # seven schools paid
    seen: dict[str, Decimal] = {}
    for path in docs:
        assert path.name.startswith("资助结果告知书_") and path.name.endswith("_2020秋.docx")
        doc = Document(str(path))
        notices = notices_of(doc)
        assert notices
        for i, n in enumerate(notices):
            # every notice after the first starts on a new page
            assert bool(n["title"].paragraph_format.page_break_before) == (i > 0)
            (table,) = n["tables"]
            cells = [[c.text for c in row.cells] for row in table.rows]
            assert cells[0] == ["序号", "资助项目", "金额（元）"] and cells[-1][1] == "合计"
            items = [D(r[2].replace(",", "")) for r in cells[1:-1]]
            total = D(cells[-1][2].replace(",", ""))
            assert sum(items) == total
            body = "".join(n["text"])
            key = next(k for k, v in P.items() if v[0] + "同学家长" in body and v[1] in body)
            assert key not in seen
            seen[key] = total
            assert f"{total:,.2f}" in body and rmb_upper(total) in body
            assert "2020年秋季学期" in body
    assert seen == {k: sum(v.values()) for k, v in EXPECTED.items()}
    # the default template is copied for the county to edit; the run says the phone is missing
    assert (out / "告知书模板.txt").is_file()
    assert "资助中心电话" in text
    run_json = json.loads((out / "run.json").read_text("utf-8"))
    assert run_json["accounting"]["ok"] and run_json["extra"]["notify"]["notices"] == len(EXPECTED)


def test_fonts_are_set_for_word_and_wps(payout_dir, tmp_path):
    out = tmp_path / "告知书"
    assert run("notify", "--payout", payout_dir / "payout.csv", "-o", out)[0] == 0
    doc = Document(str(next(out.glob("*.docx"))))
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体" and normal.get(qn("w:ascii")) == "Times New Roman"
    runs = [r for p in doc.paragraphs for r in p.runs]
    assert runs and all(r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs)
    title = next(p for p in doc.paragraphs if p.text == TITLE)
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体" and title.runs[0].bold
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297


def test_custom_template_and_mask(payout_dir, files, tmp_path):
    tpl = files.path("模板/告知书.txt")
    tpl.write_text("# 县里的模板\n资助中心 = 清源县学生资助管理中心\n资助中心电话 = 0556-5123456\n县名 = 清源县\n"
                   "落款日期 = 2021年1月15日\n正文字体 = 仿宋_GB2312\n====\n^^资助告知\n"
                   "{县名}{学校}{年级}{姓名}（{身份证号}）{学年学期}获得：{项目明细}，共{合计}元。\n"
                   ">{资助中心}（电话 {资助中心电话}）\n>{日期}\n", encoding="utf-8")
    out = tmp_path / "告知书"
    code, text = run("notify", "--payout", payout_dir / "发放花名册_2020秋.xlsx", "--template", tpl, "--mask-ids",
                     "-o", out)
    assert code == 0, text
    assert "资助中心电话" not in text                   # set, so no warning
    assert not (out / "告知书模板.txt").exists()
    doc = Document(str(out / "资助结果告知书_清源县第一中学_2020秋.docx"))
    texts = [p.text for p in doc.paragraphs]
    line = next(t for t in texts if "赵一" in t)
    masked = ident("h_prov")[:6] + "********" + ident("h_prov")[14:]
    assert line == (f"清源县清源县第一中学高一赵一（{masked}）2020-2021学年第一学期获得：普通高中国家助学金 1,500.00 元；"
                    "普通高中免学杂费 850.00 元，共2,350.00元。")
    assert "清源县学生资助管理中心（电话 0556-5123456）" in texts and "2021年1月15日" in texts
    assert not doc.tables                               # {项目明细} inline, not on its own line
    run_ = doc.paragraphs[1].runs[0]
    assert run_._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_bad_placeholder_is_reported_with_its_line(payout_dir, files, tmp_path):
    tpl = files.path("模板/坏.txt")
    tpl.write_text("====\n{姓名}同学：\n您获得{金额合计}元。\n", encoding="utf-8")
    code, text = run("notify", "--payout", payout_dir / "payout.csv", "--template", tpl, "-o", tmp_path / "x")
    assert code == 2
    assert "第 3 行" in text and "{金额合计}" in text and "Traceback" not in text


def test_template_parsing():
    t = parse_template("a = 1\n# note\n====\n# hidden\n\n^^标题\n正文{{不是占位符}}\n")
    assert t.settings == {"a": "1"}
    assert t.lines == ("^^标题", "正文{{不是占位符}}")


@pytest.mark.parametrize("amount, words", [
    ("2350", "贰仟叁佰伍拾元整"), ("312.50", "叁佰壹拾贰元伍角"), ("1000.05", "壹仟元零伍分"),
    ("1005000", "壹佰万零伍仟元整"), ("10001", "壹万零壹元整"), ("0", "零元整"), ("400", "肆佰元整"),
])
def test_rmb_upper(amount, words):
    assert rmb_upper(D(amount)) == words
