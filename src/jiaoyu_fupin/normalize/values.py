"""Small vocabularies: boarding, enrolment status, stage/grade, amounts, fee tier, sex.

Every function has a scalar form (one cell in, canonical value out) and a vectorised form
(Series in, Series/DataFrame out, same index). The vectorised forms compute on the *distinct*
values only (``pd.factorize``) and map the results back, so a 1M-row column with a few thousand
distinct values costs a few thousand Python calls.

Canonical values (what the rest of the tool compares against):

- boarding: ``住校`` / ``走读`` / ``''`` (unknown, 其他, blank).
- enrolment status: the JY/T 1001 word (``在读``, ``休学``, ``转学`` …); unknown text comes back
  cleaned but otherwise unchanged so that the policy can reject it by name.
- stage: ``学龄前`` (not in school), ``幼儿园``, ``小学``, ``初中``, ``高中`` (普通高中), ``中职``,
  ``高职``, ``本科``, ``研究生``, ``其他``; ``''`` when unknown.
- grade: 小学 1-6, 初中 7-9, 高中 1-3, 中职 1-4, 高职 1-3, 本科 1-5, 幼儿园 0-3 (托班 0, 小班 1,
  中班 2, 大班 / 学前班 3); ``None`` when the text gives none.
- amount: ``Decimal`` quantized to 0.01, or ``None``; never a float on the way.
- tier: ``省示范`` / ``市示范`` / ``民办`` / ``普通``; unknown text returned cleaned.
- sex: ``男`` / ``女`` / ``''``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Hashable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BOARDING",
    "DAY",
    "ENROLMENT_CODES",
    "ENROLMENT_WORDS",
    "STAGES",
    "TIERS",
    "boarding",
    "boardings",
    "clean_text",
    "enrolment_status",
    "enrolment_statuses",
    "factorize_pairs",
    "format_amount",
    "map_distinct",
    "map_distinct_pairs",
    "parse_amount",
    "parse_amounts",
    "parse_grade",
    "parse_grades",
    "parse_stage",
    "parse_stages",
    "parse_tier",
    "parse_tiers",
    "sex_of",
    "sexes_of",
    "stage_from_school_name",
    "stages_from_school_names",
]

# --------------------------------------------------------------------------------------------
# distinct-value mapping helpers (used by every normaliser module)
# --------------------------------------------------------------------------------------------


def _as_series(values: Any) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    return pd.Series(list(values) if not isinstance(values, (np.ndarray, pd.Index)) else values,
                     dtype=object)


def _build(results: list, codes: np.ndarray, index: pd.Index, name: Hashable, dtype: str) -> pd.Series:
    if dtype == "object":
        arr = np.empty(len(results), dtype=object)
        arr[:] = results
        return pd.Series(arr[codes], index=index, name=name, dtype=object)
    arr = pd.array(results, dtype=dtype)
    return pd.Series(arr.take(codes), index=index, name=name)


def map_distinct(values: Any, func: Callable[[Any], Any], *, na_value: Any = "",
                 dtype: str = "str") -> pd.Series:
    """Apply ``func`` once per distinct value of ``values`` and map the results back.

    Missing cells (None / NaN / NA) get ``na_value`` without calling ``func``. ``dtype`` is the
    result dtype: ``"str"`` (pandas' default string dtype), ``"Int64"`` or ``"object"`` (for
    Decimal / tuples). The result keeps the input's index and name.
    """
    s = _as_series(values)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    results = [func(u) for u in uniques]
    results.append(na_value)  # code -1 (missing) takes the last element
    return _build(results, codes, s.index, s.name, dtype)


def factorize_pairs(a: Any, b: Any) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
    """Distinct aligned (positional) pairs of ``a`` and ``b``: ``(codes, pairs)`` with
    ``pairs[codes[i]] == (a[i], b[i])``. Missing cells appear as None; ``b`` may be None.
    """
    sa = _as_series(a)
    ca, ua = pd.factorize(sa, use_na_sentinel=True)
    la = list(ua) + [None]
    ca = np.where(ca < 0, len(ua), ca).astype(np.int64)
    if b is None:
        return ca, [(x, None) for x in la]
    sb = _as_series(b)
    if len(sa) != len(sb):
        raise ValueError("factorize_pairs: the two columns differ in length")
    cb, ub = pd.factorize(sb, use_na_sentinel=True)
    lb = list(ub) + [None]
    cb = np.where(cb < 0, len(ub), cb).astype(np.int64)
    nb = len(lb)
    pcodes, puniq = pd.factorize(ca * nb + cb)
    return pcodes, [(la[p // nb], lb[p % nb]) for p in puniq.tolist()]


def map_distinct_pairs(a: Any, b: Any, func: Callable[[Any, Any], Any], *, dtype: str = "str"
                       ) -> pd.Series:
    """Apply ``func(x, y)`` once per distinct aligned pair of ``a`` and ``b`` (positional).

    ``b`` may be None (then ``y`` is always None). Missing cells are passed as None. The result
    has ``a``'s index and name.
    """
    sa = _as_series(a)
    codes, pairs = factorize_pairs(sa, b)
    results = [func(x, y) for x, y in pairs]
    return _build(results, codes, sa.index, sa.name, dtype)


_WS_RE = re.compile(r"[\s\u200b-\u200f\u2028-\u202f\u2060-\u2064\ufeff\u00ad\u180e\x00-\x1f\x7f]+")


def clean_text(value: Any) -> str:
    """Cell value -> NFKC text without whitespace; '' for None/NaN.

    Integral floats become integer text (``2.0`` -> ``"2"``), so a code column read as numbers
    still matches.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if value is pd.NA or value is pd.NaT:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _WS_RE.sub("", text)


