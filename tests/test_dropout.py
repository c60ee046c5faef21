"""dropout-check end to end on a tiny county written as real .xlsx files; every category asserted."""

from __future__ import annotations

import csv
import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.dropout.engine import default_school_year, expected_grade, in_school_says_enrolled
from jiaoyu_fupin.normalize.ids import check_char

REGION = "341021"
_seq = iter(range(101, 999, 2))


def mk(birth: str, seq: str | None = None) -> str:
    body = REGION + birth + (seq or f"{next(_seq):03d}")
    return body + check_char(body)


def typo(i: str) -> str:
    """One digit of the sequence changed (the checksum then fails)."""
    return i[:15] + str((int(i[15]) + 1) % 10) + i[16:]


# school year 2019: window 2003-09-01 … 2013-08-31, age on 2019-08-31
P = {
    "张父": mk("19800101"),   # head of household, outside the window
    "张大": mk("20080301"),   # 在读 (code 01) in 城关小学 → ENROLLED
    "张双甲": mk("20120505"),  # twins, both enrolled
    "张双乙": mk("20120505"),
    "李休": mk("20070601"),   # roster status 02 → DROPPED_OUT (休学)
    "李转": mk("20060202"),   # roster status 10 → DROPPED_OUT (转学)
    "李幼": mk("20140101"),   # 5 years old → outside the window
    "王典": mk("20101010"),   # roster ID has a typo, same name → ENROLLED (id_typo)
    "王学": mk("20111111"),   # roster has only a G 学籍号 → ENROLLED (xueji_no)
    "王老": mk("20030831"),   # one day too old → no row
    "王边": mk("20030901"),   # first day of the window, registry 普通高中一年级, nowhere → OUT_OF_AREA_UNVERIFIED
    "王末": mk("20130831"),   # last day of the window, 学龄前儿童, nowhere → NOT_ENROLLED
    "王晚": mk("20130901"),   # one day too young → no row
    "赵送": mk("20090101"),   # 送教上门 list → HOME_EDUCATION
    "赵外": mk("20080808"),   # 外地就读证明 → ENROLLED_ELSEWHERE
    "赵辍": mk("20070707"),   # previous roster 在读, gone now → DROPPED_OUT
    "赵失": mk("20100505"),   # blank 在校生状况, nowhere → NOT_ENROLLED
    "赵前": mk("20121212"),   # 学前教育 at 6, nowhere → OUT_OF_AREA_UNVERIFIED
    "赵高": mk("20040404"),   # 15, 高一 在读 in 县一中 → ENROLLED
    "赵亡": mk("20090909"),   # roster status 死亡 → DROPPED_OUT (死亡)
    "孙疑": mk("20110303"),   # registry 小学; roster row with a broken ID and a different name → review
}
OUTSIDER = mk("20090505")   # 吴外: in a roster, not in the registry
OUTSIDE_WINDOW = {"张父", "李幼", "王老", "王晚"}
EXPECTED = {
    "张大": "ENROLLED", "张双甲": "ENROLLED", "张双乙": "ENROLLED", "李休": "DROPPED_OUT", "李转": "DROPPED_OUT",
    "王典": "ENROLLED", "王学": "ENROLLED", "王边": "OUT_OF_AREA_UNVERIFIED", "王末": "NOT_ENROLLED",
    "赵送": "HOME_EDUCATION", "赵外": "ENROLLED_ELSEWHERE", "赵辍": "DROPPED_OUT", "赵失": "NOT_ENROLLED",
    "赵前": "OUT_OF_AREA_UNVERIFIED", "赵高": "ENROLLED", "赵亡": "DROPPED_OUT", "孙疑": "OUT_OF_AREA_UNVERIFIED",
}
VILLAGE = {"张": ("城关镇", "东村"), "李": ("城关镇", "东村"), "王": ("城关镇", "西村"), "赵": ("河口乡", "北村"),
           "孙": ("河口乡", "南村")}
HOUSEHOLD = {"张": "1001", "李": "1002", "王": "1003", "赵": "2001", "孙": "2002"}
IN_SCHOOL = {"张大": "六年级", "张双甲": "小学", "张双乙": "小学", "李休": "七年级", "李转": "八年级",
             "李幼": "学龄前儿童", "王典": "小学", "王学": "小学", "王边": "普通高中一年级", "王末": "学龄前儿童",
             "王晚": "学龄前儿童", "赵送": "", "赵外": "五年级", "赵辍": "七年级", "赵失": "", "赵前": "学前教育",
             "赵高": "普通高中一年级", "赵亡": "四年级", "孙疑": "小学"}
