"""Header texts -> canonical fields.

Real exports name the same column in many ways (by province, by year, by the officer who
re-typed the header).  Matching happens on a normalised header text (``norm_header``):

1. exact synonyms (``EXACT``), earlier entries in a field's list win over later ones when two
   columns of one sheet claim the same field (``实发金额`` beats ``应发金额``);
2. headers that are never a field of ours (``IGNORE`` / ``IGNORE_CONTAINS``: the head of
   household's ID, a guardian's name, 学籍副号, bank accounts…);
3. contains-rules (``CONTAINS``) for the long tail (``学生身份证号码（必填）`` …);
4. fallbacks (``FALLBACK``): used only when no other column gave the field (``残疾证号`` is the ID
   only if the sheet has no ID column; ``资助类型`` is the item only if there is no item column).

``columns.toml`` overrides come before all of these (see ``header.py``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# priorities (lower wins); the fractional part orders synonyms inside one class
P_OVERRIDE = 0.0
P_EXACT = 1.0
P_CONTAINS = 2.0
P_FALLBACK = 3.0

EXACT: dict[str, tuple[str, ...]] = {
    "id_number": (
        "身份证号", "身份证号码", "身份证件号", "身份证件号码", "学生身份证号", "学生身份证号码",
        "学生身份证件号", "学生身份证件号码", "幼儿身份证号", "幼儿身份证号码", "儿童身份证号",
        "儿童身份证号码", "受助学生身份证号", "受助学生身份证号码", "公民身份号码", "公民身份证号",
        "公民身份证号码", "证件号码", "证件号", "学生证件号", "学生证件号码", "身份证", "身份证号/学籍号",
        "身份证号码/学籍号", "证件编号", "身份证编号", "居民身份证号", "居民身份证号码", "学生身份号码",
        "身份号码", "证件号码(身份证)", "身份证件号(身份证)",
    ),
    "name": (
        "姓名", "学生姓名", "幼儿姓名", "儿童姓名", "受助学生姓名", "受助学生", "受助人姓名", "学生名称",
        "学生", "受助人", "资助对象姓名", "资助对象", "人员姓名", "成员姓名", "家庭成员姓名", "名字",
        "适龄儿童姓名", "儿童少年姓名", "子女姓名",
    ),
    "sex": ("性别", "学生性别", "性别代码"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日", "出生时间", "出生日期(年月日)"),
    "township": (
        "乡镇", "乡(镇)", "乡镇(街道)", "乡(镇、街道)", "乡镇街道", "所在乡镇", "户籍乡镇", "乡镇名称",
        "乡", "镇", "乡镇/街道", "所属乡镇", "乡镇(场)", "所在乡(镇)", "户籍所在乡镇", "街道(乡镇)",
    ),
    "village": (
        "行政村", "村", "所在村", "村(社区)", "行政村(社区)", "村(居)", "村居", "村委会", "村名",
        "行政村名称", "村名称", "所属村", "所在行政村", "户籍所在村", "村社区", "社区(村)", "村组",
        "村(居)委会", "村/社区",
    ),
    "household_no": ("户编号", "户码", "户编码", "家庭编号", "户号", "贫困户编号", "户主编号"),
    "person_no": ("人编号", "人口编号", "个人编号", "人员编号", "成员编号", "人口编码", "人编码"),
    "relation": ("与户主关系", "与户主的关系", "家庭关系", "与户主关系代码", "户主关系"),
    "in_school_status": ("在校生状况", "在校生情况", "就学状况", "在校生状态", "在校状况", "在学状况",
                         "就学情况", "在校生状况(在读年级)"),
    "poverty_status": ("脱贫属性", "贫困户状态", "脱贫状态", "贫困状态", "是否脱贫", "脱贫情况",
                       "户脱贫属性", "贫困户脱贫属性", "脱贫标志"),
    "monitor_type": ("监测对象类别", "检测对象类别", "监测对象类型", "检测对象类型", "监测类型",
                     "监测对象类", "防返贫监测对象类别", "监测户类型", "监测户类别"),
    "household_type": ("户类型", "户类别", "农户类型"),
    "school": (
        "学校名称", "学校", "就读学校", "学校全称", "所在学校", "就读学校名称", "学校(单位)名称", "学校名",
        "就读学校全称", "在读学校", "所在学校名称", "学校(幼儿园)名称", "学校(园)名称", "幼儿园名称",
        "单位名称", "就学学校", "现就读学校", "学校/幼儿园",
    ),
    "school_code": ("学校标识码", "学校代码", "学校编码", "学校编号", "学校识别码", "单位代码"),
    "stage": ("学段", "学校类型", "教育阶段", "就读学段", "学习阶段", "所在学段", "办学层次", "学校类别",
              "学段名称", "教育层次"),
    "grade": ("年级", "所在年级", "就读年级", "年级名称", "当前年级", "现就读年级", "入学年级"),
    "class": ("班级", "所在班级", "班级名称", "班", "班级号", "就读班级"),
    "boarding": ("就读方式", "是否住校", "住宿情况", "寄宿/走读", "是否寄宿", "寄宿情况", "住校/走读",
                 "走读/寄宿", "是否寄宿生", "寄宿生", "住宿方式", "就读方式(住校/走读)", "住校情况"),
    "enrolment_status": ("学籍状态", "学生当前状态", "在校状态", "学生状态", "学籍情况", "当前状态",
                         "学生学籍状态", "在籍状态", "学籍状况", "在校情况", "就学状态"),
    "xueji_no": ("全国学籍号", "学籍号", "学生学籍号", "全国学籍号码", "学籍号码", "国家学籍号",
                 "全国学籍编号", "学籍编号"),
    "item": ("资助项目", "项目名称", "资助项目名称", "资助名称", "补助项目", "资助内容", "项目",
             "资助项目类别", "享受资助项目", "受助项目", "资助政策", "享受政策", "补助类别"),
    "amount": ("实发金额", "发放金额", "资助金额", "金额", "补助金额", "资助金额(元)", "金额(元)",
               "发放金额(元)", "补助金额(元)", "实发金额(元)", "本次发放金额", "应发金额", "应发金额(元)",
               "受助金额", "资助标准", "补助标准", "发放标准"),
    "school_year": ("学年", "资助学年", "发放学年", "所属学年", "资助年度", "年度学年"),
    "semester": ("学期", "资助学期", "发放学期", "所属学期", "学期名称", "发放批次", "资助时间"),
    "hardship_type": ("家庭经济困难类型", "困难类型", "贫困类型", "学生类别", "资助对象类别",
                      "家庭困难类型", "经济困难类型", "困难学生类型", "困难类别", "贫困类别", "家庭经济困难类别",
                      "困难学生类别", "学生困难类型", "特殊困难类型", "资助对象类型"),
    "pay_date": ("发放日期", "发放时间", "发放年月", "支付日期", "拨付日期"),
    "tier": ("学校等级", "办学类型", "示范等级", "收费标准类别", "学校级别", "示范类别", "办学性质",
             "学校性质", "示范性", "学校等次"),
    "head_name": ("户主姓名", "户主", "户主名字"),
    "phone": ("联系电话", "户联系电话", "电话", "手机号", "手机号码", "联系方式", "家长电话", "家长联系电话",
              "监护人电话", "监护人联系电话", "电话号码"),
    "hukou": ("户口所在地", "户籍所在地", "户籍地", "户籍地址", "户口所在地址", "户籍", "户口地址"),
    "reason": ("不在校原因", "辍学原因", "失学原因", "未上学原因", "失学或辍学原因",
               "义务教育阶段未上学原因", "原因", "备注原因"),
}

#: Headers that are never mapped (even though they contain e.g. 证件号 or 姓名).
IGNORE: frozenset[str] = frozenset({
    "序号", "编号", "证件类型", "身份证件类型", "学籍副号", "学籍辅号", "户主证件号码", "户主身份证号",
    "户主身份证号码", "户主证件号", "监护人姓名", "监护人身份证号", "监护人身份证号码", "家长姓名",
    "家长身份证号", "父亲姓名", "母亲姓名", "民族", "文化程度", "健康状况", "劳动技能", "备注",
})

#: Any header containing one of these is never mapped (checked after EXACT).
IGNORE_CONTAINS: tuple[str, ...] = (
    "户主证件", "户主身份", "监护人", "父亲", "母亲", "家长", "法定代表", "联系人", "经办", "填表",
    "银行", "卡号", "账号", "帐号", "开户", "副号", "辅号", "证件类型", "审核", "负责人",
)

#: (substring, field, excluded substrings) — checked in order on the parenthesis-free text.
CONTAINS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("身份证", "id_number", ()),
    ("证件号", "id_number", ("残疾",)),
    ("身份号码", "id_number", ()),
    ("学籍号", "xueji_no", ()),
    ("学籍编号", "xueji_no", ()),
    ("户主姓名", "head_name", ()),
    ("姓名", "name", ()),
    ("出生", "birth_date", ("地",)),
    ("性别", "sex", ()),
    ("标识码", "school_code", ()),
    ("学校代码", "school_code", ()),
    ("学校等级", "tier", ()),
    ("示范", "tier", ()),
    ("学校类型", "stage", ()),
    ("学段", "stage", ()),
    ("学校", "school", ("代码", "编号", "编码", "类型", "类别", "等级", "性质", "地址", "电话", "联系",
                        "所在地", "数", "区划")),
    ("幼儿园", "school", ("代码", "编号", "类型", "等级", "数")),
    ("年级", "grade", ()),
    ("班级", "class", ()),
    ("乡镇", "township", ()),
    ("街道", "township", ()),
    ("行政村", "village", ()),
    ("户编号", "household_no", ()),
    ("户编码", "household_no", ()),
    ("人编号", "person_no", ()),
    ("人口编号", "person_no", ()),
    ("户主关系", "relation", ()),
    ("在校生", "in_school_status", ()),
    ("监测对象", "monitor_type", ()),
    ("检测对象", "monitor_type", ()),
    ("脱贫属性", "poverty_status", ()),
    ("脱贫状态", "poverty_status", ()),
    ("户类型", "household_type", ()),
    ("学籍状态", "enrolment_status", ()),
    ("学生状态", "enrolment_status", ()),
    ("就读方式", "boarding", ()),
    ("住校", "boarding", ()),
    ("寄宿", "boarding", ("人数",)),
    ("走读", "boarding", ("人数",)),
    ("资助项目", "item", ()),
    ("项目名称", "item", ()),
    ("实发", "amount", ()),
    ("金额", "amount", ("累计", "合计", "总计")),
    ("学年", "school_year", ()),
    ("学期", "semester", ()),
    ("困难类型", "hardship_type", ()),
    ("困难类别", "hardship_type", ()),
    ("贫困类型", "hardship_type", ()),
    ("对象类别", "hardship_type", ()),
    ("发放日期", "pay_date", ()),
    ("发放时间", "pay_date", ()),
    ("电话", "phone", ()),
    ("手机", "phone", ()),
    ("户口", "hukou", ()),
    ("户籍所在", "hukou", ()),
)

#: Used only when no column of higher priority gave the field.
FALLBACK: dict[str, tuple[str, ...]] = {
    "id_number": ("残疾证号", "残疾证号码", "残疾人证号", "残疾人证号码", "残疾证编号"),
    "item": ("资助类型", "资助类别", "补助类型"),
    "village": ("自然村", "村民小组", "组"),
    "amount": ("合计金额", "小计", "合计"),
}

_DROP = re.compile(r"[\s*＊★☆※#＃]+")
_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_LEADING_NUM = re.compile(r"^\d{1,2}[.、．]\s*(?=\D)")


@lru_cache(maxsize=65536)
def norm_header(text: str) -> tuple[str, str]:
    """``(full, bare)``: NFKC, no spaces/newlines/asterisks, lowercase, no trailing colon;
    ``bare`` also without parenthesised parts (``金额（元）`` -> ``金额``, ``乡(镇)`` -> ``乡``)."""
    s = unicodedata.normalize("NFKC", text)
    s = _DROP.sub("", s).lower().rstrip(":：")
    s = _LEADING_NUM.sub("", s)
    s = s.replace("(", "(").replace(")", ")")
    bare = _PARENS.sub("", s)
    bare = _PARENS.sub("", bare)
    return s, (bare or s)


def _build_exact() -> dict[str, tuple[str, float]]:
    table: dict[str, tuple[str, float]] = {}
    for fld, words in EXACT.items():
        for i, w in enumerate(words):
            for key in set(norm_header(w)):
                table.setdefault(key, (fld, P_EXACT + i / 1000))
    return table


def _build_fallback() -> dict[str, tuple[str, float]]:
    table: dict[str, tuple[str, float]] = {}
    for fld, words in FALLBACK.items():
        for i, w in enumerate(words):
            table.setdefault(norm_header(w)[0], (fld, P_FALLBACK + i / 1000))
    return table


EXACT_TABLE = _build_exact()
FALLBACK_TABLE = _build_fallback()
_IGNORE_NORM = frozenset(norm_header(w)[0] for w in IGNORE)


@lru_cache(maxsize=65536)
def match_header(text: str) -> tuple[str, float] | None:
    """The canonical field a header text names and its priority, or None."""
    if not text:
        return None
    full, bare = norm_header(text)
    if not full or len(full) > 30:
        return None
    hit = EXACT_TABLE.get(full) or EXACT_TABLE.get(bare)
    if hit:
        return hit
    if full in _IGNORE_NORM or bare in _IGNORE_NORM:
        return None
    if any(w in full for w in IGNORE_CONTAINS):
        return None
    fb = FALLBACK_TABLE.get(full) or FALLBACK_TABLE.get(bare)
    if fb:
        return fb
    if len(bare) > 12:  # long text is a title or a note, not a column name
        return None
    for i, (sub, fld, excl) in enumerate(CONTAINS):
        if sub in bare and not any(e in bare for e in excl):
            return fld, P_CONTAINS + i / 1000
    return None


#: Chinese names of the canonical fields (messages, terminal tables).
FIELD_LABELS: dict[str, str] = {
    "id_number": "身份证号", "name": "姓名", "sex": "性别", "birth_date": "出生日期", "township": "乡镇",
    "village": "行政村", "household_no": "户编号", "person_no": "人编号", "relation": "与户主关系",
    "in_school_status": "在校生状况", "poverty_status": "脱贫属性", "school": "学校名称",
    "school_code": "学校标识码", "stage": "学段", "grade": "年级", "class": "班级", "boarding": "就读方式",
    "enrolment_status": "学籍状态", "xueji_no": "全国学籍号", "item": "资助项目", "amount": "金额",
    "school_year": "学年", "semester": "学期", "hardship_type": "家庭经济困难类型", "pay_date": "发放日期",
    "tier": "学校等级", "head_name": "户主姓名", "phone": "联系电话", "hukou": "户口所在地",
    "monitor_type": "监测对象类别", "household_type": "户类型", "reason": "原因",
}
