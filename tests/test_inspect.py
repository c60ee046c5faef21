import json

from click.testing import CliRunner
from conftest import make_id

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.inspect import inspect_paths

IDS = [make_id("341021", "20100101", f"{i:03d}") for i in range(1, 10)]
ID15 = "341021100101123"  # 15-digit (pre-1999) number


def _registry(files, name="国办.xlsx"):
    bad_checksum = IDS[3][:-1] + ("0" if IDS[3][-1] != "0" else "1")
    return files.xlsx(name, sheets={
        "人员": [
            ["某县建档立卡贫困人口信息"],
            ["乡(镇)", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "在校生状况", "脱贫属性"],
            ["城关镇", "东村", "1", "11", "张一", IDS[0], "户主", "", "已脱贫（享受政策）"],
            ["城关镇", "东村", "1", "12", "张二", IDS[1], "之子", "七年级", "已脱贫（享受政策）"],
            ["城关镇", "东村", "1", "13", "张三", 341021201001011234, "之女", "小学", "已脱贫（享受政策）"],
            ["城关镇", "东村", "2", "21", "李一", IDS[0], "户主", "", "未脱贫"],
            ["城关镇", "东村", "2", "22", "李二", bad_checksum, "之子", "小学", "未脱贫"],
            ["城关镇", "东村", "2", "23", "李三", "", "之子", "小学", "未脱贫"],
            ["城关镇", "东村", "3", "31", "王一", ID15, "户主", "", "未脱贫"],
            ["城关镇", "东村", "3", "32", "王二", "3410212010", "之子", "", "未脱贫"],
            ["城关镇", "东村", "3", "33", "王三", "341021201013321234", "之子", "", "未脱贫"],
            ["城关镇", "东村", "3", "34", "王四", IDS[1], "之子", "", "未脱贫"],
            ["城关镇", "", "", "", "", "", "", "", ""],
            [None],
            ["合计", "", "", "", "11人"],
        ],
        "说明": [["本表由系统导出，请勿修改"]],
    })


def test_inspect_json_shape_and_counts(files):
    p = _registry(files)
    res = CliRunner().invoke(main, ["inspect", "--json", str(p)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert list(data) == ["files"]
    [f] = data["files"]
    assert list(f) == ["file", "sheets"] and f["file"] == "国办.xlsx"
    s, skipped = f["sheets"]
    assert list(s) == ["sheet", "source", "header_row", "columns", "rows", "id_status", "duplicate_ids",
                       "skipped_reason"]
    assert s["sheet"] == "人员" and s["source"] == "registry" and s["header_row"] == 2
    assert s["columns"] == {"township": "乡(镇)", "village": "行政村", "household_no": "户编号",
                            "person_no": "人编号", "name": "姓名", "id_number": "证件号码",
                            "relation": "与户主关系", "in_school_status": "在校生状况",
                            "poverty_status": "脱贫属性"}
    # 10 records + 1 rejected row (城关镇 only); the empty and total rows are not counted
    assert s["rows"] == 11
    assert s["id_status"] == {"valid": 4, "converted_15": 1, "precision_lost": 1, "bad_checksum": 1,
                              "bad_date": 1, "wrong_length": 1, "empty": 1}
    assert s["duplicate_ids"] == 2
    assert s["skipped_reason"] is None
    assert skipped == {"sheet": "说明", "source": "unknown", "header_row": None, "columns": {}, "rows": 0,
                       "id_status": {k: 0 for k in s["id_status"]}, "duplicate_ids": 0,
                       "skipped_reason": "没有找到可识别的表头（前 12 行中没有姓名、身份证号等列名）"}
    assert "\\u" not in res.output  # ensure_ascii=False


def test_inspect_result_api(files):
    r = inspect_paths([_registry(files)])
    sheet = r.files[0].sheets[0]
    assert (sheet.skipped_rows, sheet.rejected_rows) == (2, 1)
    assert json.loads(r.to_json()) == r.to_dict()


def test_inspect_terminal_table(files):
    p = _registry(files)
    res = CliRunner().invoke(main, ["inspect", str(p)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    out = res.output
    for word in ("国办.xlsx", "来源", "表头行", "列对应", "数据行", "证件号状态", "重复证件号",
                 "扶贫部门建档立卡人口库", "精度丢失 1", "已跳过"):
        assert word in out, word


def test_inspect_folder_and_columns_option(files, tmp_path):
    files.xlsx("数据/一小.xlsx", [["学生名", "学生证件号", "年级", "班级"], ["甲", IDS[0], "一年级", "1班"]])
    files.csv("数据/国家.csv", [["姓名", "身份证号", "资助项目", "金额", "学年", "困难类型"],
                              ["乙", IDS[1], "生活补助", "500", "2019-2020", "低保"]], encoding="gb18030")
    cols = tmp_path / "columns.toml"
    cols.write_text('[all]\nname = "学生名"\nid_number = "学生证件号"\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["inspect", "--json", "--columns", str(cols), str(tmp_path / "数据")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    got = {f["file"]: (f["sheets"][0]["source"], f["sheets"][0]["columns"].get("id_number"))
           for f in data["files"]}
    assert got == {"一小.xlsx": ("roster", "学生证件号"), "国家.csv": ("national", "身份证号")}
    assert [f["file"] for f in data["files"]] == ["一小.xlsx", "国家.csv"]  # sorted by path
    assert [f["sheets"][0]["sheet"] for f in data["files"]] == ["Sheet1", ""]


def _fails(path) -> str:
    res = CliRunner().invoke(main, ["inspect", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    return res.output


def test_inspect_errors_exit_2_with_chinese_message(files, tmp_path):
    enc = files.raw("加密.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
                    + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600)
    assert "错误：文件 加密.xlsx：文件已加密（设置了打开密码），请在 Excel 中取消密码后另存再试" in _fails(enc)
    assert "0 字节" in _fails(files.raw("空.xlsx", b""))
    assert "不是表格文件（内容是PDF 文件）" in _fails(files.raw("a.xls", b"%PDF-1.7 xxx"))
    good = files.xlsx("好.xlsx", [["姓名"], ["甲"]]).read_bytes()
    assert "已损坏" in _fails(files.raw("坏.xlsx", good[:300]))
    assert "找不到这个文件或文件夹" in _fails(tmp_path / "不存在.xlsx")
    (tmp_path / "空目录").mkdir()
    assert "文件夹中没有表格文件" in _fails(tmp_path / "空目录")
    assert "所有工作表都没有数据" in _fails(files.xlsx("无数据.xlsx", sheets={"A": [], "B": []}))
    assert "不是表格文件" in _fails(files.raw("信.csv", "您好，\n附件是名单。\n".encode()))


def test_inspect_bad_columns_toml_exit_2(files, tmp_path):
    p = files.xlsx("a.xlsx", [["姓名", "身份证号"], ["甲", IDS[0]]])
    cols = tmp_path / "columns.toml"
    cols.write_text('[roster]\nnombre = "x"\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["inspect", "--columns", str(cols), str(p)])
    assert res.exit_code == 2 and "未知的字段名 nombre" in res.output