HEADERS = ["学校名称", "姓名", "身份证件号", "全国学籍号", "年级", "班级", "学籍状态"]


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
    for sub in ("名册", "上学期"):
        (d / sub).mkdir(parents=True)
    reg = [["乡镇", "行政村", "户编号", "人编号", "姓名", "性别", "证件号码", "与户主关系", "在校生状况", "脱贫属性"]]
    for n, (name, i) in enumerate(P.items(), 1):
        fam = name[0]
        rel = "户主" if name == "张父" else "之子"
        sex = "男" if int(i[16]) % 2 else "女"
        reg.append([*VILLAGE[fam], HOUSEHOLD[fam], str(n), name, sex, i, rel, IN_SCHOOL.get(name, ""),
                    "已脱贫（享受政策）"])
    reg.append(["河口乡", "北村", "2001", "99", "赵无号", "男", "", "之子", "", "已脱贫（享受政策）"])  # rejected
    write(d / "建档立卡.xlsx", reg, title="XX县建档立卡贫困人口信息表")
    sun_bad = typo(P["孙疑"])
    write(d / "名册" / "城关小学.xlsx", [HEADERS,
        ["城关小学", "张大", P["张大"], "G" + P["张大"], "六年级", "1班", "01"],
        ["城关小学", "张双甲", P["张双甲"], "", "二年级", "1班", "在读"],
        ["城关小学", "张双乙", P["张双乙"], "", "二年级", "1班", "在读"],
        ["城关小学", "王典", typo(P["王典"]), "", "四年级", "2班", "在读"],
        ["城关小学", "王学", "", "G" + P["王学"], "三年级", "2班", "在读"],
        ["城关小学", "赵亡", P["赵亡"], "", "四年级", "3班", "死亡"],
        ["城关小学", "孙宏", sun_bad, "", "三年级", "3班", "在读"],
    ])
    write(d / "名册" / "城关初中.xlsx", [HEADERS,
        ["城关初中", "李休", P["李休"], "", "七年级", "1班", "02"],
        ["城关初中", "李转", P["李转"], "", "八年级", "1班", "10"],
        ["城关初中", "吴外", OUTSIDER, "", "八年级", "2班", "在读"],
    ])
    write(d / "名册" / "县一中.xlsx", [HEADERS, ["县一中", "赵高", P["赵高"], "", "高一", "1班", "在读"]])
    write(d / "上学期" / "城关初中.xlsx", [HEADERS,
        ["城关初中", "赵辍", P["赵辍"], "", "七年级", "1班", "在读"],
        ["城关初中", "李休", P["李休"], "", "七年级", "1班", "在读"],
    ])
    write(d / "送教上门.xlsx", [["姓名", "身份证号", "送教学校", "年级"],
                               ["赵送", P["赵送"], "河口小学", "四年级"],
                               ["钱外", mk("20100101"), "河口小学", "三年级"]])
    write(d / "外地就读.xlsx", [["姓名", "身份证号", "就读学校", "年级"],
                               ["赵外", P["赵外"], "杭州市某小学", "五年级"]])
    return d


def run(county, out, *extra, year="2019"):
    d = county
    args = ["-q", "dropout-check", "--registry", str(d / "建档立卡.xlsx"), "--roster", str(d / "名册"),
            "--previous-roster", str(d / "上学期"), "--home-education", str(d / "送教上门.xlsx"),
            "--elsewhere", str(d / "外地就读.xlsx"), "-o", str(out), *extra]
    if year is not None:
        args += ["--school-year", year]
    return CliRunner().invoke(main, args)


