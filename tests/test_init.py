"""`fupin init DIR`: writes editable policy.toml / columns.toml that load back unchanged."""

from __future__ import annotations

import re
import tomllib

import pytest
from click.testing import CliRunner

from jiaoyu_fupin.cli import main
from jiaoyu_fupin.errors import UsageError
from jiaoyu_fupin.model import CANONICAL_FIELDS, SOURCES
from jiaoyu_fupin.policy import load_policy
from jiaoyu_fupin.policy.init import write_defaults
from jiaoyu_fupin.policy.load import DEFAULT_COLUMNS, data_bytes


def test_init_writes_both_files_and_policy_loads_back(tmp_path):
    target = tmp_path / "配置" / "县"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    policy_path, columns_path = target / "policy.toml", target / "columns.toml"
    assert f"已写入 {policy_path}" in result.output
    assert f"已写入 {columns_path}" in result.output
    written = load_policy(policy_path)
    default = load_policy()
    assert written.source == str(policy_path)
    assert written.to_dict() | {"source": ""} == default.to_dict() | {"source": ""}
    assert columns_path.read_bytes() == data_bytes(DEFAULT_COLUMNS)


def test_init_refuses_to_overwrite_without_force(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "policy.toml").write_text("# 我改过的政策\n", encoding="utf-8")
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "已存在" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "policy.toml").read_text(encoding="utf-8") == "# 我改过的政策\n"
    result = runner.invoke(main, ["init", "--force", str(tmp_path)])
    assert result.exit_code == 0, result.output
    load_policy(tmp_path / "policy.toml")


def test_init_refuses_when_only_one_file_exists(tmp_path):
    (tmp_path / "columns.toml").write_text("[roster]\n", encoding="utf-8")
    with pytest.raises(UsageError, match="columns.toml 已存在"):
        write_defaults(tmp_path)
    assert not (tmp_path / "policy.toml").exists()     # nothing half-written


def test_init_into_a_file_is_an_error(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="不是文件夹"):
        write_defaults(f)


def test_init_help_is_chinese_with_example():
    result = CliRunner().invoke(main, ["init", "--help"])
    assert result.exit_code == 0
    assert "policy.toml" in result.output and "fupin init" in result.output


def test_columns_template_is_inert_and_documents_every_field():
    text = data_bytes(DEFAULT_COLUMNS).decode("utf-8")
    data = tomllib.loads(text)
    assert all(table == {} for table in data.values())          # every setting commented out
    assert set(data) == {s for s in SOURCES if s != "unknown"} | {"all"}
    for field in CANONICAL_FIELDS:
        assert re.search(rf"^#\s+{field}\s+\S", text, re.MULTILINE), f"{field} is not explained"


def test_columns_template_examples_are_valid_when_uncommented():
    text = data_bytes(DEFAULT_COLUMNS).decode("utf-8")
    enabled = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.MULTILINE)
    data = tomllib.loads(enabled)
    fields = {f for table in data.values() for f in table}
    assert fields and fields <= set(CANONICAL_FIELDS)
    columns_config = pytest.importorskip("jiaoyu_fupin.io.columns_config")
    overrides = columns_config.parse_columns(data)
    assert overrides.by_source["roster"]["enrolment_status"] == ("学籍状态", "学生当前状态")
