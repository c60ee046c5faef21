"""fupin summary: households, students and yuan per year, by semester, stage, item, township,
from payout files or the national ledger; charts; the annual-report sentence."""

from __future__ import annotations

import csv
import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from payout_world import P, ident, make_world, registry_rows

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.payout.summary import wan_yuan

D = Decimal
HEADER = ["id_number", "name", "school", "stage", "grade", "item", "semester", "amount"]


def run(*args) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["-q", *map(str, args)])
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


def pay(key: str, school: str, stage: str, grade: str, item: str, sem: str, amount: str) -> list[str]:
    return [ident(key), P[key][0], school, stage, grade, item, sem, amount]


@pytest.fixture
def inputs(files):
    registry = files.xlsx("in/建档立卡.xlsx", registry_rows())
    spring = files.csv("in/春/payout.csv", [HEADER,
                       pay("j_board", "二中", "初中", "7", "LIVING_JUNIOR", "2020春", "312.50"),
                       pay("p_day", "一小", "小学", "2", "LIVING_PRIMARY", "2020春", "250.00"),
                       pay("k", "幼儿园", "幼儿园", "2", "PRESCHOOL", "2020春", "400.00")])
    autumn = files.csv("in/秋/payout.csv", [HEADER,
                       pay("j_board", "二中", "初中", "8", "LIVING_JUNIOR", "2020秋", "625.00"),
                       pay("j_day", "二中", "初中", "7", "LIVING_JUNIOR", "2020秋", "312.50"),
                       pay("p_day", "一小", "小学", "3", "LIVING_PRIMARY", "2020秋", "250.00")])
    return registry, spring, autumn