def findings(out):
    with open(out / "findings.csv", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture()
def done(county, tmp_path):
    out = tmp_path / "out"
    res = run(county, out, "--split-by", "village")
    assert res.exit_code == 0, res.output
    return out


def test_every_category_per_person(done):
    rows = findings(done)
    assert list(rows[0].keys()) == ["category", "id_number", "name", "item", "semester", "school", "township",
                                    "village", "expected_amount", "paid_amount", "reason", "confidence", "sources"]
    got = {}
    for f in rows:
        assert f["id_number"] not in got, f"two rows for {f['name']}"
        got[f["id_number"]] = f["category"]
    assert got == {P[n]: c for n, c in EXPECTED.items()}
    assert not any(P[n] in got for n in OUTSIDE_WINDOW)
    assert OUTSIDER not in got
    assert all(f["item"] == "" and f["semester"] == "2019-2020学年" for f in rows)
    assert all(f["expected_amount"] == "" and f["paid_amount"] == "" for f in rows)


def test_reasons_and_sources(done):
    by = {f["name"]: f for f in findings(done)}
    assert "休学" in by["李休"]["reason"] and by["李休"]["school"] == "城关初中"
    assert "转学" in by["李转"]["reason"]
    assert "死亡" in by["赵亡"]["reason"] and "更新建档立卡信息" in by["赵亡"]["reason"]
    assert "上学期名册中在读" in by["赵辍"]["reason"] and "城关初中.xlsx:Sheet:2" in by["赵辍"]["sources"]
    assert "学龄前儿童" in by["王末"]["reason"]
    assert "未填写在校生状况" in by["赵失"]["reason"]
    assert "普通高中一年级" in by["王边"]["reason"]
    assert "学前教育" in by["赵前"]["reason"] and "应已入小学" in by["赵前"]["reason"]
    assert "送教上门" in by["赵送"]["reason"] and by["赵送"]["school"] == "河口小学"
    assert "外地就读证明" in by["赵外"]["reason"] and by["赵外"]["school"] == "杭州市某小学"
    # the typo'd roster ID: enrolled, and the mismatch is named
    assert "不一致" in by["王典"]["reason"]
    assert float(by["王典"]["confidence"]) == pytest.approx(0.9)
    assert "城关小学.xlsx" in by["王学"]["sources"]
    # the unattributed roster row is named in the reason of the child it might be
    assert "有待核对的疑似记录：城关小学.xlsx:Sheet:8" in by["孙疑"]["reason"]
    assert "城关小学.xlsx:Sheet:8" in by["孙疑"]["sources"]
    assert float(by["孙疑"]["confidence"]) == pytest.approx(0.5)
    # sources start with the registry row (title row + header → data from row 3)
    assert by["张大"]["sources"].split(";")[0] == "建档立卡.xlsx:Sheet:4"
    assert "城关小学.xlsx:Sheet:2" in by["张大"]["sources"]


def test_links_run_json_accounting(done):
    with open(done / "links.csv", encoding="utf-8-sig") as fh:
        links = list(csv.DictReader(fh))
    by = {(r["file"], r["row"]): r for r in links}
    assert by[("城关小学.xlsx", "5")]["method"] == "id_typo"
    assert by[("城关小学.xlsx", "6")]["method"] == "xueji_no"
    assert by[("城关初中.xlsx", "4")]["registry_id"] == ""
    assert {r["source"] for r in links} == {"roster", "previous_roster", "home_education", "elsewhere"}
    run_json = json.loads((done / "run.json").read_text(encoding="utf-8"))
    assert run_json["command"] == "dropout-check"
    acc = run_json["accounting"]
    assert acc["ok"] is True
    assert acc["totals"]["read"] == (len(P) + 1) + 7 + 3 + 1 + 2 + 2 + 1
    assert run_json["extra"]["window"] == ["2003-09-01", "2013-08-31"]
    assert run_json["extra"]["counts"]["DROPPED_OUT"] == 4
    assert sum(run_json["extra"]["counts"].values()) == len(EXPECTED)
    assert run_json["extra"]["children"]["in_window"] == len(EXPECTED)
    assert any(o["file"] == "城关镇_东村.xlsx" for o in run_json["outputs"])


def _table(ws, header_row=2):
    header = [c.value for c in ws[header_row]]
    rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=header_row + 1)]
    return header, rows


