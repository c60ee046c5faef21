"""reconcile end to end on a tiny county written as real files; every category asserted."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from click.testing import CliRunner

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.normalize.ids import check_char


def mk(body17: str) -> str:
    return body17 + check_char(body17)


A = mk("34102120080101123")   # 张三 初中 住校, paid day rate → UNDERPAID
B = mk("34102120080101145")   # 张四 初中 走读, paid twice → DUPLICATE; roster ID typo → DATA_MISMATCH
C = mk("34102120050505221")   # 李五 registry says 高一, in no roster → OUT_OF_AREA
D = mk("34102120120301331")   # 王六 小学, roster has only a G 学籍号, unpaid → UNPAID
E = mk("34102120060707111")   # 赵七 休学 but paid → NOT_ENROLLED
F = mk("34102120090909222")   # 钱八 ineligible status, paid as 建档立卡 → NOT_REGISTERED
G = mk("34102120070303333")   # 孙九 not in registry, paid as 建档立卡 → NOT_REGISTERED
H = mk("34102120100202444")   # 周十 小学 住校, paid only in the provincial ledger → LEDGER_MISMATCH
K = mk("34102120070707555")   # 吴一 not in registry, 低保, enrolled → legitimate, no finding


def write(path, rows, title=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)


@pytest.fixture()
def county(tmp_path):
    d = tmp_path / "in"
    (d / "名册").mkdir(parents=True)
    write(d / "建档立卡.xlsx", [
        ["乡镇", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "在校生状况", "脱贫属性"],
        ["城关镇", "东村", "1001", "1", "张三", A, "之子", "七年级", "已脱贫（享受政策）"],
        ["城关镇", "东村", "1002", "1", "张四", B, "之子", "七年级", "已脱贫（享受政策）"],
        ["城关镇", "西村", "1003", "1", "李五", C, "之女", "普通高中一年级", "未脱贫"],
        ["城关镇", "西村", "1004", "1", "王六", D, "之子", "小学", "未脱贫"],
        ["城关镇", "西村", "1005", "1", "赵七", E, "之子", "八年级", "已脱贫（享受政策）"],
        ["河口乡", "北村", "1006", "1", "钱八", F, "之子", "小学", "已脱贫（不再享受政策）"],
        ["河口乡", "北村", "1007", "1", "周十", H, "之子", "小学", "返贫"],
    ], title="XX县建档立卡贫困人口信息表")
    typo_b = B[:10] + str((int(B[10]) + 1) % 10) + B[11:]
    write(d / "名册" / "城关初中.xlsx", [
        ["学校名称", "姓名", "身份证件号", "全国学籍号", "年级", "班级", "就读方式", "学籍状态"],
        ["城关初中", "张三", A, "G" + A, "七年级", "1班", "住校", "在读"],
        ["城关初中", "张四", typo_b, "", "七年级", "1班", "走读", "01"],
        ["城关初中", "赵七", E, "", "八年级", "2班", "住校", "02"],
        ["城关初中", "孙九", G, "", "八年级", "2班", "走读", "在读"],
        ["城关初中", "吴一", K, "", "八年级", "2班", "走读", "在读"],
    ])
    write(d / "名册" / "城关小学.xlsx", [
        ["学校名称", "姓名", "身份证件号", "全国学籍号", "年级", "班级", "就读方式", "学籍状态"],
        ["城关小学", "王六", "", "G" + D, "三年级", "2班", "走读", "在读"],
        ["城关小学", "钱八", F, "", "五年级", "1班", "走读", "在读"],
        ["城关小学", "周十", H, "", "五年级", "1班", "住校", "在读"],
    ])
    item = "义务教育家庭经济困难学生生活补助"
    write(d / "全国.xlsx", [
        ["学校", "学生姓名", "身份证号", "资助项目", "金额", "学年", "学期", "家庭经济困难类型"],
        ["城关初中", "张三", A, item, "312.5", "2020-2021学年", "秋季学期", "建档立卡"],
        ["城关初中", "张四", B, item, "312.5", "2020-2021学年", "秋季学期", "建档立卡"],
        ["城关初中", "张四", B, item, "312.5", "2020-2021学年", "秋季学期", "建档立卡"],
        ["城关初中", "赵七", E, item, "625", "2020-2021学年", "秋季学期", "建档立卡"],
        ["城关小学", "钱八", F, item, "250", "2020-2021学年", "秋季学期", "建档立卡"],
        ["城关初中", "孙九", G, item, "312.5", "2020-2021学年", "秋季学期", "建档立卡"],
        ["城关初中", "吴一", K, item, "312.5", "2020-2021学年", "秋季学期", "农村低保"],
        ["城关初中", "张三", A, item, "625", "2019-2020学年", "春季学期", "建档立卡"],
    ])
    html = ["<html><head><meta charset='utf-8'></head><body><table>",
            "<tr><td>乡镇</td><td>村</td><td>姓名</td><td>身份证号</td><td>学校</td><td>资助项目</td><td>金额</td><td>学期</td></tr>"]
    for town, vil, name, i, school, amt in [
        ("城关镇", "东村", "张三", A, "城关初中", "312.5"), ("城关镇", "东村", "张四", B, "城关初中", "312.5"),
        ("城关镇", "西村", "赵七", E, "城关初中", "625"), ("河口乡", "北村", "周十", H, "城关小学", "500"),
            ("河口乡", "北村", "钱八", F, "城关小学", "250")]:
        html.append(f"<tr><td>{town}</td><td>{vil}</td><td>{name}</td><td>{i}</td><td>{school}</td>"
                    f"<td>{item}</td><td>{amt}</td><td>2020年秋季</td></tr>")
    html.append("</table></body></html>")
    (d / "省系统.xls").write_text("\n".join(html), encoding="utf-8")
    return d


def run(county, out, *extra):
    d = county
    res = CliRunner().invoke(main, ["-q", "reconcile", "--registry", str(d / "建档立卡.xlsx"),
                                    "--national", str(d / "全国.xlsx"), "--provincial", str(d / "省系统.xls"),
                                    "--roster", str(d / "名册"), "--semester", "2020秋", "-o", str(out), *extra])
    return res


def findings(out):
    with open(out / "findings.csv", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_every_category(county, tmp_path):
    out = tmp_path / "out"
    res = run(county, out)
    assert res.exit_code == 0, res.output
    got = {(f["category"], f["id_number"], f["item"]) for f in findings(out)}
    typo_b = B[:10] + str((int(B[10]) + 1) % 10) + B[11:]
    assert ("UNDERPAID", A, "LIVING_JUNIOR") in got
    assert ("DUPLICATE", B, "LIVING_JUNIOR") in got
    assert ("OVERPAID", B, "LIVING_JUNIOR") not in got        # explained by DUPLICATE
    assert ("LEDGER_MISMATCH", B, "LIVING_JUNIOR") not in got  # explained by DUPLICATE
    assert ("DATA_MISMATCH", B, "") in got
    assert ("OUT_OF_AREA", C, "") in got
    assert ("UNPAID", D, "LIVING_PRIMARY") in got
    assert ("NOT_ENROLLED", E, "LIVING_JUNIOR") in got
    assert not any(c in ("UNPAID", "UNDERPAID", "OVERPAID") and i == E for c, i, _ in got)
    assert ("NOT_REGISTERED", F, "LIVING_PRIMARY") in got
    assert ("NOT_REGISTERED", G, "LIVING_JUNIOR") in got
    assert ("LEDGER_MISMATCH", H, "LIVING_PRIMARY") in got
    assert ("UNPAID", H, "LIVING_PRIMARY") not in got          # provincial payment counts as paid
    assert not any(i == K for _, i, _ in got)                  # 低保 outside the registry is legitimate
    assert not any(i == typo_b for _, i, _ in got)
    rows = {(f["category"], f["id_number"]): f for f in findings(out)}
    assert rows[("UNDERPAID", A)]["expected_amount"] == "625.00"
    assert rows[("UNDERPAID", A)]["paid_amount"] == "312.50"
    assert rows[("DUPLICATE", B)]["sources"].count("全国.xlsx") == 2


def test_links_and_accounting(county, tmp_path):
    out = tmp_path / "out"
    assert run(county, out).exit_code == 0
    with open(out / "links.csv", encoding="utf-8-sig") as fh:
        links = list(csv.DictReader(fh))
    assert list(links[0].keys()) == ["source", "file", "sheet", "row", "raw_id", "raw_name", "registry_id",
                                     "method", "score"]
    by = {(r["file"], r["row"]): r for r in links}
    assert by[("城关小学.xlsx", "2")]["method"] == "xueji_no"
    assert by[("城关小学.xlsx", "2")]["registry_id"] == D
    assert by[("城关初中.xlsx", "3")]["method"] == "id_typo"
    assert by[("城关初中.xlsx", "5")]["registry_id"] == ""
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    acc = run_json["accounting"]
    assert acc["ok"] is True
    assert acc["totals"]["read"] == 7 + 5 + 3 + 8 + 5
    assert run_json["extra"]["semester"] == "2020秋"
    assert all(len(i["sha256"]) == 64 for i in run_json["inputs"])


def test_workbook(county, tmp_path):
    out = tmp_path / "out"
    assert run(county, out, "--mask-ids").exit_code == 0
    wb = openpyxl.load_workbook(out / "对账台账_2020秋.xlsx")
    assert wb.sheetnames[0] == "说明"
    for name in ("汇总", "应享未享", "少发", "重复享受", "待人工核对", "无法识别"):
        assert name in wb.sheetnames
    ws = wb["少发"]
    header = [c.value for c in ws[2]]
    assert "身份证号" in header and "匹配依据" in header
    idcell = ws.cell(row=3, column=header.index("身份证号") + 1)
    assert idcell.data_type == "s" and "********" in idcell.value
    assert ws.freeze_panes == "A3"
    # machine output keeps full IDs
    assert any(f["id_number"] == A for f in findings(out))
    # a DATA_MISMATCH row names the household, the grade and how the record was linked
    ws = wb["信息不一致"]
    header = [c.value for c in ws[2]]
    row = [c.value for c in ws[3]]
    assert row[header.index("户编号")] and row[header.index("年级")] == "七年级"
    assert row[header.index("匹配依据")] == "证件号差一位（录入错误）且姓名一致"


def test_missing_file_is_a_chinese_error(county, tmp_path):
    res = CliRunner().invoke(main, ["reconcile", "--registry", str(county / "没有.xlsx"), "--national",
                                    str(county / "全国.xlsx"), "--roster", str(county / "名册"),
                                    "--semester", "2020秋", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "没有.xlsx" in res.output
    assert "Traceback" not in res.output


def test_bad_semester(county, tmp_path):
    res = CliRunner().invoke(main, ["reconcile", "--registry", str(county / "建档立卡.xlsx"), "--national",
                                    str(county / "全国.xlsx"), "--roster", str(county / "名册"),
                                    "--semester", "明年", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "学期" in res.output


def test_unknown_item_stops_with_counts(county, tmp_path):
    wb = openpyxl.load_workbook(county / "全国.xlsx")
    ws = wb.active
    ws.append(["城关初中", "张三", A, "神秘补助", "100", "2020-2021学年", "秋季学期", "建档立卡"])
    wb.save(county / "全国.xlsx")
    res = run(county, tmp_path / "o")
    assert res.exit_code == 2
    assert "神秘补助" in res.output and "1 行" in res.output


def test_split_by_school(county, tmp_path):
    out = tmp_path / "out"
    assert run(county, out, "--split-by", "school").exit_code == 0
    files = sorted(p.name for p in (out / "按学校").iterdir())
    assert any(f.startswith("城关初中") for f in files)
    assert any(f.startswith("城关小学") for f in files)


def test_failed_run_leaves_no_output_folder(county, tmp_path):
    out = tmp_path / "never"
    wb = openpyxl.load_workbook(county / "全国.xlsx")
    wb.active.append(["城关初中", "张三", A, "神秘补助", "100", "2020-2021学年", "秋季学期", "建档立卡"])
    wb.save(county / "全国.xlsx")
    res = run(county, out)
    assert res.exit_code == 2
    assert not out.exists()