def sheet_rows(ws) -> list[dict]:
    header = [c.value for c in ws[2]]
    return [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_wan_yuan():
    assert wan_yuan(D("505575")) == "50.5575"
    assert wan_yuan(D("2150.00")) == "0.215"
    assert wan_yuan(D("10000")) == "1"
    assert wan_yuan(D("312.50")) == "0.03125"


def test_summary_from_payout_with_registry(inputs, tmp_path):
    registry, spring, autumn = inputs
    out = tmp_path / "统计"
    code, text = run("summary", "--payout", spring, "--payout", autumn, "--registry", registry, "-o", out)
    assert code == 0, text
    sentence = "2020年教育补助建档立卡户3户，4名学生（春季发放3人、秋季发放3人），0.215万元"
    assert sentence in text.replace("\n", "")
    wb = openpyxl.load_workbook(out / "资助统计_2020.xlsx")
    assert wb.sheetnames == ["说明", "汇总", "按学段", "按资助项目", "按乡镇", "按学校"]
    assert wb["汇总"]["A1"].value == sentence
    total = {r["口径"]: r for r in sheet_rows(wb["汇总"])}
    year = total["2020年全年（学生去重）"]
    assert (year["户数"], year["学生人数"], year["发放人次"]) == (3, 4, 6)
    assert D(str(year["金额（元）"])) == D("2150")
    assert total["2020年春季学期"]["学生人数"] == 3 and total["2020年秋季学期"]["学生人数"] == 3

    stage = {r["学段"]: r for r in sheet_rows(wb["按学段"]) if r["学段"]}
    assert (stage["初中"]["春季人数"], stage["初中"]["秋季人数"], stage["初中"]["全年人数（去重）"]) == (1, 2, 2)
    assert D(str(stage["初中"]["全年金额（元）"])) == D("1250")
    assert stage["合计"]["全年人数（去重）"] == 4            # distinct, not a sum

    town = {r["乡镇"]: r for r in sheet_rows(wb["按乡镇"]) if r["乡镇"]}
    assert (town["城关镇"]["户数"], town["城关镇"]["全年人数（去重）"]) == (1, 2)
    assert (town["溪口镇"]["户数"], town["溪口镇"]["全年人数（去重）"]) == (2, 2)
    assert D(str(town["城关镇"]["全年金额（元）"])) == D("1250")

    items = {r["资助项目"]: r for r in sheet_rows(wb["按资助项目"]) if r["资助项目"]}
    assert items["义务教育家庭经济困难学生生活补助（初中）"]["全年人数（去重）"] == 2

    # native charts: column chart on 按学段, bar chart on 按乡镇
    with zipfile.ZipFile(out / "资助统计_2020.xlsx") as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    assert any('<c:barDir val="col"/>' in c and "按学段" in c for c in charts)
    assert any('<c:barDir val="bar"/>' in c and "按乡镇" in c for c in charts)

    with open(out / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    tot = next(r for r in rows if r["dimension"] == "total")
    assert (tot["households"], tot["students_year"], tot["amount_year"]) == ("3", "4", "2150.00")
    run_json = json.loads((out / "run.json").read_text("utf-8"))
    assert run_json["accounting"]["ok"]
    assert run_json["extra"]["summary"]["years"][0]["sentence"] == sentence


def test_summary_without_registry(inputs, tmp_path):
    _, spring, autumn = inputs
    out = tmp_path / "统计"
    code, text = run("summary", "--payout", spring, "--payout", autumn, "-o", out)
    assert code == 0, text
    assert "户数需提供建档立卡库" in text
    wb = openpyxl.load_workbook(out / "资助统计_2020.xlsx")
    assert "户数" not in [c.value for c in wb["汇总"][2]]
    assert wb["汇总"]["A1"].value == "2020年教育补助建档立卡学生4名（春季发放3人、秋季发放3人），0.215万元（户数需提供建档立卡库）"
    assert json.loads((out / "run.json").read_text("utf-8"))["accounting"]["ok"]


def test_one_workbook_per_calendar_year(files, tmp_path):
    csv_path = files.csv("in/payout.csv", [HEADER,
                         pay("j_board", "二中", "初中", "8", "LIVING_JUNIOR", "2020秋", "625.00"),
                         pay("j_board", "二中", "初中", "8", "LIVING_JUNIOR", "2021春", "625.00")])
    out = tmp_path / "统计"
    code, text = run("summary", "--payout", csv_path, "-o", out)
    assert code == 0, text
    assert (out / "资助统计_2020.xlsx").is_file() and (out / "资助统计_2021.xlsx").is_file()
    assert "2021年教育补助建档立卡学生1名（春季发放1人），0.0625万元" in text.replace("\n", "")


NAT_HEADER = ["学校名称", "学生姓名", "身份证号", "年级", "资助项目", "发放金额", "学年", "学期", "家庭经济困难类型"]


def test_summary_from_national_counts_only_jdlk_and_judged_items(files, tmp_path):
    registry = files.xlsx("in/建档立卡.xlsx", registry_rows())
    nat = files.xlsx("in/全国资助系统.xlsx", [
        ["全国学生资助管理信息系统 发放明细"], NAT_HEADER,
        ["清源县第二初级中学", "张三", ident("j_board"), "八年级", "义务教育家庭经济困难学生生活补助", "625.00",
         "2020-2021学年", "第一学期", "建档立卡"],
        ["清源县第二初级中学", "张三", ident("j_board"), "七年级", "义务教育家庭经济困难学生生活补助", "312.50",
         "2019-2020学年", "第二学期", "建档立卡"],
        ["清源县第一中学", "赵一", ident("h_prov"), "高一", "普通高中国家助学金", "1500", "2020-2021学年", "第一学期",
         "建档立卡"],
        ["清源县第一中学", "赵一", ident("h_prov"), "高一", "生源地信用助学贷款", "8000", "2020-2021学年", "第一学期",
         "建档立卡"],
        ["清源县城关幼儿园", "王小宝", ident("k"), "中班", "学前教育幼儿资助", "400", "2019-2020学年", "第二学期",
         "建档立卡"],
        ["清源县第二初级中学", "刘低保", "341021200909095551", "八年级", "义务教育家庭经济困难学生生活补助", "312.50",
         "2020-2021学年", "第一学期", "农村低保"],
    ])
    out = tmp_path / "统计"
    code, text = run("summary", "--national", nat, "--registry", registry, "-o", out)
    assert code == 0, text
    assert "2020年教育补助建档立卡户3户，3名学生（春季发放2人、秋季发放2人），0.28375万元" in text.replace("\n", "")
    run_json = json.loads((out / "run.json").read_text("utf-8"))
    acc = run_json["accounting"]
    assert acc["ok"]
    nat_acc = next(t for t in acc["tables"] if t["role"] == "national")
    assert sum(nat_acc["skipped"].values()) == 2        # the 低保 row and the loan
    wb = openpyxl.load_workbook(out / "资助统计_2020.xlsx")
    words = [c for r in wb["说明"].iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "生源地信用助学贷款" in words


def test_summary_reads_the_payout_workbook(files, tmp_path):
    world = make_world(files)
    first = tmp_path / "发放"
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--schools", world.schools,
                     "--semester", "2020秋", "-o", first)
    assert code == 0, text
    out_csv, out_wb = tmp_path / "统计1", tmp_path / "统计2"
    assert run("summary", "--payout", first / "payout.csv", "--registry", world.registry, "-o", out_csv)[0] == 0
    assert run("summary", "--payout", first / "发放花名册_2020秋.xlsx", "--registry", world.registry,
               "-o", out_wb)[0] == 0
    a = json.loads((out_csv / "run.json").read_text("utf-8"))["extra"]["summary"]["years"]
    b = json.loads((out_wb / "run.json").read_text("utf-8"))["extra"]["summary"]["years"]
    assert a == b
    assert a[0]["total"]["amount"] == "9637.50"


def test_payout_and_national_are_exclusive(inputs, tmp_path):
    registry, spring, _ = inputs
    code, text = run("summary", "--payout", spring, "--national", spring, "-o", tmp_path / "x")
    assert code == 2 and "二者选一" in text
    code, text = run("summary", "--registry", registry, "-o", tmp_path / "y")
    assert code == 2 and "二者选一" in text
