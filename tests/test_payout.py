"""fupin payout on a small county (tests/payout_world.py): who is paid, how much, what is 待核实,
what changed since last semester — through the CLI, reading every output back."""

from __future__ import annotations

import csv
import json
import os
import shlex
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from payout_world import (
    EXPECTED,
    NOT_PAID,
    OUTSIDER_ID,
    PENDING_AMOUNT,
    PENDING_STAGE,
    SEM,
    TWIN_BAD_ID,
    P,
    World,
    ident,
    make_world,
)

from jiaoyu_fupin.cli import main

D = Decimal


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["-q", *map(str, args)])
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


def payout(world: World, out: Path, *extra) -> str:
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--schools", world.schools,
                     "--semester", SEM, "-o", out, *extra)
    assert code == 0, text
    return text


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "payout.csv must start with a UTF-8 BOM"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def world(files) -> World:
    return make_world(files)


@pytest.fixture
def done(world, tmp_path) -> tuple[World, Path, str]:
    out = tmp_path / "发放"
    text = payout(world, out)
    return world, out, text


def key_of(id_number: str) -> str:
    return next(k for k, v in P.items() if v[1] == id_number)


# ---------------------------------------------------------------------------------------------
# payout.csv


def test_payout_csv_contract(done):
    _, out, _ = done
    with open(out / "payout.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["id_number", "name", "school", "stage", "grade", "item", "semester", "amount"]
    rows = read_csv(out / "payout.csv")
    for r in rows:
        assert r["semester"] == "2020秋"
        assert len(r["amount"].split(".")[1]) == 2          # 312.50, never 312.5
        assert r["grade"] == "" or r["grade"].isdigit()
        assert len(r["id_number"]) == 18


def test_every_amount_is_the_policy_amount_for_the_students_situation(done):
    _, out, _ = done
    got: dict[str, dict[str, Decimal]] = {}
    for r in read_csv(out / "payout.csv"):
        got.setdefault(key_of(r["id_number"]), {})[r["item"]] = D(r["amount"])
    assert got == EXPECTED


def test_stage_and_grade_columns(done):
    _, out, _ = done
    rows = {(key_of(r["id_number"]), r["item"]): r for r in read_csv(out / "payout.csv")}
    assert (rows[("j_board", "LIVING_JUNIOR")]["stage"], rows[("j_board", "LIVING_JUNIOR")]["grade"]) == ("初中", "8")
    assert (rows[("h_city", "HS_GRANT")]["stage"], rows[("h_city", "HS_GRANT")]["grade"]) == ("高中", "2")
    assert rows[("k", "PRESCHOOL")]["stage"] == "幼儿园"
    assert rows[("v1", "VOC_GRANT")]["school"] == "清源县职业技术学校"


def test_not_paid_people_are_absent_and_the_outsider_too(done):
    _, out, _ = done
    ids = {r["id_number"] for r in read_csv(out / "payout.csv")}
    for k in [*NOT_PAID, "j_noboard", "mixed", "twin1", "twin2"]:
        assert ident(k) not in ids, k
    assert OUTSIDER_ID not in ids


# ---------------------------------------------------------------------------------------------
# the workbook


def test_workbook_sheets_totals_and_print_setup(done):
    _, out, _ = done
    wb = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")
    names = wb.sheetnames
    assert names[:6] == ["说明", "汇总", "待核实", "无法识别", "发放明细", names[5]]
    schools = {"清源县第二初级中学", "清源县城关第一小学", "清源县城关幼儿园", "清源县第一中学", "清源县第二中学",
               "清源县石门中学", "清源县职业技术学校"}
    assert set(names[5:]) == schools
    total_csv = sum(D(r["amount"]) for r in read_csv(out / "payout.csv"))
    assert total_csv == sum(a for items in EXPECTED.values() for a in items.values()) == D("9637.50")

    # per-school sheets: one row per student, totals add up to payout.csv to the fen
    total_sheets = D(0)
    for name in schools:
        ws = wb[name]
        assert ws["A1"].value == f"{name} 2020年秋季学期 学生资助发放花名册"
        assert [c.value for c in ws[2]] == ["序号", "姓名", "身份证号", "年级", "班级", "就读方式", "资助项目", "金额",
                                            "领取人签字"]
        assert ws.print_title_rows == "$2:$2"
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == "9"
        assert "学生资助发放花名册" in ws.oddHeader.center.text
        data = []
        for row in ws.iter_rows(min_row=3):
            if row[0].value == "合计":
                assert row[7].value.startswith("=SUBTOTAL(109,H3:")
                break
            data.append(row)
        for row in data:
            cell = row[2]
            assert cell.data_type == "s" and cell.number_format == "@"     # IDs are text
            assert row[8].value is None                                   # signature column empty
            total_sheets += D(str(row[7].value)).quantize(D("0.01"))
        ids = [r[2].value for r in data]
        assert len(ids) == len(set(ids))
    assert total_sheets == total_csv

    # the high-school student gets one row with both items
    rows = {r[1].value: r for r in wb["清源县第一中学"].iter_rows(min_row=3)}
    assert D(str(rows["赵一"][7].value)) == D("2350")
    assert "普通高中国家助学金" in rows["赵一"][6].value and "普通高中免学杂费" in rows["赵一"][6].value

    # 汇总: grand total equals payout.csv
    ws = wb["汇总"]
    header = [c.value for c in ws[2]]
    last = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "合计")
    body = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] not in ("合计", None)]
    col = header.index("合计金额")
    assert sum(D(str(r[col])) for r in body) == total_csv
    assert str(last[col]).startswith("=SUBTOTAL")
    assert sum(r[header.index("合计人数")] for r in body) == len(EXPECTED)

    # 发放明细 holds every payout.csv row
    ws = wb["发放明细"]
    detail = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] != "合计"]
    assert len(detail) == len(read_csv(out / "payout.csv"))

    # 说明: the inputs with their SHA-256
    text = [c for r in wb["说明"].iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert any(len(c) == 64 and all(ch in "0123456789abcdef" for ch in c) for c in text)
    assert "建档立卡.xlsx" in text


def test_pending_sheet(done):
    _, out, text = done
    ws = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")["待核实"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["类别"], []).append(r)
    amount = {(key_of(r["身份证号"]), {"普通高中免学杂费": "HS_TUITION",
                                       "义务教育家庭经济困难学生生活补助（初中）": "LIVING_JUNIOR"}[r["资助项目"]])
              for r in by_kind["金额待定"]}
    assert amount == PENDING_AMOUNT
    assert {key_of(r["身份证号"]) for r in by_kind["学段年级不明"]} == PENDING_STAGE
    (twin,) = by_kind["身份待核实"]
    assert twin["姓名"] == "张伟" and twin["身份证号"] == TWIN_BAD_ID
    assert ident("twin1") in twin["候选人"] and ident("twin2") in twin["候选人"]
    assert "小学.xlsx" in twin["来源行"]
    # the terminal says how many
    assert "待核实 4 条" in text


def test_run_json_accounts_for_every_row(done):
    _, out, _ = done
    run_json = json.loads((out / "run.json").read_text("utf-8"))
    assert run_json["command"] == "payout"
    acc = run_json["accounting"]
    assert acc["ok"] is True
    assert acc["totals"]["read"] == len(P) + 16 + 7       # registry rows + roster rows + schools rows
    roles = {i["role"] for i in run_json["inputs"]}
    assert {"registry", "roster", "schools"} <= roles
    assert all(len(i["sha256"]) == 64 for i in run_json["inputs"])
    assert run_json["extra"]["counts"]["paid_total"] == "9637.50"
    assert {o["file"] for o in run_json["outputs"]} >= {"payout.csv", "发放花名册_2020秋.xlsx"}


def test_mask_ids_in_workbook_not_in_csv(world, tmp_path):
    out = tmp_path / "masked"
    text = payout(world, out, "--mask-ids")
    wb = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")
    ids = [r[2].value for r in wb["清源县第二初级中学"].iter_rows(min_row=3) if isinstance(r[0].value, int)]
    assert ids and all(i[6:14] == "********" for i in ids)
    cands = [r[10] for r in wb["待核实"].iter_rows(min_row=3, values_only=True) if r[0] == "身份待核实"]
    assert ident("twin1") not in cands[0] and "********" in cands[0]
    assert {r["id_number"] for r in read_csv(out / "payout.csv")} >= {ident("j_board")}
    assert ident("j_board") not in text


# ---------------------------------------------------------------------------------------------
# --previous


def previous_csv(files) -> Path:
    gone = "341021200905050017"
    rows = [["id_number", "name", "school", "stage", "grade", "item", "semester", "amount"],
            [ident("j_board"), "张三", "清源县第二初级中学", "初中", "7", "LIVING_JUNIOR", "2020春", "312.50"],
            [ident("j_day"), "张小妹", "清源县城关第一小学", "小学", "6", "LIVING_PRIMARY", "2020春", "250.00"],
            [ident("p_day"), "李明", "清源县城关第一小学", "小学", "2", "LIVING_PRIMARY", "2020春", "250.00"],
            [ident("inactive"), "郑休", "清源县城关第一小学", "小学", "1", "LIVING_PRIMARY", "2020春", "250.00"],
            [ident("inelig"), "吴停", "清源县第二初级中学", "小学", "6", "LIVING_PRIMARY", "2020春", "250.00"],
            [ident("away"), "冯外", "清源县城关第一小学", "小学", "6", "LIVING_PRIMARY", "2020春", "500.00"],
            [ident("v3"), "孙三", "清源县职业技术学校", "中职", "2", "VOC_GRANT", "2020春", "1500.00"],
            [ident("h_plain"), "钱三", "清源县石门中学", "高中", "2", "HS_GRANT", "2020春", "1500.00"],
            [gone, "何走", "清源县第一中学", "高中", "3", "HS_GRANT", "2020春", "1500.00"]]
    return files.csv("上学期/payout.csv", rows)


def test_previous_payout_changes(world, files, tmp_path):
    prev = previous_csv(files)
    out = tmp_path / "发放"
    text = payout(world, out, "--previous", prev)
    ws = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")["变动"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]
    kinds: dict[str, dict[str, dict]] = {}
    for r in rows:
        k = key_of(r["身份证号"]) if r["身份证号"] != "341021200905050017" else "gone"
        kinds.setdefault(r["变动类型"], {})[k] = r
    assert set(kinds["新增"]) == {"p_board", "k", "h_prov", "h_city", "v1"}
    assert set(kinds["停发"]) == {"inactive", "inelig", "away", "v3", "gone"}
    assert kinds["停发"]["inactive"]["原因"].startswith("学籍状态非在读")
    assert "休学" in kinds["停发"]["inactive"]["原因"]
    assert kinds["停发"]["inelig"]["原因"].startswith("不再享受政策")
    assert kinds["停发"]["away"]["原因"].startswith("不在名册")
    assert kinds["停发"]["v3"]["原因"].startswith("不在资助学段")
    assert kinds["停发"]["gone"]["原因"].startswith("不再享受政策")
    assert set(kinds["金额变化"]) == {"j_board", "j_day"}
    jb = kinds["金额变化"]["j_board"]
    assert (D(str(jb["上期金额"])), D(str(jb["本期金额"])), D(str(jb["差额"]))) == (D("312.5"), D("625"), D("312.5"))
    assert "住校" in jb["原因"]
    assert "小学→初中" in kinds["金额变化"]["j_day"]["原因"]
    # unchanged people (p_day; h_plain keeps HS_GRANT, its tuition was never paid) are not listed
    assert "p_day" not in kinds.get("金额变化", {}) and "h_plain" not in kinds.get("金额变化", {})
    assert "与上期（2020春）相比" in text
    run_json = json.loads((out / "run.json").read_text("utf-8"))
    assert run_json["accounting"]["ok"]
    assert any(i["role"] == "previous_payout" for i in run_json["inputs"])


def test_previous_as_workbook(world, tmp_path):
    first = tmp_path / "上期"
    payout(world, first)
    out = tmp_path / "本期"
    payout(world, out, "--previous", first / "发放花名册_2020秋.xlsx")
    ws = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")["变动"]
    assert [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]] == []
    warnings = json.loads((out / "run.json").read_text("utf-8"))["warnings"]
    assert any("与本学期相同" in w for w in warnings)


