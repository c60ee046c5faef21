"""Output folder rules, atomic writes, and run.json (hashes, accounting)."""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from jiaoyu_fupin.errors import UsageError
from jiaoyu_fupin.model import RowIssue, Table
from jiaoyu_fupin.report.outdir import (
    atomic_target,
    atomic_write_bytes,
    atomic_write_text,
    prepare_out_dir,
)
from jiaoyu_fupin.report.runinfo import (
    RunInfo,
    TableAccount,
    explanation,
    file_sha256,
    write_run_json,
)
from jiaoyu_fupin.report.xlsx import WorkbookWriter


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    (d / "rosters").mkdir(parents=True)
    (d / "registry.xlsx").write_bytes(b"registry")
    (d / "rosters" / "一中.xlsx").write_bytes(b"roster")
    return d


# -- prepare_out_dir -----------------------------------------------------------------------------


def test_creates_missing_folder(data):
    out = data / "结果" / "2020春"
    assert prepare_out_dir(out, [data / "registry.xlsx", data / "rosters"]) == out
    assert out.is_dir()


def test_refuses_folder_of_an_input_file(data):
    with pytest.raises(UsageError, match="所在的文件夹") as e:
        prepare_out_dir(data, [data / "registry.xlsx"])
    assert "registry.xlsx" in e.value.format_message()
    # the same folder spelled differently is still refused
    with pytest.raises(UsageError):
        prepare_out_dir(data / "rosters" / "..", [data / "registry.xlsx"])


def test_subfolder_of_an_input_files_folder_is_fine(data):
    prepare_out_dir(data / "结果", [data / "registry.xlsx"])


@pytest.mark.parametrize("sub", ["", "结果", "结果/深"])
def test_refuses_input_folder_and_inside_it(data, sub):
    out = data / "rosters" / sub if sub else data / "rosters"
    with pytest.raises(UsageError, match="输入文件夹") as e:
        prepare_out_dir(out, [data / "rosters"])
    assert "-o" in e.value.format_message()
    assert not (data / "rosters" / "结果").exists()


def test_input_folder_inside_out_is_fine(data):
    prepare_out_dir(data.parent / "out", [data])


def test_refuses_existing_file(data):
    with pytest.raises(UsageError, match="是一个已存在的文件"):
        prepare_out_dir(data / "registry.xlsx", [])


def test_refuses_previous_run_unless_force(data):
    out = data.parent / "out"
    out.mkdir()
    (out / "findings.csv").write_text("old", encoding="utf-8")
    (out / "对账台账.xlsx").write_text("old", encoding="utf-8")
    (out / "我的笔记.txt").write_text("keep", encoding="utf-8")
    (out / "run.json").write_text(json.dumps({"outputs": [
        {"file": "findings.csv"}, {"file": "对账台账.xlsx"}, {"file": "../data/registry.xlsx"}]}),
        encoding="utf-8")
    with pytest.raises(UsageError, match="--force"):
        prepare_out_dir(out, [data / "registry.xlsx"])
    assert (out / "findings.csv").exists()
    prepare_out_dir(out, [data / "registry.xlsx"], force=True)
    assert sorted(p.name for p in out.iterdir()) == ["我的笔记.txt"]
    assert (data / "registry.xlsx").exists()      # a run.json cannot point outside the folder


def test_unreadable_previous_run_json_with_force(data):
    out = data.parent / "out"
    out.mkdir()
    (out / "run.json").write_text("{not json", encoding="utf-8")
    prepare_out_dir(out, [], force=True)
    assert not (out / "run.json").exists()


# -- atomic writes -------------------------------------------------------------------------------


def test_atomic_write_text_and_bytes(tmp_path):
    p = tmp_path / "x.txt"
    atomic_write_text(p, "中文\n")
    assert p.read_bytes() == "中文\n".encode()
    atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [p]
    umask = os.umask(0)
    os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask      # usual permissions, not mkstemp's 0600


