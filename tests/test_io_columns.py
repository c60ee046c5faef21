import pytest
from conftest import make_id

from jiaoyu_fupin.errors import InputError, PolicyError
from jiaoyu_fupin.io.columns_config import ColumnOverrides, load_columns
from jiaoyu_fupin.io.load import load_tables

ID1 = make_id("341021", "20100101", "123")


def _toml(tmp_path, text: str):
    p = tmp_path / "columns.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_load_none_and_empty(tmp_path):
    assert not load_columns(None)
    c = load_columns(_toml(tmp_path, "# 空\n[roster]\n[registry]\n"))
    assert isinstance(c, ColumnOverrides) and not c


def test_load_values(tmp_path):
    c = load_columns(_toml(tmp_path, '[roster]\nid_number = "学生证件号"\nname = ["学生名", "幼儿名"]\n'
                                     '[all]\ntownship = "所属 乡镇"\n'))
    assert c.by_source["roster"] == {"id_number": ("学生证件号",), "name": ("学生名", "幼儿名")}
    assert c.for_source("roster") == {"学生证件号": "id_number", "学生名": "name", "幼儿名": "name",
                                      "所属乡镇": "township"}
    assert c.for_source("registry") == {"所属乡镇": "township"}


def test_all_problems_reported_together(tmp_path):
    p = _toml(tmp_path, '[rooster]\nname = "x"\n[roster]\nidnumber = "学生证件号"\nname = 3\n'
                        'school = ["学校", "学校"]\ngrade = ""\n[national]\nname = "名"\nitem = "名"\n')
    with pytest.raises(PolicyError) as ei:
        load_columns(p)
    msg = ei.value.message
    assert msg.startswith("columns.toml 有 5 处错误")
    assert "[rooster]" in msg and "idnumber" in msg and "name 的值" in msg and "grade 的表头文字为空" in msg
    assert "同时指定给了 name 和 item" in msg


def test_syntax_error_and_missing_file(tmp_path):
    with pytest.raises(PolicyError, match="格式错误"):
        load_columns(_toml(tmp_path, "[roster]\nname = 学生名\n"))
    with pytest.raises(PolicyError, match="找不到列名映射文件"):
        load_columns(tmp_path / "nope.toml")


def test_override_maps_unusual_headers(files, tmp_path):
    p = files.xlsx("一小.xlsx", [["学生名", "学生证件号", "年级", "班级"], ["张三", ID1, "三年级", "1班"]])
    with pytest.raises(InputError) as ei:
        load_tables([p], "roster")
    msg = ei.value.message
    assert "一小.xlsx" in msg and "Sheet1" in msg and "“学生名”" in msg and "“学生证件号”" in msg
    assert '请在 columns.toml 的 [roster] 段指定' in msg
    cols = _toml(tmp_path, '[roster]\nname = "学生名"\nid_number = "学生证件号"\n')
    [t] = load_tables([p], "roster", columns=cols).tables
    assert t.columns == {"name": "学生名", "id_number": "学生证件号", "grade": "年级", "class": "班级"}
    assert t.df["id_number"].tolist() == [ID1]


def test_override_beats_synonym_and_all_section(files, tmp_path):
    p = files.xlsx("reg.xlsx", [["姓名", "身份证号", "本人证件号", "所属乡镇街道", "村"],
                                ["张三", "旧号", ID1, "城关镇", "东村"]])
    cols = _toml(tmp_path, '[registry]\nid_number = "本人证件号"\n[all]\ntownship = "所属乡镇街道"\n')
    [t] = load_tables([p], "registry", columns=cols).tables
    assert t.columns["id_number"] == "本人证件号" and t.df["id_number"].tolist() == [ID1]
    assert t.columns["township"] == "所属乡镇街道"
    assert "身份证号" in t.unmapped


def test_auto_detection_uses_source_sections(files, tmp_path):
    p = files.xlsx("一小.xlsx", [["学生名", "本人号", "学籍号码", "就读班"], ["张三", ID1, "G" + ID1, "1班"]])
    res = load_tables([p])
    assert res.tables == [] and res.skipped_sheets[0].reason.startswith("没有找到可识别的表头")
    cols = _toml(tmp_path, '[roster]\nname = "学生名"\nid_number = "本人号"\nclass = "就读班"\n')
    [t] = load_tables([p], columns=cols).tables
    assert t.source == "roster"
    assert t.columns == {"name": "学生名", "id_number": "本人号", "xueji_no": "学籍号码", "class": "就读班"}