def test_previous_masked_workbook_is_refused(world, tmp_path):
    first = tmp_path / "上期"
    payout(world, first, "--mask-ids")
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--semester", SEM,
                     "--previous", first / "发放花名册_2020秋.xlsx", "-o", tmp_path / "本期")
    assert code == 2
    assert "隐藏" in text and "payout.csv" in text


# ---------------------------------------------------------------------------------------------
# errors and options


def test_out_dir_rules_and_force(done):
    world, out, _ = done
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--semester", SEM, "-o", out)
    assert code == 2 and "--force" in text
    code, _ = run("payout", "--registry", world.registry, "--roster", world.rosters, "--semester", SEM, "-o", out,
                  "--force")
    assert code == 0


def test_bad_semester_is_a_clear_error(world, tmp_path):
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--semester", "秋天",
                     "-o", tmp_path / "x")
    assert code == 2 and "学期" in text and "Traceback" not in text


def test_without_schools_list_high_school_tuition_is_pending(world, tmp_path):
    out = tmp_path / "无学校名单"
    code, text = run("payout", "--registry", world.registry, "--roster", world.rosters, "--semester", SEM, "-o", out)
    assert code == 0, text
    items = {(key_of(r["id_number"]), r["item"]) for r in read_csv(out / "payout.csv")}
    assert ("h_prov", "HS_GRANT") in items and ("h_prov", "HS_TUITION") not in items
    ws = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")["待核实"]
    reasons = [r[9] for r in ws.iter_rows(min_row=3, values_only=True) if r[7] == "普通高中免学杂费"]
    assert len(reasons) == 3 and all("--schools" in r or "学校等级" in r for r in reasons)


