"""Names: normal form, pinyin keys, agreement (scalar and vectorised)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoyu_fupin.normalize.names import (
    AGREEMENTS,
    initials,
    initials_series,
    name_agreement,
    name_agreements,
    normalize_name,
    normalize_names,
    pinyin_key,
    pinyin_keys,
    pinyin_loose_key,
    pinyin_loose_keys,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("張三", "张三"),
        (" 张 三 ", "张三"),
        ("张\u3000三", "张三"),  # full-width space
        ("张\t三\n", "张三"),
        ("\u200b张\u200d三\ufeff", "张三"),  # zero-width characters, BOM
        ("ＺＨＡＮＧ", "ZHANG"),  # full-width letters
        ("沈靜", "沈静"),  # whole-string t2s would give 沉静
        ("沈香", "沈香"),
        ("鄭國華", "郑国华"),
        ("乾坤", "乾坤"),  # 乾 qián is a simplified name character
        ("於小明", "於小明"),  # 於 is a surname distinct from 于
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽‧买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽．买买提", "阿依古丽·买买提"),
        ("阿依古丽⋅买买提", "阿依古丽·买买提"),
        ("阿依古丽∙买买提", "阿依古丽·买买提"),
        ("阿依古丽丶买买提", "阿依古丽·买买提"),
        ("阿依古丽･买买提", "阿依古丽·买买提"),
        ("阿依古丽 · · 买买提", "阿依古丽·买买提"),  # repeats collapse
        ("·买买提·", "买买提"),  # stripped at the ends
        ("'李四", "李四"),  # leading apostrophe
        ('="王五"', "王五"),
        ("", ""),
        ("   ", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


def test_normalize_names_vectorised_keeps_index_and_missing():
    s = pd.Series(["張三", None, " 李 四", "張三"], index=[10, 11, 12, 13])
    out = normalize_names(s)
    assert list(out.index) == [10, 11, 12, 13]
    assert out.tolist() == ["张三", "", "李四", "张三"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("张三", "zhang san"),
        ("張三", "zhang san"),
        ("单田芳", "shan tian fang"),  # surname table: not dan
        ("曾小贤", "zeng xiao xian"),
        ("解放", "xie fang"),
        ("区明", "ou ming"),
        ("仇英", "qiu ying"),
        ("朴树", "piao shu"),
        ("覃雪", "qin xue"),
        ("查良镛", "zha liang yong"),
        ("盖聂", "ge nie"),
        ("缪斯", "miao si"),
        ("乐嘉", "yue jia"),
        ("尉迟恭", "yu chi gong"),  # compound surname
        ("简单", "jian dan"),  # 单 elsewhere keeps its common reading
        ("吕明", "lv ming"),
        ("阿依古丽·买买提", "a yi gu li mai mai ti"),
        ("ZhangSan", "zhang san"),  # Latin split into syllables
        ("Zhang San", "zhang san"),
        ("王yun", "wang yun"),
        ("", ""),
    ],
)
def test_pinyin_key(name, key):
    assert pinyin_key(name) == key


def test_pinyin_loose_key():
    assert pinyin_loose_key("刘成") == "niu cen"
    assert pinyin_loose_key("牛晨") == "niu cen"
    assert pinyin_loose_key("张生") == "zan sen"
    assert pinyin_loose_key("詹森") == "zan sen"


def test_initials():
    assert initials("张三") == "zs"
    assert initials("ZhangSan") == "zs"
    assert initials("欧阳娜娜") == "oynn"
    assert initials("") == ""


def test_vectorised_pinyin_forms():
    s = pd.Series(["单田芳", None, "刘成"])
    assert pinyin_keys(s).tolist() == ["shan tian fang", "", "liu cheng"]
    assert pinyin_loose_keys(s).tolist() == ["san tian fan", "", "niu cen"]
    assert initials_series(s).tolist() == ["stf", "", "lc"]


AGREEMENT_CASES = [
    ("张三", "張三", "same"),
    ("阿依古丽·买买提", "阿依古丽.买买提", "same"),
    ("zhangsan", "ZHANGSAN", "same"),
    ("张 三", "张三", "same"),
    ("张珊", "张山", "homophone"),
    ("单田芳", "善田芳", "homophone"),
    ("王yun", "王赟", "homophone"),  # rare character written in pinyin
    ("Zhang San", "张三", "homophone"),  # whole name in pinyin
    ("吕明", "Lu Ming", "homophone"),  # passport spelling of ü
    ("张三", "张四", "similar"),  # same length, surname + half equal
    ("张小明", "张小红", "similar"),
    ("王喆", "王吉吉", "similar"),  # component split
    ("刘成", "牛晨", "similar"),  # loose pinyin
    ("陈晨", "程晨", "similar"),
    ("欧阳小明", "欧阳晓明", "homophone"),
    ("zhangsan", "zhangshan", "similar"),
    ("𠮷祥", "吉祥", "similar"),  # rare character (outside GBK) replaced by a common one
    ("王𬱖", "王頔", "same"),  # t2s of 頔 is 𬱖
    ("张三", "李四", "different"),
    ("张小明", "李大红", "different"),
    ("王明", "李明", "different"),  # surname differs, pinyin far apart
    ("", "张三", "missing"),
    ("张三", None, "missing"),
]


@pytest.mark.parametrize(("a", "b", "expected"), AGREEMENT_CASES)
def test_name_agreement(a, b, expected):
    assert name_agreement(a, b) == expected
    assert name_agreement(b, a) == expected  # symmetric


def test_name_agreements_matches_scalar():
    a = pd.Series([c[0] for c in AGREEMENT_CASES] * 3, index=range(100, 100 + 3 * len(AGREEMENT_CASES)))
    b = pd.Series([c[1] for c in AGREEMENT_CASES] * 3)
    out = name_agreements(a, b)
    assert list(out.index) == list(a.index)
    assert out.tolist() == [c[2] for c in AGREEMENT_CASES] * 3
    assert set(out) <= set(AGREEMENTS)


def test_name_agreements_empty_and_length_mismatch():
    assert name_agreements(pd.Series([], dtype=str), pd.Series([], dtype=str)).tolist() == []
    with pytest.raises(ValueError):
        name_agreements(pd.Series(["a"]), pd.Series(["a", "b"]))


def test_name_agreements_random_against_scalar():
    rng = np.random.default_rng(7)
    pool = np.array(["张三", "張三", "张珊", "张四", "李四", "王喆", "王吉吉", "刘成", "牛晨", "", "Zhang San",
                     "张小明", "张小红", "欧阳娜娜", "单田芳", "善田芳", "𠮷祥", "吉祥", "王yun"], dtype=object)
    a = pd.Series(rng.choice(pool, 500))
    b = pd.Series(rng.choice(pool, 500))
    assert name_agreements(a, b).tolist() == [name_agreement(x, y) for x, y in zip(a, b)]


_name_chars = st.text(
    alphabet=st.sampled_from(list("张三李四王五沈靜國華鄭乾於单曾阿依古丽买买提·•・.．丶 \u3000\t\u200bAbZz'")),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_name_chars, st.text(max_size=10)))
def test_normalize_name_idempotent(x):
    once = normalize_name(x)
    assert normalize_name(once) == once
    assert " " not in once and "\u3000" not in once


@settings(max_examples=200, deadline=None)
@given(_name_chars)
def test_pinyin_key_stable_under_normalisation(x):
    key = pinyin_key(normalize_name(x))
    assert key == pinyin_key(x)
    assert key == pinyin_key(normalize_name(normalize_name(x)))
    assert name_agreement(x, normalize_name(x)) in ("same", "missing")