_BRACKETS_RE = re.compile(r"[()\[\]{}<>（）【】〔〕「」『』《》]")


def _code(text: str) -> str | None:
    """'1', '01', '1.0', '001' -> '1'; None when text is not an integer code."""
    m = re.fullmatch(r"0*(\d{1,3})(?:\.0+)?", text)
    return str(int(m.group(1))) if m else None


# --------------------------------------------------------------------------------------------
# boarding 就读方式
# --------------------------------------------------------------------------------------------

BOARDING = "住校"
DAY = "走读"

_BOARDING_WORDS = {
    "住校", "住校生", "寄宿", "寄宿生", "住宿", "住宿生", "住读", "住读生", "寄读", "寄宿制", "住校寄宿",
    "在校住宿", "全寄宿", "周寄宿", "寄宿学生", "住校学生", "boarding", "boarder",
}
_DAY_WORDS = {
    "走读", "走读生", "非寄宿", "非寄宿生", "不住校", "非住校", "非住校生", "通学", "通校", "通校生",
    "走读学生", "非住宿", "不寄宿", "day", "daystudent",
}
_YES = {"是", "y", "yes", "true", "√", "✓", "有"}
_NO = {"否", "n", "no", "false", "×", "✗", "无", "不是"}


def boarding(text: Any, yes_means_boarding: bool | None = True) -> str:
    """就读方式 -> ``住校`` / ``走读`` / ``''``.

    Codes (JY/T 1001): 1 走读, 2 住校, 9 其他 (-> ''). ``是``/``否`` are read through
    ``yes_means_boarding``: True for a 是否住校 / 是否寄宿 column (the default), False for a
    是否走读 column, None when the column's meaning is unknown (是/否 -> '').
    """
    t = clean_text(text).lower()
    if not t:
        return ""
    t = _BRACKETS_RE.sub("", t)
    if t in _DAY_WORDS:
        return DAY
    if t in _BOARDING_WORDS:
        return BOARDING
    code = _code(t)
    if code is not None:
        return {"1": DAY, "2": BOARDING}.get(code, "")
    if t in _YES or t in _NO:
        if yes_means_boarding is None:
            return ""
        yes = t in _YES
        return BOARDING if yes == bool(yes_means_boarding) else DAY
    # free text: negations first (非寄宿, 不住校), then positive words
    if re.search(r"(非|不)(寄宿|住校|住宿|住读)", t) or "走读" in t or "通学" in t:
        return DAY
    if re.search(r"寄宿|住校|住宿|住读", t):
        return BOARDING
    return ""


def boardings(series: Any, yes_means_boarding: bool | None = True) -> pd.Series:
    """Vectorised :func:`boarding`."""
    return map_distinct(series, lambda v: boarding(v, yes_means_boarding))


# --------------------------------------------------------------------------------------------
# enrolment status 学籍状态 (JY/T 1001)
# --------------------------------------------------------------------------------------------