def test_help_is_chinese_with_example():
    for cmd in ("payout", "summary", "notify"):
        code, text = run(cmd, "--help")
        assert code == 0 and "示例" in text


# ---------------------------------------------------------------------------------------------
# the generator's ground truth (sample_data/ + tests/data/sample_truth/, made by `make sample`)

ROOT = Path(__file__).resolve().parents[1]
TRUTH = Path(os.environ.get("FUPIN_SAMPLE_TRUTH", ROOT / "tests" / "data" / "sample_truth"))


@pytest.mark.skipif(not (TRUTH / "truth_payout.csv").is_file() or not (TRUTH / "scenario.json").is_file(),
                    reason="sample truth not generated (make sample)")
def test_sample_payout_matches_truth(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    scenario = json.loads((TRUTH / "scenario.json").read_text("utf-8"))
    args = shlex.split(scenario["commands"]["payout"].replace("OUT/payout", str(tmp_path / "payout")))
    assert args[0] == "fupin"
    code, text = run(*args[1:])
    assert code == 0, text
    got = {(r["id_number"], r["item"]): r for r in read_csv(tmp_path / "payout" / "payout.csv")}
    want = {(r["id_number"], r["item"]): r for r in read_csv(TRUTH / "truth_payout.csv")}
    assert sorted(set(want) - set(got)) == [], "missing person × item"
    assert sorted(set(got) - set(want)) == [], "unexpected person × item"
    diffs = [(k, f, got[k][f], want[k][f]) for k in want
             for f in ("name", "school", "stage", "grade", "semester", "amount") if got[k][f] != want[k][f]]
    assert diffs == []
    expected = scenario["expected_payout"]
    assert len(got) == expected["rows"]
    assert len({k[0] for k in got}) == expected["persons"]
    assert f"{sum(D(r['amount']) for r in got.values()):.2f}" == expected["amount"]
    assert json.loads((tmp_path / "payout" / "run.json").read_text("utf-8"))["accounting"]["ok"]


def test_nobody_to_pay_still_writes_every_output(files, tmp_path):
    from payout_world import HEADER_ROSTER, registry_rows

    registry = files.xlsx("in/建档立卡.xlsx", registry_rows())
    roster = files.xlsx("in/名册.xlsx", [HEADER_ROSTER, ["清源县第二初级中学", "刘低保", OUTSIDER_ID, "八年级", "2班",
                                                        "走读", "在读"]])
    out = tmp_path / "发放"
    code, text = run("payout", "--registry", registry, "--roster", roster, "--semester", SEM, "-o", out)
    assert code == 0, text
    assert read_csv(out / "payout.csv") == []
    wb = openpyxl.load_workbook(out / "发放花名册_2020秋.xlsx")
    assert wb.sheetnames == ["说明", "汇总", "待核实", "无法识别", "发放明细"]
    assert json.loads((out / "run.json").read_text("utf-8"))["accounting"]["ok"]