def test_workbook(done):
    wb = openpyxl.load_workbook(done / "控辍保学排查台账_2019-2020学年.xlsx", data_only=True)
    names = wb.sheetnames
    assert names[0] == "说明"
    for n in ("汇总", "疑似辍学", "未入学", "外出未核实", "城关镇", "河口乡", "待核对记录", "无法识别"):
        assert n in names
    header, rows = _table(wb["城关镇"])
    assert header[:16] == ["乡镇", "村", "户编号", "户主姓名", "姓名", "性别", "身份证号", "出生日期", "年龄", "应在年级",
                           "就读学校", "年级", "学籍状态", "核查结果", "核查依据", "劝返/处理情况"]
    assert "匹配依据" in header
    assert len(rows) == sum(1 for n in EXPECTED if VILLAGE[n[0]][0] == "城关镇")
    # action lists first
    cats = [r["核查结果"] for r in rows]
    assert cats[:2] == ["疑似辍学", "疑似辍学"]
    assert cats.index("在校就读") > cats.index("外出未核实") > cats.index("未入学（失学）")
    by = {r["姓名"]: r for r in rows}
    assert by["王末"]["年龄"] == 6 and by["王末"]["应在年级"] == "一年级"
    assert by["王边"]["年龄"] == 15
    assert by["王末"]["出生日期"].date() == dt.date(2013, 8, 31)
    assert by["李休"]["学籍状态"] == "休学" and by["李休"]["核查结果"] == "疑似辍学"
    assert by["张大"]["户主姓名"] == "张父" and by["张大"]["就读学校"] == "城关小学"
    assert by["张大"]["劝返/处理情况"] is None
    idc = wb["城关镇"].cell(row=3, column=7)
    assert idc.data_type == "s" and len(idc.value) == 18
    # the action list across townships
    _, dropped = _table(wb["疑似辍学"])
    assert sorted(r["姓名"] for r in dropped if r["姓名"]) == sorted(n for n, c in EXPECTED.items()
                                                                   if c == "DROPPED_OUT")
    # summary adds up and shows the rate
    header, rows = _table(wb["汇总"])
    data = [r for r in rows if r["乡镇"] != "合计"]
    total = next(r for r in rows if r["乡镇"] == "合计")
    assert total["适龄儿童"] == len(EXPECTED)
    assert sum(r["适龄儿童"] for r in data) == len(EXPECTED)
    dongcun = next(r for r in data if r["村"] == "东村")
    assert dongcun["适龄儿童"] == 5 and dongcun["疑似辍学"] == 2 and dongcun["在校就读"] == 3
    assert dongcun["入学率"] == pytest.approx(0.6)
    assert total["入学率"] == pytest.approx(round(8 / 17, 4))
    # rejected registry row and review records are listed
    _, rej = _table(wb["无法识别"])
    assert any("缺少证件号" in (r["原因"] or "") for r in rej)
    _, rev = _table(wb["待核对记录"])
    assert any(r["姓名"] == "孙宏" and "孙疑" in (r["建档立卡库中的候选人"] or "") for r in rev)


def test_split_by_village_adds_up(done):
    files = sorted(p.name for p in (done / "村").iterdir())
    assert files == ["城关镇_东村.xlsx", "城关镇_西村.xlsx", "河口乡_北村.xlsx", "河口乡_南村.xlsx"]
    main_rows = findings(done)
    per_cat: dict[str, int] = {}
    total = 0
    for f in files:
        wb = openpyxl.load_workbook(done / "村" / f, data_only=True)
        assert wb.sheetnames[0] == "说明"
        _, rows = _table(wb["汇总"])
        for r in rows:
            if r["代码"]:
                per_cat[r["代码"]] = per_cat.get(r["代码"], 0) + r["人数"]
        n = next(r["人数"] for r in rows if r["核查结果"] == "适龄儿童合计")
        _, kids = _table(wb["排查名单"])
        assert len(kids) == n
        town, village = f[:-5].split("_")
        assert all(k["乡镇"] == town and k["村"] == village for k in kids)
        total += n
    assert total == len(main_rows)
    expected: dict[str, int] = {}
    for f in main_rows:
        expected[f["category"]] = expected.get(f["category"], 0) + 1
    assert {k: v for k, v in per_cat.items() if v} == expected
    wb = openpyxl.load_workbook(done / "控辍保学排查台账_2019-2020学年.xlsx", data_only=True)
    _, rows = _table(wb["汇总"])
    total_row = next(r for r in rows if r["乡镇"] == "合计")
    assert total_row["适龄儿童"] == total


def test_mask_ids_in_workbooks_not_in_findings(county, tmp_path):
    out = tmp_path / "out"
    res = run(county, out, "--mask-ids", "--split-by", "village")
    assert res.exit_code == 0, res.output
    for path in [out / "控辍保学排查台账_2019-2020学年.xlsx", *sorted((out / "村").iterdir())]:
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str):
                        assert not any(i in v for i in P.values()), (path.name, ws.title, v)
    wb = openpyxl.load_workbook(out / "控辍保学排查台账_2019-2020学年.xlsx", data_only=True)
    assert "********" in wb["城关镇"].cell(row=3, column=7).value
    assert {f["id_number"] for f in findings(out)} == {P[n] for n in EXPECTED}
    assert not any(i in res.output for i in P.values())