def test_atomic_target_cleans_up_on_error(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_target(p) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt
    assert p.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [p]


# -- run.json ------------------------------------------------------------------------------------


def _table(path, sheet="Sheet1", n_ok=5, skipped=1, rejected=2, source="roster") -> Table:
    df = pd.DataFrame({"id_number": ["x"] * n_ok, "_row": range(3, 3 + n_ok)})
    return Table(path=str(path), file=path.name, sheet=sheet, source=source, header_row=2,
                 columns={"id_number": "身份证号"}, df=df,
                 skipped=[RowIssue(path.name, sheet, 20 + i, "空行") for i in range(skipped)],
                 rejected=[RowIssue(path.name, sheet, 30 + i, "证件号无效" if i else "缺少姓名")
                           for i in range(rejected)])


def test_file_sha256_streams(tmp_path):
    p = tmp_path / "big.bin"
    blob = os.urandom(3 * 1024 * 1024 + 17)
    p.write_bytes(blob)
    assert file_sha256(p, chunk_size=65536) == hashlib.sha256(blob).hexdigest()


def test_accounting_adds_up(data):
    info = RunInfo("reconcile", ["reconcile", "--semester", "2020春"])
    acc = info.add_table(_table(data / "rosters" / "一中.xlsx"), role="roster")
    assert (acc.read, sum(acc.skipped.values()), sum(acc.rejected.values())) == (8, 1, 2)
    assert not acc.ok and not info.accounting_ok          # 5 records not yet placed
    info.account("一中.xlsx", "Sheet1", linked=3, unlinked_legitimate=1)
    assert not info.accounting_ok
    info.account("一中.xlsx", "Sheet1", unlinked_reported=1)
    assert acc.accounted == 8 and info.accounting_ok
    info.account("一中.xlsx", "Sheet1", linked=4)           # one too many
    assert not info.accounting_ok
    with pytest.raises(KeyError):
        info.account("other.xlsx", "Sheet1", linked=1)


def test_negative_bucket_is_not_ok():
    acc = TableAccount("a.xlsx", "S", "roster", read=2, linked=3, other={"x": -1})
    assert acc.accounted == 2 and not acc.ok


def test_run_json_content(data, tmp_path):
    info = RunInfo.start("reconcile", ["reconcile", "-o", "out"])
    reg = data / "registry.xlsx"
    info.add_table(_table(reg, n_ok=4, skipped=0, rejected=0, source="registry"))
    info.add_table(_table(reg, sheet="Sheet2", n_ok=1, skipped=0, rejected=0, source="registry"))
    info.add_input("policy", data / "registry.xlsx")       # same file, another role: hashed once
    info.account("registry.xlsx", "Sheet1", linked=4)
    info.account("registry.xlsx", "Sheet2", registry_persons=1)
    info.policy = {"items": {"LIVING_JUNIOR": {"boarding": Decimal(625), "day": Decimal("312.50")}},
                   "eligible": {"未脱贫", "返贫"}}
    info.warn("学校“某校”的收费档次为“普通”，政策中没有该档次的金额，未检查免学杂费。")
    info.warn("学校“某校”的收费档次为“普通”，政策中没有该档次的金额，未检查免学杂费。")
    info.extra["semester"] = "2020春"
    with info.stage("read", rows=5):
        pass
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.csv").write_text("a\n", encoding="utf-8")
    info.add_output(out / "findings.csv")
    write_run_json(out / "run.json", info)

    text = (out / "run.json").read_text(encoding="utf-8")
    assert "未脱贫" in text and "\\u" not in text              # ensure_ascii=False
    d = json.loads(text)
    assert d["command"] == "reconcile" and d["argv"] == ["reconcile", "-o", "out"]
    assert d["duration_seconds"] >= 0 and d["finished_at"]
    assert len(d["inputs"]) == 2
    first = d["inputs"][0]
    assert first["role"] == "registry" and first["file"] == "registry.xlsx"
    assert first["sha256"] == hashlib.sha256(b"registry").hexdigest() and first["size"] == 8
    assert [s["sheet"] for s in first["sheets"]] == ["Sheet1", "Sheet2"]
    assert first["rows_read"] == 5 and first["sheets"][0]["header_row"] == 2
    assert d["inputs"][1]["role"] == "policy" and d["inputs"][1]["sha256"] == first["sha256"]
    assert d["policy"]["items"]["LIVING_JUNIOR"]["day"] == "312.50"
    assert d["policy"]["eligible"] == ["未脱贫", "返贫"]
    acc = d["accounting"]
    assert acc["ok"] is True
    assert acc["totals"] == {"read": 5, "linked": 4, "unlinked_legitimate": 0, "registry_persons": 1,
                             "rejected": 0, "skipped": 0}
    assert [t["ok"] for t in acc["tables"]] == [True, True]
    assert d["outputs"] == [{"path": str(out / "findings.csv"), "file": "findings.csv", "size": 2,
                             "sha256": hashlib.sha256(b"a\n").hexdigest()}]
    assert len(d["warnings"]) == 1
    assert d["extra"] == {"semester": "2020春"}
    assert d["stages"][0]["name"] == "read" and d["stages"][0]["rows"] == 5


def test_accounting_from_plain_dicts():
    info = RunInfo("reconcile", [])
    info.accounting = {"ok": True, "tables": [
        {"role": "roster", "file": "a.xlsx", "sheet": "S", "read": 10, "linked": 6,
         "unlinked_legitimate": 1, "needs_review": 1, "invalid_id": 1, "skipped": {"空行": 1},
         "rejected": {}, "accounted": 999, "ok": True, "header_row": 3},
        {"role": "schools", "file": "s.xlsx", "sheet": "S", "read": 3, "used": 2, "skipped": {},
         "rejected": {}},
    ]}
    a, s = info.accounting
    assert a.other == {"needs_review": 1, "invalid_id": 1} and a.ok      # accounted recomputed
    assert not s.ok and not info.accounting_ok
    d = info.to_dict()["accounting"]
    assert d["ok"] is False and d["tables"][0]["accounted"] == 10


def test_explanation_sheet(data, tmp_path):
    info = RunInfo("reconcile", ["reconcile"])
    info.add_table(_table(data / "rosters" / "一中.xlsx"), role="roster")
    info.account("一中.xlsx", "Sheet1", linked=5)
    info.policy = {"active_statuses": ["在读", "在籍"]}
    info.warn("提示一")
    pairs, sections = explanation(info)
    assert dict(pairs)["命令"] == "reconcile"
    assert "全部输入行均已计入" in dict(pairs)["行数核对"]
    headings = [s.heading for s in sections]
    assert headings == ["输入文件", "行数核对", "无法识别与跳过的原因", "执行的政策参数", "提示"]
    assert sections[0].rows[0][-1] == hashlib.sha256(b"roster").hexdigest()
    assert sections[3].rows == [("active_statuses", "在读、在籍")]
    p = tmp_path / "说明.xlsx"
    with WorkbookWriter(p) as wb:
        wb.add_key_value_sheet("说明", pairs, sections, title="说明")
    ws = openpyxl.load_workbook(p)["说明"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"输入文件", "一中.xlsx", "证件号无效", "缺少姓名", "提示一"} <= texts
