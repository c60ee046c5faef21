"""A small county for the payout / summary / notify tests, written as real .xlsx files.

Every registry person below is one situation the payout must handle; ``EXPECTED`` is what the
default policy promises each of them in 2020秋, written down by hand (not computed by fupin).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from conftest import FileMaker, make_id

D = Decimal
SEM = "2020秋"

JUNIOR = "清源县第二初级中学"
PRIMARY = "清源县城关第一小学"
KINDER = "清源县城关幼儿园"
HS_PROV = "清源县第一中学"
HS_CITY = "清源县第二中学"
HS_PLAIN = "清源县石门中学"
VOC = "清源县职业技术学校"
MIXED = "清源县实验学校"

# key: (name, ID, township, village, household, in-school status, poverty status)
P = {
    "j_board": ("张三", make_id("341021", "20070101", "111"), "城关镇", "凤山村", "H01", "八年级", "已脱贫（享受政策）"),
    "j_day": ("张小妹", make_id("341021", "20080202", "122"), "城关镇", "凤山村", "H01", "七年级", "已脱贫（享受政策）"),
    "p_day": ("李明", make_id("341021", "20110303", "131"), "溪口镇", "溪口村", "H02", "小学", "未脱贫"),
    "p_board": ("李亮", make_id("341021", "20090404", "151"), "溪口镇", "溪口村", "H02", "小学", "未脱贫"),
    "k": ("王小宝", make_id("341021", "20160505", "171"), "溪口镇", "上坊村", "H03", "学前教育", "返贫"),
    "h_prov": ("赵一", make_id("341021", "20050606", "211"), "石门乡", "石门村", "H04", "普通高中一年级", "脱贫不稳定户"),
    "h_city": ("赵二", make_id("341021", "20040707", "231"), "石门乡", "石门村", "H05", "普通高中二年级", "未脱贫"),
    "h_plain": ("钱三", make_id("341021", "20030808", "251"), "石门乡", "桃花村", "H06", "普通高中三年级", "未脱贫"),
    "v1": ("孙一", make_id("341021", "20050909", "271"), "龙潭镇", "龙潭村", "H07", "中职一年级", "未脱贫"),
    "v3": ("孙三", make_id("341021", "20031010", "291"), "龙潭镇", "龙潭村", "H07", "中职三年级", "未脱贫"),
    "j_noboard": ("周九", make_id("341021", "20061111", "311"), "龙潭镇", "青山村", "H08", "九年级", "未脱贫"),
    "inelig": ("吴停", make_id("341021", "20080101", "331"), "桃源乡", "桃源村", "H09", "七年级", "已脱贫（不再享受政策）"),
    "inactive": ("郑休", make_id("341021", "20120101", "351"), "桃源乡", "桃源村", "H10", "小学", "未脱贫"),
    "away": ("冯外", make_id("341021", "20080315", "371"), "桃源乡", "杏坑村", "H11", "七年级", "未脱贫"),
    "twin1": ("张伟", make_id("341021", "20100601", "391"), "龙潭镇", "白石村", "H12", "小学", "未脱贫"),
    "twin2": ("张伟", make_id("341021", "20100601", "413"), "龙潭镇", "白石村", "H12", "小学", "未脱贫"),
    "mixed": ("陈不明", make_id("341021", "20100707", "431"), "城关镇", "新塘村", "H13", "小学", "未脱贫"),
}

#: what the default policy promises in 2020秋 (person key -> {item code: amount})
EXPECTED: dict[str, dict[str, Decimal]] = {
    "j_board": {"LIVING_JUNIOR": D("625.00")},
    "j_day": {"LIVING_JUNIOR": D("312.50")},
    "p_day": {"LIVING_PRIMARY": D("250.00")},
    "p_board": {"LIVING_PRIMARY": D("500.00")},
    "k": {"PRESCHOOL": D("400.00")},
    "h_prov": {"HS_GRANT": D("1500.00"), "HS_TUITION": D("850.00")},
    "h_city": {"HS_GRANT": D("1500.00"), "HS_TUITION": D("700.00")},
    "h_plain": {"HS_GRANT": D("1500.00")},           # tuition: tier 普通 has no standard -> 待核实
    "v1": {"VOC_GRANT": D("1500.00")},
}
#: (person key, item code or '') expected on the 待核实 sheet, by kind
PENDING_AMOUNT = {("h_plain", "HS_TUITION"), ("j_noboard", "LIVING_JUNIOR")}
PENDING_STAGE = {"mixed"}
NOT_PAID = {"v3": "不在资助学段", "inelig": "不再享受政策", "inactive": "学籍状态非在读", "away": "不在名册"}

OUTSIDER_ID = make_id("341021", "20090909", "555")     # a 低保 child in a roster, not in the registry
# the roster's copy of a twin: an ID that is neither twin's (bad checksum), same name, same birth date
_TWIN_BODY = P["twin1"][1][:14] + "999"
TWIN_BAD_ID = _TWIN_BODY + ("1" if make_id("341021", "20100601", "999")[-1] != "1" else "2")

HEADER_ROSTER = ["学校名称", "姓名", "身份证件号", "年级", "班级", "就读方式", "学籍状态"]


def ident(key: str) -> str:
    return P[key][1]


@dataclass
class World:
    root: Path
    registry: Path
    rosters: Path
    schools: Path


def registry_rows() -> list[list]:
    rows = [["清源县建档立卡贫困人口信息（2020年）"],
            ["乡镇", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "在校生状况", "脱贫属性"]]
    for k, (name, idn, town, village, hh, ins, st) in P.items():
        rows.append([town, village, hh, f"{hh}-{k}", name, idn, "之子", ins, st])
    return rows


def roster_rows() -> dict[str, list[list]]:
    def r(key, school, grade, cls, boarding, status="在读"):
        return [school, P[key][0], P[key][1], grade, cls, boarding, status]
    return {
        "初中.xlsx": [HEADER_ROSTER, r("j_board", JUNIOR, "八年级", "2班", "住校"),
                      r("j_day", JUNIOR, "七年级", "1班", "走读"), r("j_noboard", JUNIOR, "九年级", "3班", ""),
                      r("inelig", JUNIOR, "七年级", "1班", "走读"),
                      [JUNIOR, "刘低保", OUTSIDER_ID, "八年级", "2班", "走读", "在读"]],
        "小学.xlsx": [HEADER_ROSTER, r("p_day", PRIMARY, "三年级", "1班", "走读"),
                      r("p_board", PRIMARY, "五年级", "2班", "住校"), r("inactive", PRIMARY, "二年级", "1班", "走读", "休学"),
                      [PRIMARY, "张伟", TWIN_BAD_ID, "四年级", "3班", "走读", "在读"]],
        "幼儿园.xlsx": [HEADER_ROSTER, r("k", KINDER, "中班", "中一班", "")],
        "高中.xlsx": [HEADER_ROSTER, r("h_prov", HS_PROV, "高一", "3班", "住校"),
                      r("h_city", HS_CITY, "高二", "1班", "住校"), r("h_plain", HS_PLAIN, "高三", "2班", "走读")],
        "中职.xlsx": [HEADER_ROSTER, r("v1", VOC, "一年级", "机电1班", "住校"), r("v3", VOC, "三年级", "机电3班", "住校")],
        "实验学校.xlsx": [HEADER_ROSTER, r("mixed", MIXED, "", "", "走读")],
    }


def make_world(files: FileMaker) -> World:
    registry = files.xlsx("input/建档立卡.xlsx", registry_rows())
    for name, rows in roster_rows().items():
        files.xlsx(f"input/名册/{name}", rows)
    schools = files.xlsx("input/学校名单.xlsx", [
        ["学校名称", "学段", "学校等级"],
        [HS_PROV, "普通高中", "省级示范高中"], [HS_CITY, "普通高中", "市示范"], [HS_PLAIN, "普通高中", "普通"],
        [VOC, "中职", ""], [JUNIOR, "初中", ""], [PRIMARY, "小学", ""], [KINDER, "幼儿园", ""]])
    return World(files.root, registry, files.root / "input" / "名册", schools)