def test_missing_registry_is_a_chinese_error(county, tmp_path):
    res = CliRunner().invoke(main, ["dropout-check", "--registry", str(county / "没有.xlsx"), "--roster",
                                    str(county / "名册"), "--school-year", "2019", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "没有.xlsx" in res.output and "找不到" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_bad_school_year(county, tmp_path):
    res = run(county, tmp_path / "o", year="明年")
    assert res.exit_code == 2
    assert "学年" in res.output


def test_other_year_moves_the_window(county, tmp_path):
    out = tmp_path / "out"
    assert run(county, out, year="2020-2021").exit_code == 0
    got = {f["name"] for f in findings(out)}
    assert "王晚" in got            # 6 on 2020-08-31
    assert "王边" not in got        # 16 on 2020-08-31
    assert all(f["semester"] == "2020-2021学年" for f in findings(out))
    assert (out / "控辍保学排查台账_2020-2021学年.xlsx").exists()


def test_previous_run_needs_force(done, county):
    res = run(county, done)
    assert res.exit_code == 2 and "--force" in res.output
    res = run(county, done, "--force")
    assert res.exit_code == 0, res.output
    assert not (done / "村" / "城关镇_东村.xlsx").exists()     # previous split files removed


def test_helpers():
    assert default_school_year(dt.date(2019, 9, 1)) == 2019
    assert default_school_year(dt.date(2019, 12, 31)) == 2019
    assert default_school_year(dt.date(2020, 8, 31)) == 2019
    assert default_school_year(dt.date(2020, 1, 1)) == 2019
    assert [expected_grade(a) for a in (5, 6, 11, 12, 14)] == ["学前", "一年级", "六年级", "七年级", "九年级"]
    assert expected_grade(15).startswith("高一")
    for v in ("小学", "七年级", "学前教育", "普通高中一年级", "中职一年级"):
        assert in_school_says_enrolled(v), v
    for v in ("", "学龄前儿童", "  ", "失学", None):
        assert not in_school_says_enrolled(v), v


# ---- the synthetic county (samplegen) scored against its ground truth ---------------------------

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """sample_data/ and its truth when committed; otherwise generated afresh (same seed)."""
    data, truth = REPO / "sample_data", REPO / "tests" / "data" / "sample_truth"
    if (data / "registry").is_dir() and (truth / "truth_dropout.csv").is_file():
        return data, truth
    gen = pytest.importorskip("jiaoyu_fupin.samplegen")
    if not hasattr(gen, "generate_small"):
        pytest.skip("sample generator not available")
    root = tmp_path_factory.mktemp("sample")
    gen.generate_small(root / "data", truth=root / "truth")
    return root / "data", root / "truth"


def test_sample_county_against_truth(sample, tmp_path):
    data, truth_dir = sample
    scenario = json.loads((truth_dir / "scenario.json").read_text(encoding="utf-8"))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [
        "-q", "dropout-check", "--registry", str(data / "registry"), "--roster", str(data / "rosters"),
        "--previous-roster", str(data / "previous_rosters"), "--home-education", str(data / "home_education.xlsx"),
        "--elsewhere", str(data / "elsewhere.xlsx"), "--school-year", str(scenario["school_year"]),
        "--split-by", "village", "-o", str(out)])
    assert res.exit_code == 0, res.output
    with open(truth_dir / "truth_dropout.csv", encoding="utf-8-sig") as fh:
        truth = {r["id_number"]: r["category"] for r in csv.DictReader(fh)}
    rows = findings(out)
    got = {r["id_number"]: r["category"] for r in rows}
    assert len(got) == len(rows)                       # one row per child
    assert set(got) == set(truth)                      # exactly the children of the window
    for cat in set(truth.values()) | set(got.values()):
        t = {k for k, v in truth.items() if v == cat}
        g = {k for k, v in got.items() if v == cat}
        precision = len(t & g) / len(g) if g else 1.0
        recall = len(t & g) / len(t) if t else 1.0
        assert precision >= 0.99 and recall >= 0.99, (cat, precision, recall, sorted(t ^ g))
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_json["accounting"]["ok"] is True
    assert run_json["extra"]["window"] == scenario["dropout_window"]


def test_library_call_and_default_school_year(county, tmp_path, capsys):
    from jiaoyu_fupin.dropout.run import run_dropout

    out = tmp_path / "lib"
    calls = []
    output = run_dropout(registry=[county / "建档立卡.xlsx"], roster=[county / "名册"], out=out,
                         on_progress=lambda *a: calls.append(a))
    assert capsys.readouterr().out == ""                     # a library call never prints
    y = default_school_year()
    res = output.result
    assert res.school_year == y and res.window[0] == dt.date(y - 16, 9, 1) and res.window[1] == dt.date(y - 6, 8, 31)
    assert sum(res.counts.values()) == len(res.findings) == len(res.children)
    assert all(f.semester == f"{y}-{y + 1}学年" for f in res.findings)
    assert output.outputs[-1] == out / "run.json" and all(p.exists() for p in output.outputs)
    assert any(c[0] == "judge" for c in calls)
