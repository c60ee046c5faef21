"""The linking rules on small hand-made frames: each case names the evidence and the verdict."""

from __future__ import annotations

import pandas as pd
import pytest

from jiaoyu_fupin.link.engine import link_records
from jiaoyu_fupin.normalize.ids import check_char, normalize_ids
from jiaoyu_fupin.normalize.names import normalize_names, pinyin_keys


def mk(body17: str) -> str:
    return body17 + check_char(body17)


A = mk("34102120080101123")      # 张三
A_TWIN = mk("34102120080101125")  # 张四, twin of 张三
C = mk("34102120050505221")      # 李五
D = mk("34102120120301331")      # 王六
E = mk("34102120060707111")      # 赵七 (a second 赵七 with another birth date is E2)
E2 = mk("34102120070303111")


def registry() -> pd.DataFrame:
    rows = [(A, "张三", "东村"), (A_TWIN, "张四", "东村"), (C, "李五", "西村"), (D, "王六", "西村"),
            (E, "赵七", "南村"), (E2, "赵七", "南村")]
    ids = normalize_ids(pd.Series([r[0] for r in rows]))
    names = normalize_names(pd.Series([r[1] for r in rows]))
    return pd.DataFrame({"rid": ids["id"], "name": names, "pinyin": pinyin_keys(names), "birth": ids["id_birth"],
                         "prefix14": ids["id_prefix14"], "village": [r[2] for r in rows],
                         "township": "城关镇", "household_no": ["1", "1", "2", "3", "4", "5"]})


def records(rows) -> pd.DataFrame:
    """rows: (raw id, name, school, village, xueji, birth_date)"""
    raw = pd.Series([r[0] for r in rows], dtype=object)
    ids = normalize_ids(raw)
    names = normalize_names(pd.Series([r[1] for r in rows]))
    xj = pd.Series([r[4] if len(r) > 4 else "" for r in rows], dtype=object)
    from jiaoyu_fupin.normalize.ids import id_from_xueji
    birth = ids["id_birth"].where(ids["id_birth"] != "", pd.Series([r[5] if len(r) > 5 else "" for r in rows]))
    return pd.DataFrame({"id": ids["id"], "id_status": ids["id_status"], "birth": birth,
                         "prefix14": ids["id_prefix14"], "xueji_id": id_from_xueji(xj), "name": names,
                         "pinyin": pinyin_keys(names), "school": [r[2] for r in rows],
                         "village": [r[3] for r in rows], "township": "", "group": ["g"] * len(rows)})


def run(rows):
    reg = registry()
    out = link_records(records(rows), reg)
    rid = [reg["rid"].iat[i] if i >= 0 else "" for i in out["reg"]]
    return out.assign(rid=rid)


def test_exact_and_formatting_is_not_a_mismatch():
    out = run([(" " + A.lower() + " ", "張三", "城关初中", ""), ("G" + C, "李 五", "", "")])
    assert list(out["rid"]) == [A, C]
    assert list(out["method"]) == ["exact_id", "exact_id"]
    assert list(out["mismatch"]) == ["", ""]


def test_homophone_name_with_exact_id_is_a_mismatch():
    out = run([(A, "张叁", "", "")])
    assert out["rid"][0] == A and out["method"][0] == "exact_id"
    assert "同音" in out["mismatch"][0]


@pytest.mark.parametrize("typo", [
    A[:10] + str((int(A[10]) + 3) % 10) + A[11:],          # one substitution
    A[:8] + A[9] + A[8] + A[10:] if A[8] != A[9] else A[:12] + A[13] + A[12] + A[14:],  # transposition
])
def test_id_typo_with_same_name_links(typo):
    out = run([(typo, "张三", "", "")])
    assert out["rid"][0] == A
    assert out["method"][0] == "id_typo"
    assert out["mismatch"][0]


def test_id_typo_with_other_name_is_not_linked_but_reviewed():
    typo = A[:10] + str((int(A[10]) + 3) % 10) + A[11:]
    out = run([(typo, "钱八", "", "")])
    assert out["rid"][0] == ""
    assert out["status"][0] == "review"


def test_precision_lost_links_by_region_birth_and_name():
    lost = f"{float(A[:17] + '0'):.14e}"  # like 3.41021200801011E+17
    out = run([(lost, "张四", "", "东村")])
    assert out["rid"][0] == A_TWIN            # the twin with that name, not 张三
    assert out["method"][0] == "float_id"