#: JY/T 1001 student-status codes -> canonical word.
ENROLMENT_CODES: dict[str, str] = {
    "1": "在读", "2": "休学", "3": "退学", "4": "停学", "5": "复学", "6": "流失", "7": "毕业",
    "8": "结业", "9": "肄业", "10": "转学", "11": "死亡", "12": "保留入学资格", "13": "公派出国",
    "14": "开除", "15": "下落不明", "99": "其他",
}

#: Canonical words in code order.
ENROLMENT_WORDS: tuple[str, ...] = tuple(ENROLMENT_CODES.values())

_ENROLMENT_SYNONYMS: dict[str, str] = {
    # active
    "在读": "在读", "在籍": "在读", "在校": "在读", "正常": "在读", "在籍在读": "在读", "正常在读": "在读",
    "在读生": "在读", "在校生": "在读", "在学": "在读", "就读": "在读", "在籍在校": "在读", "有学籍": "在读",
    "正常在籍": "在读", "在册": "在读",
    "复学": "复学", "已复学": "复学",
    # inactive
    "休学": "休学", "已休学": "休学", "退学": "退学", "已退学": "退学", "停学": "停学",
    "流失": "流失", "辍学": "流失", "失学": "流失", "已辍学": "流失", "辍学流失": "流失",
    "毕业": "毕业", "已毕业": "毕业", "结业": "结业", "肄业": "肄业",
    "转学": "转学", "转出": "转学", "已转出": "转学", "转学转出": "转学", "转学(转出)": "转学",
    "已转学": "转学", "转走": "转学",
    "死亡": "死亡", "已死亡": "死亡", "去世": "死亡", "已故": "死亡",
    "保留入学资格": "保留入学资格", "公派出国": "公派出国", "出国": "公派出国",
    "开除": "开除", "开除学籍": "开除", "下落不明": "下落不明", "其他": "其他", "其它": "其他",
}


def enrolment_status(text: Any) -> str:
    """学籍状态 -> canonical JY/T 1001 word (``在读`` ``休学`` ``退学`` ``停学`` ``复学`` ``流失``
    ``毕业`` ``结业`` ``肄业`` ``转学`` ``死亡`` ``保留入学资格`` ``公派出国`` ``开除``
    ``下落不明`` ``其他``).

    Accepts codes (``1``, ``01``, ``1.0``), words and synonyms (在籍/在校/正常 -> 在读,
    辍学 -> 流失, 转出/已转出 -> 转学), and mixed forms like ``01在读`` / ``在读(01)``.
    Unknown text is returned cleaned (NFKC, no spaces) but otherwise unchanged; blank -> ''.
    """
    t = clean_text(text)
    if not t:
        return ""
    if t in _ENROLMENT_SYNONYMS:
        return _ENROLMENT_SYNONYMS[t]
    code = _code(t)
    if code is not None:
        return ENROLMENT_CODES.get(code, t)
    bare = _BRACKETS_RE.sub("", t)
    if bare in _ENROLMENT_SYNONYMS:
        return _ENROLMENT_SYNONYMS[bare]
    # "01在读", "01-在读", "在读(01)": the word decides
    word = re.sub(r"[\d.\-_:：、,，]+", "", bare)
    if word in _ENROLMENT_SYNONYMS:
        return _ENROLMENT_SYNONYMS[word]
    return t


def enrolment_statuses(series: Any) -> pd.Series:
    """Vectorised :func:`enrolment_status`."""
    return map_distinct(series, enrolment_status)


# --------------------------------------------------------------------------------------------
# stage 学段 and grade 年级
# --------------------------------------------------------------------------------------------

#: Canonical stages, in school order.
STAGES: tuple[str, ...] = ("学龄前", "幼儿园", "小学", "初中", "高中", "中职", "高职", "本科", "研究生", "其他")

_STAGE_WORDS: dict[str, str] = {
    "学龄前": "学龄前", "学龄前儿童": "学龄前", "未入学": "学龄前", "学龄前儿童(未入学)": "学龄前",
    "幼儿园": "幼儿园", "学前": "幼儿园", "学前教育": "幼儿园", "学前阶段": "幼儿园", "幼儿": "幼儿园",
    "幼教": "幼儿园", "学前班": "幼儿园",
    "小学": "小学", "小学阶段": "小学", "义务教育小学": "小学", "小学教育": "小学",
    "初中": "初中", "初级中学": "初中", "初中阶段": "初中", "义务教育初中": "初中", "初中教育": "初中",
    "高中": "高中", "普通高中": "高中", "普高": "高中", "高级中学": "高中", "高中阶段": "高中",
    "普通高中教育": "高中", "普高教育": "高中",
    "中职": "中职", "中等职业教育": "中职", "中等职业学校": "中职", "中专": "中职", "职高": "中职",
    "职业高中": "中职", "技工学校": "中职", "技校": "中职", "中职教育": "中职", "中等职业": "中职",
    "技师学院": "中职",
    "高职": "高职", "高职高专": "高职", "大专": "高职", "专科": "高职", "高等职业教育": "高职",
    "高职教育": "高职", "高专": "高职",
    "本科": "本科", "大学本科": "本科", "大学": "本科", "普通本科": "本科",
    "研究生": "研究生", "硕士": "研究生", "博士": "研究生", "硕士研究生": "研究生", "博士研究生": "研究生",
    "硕士研究生及以上": "研究生", "研究生及以上": "研究生",
    "其他": "其他", "其它": "其他",
}


def parse_stage(text: Any) -> str:
    """学段 cell (schools list, ledger) -> canonical stage or ''."""
    t = clean_text(text)
    if not t:
        return ""
    if t in _STAGE_WORDS:
        return _STAGE_WORDS[t]
    t = _BRACKETS_RE.sub("", t)
    return _STAGE_WORDS.get(t, "")


def parse_stages(series: Any) -> pd.Series:
    """Vectorised :func:`parse_stage`."""
    return map_distinct(series, parse_stage)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}


def _cn_number(s: str) -> int | None:
    """'一'..'十二', '7', '07' -> int."""
    if s.isdigit():
        return int(s)
    if s in _CN_DIGITS:
        return _CN_DIGITS[s]
    m = re.fullmatch(r"([一二三四五六七八九])?十([一二三四五六七八九])?", s)
    if m:
        tens = _CN_DIGITS[m.group(1)] if m.group(1) else 1
        ones = _CN_DIGITS[m.group(2)] if m.group(2) else 0
        return tens * 10 + ones
    return None


_NUM = r"(\d{1,2}|十[一二]?|[一二三四五六七八九])"
_KINDER = {"托班": 0, "托儿班": 0, "托小班": 0, "小小班": 0, "小班": 1, "中班": 2, "大班": 3,
           "学前班": 3, "幼小衔接班": 3}

# (regex, stage); first match wins. Stage keywords, most specific first.
_STAGE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"学龄前|未入学"), "学龄前"),
    (re.compile(r"研究生|硕士|博士"), "研究生"),
    (re.compile(r"本科|大学"), "本科"),
    (re.compile(r"高职|高专|大专|专科"), "高职"),
    (re.compile(r"技师|技工|中职|中专|职高|职业高中|职业|中等职业"), "中职"),
    (re.compile(r"普通高中|普高|高中|高级中学|高[一二三123](?!级)"), "高中"),
    (re.compile(r"初中|初级中学|初[一二三四1234](?!级)"), "初中"),
    (re.compile(r"小学|小[一二三四五六123456](?![班学])"), "小学"),
    (re.compile(r"幼儿园|学前|幼儿"), "幼儿园"),
]

_GRADE_PATTERNS: list[re.Pattern[str]] = [
    re.compile(_NUM + r"年级"),
    re.compile(r"(?:高|初|小)" + _NUM),
    re.compile(r"^" + _NUM + r"(?:级|年)?$"),
    re.compile(r"^" + _NUM + r"(?:[.\-(]|班)"),  # "7.3", "7-3", "7(3)班"
]

_COHORT_RE = re.compile(r"((?:19|20)\d{2})级")

_GRADE_RANGE = {"小学": (1, 6), "初中": (7, 9), "高中": (1, 3), "中职": (1, 4), "高职": (1, 3),
                "本科": (1, 5), "幼儿园": (0, 3), "研究生": (1, 3)}


def _grade_in_stage(stage: str, n: int) -> int | None:
    """Map a grade number written in the text to the canonical grade of ``stage``."""
    if stage == "初中":
        if 1 <= n <= 3:
            return n + 6
        return n if 7 <= n <= 9 else None
    if stage == "高中":
        if 1 <= n <= 3:
            return n
        return n - 9 if 10 <= n <= 12 else None
    lo, hi = _GRADE_RANGE.get(stage, (1, 9))
    return n if lo <= n <= hi else None