def test_twins_swapped_id_goes_to_review():
    out = run([(A, "张四", "", "")])   # 张三's ID with 张四's name
    assert out["status"][0] == "review"
    assert set(out["candidates"][0].split(";")) == {A, A_TWIN}


def test_empty_id_with_g_xueji_links_without_mismatch():
    out = run([("", "王六", "", "", "G" + D)])
    assert out["rid"][0] == D and out["method"][0] == "xueji_no" and out["mismatch"][0] == ""


def test_same_name_no_birth_date_is_review_not_link():
    out = run([("无", "赵七", "", "南村")])
    assert out["status"][0] == "review"
    assert set(out["candidates"][0].split(";")) == {E, E2}


def test_name_birth_village_links_when_it_singles_out_one():
    out = run([("341021", "赵七", "", "南村", "", "2007-03-03")])
    assert out["rid"][0] == E2
    assert out["method"][0] == "name_village"


def test_garbage_id_without_candidates_is_invalid():
    out = run([("12345", "孙九", "", "")])
    assert out["status"][0] == "invalid"


def test_valid_id_not_in_registry_is_just_unlinked():
    other = mk("34102120080101127")
    out = run([(other, "周十", "城关初中", "")])
    assert out["status"][0] == "none" and out["rid"][0] == ""


def test_non_registry_student_sharing_a_name_is_not_linked():
    other = mk("34102120090909127")
    out = run([(other, "张三", "城关初中", "东村")])
    assert out["status"][0] == "none"


# ---- a roster sheet without a school column: the school its title or file name names --------

def test_roster_without_school_column_takes_school_from_title(files, ids):
    from jiaoyu_fupin.link.prepare import prepare, school_from_title

    a, b, c = ids(3)
    reg = files.xlsx("建档立卡.xlsx", [["姓名", "身份证号", "村"], ["张三", a, "东村"], ["李四", b, "东村"],
                                     ["王五", c, "西村"]])
    titled = files.xlsx("名册/a.xlsx", [["清源县城关第一小学2020年秋季学期学生名册"], ["姓名", "身份证号", "年级"],
                                       ["张三", a, "三年级"], ["李四", b, "四年级"]])
    named = files.xlsx("名册/清源县石门中学_学生名册.xlsx", [["姓名", "身份证号", "年级"], ["王五", c, "七年级"]])
    with_col = files.xlsx("名册/b.xlsx", [["学校名称", "姓名", "身份证号"], ["", "王五", c]])
    prep = prepare({"registry": [reg], "roster": [titled, named, with_col]})
    by_file = {f: list(g["school"]) for f, g in prep.rec.groupby("file")}
    assert by_file["a.xlsx"] == ["清源县城关第一小学", "清源县城关第一小学"]
    assert by_file["清源县石门中学_学生名册.xlsx"] == ["清源县石门中学"]
    assert by_file["b.xlsx"] == [""]          # a school column that is empty stays empty
    assert prep.schools_filled == 3
    assert set(prep.rec.loc[prep.rec["file"] == "a.xlsx", "school_n"]) == {"清源县城关第一小学"}
    assert school_from_title("", "名单.xlsx") == ""


def test_school_from_title_is_reported_by_reconcile_and_dropout(files, ids, tmp_path):
    import json

    from click.testing import CliRunner

    from jiaoyu_fupin.cli import main

    a, = ids(1)
    reg = files.xlsx("建档立卡.xlsx", [["姓名", "身份证号", "村"], ["张三", a, "东村"]])
    roster = files.xlsx("名册/a.xlsx", [["清源县城关第一小学学生名册"], ["姓名", "身份证号", "年级", "学籍状态"],
                                       ["张三", a, "三年级", "在读"]])
    nat = files.xlsx("全国.xlsx", [["姓名", "身份证号", "资助项目", "金额", "学期"], ["张三", a, "营养改善计划", "400", "2020秋"]])
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["-q", "reconcile", "--registry", str(reg), "--national", str(nat),
                                    "--roster", str(roster.parent), "--semester", "2020秋", "-o", str(out / "r")])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "r" / "run.json").read_text(encoding="utf-8"))
    assert any("1 条名册记录所在的表没有“学校名称”列" in w for w in run["warnings"])
    res = CliRunner().invoke(main, ["-q", "dropout-check", "--registry", str(reg), "--roster", str(roster.parent),
                                    "--school-year", "2020", "-o", str(out / "d")])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "d" / "run.json").read_text(encoding="utf-8"))
    assert any("1 条名册记录所在的表没有“学校名称”列" in w for w in run["warnings"])