def parse_grade(text: Any, stage_hint: Any = None, school_year: int | None = None
                ) -> tuple[str, int | None]:
    """年级 / 在校生状况 cell -> ``(stage, grade)``.

    - 一年级..六年级 alone -> 小学 1-6; 七..九年级 / 初一..初三 / 初中一年级 / 7年级 -> 初中 7-9;
      高一 / 高中一年级 / 普通高中一年级 / 十年级 / 10年级 -> 高中 1; 中职一年级 -> 中职 1.
    - ``stage_hint`` (the school's stage, any :func:`parse_stage` spelling) settles bare grades:
      with 初中, 一年级 / 1 -> 7; with 高中, 一年级 -> 1; with 中职, 一年级 -> 中职 1.
      An explicit stage in the text wins over the hint (七年级 in a 小学 roster is 初中 7).
    - Kindergarten: 托班 0, 小班 1, 中班 2, 大班 3, 学前班 3 (the year before 一年级).
    - Registry 在校生状况: 学龄前儿童 -> (学龄前, None) (not in school); 学前教育 -> (幼儿园, None);
      小学 -> (小学, None) (the registry gives no grade); 技师学院一年级 -> (中职, 1);
      高职高专一年级 -> (高职, 1); 本科一年级 -> (本科, 1); 硕士研究生及以上 -> (研究生, None).
    - Cohort forms (``2019级``) need ``school_year`` (first calendar year of the school year):
      grade = school_year - cohort + first grade of the stage; without it the grade is None.
    - Blank or unrecognised -> ('', None).
    """
    t = clean_text(text)
    hint = parse_stage(stage_hint) if stage_hint is not None else ""
    if not t:
        return ("", None)
    t = t.replace("（", "(").replace("）", ")")
    if t in _STAGE_WORDS and t != "学前班":
        return (_STAGE_WORDS[t], None)
    for word, g in _KINDER.items():
        if word in t:
            return ("幼儿园", g)
    stage = ""
    for pat, st in _STAGE_PATTERNS:
        if pat.search(t):
            stage = st
            break
    # cohort "2019级"
    m = _COHORT_RE.search(t)
    if m:
        st = stage or hint
        if st and school_year is not None:
            lo = {"初中": 7, "幼儿园": 1}.get(st, 1)
            g = school_year - int(m.group(1)) + lo
            lo_r, hi_r = _GRADE_RANGE.get(st, (1, 9))
            if st == "初中":
                lo_r, hi_r = 7, 9
            return (st, g if lo_r <= g <= hi_r else None)
        return (st, None)
    n: int | None = None
    for pat in _GRADE_PATTERNS:
        gm = pat.search(t)
        if gm:
            n = _cn_number(gm.group(1))
            if n is not None:
                break
    if stage:
        if stage == "学龄前":
            return ("学龄前", None)
        return (stage, _grade_in_stage(stage, n) if n is not None else None)
    if n is None:
        return ("", None)
    # no stage word: 7-9 and 10-12 speak for themselves; 1-6 depend on the school's stage
    if 7 <= n <= 9:
        return ("初中", n)
    if 10 <= n <= 12:
        return ("高中", n - 9)
    if hint in ("初中", "高中", "中职", "高职", "本科", "研究生", "幼儿园"):
        return (hint, _grade_in_stage(hint, n))
    if 1 <= n <= 6:
        return ("小学", n)
    return ("", None)


def parse_grades(series: Any, stage_series: Any = None, school_year: int | None = None
                 ) -> pd.DataFrame:
    """Vectorised :func:`parse_grade`: DataFrame with columns ``stage`` (str) and ``grade``
    (nullable Int64), same index as ``series``. ``stage_series`` (aligned) gives the hint per row.
    """
    s = _as_series(series)
    codes, pairs = factorize_pairs(s, stage_series)
    results = [parse_grade(x, h, school_year) for x, h in pairs]
    stages = pd.array([r[0] for r in results], dtype="str").take(codes)
    grades = pd.array([r[1] for r in results], dtype="Int64").take(codes)
    return pd.DataFrame({"stage": stages, "grade": grades}, index=s.index)


# school-name keywords -> stage; '' = ambiguous (several stages under one name)
_SCHOOL_KEYWORDS: list[tuple[str, str]] = [
    ("九年一贯制", ""), ("十二年一贯制", ""), ("一贯制", ""), ("完全中学", ""), ("完中", ""),
    ("中心学校", ""), ("中心校", ""), ("特殊教育", ""), ("特教", ""), ("实验学校", ""),
    ("幼儿园", "幼儿园"), ("幼稚园", "幼儿园"), ("幼教中心", "幼儿园"), ("幼儿班", "幼儿园"),
    ("幼儿部", "幼儿园"), ("学前班", "幼儿园"), ("托幼", "幼儿园"),
    ("小学", "小学"), ("完小", "小学"), ("教学点", "小学"), ("小学部", "小学"), ("村小", "小学"),
    ("初级中学", "初中"), ("初中", "初中"), ("初中部", "初中"),
    ("高级中学", "高中"), ("高中", "高中"), ("高中部", "高中"),
    ("职业中学", "中职"), ("职业高中", "中职"), ("职高", "中职"), ("职业技术学校", "中职"),
    ("职业学校", "中职"), ("职教中心", "中职"), ("职业教育中心", "中职"), ("中等专业学校", "中职"),
    ("中专", "中职"), ("技工学校", "中职"), ("技校", "中职"), ("技师学院", "中职"),
    ("中等职业", "中职"), ("职业中专", "中职"),
    ("职业技术学院", "高职"), ("职业学院", "高职"), ("高等专科学校", "高职"), ("专科学校", "高职"),
    ("大学", "本科"), ("学院", "本科"),
    ("中学", ""),
]
_YIZHONG_RE = re.compile(r"(?<![第初高])[一]中$|[县市区]一中")


def stage_from_school_name(name: Any) -> str:
    """School name -> stage, or '' when the name does not say (or names several stages).

    The keyword that ends last in the name decides (``XX小学附属幼儿园`` -> 幼儿园); among
    keywords ending at the same place the longest wins (``初级中学`` over ``中学``). ``中学`` alone,
    ``九年一贯制``, ``完全中学``, ``中心学校``/``中心校`` and ``实验学校`` are ambiguous -> ''.
    ``XX一中`` -> 高中.
    """
    t = clean_text(name)
    if not t:
        return ""
    t = _BRACKETS_RE.sub("", t)
    best: tuple[int, int, str] | None = None  # (end, length, stage)
    for word, st in _SCHOOL_KEYWORDS:
        pos = t.rfind(word)
        if pos < 0:
            continue
        cand = (pos + len(word), len(word), st)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if _YIZHONG_RE.search(t):
        end = _YIZHONG_RE.search(t).end()
        if best is None or end >= best[0]:
            return "高中"
    return best[2] if best else ""


def stages_from_school_names(series: Any) -> pd.Series:
    """Vectorised :func:`stage_from_school_name`."""
    return map_distinct(series, stage_from_school_name)


# --------------------------------------------------------------------------------------------
# amounts 金额
# --------------------------------------------------------------------------------------------

_CENT = Decimal("0.01")
_AMOUNT_STRIP_RE = re.compile(r"^(?:人民币|rmb|cny)|(?:人民币|rmb|cny|元整|元|圆|块)$")
_AMOUNT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


def parse_amount(text: Any) -> Decimal | None:
    """Money cell -> ``Decimal`` quantized to 0.01 (ROUND_HALF_UP), or None.

    Accepts ``312.5``, ``312.50``, ``￥312.5``, ``¥312.5``, ``312.5元``, ``1,500.00``, full-width
    digits, ``0.15万元`` (x 10000), and accounting negatives ``(12.00)``. A float cell is read
    through its shortest repr (``312.5`` -> 312.50), never through binary arithmetic. Never raises.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        return None
    if isinstance(text, Decimal):
        d = text
    elif isinstance(text, int):
        d = Decimal(text)
    elif isinstance(text, float):
        if not math.isfinite(text):
            return None
        d = Decimal(repr(text))
    else:
        if text is pd.NA:
            return None
        t = clean_text(text).lower()
        if not t:
            return None
        negative = False
        if t.startswith("(") and t.endswith(")"):
            negative, t = True, t[1:-1]
        t = t.lstrip("¥￥$")
        wan = False
        if t.endswith(("万元", "万")):
            wan, t = True, t[: -2 if t.endswith("万元") else -1]
        t = _AMOUNT_STRIP_RE.sub("", t)
        t = t.lstrip("¥￥$")
        if "," in t:
            if not _THOUSANDS_RE.match(t):
                return None
            t = t.replace(",", "")
        if not _AMOUNT_RE.fullmatch(t):
            return None
        try:
            d = Decimal(t)
        except InvalidOperation:
            return None
        if wan:
            d = d * 10000
        if negative:
            d = -d
    if not d.is_finite():
        return None
    try:
        return d.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # absurdly large exponent
        return None


def parse_amounts(series: Any) -> pd.Series:
    """Vectorised :func:`parse_amount`: object Series of ``Decimal`` / None."""
    return map_distinct(series, parse_amount, na_value=None, dtype="object")


def format_amount(value: Decimal | None) -> str:
    """Decimal -> ``'312.50'``; None -> ''."""
    if value is None:
        return ""
    return f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):f}"


# --------------------------------------------------------------------------------------------
# fee tier 学校类别（省示范/市示范/民办/普通）
# --------------------------------------------------------------------------------------------

TIERS: tuple[str, ...] = ("省示范", "市示范", "民办", "普通")


def parse_tier(text: Any) -> str:
    """School fee tier -> ``省示范`` / ``市示范`` / ``民办`` / ``普通``.

    Accepts 省级示范(高中), 省示范高中, 省重点, 市级示范, 市重点, 民办高中, 私立, 一般, 普通高中,
    公办普通 … 民办 wins over a 示范 word (a 民办 school's waiver follows the 民办 standard).
    Blank -> ''; unknown text comes back cleaned so that the policy can name it.
    """
    t = clean_text(text)
    if not t:
        return ""
    if re.search(r"民办|私立|民营", t):
        return "民办"
    if re.search(r"省(级)?(示范|重点)|省一类|国家级示范", t):
        return "省示范"
    if re.search(r"市(级)?(示范|重点)|市一类", t):
        return "市示范"
    if re.fullmatch(r"(公办)?(普通|一般|非示范)(高中|学校|高级中学)?|公办|县(级)?(普通)?(高中)?", t):
        return "普通"
    return t


def parse_tiers(series: Any) -> pd.Series:
    """Vectorised :func:`parse_tier`."""
    return map_distinct(series, parse_tier)


# --------------------------------------------------------------------------------------------
# sex 性别
# --------------------------------------------------------------------------------------------

_SEX = {"男": "男", "男性": "男", "男生": "男", "m": "男", "male": "男", "1": "男", "男孩": "男",
        "女": "女", "女性": "女", "女生": "女", "f": "女", "female": "女", "2": "女", "女孩": "女"}


def sex_of(text: Any) -> str:
    """性别 -> ``男`` / ``女`` / ``''`` (GB/T 2261.1 codes 1/2, M/F, male/female)."""
    t = clean_text(text).lower()
    if not t:
        return ""
    code = _code(t)
    if code is not None:
        return _SEX.get(code, "")
    return _SEX.get(_BRACKETS_RE.sub("", t), "")


def sexes_of(series: Any) -> pd.Series:
    """Vectorised :func:`sex_of`."""
    return map_distinct(series, sex_of)


# ---- grade labels -----------------------------------------------------------------------------

_LABEL_CN = "零一二三四五六七八九"
_LABEL_KINDER = {0: "托班", 1: "小班", 2: "中班", 3: "大班"}
_LABEL_HIGH = {1: "高一", 2: "高二", 3: "高三"}


def grade_label(stage: str | None, grade: Any) -> str:
    """Officer-facing grade: 中班, 三年级, 八年级, 高一, 中职二年级; the stage alone when the
    grade is unknown."""
    stage = stage or ""
    g = grade_value(grade)
    if g is None:
        return stage
    if stage == "幼儿园":
        return _LABEL_KINDER.get(g, f"幼儿园{g}")
    if stage == "高中":
        return _LABEL_HIGH.get(g, f"高中{g}年级")
    if stage in ("小学", "初中") and 0 < g < 10:
        return f"{_LABEL_CN[g]}年级"
    if stage == "中职" and 0 < g < 10:
        return f"中职{_LABEL_CN[g]}年级"
    return f"{stage}{g}年级"


def grade_value(grade: Any) -> int | None:
    """A parsed grade (int, float, numpy or pandas number) as int; None when missing."""
    if grade in ("", None):
        return None
    try:
        if pd.isna(grade):
            return None
    except (TypeError, ValueError):
        pass
    return int(grade)
