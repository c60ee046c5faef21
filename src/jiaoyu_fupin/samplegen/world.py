"""The synthetic county: registry households, schools, students, payments, lists.

Everything here is the *hidden truth*; ``exporters`` renders it (with damage) into files and
``oracle`` derives what the tool must conclude from what the files show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from . import ids as idm
from . import names as nm

# ----------------------------------------------------------------------------------------------
# Calendar and policy (SPEC.md default policy)
# ----------------------------------------------------------------------------------------------
REF = date(2020, 8, 31)          # ages for school year 2020 are counted on this day
SEMESTER = "2020秋"
PREV_SEMESTER = "2020春"
PAYOUT_SEMESTER = "2021春"
SCHOOL_YEAR = 2020
WINDOW = (date(SCHOOL_YEAR - 16, 9, 1), date(SCHOOL_YEAR - 6, 8, 31))  # 6..15 on 31 August

REGION = "341021"
NEIGHBOUR = "341022"
OTHER_REGIONS = ("330127", "360281", "341004", "522422", "420117")
PROVINCE, CITY, COUNTY = "安徽省", "新安市", "清源县"

D = Decimal
LIVING_PRIMARY = {True: D("500"), False: D("250")}
LIVING_JUNIOR = {True: D("625"), False: D("312.50")}
HS_TUITION = {"省示范": D("850"), "市示范": D("700"), "民办": D("350")}
ITEM_NAMES = {
    "PRESCHOOL": "学前教育幼儿资助",
    "LIVING_PRIMARY": "义务教育家庭经济困难学生生活补助（小学）",
    "LIVING_JUNIOR": "义务教育家庭经济困难学生生活补助（初中）",
    "HS_GRANT": "普通高中国家助学金",
    "HS_TUITION": "普通高中免学杂费",
    "VOC_GRANT": "中等职业学校国家助学金",
}
STAGE_WORD = {"K": "幼儿园", "P": "小学", "J": "初中", "H": "高中", "V": "中职"}
ELIGIBLE = {"未脱贫", "已脱贫", "已脱贫（享受政策）", "返贫", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"}
INACTIVE_CODES = {"休学": "02", "退学": "03", "停学": "04", "流失": "06", "毕业": "07", "转出": "10",
                  "死亡": "11"}
ACTIVE_CODES = {"在读": "01", "复学": "05"}


def entitlements(stage: str, grade: int, boarding: bool | None, tier: str) -> list[tuple[str, Decimal | None]]:
    """(item code, policy amount or None when the amount cannot be known) for one enrolment."""
    if stage == "K":
        return [("PRESCHOOL", D("400"))]
    if stage == "P":
        return [("LIVING_PRIMARY", None if boarding is None else LIVING_PRIMARY[boarding])]
    if stage == "J":
        return [("LIVING_JUNIOR", None if boarding is None else LIVING_JUNIOR[boarding])]
    if stage == "H":
        return [("HS_GRANT", D("1500")), ("HS_TUITION", HS_TUITION.get(tier))]
    if stage == "V" and grade in (1, 2):
        return [("VOC_GRANT", D("1500"))]
    return []


# ----------------------------------------------------------------------------------------------
# Geography and schools
# ----------------------------------------------------------------------------------------------
TOWNSHIPS = (
    # name, code, villages, household weight, registry file group
    ("城关镇", "100", ("城东社区", "凤山村", "新塘村", "柳湾村", "西门社区"), 25, "A"),
    ("溪口镇", "101", ("溪口村", "上坊村", "下坊村", "竹林村"), 20, "A"),
    ("石门乡", "102", ("石门村", "桃花村", "岭下村"), 13, "A"),
    ("桃源乡", "103", ("桃源村", "杏坑村", "茶园村", "石塘村", "黄泥村", "高坑村"), 22, "B"),
    ("龙潭镇", "104", ("龙潭村", "青山村", "白石村", "横溪村"), 20, "B"),
)


@dataclass(eq=False)
class School:
    code: str
    name: str
    label: str               # 学段 as in the schools list
    stages: tuple[str, ...]
    tier: str
    township: str
    size: int                # target roster rows (small scale)
    boarding_rate: float

    def stage_of(self, grade_stage: str) -> str:
        return grade_stage


SCHOOLS = (
    School("K1", "清源县城关幼儿园", "幼儿园", ("K",), "", "城关镇", 110, 0.0),
    School("K2", "清源县溪口镇中心幼儿园", "幼儿园", ("K",), "", "溪口镇", 95, 0.0),
    School("P1", "清源县城关第一小学", "小学", ("P",), "", "城关镇", 250, 0.03),
    School("P2", "清源县溪口镇中心小学", "小学", ("P",), "", "溪口镇", 190, 0.2),
    School("P3", "清源县石门乡桃花完小", "小学", ("P",), "", "石门乡", 40, 0.15),
    School("J1", "清源县第二初级中学", "初中", ("J",), "", "城关镇", 200, 0.45),
    School("J2", "清源县龙潭镇初级中学", "初中", ("J",), "", "龙潭镇", 130, 0.6),
    School("N1", "清源县桃源九年一贯制学校", "九年一贯制", ("P", "J"), "", "桃源乡", 150, 0.3),
    School("H1", "清源县第一中学", "普通高中", ("H",), "省示范", "城关镇", 160, 0.8),
    School("H2", "清源县第二中学", "普通高中", ("H",), "市示范", "城关镇", 120, 0.8),
    School("H3", "清源县育英高级中学", "普通高中", ("H",), "民办", "城关镇", 60, 0.9),
    School("H4", "清源县石门中学", "普通高中", ("H",), "普通", "石门乡", 80, 0.8),
    School("V1", "清源县职业技术学校", "中职", ("V",), "", "城关镇", 100, 0.7),
)
SCHOOL_BY_CODE = {s.code: s for s in SCHOOLS}
K_OF = {"城关镇": "K1", "石门乡": "K1", "溪口镇": "K2", "桃源乡": "K2", "龙潭镇": "K2"}
P_OF = {"城关镇": "P1", "溪口镇": "P2", "龙潭镇": "P2", "石门乡": "P3", "桃源乡": "N1"}
J_OF = {"城关镇": "J1", "溪口镇": "J1", "石门乡": "J2", "龙潭镇": "J2", "桃源乡": "N1"}
HS_WEIGHTS = (("H1", 35), ("H2", 30), ("H3", 15), ("H4", 20))
GRADES = {"K": (1, 2, 3), "P": (1, 2, 3, 4, 5, 6), "J": (7, 8, 9), "H": (1, 2, 3), "V": (1, 2, 3)}
FIRST_GRADE = {"K": 1, "P": 1, "J": 7, "H": 1, "V": 1}
# registry 在校生状况 words
CN_NUM = "零一二三四五六七八九"


def in_school_word(stage: str, grade: int) -> str:
    if stage == "K":
        return "学前教育"
    if stage == "P":
        return "小学"
    if stage == "J":
        return f"{CN_NUM[grade]}年级"
    if stage == "H":
        return f"普通高中{CN_NUM[grade]}年级"
    if stage == "V":
        return f"中职{CN_NUM[grade]}年级"
    raise ValueError(stage)


FUNDED_IN_SCHOOL = {"学前教育", "小学", "七年级", "八年级", "九年级", "普通高中一年级", "普通高中二年级",
                    "普通高中三年级", "中职一年级", "中职二年级"}


def age_on(birth: date, ref: date = REF) -> int:
    return ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))


def birth_for_age(rng: random.Random, age: int, ref: date = REF) -> date:
    lo = date(ref.year - age - 1, ref.month, ref.day) + timedelta(days=1)
    hi = date(ref.year - age, ref.month, ref.day)
    return lo + timedelta(days=rng.randrange((hi - lo).days + 1))


def stage_for_age(age: int) -> tuple[str, int] | None:
    if 3 <= age <= 5:
        return "K", age - 2
    if 6 <= age <= 11:
        return "P", age - 5
    if 12 <= age <= 14:
        return "J", age - 5
    if 15 <= age <= 17:
        return "H", age - 14
    return None


# ----------------------------------------------------------------------------------------------
# People and records
# ----------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Household:
    hno: str
    township: str
    village: str
    group: str                 # "A" (国办系统 file) or "B" (防返贫监测 file)
    status: str                # 脱贫属性 as exported
    monitor: str = ""          # 监测对象类别 (file B)
    htype: str = ""            # 户类型 (file B)
    poor_kind: str = "一般贫困户"
    phone: str = ""
    members: list = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.status in ELIGIBLE


@dataclass(eq=False)
class Person:
    pid: str                   # true 18-character ID
    name: str
    sex: str
    birth: date
    township: str
    village: str
    registry: bool = False
    hh: Household | None = None
    relation: str = ""
    pno: str = ""
    reg_id_raw: str = ""       # registry ID cell (18, or 20/22-char disability number)
    in_school: str = ""        # registry 在校生状况
    education: str = ""        # registry 文化程度
    ethnicity: str = "汉族"
    disability: str = ""
    # schooling (current, autumn 2020)
    stage: str | None = None
    grade: int | None = None
    school: School | None = None
    boarding: bool | None = None
    cls: str = ""
    status: str = "在读"         # current roster status word
    in_roster: bool = False    # has a current roster record
    prev: tuple | None = None  # (school, stage, grade) in spring 2020 if in a previous roster
    xueji: str = ""            # 全国学籍号 (G+ID, or J/L…)
    tags: list = field(default_factory=list)
    reg_ref: tuple = ()        # (file, sheet, row) of the registry row
    roster_rec: object = None  # the current roster Rec

    @property
    def age(self) -> int:
        return age_on(self.birth)

    @property
    def eligible(self) -> bool:
        return self.registry and self.hh is not None and self.hh.eligible

    @property
    def in_window(self) -> bool:
        return WINDOW[0] <= self.birth <= WINDOW[1]


@dataclass(eq=False)
class Rec:
    """One data row of a roster, ledger or list (hidden truth + rendering overrides)."""
    kind: str                  # roster, previous_roster, national, provincial, home_education, elsewhere
    person: Person
    school: School | None = None
    stage: str | None = None
    grade: int | None = None
    cls: str = ""
    boarding: bool | None = None
    status: str = "在读"
    # payments
    item: str = ""             # policy item code ("" for ignored items)
    item_label: str = ""       # the name as exported (set by exporters when empty)
    ignored_item: bool = False
    amount: Decimal | None = None
    semester: str = SEMESTER
    hardship: str = ""
    ledger_file: str = ""      # which national file ("A" or "B")
    # rendering overrides (None = let the exporter render the true value in the file's style)
    id_raw: object = None
    id_set: bool = False
    name_raw: str | None = None
    xueji_raw: str | None = None
    no_style: bool = False     # exporter must not add formatting mess to the ID
    # expected link (the truth)
    exp_class: str = ""        # exact, mismatch, review, invalid, none
    exp_reg: str = ""
    candidates: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    # filled by the exporter
    file: str = ""
    sheet: str = ""
    row: int = 0
    raw_id: object = None
    raw_name: str = ""
    raw_xueji: str = ""
    raw_village: str = ""
    raw_birth: str = ""

    @property
    def active(self) -> bool:
        return self.status in ("在读", "复学")

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.sheet}:{self.row}"

    def set_id(self, value, no_style: bool = True) -> None:
        self.id_raw = value
        self.id_set = True
        self.no_style = no_style


# ----------------------------------------------------------------------------------------------
# The world
# ----------------------------------------------------------------------------------------------
class World:
    def __init__(self, seed: int, target_persons: int = 700):
        self.seed = seed
        self.rng = random.Random(seed)
        self.target_persons = target_persons
        self.households: list[Household] = []
        self.persons: list[Person] = []          # registry persons
        self.others: list[Person] = []           # non-registry students
        self.roster: list[Rec] = []
        self.previous: list[Rec] = []
        self.payments: list[Rec] = []
        self.home: list[Rec] = []
        self.elsewhere: list[Rec] = []
        self.used_ids: set[str] = set()
        self.scenarios: dict[str, int] = {}
        self.notes: list[str] = []
        self._reg_keys: dict[str, list[Person]] = {}
        self._reg_neigh: set[str] = set()
        self._reg_prefix14: set[str] = set()
        self._used: set[int] = set()             # id(person) of scenario-tagged persons

    # ---------------- helpers
    def count(self, key: str, n: int = 1) -> None:
        self.scenarios[key] = self.scenarios.get(key, 0) + n

    def new_id(self, region: str, birth: date, sex: str, outsider: bool = False,
               avoid_prefix: bool = False) -> str:
        rng = self.rng
        for _ in range(2000):
            seq = rng.randrange(1, 999)
            if (seq % 2 == 1) != (sex == "男"):
                seq += 1
            if seq > 999:
                continue
            pid = idm.make_id(region, birth, seq)
            if pid in self.used_ids:
                continue
            if outsider and pid in self._reg_neigh:
                continue
            if avoid_prefix and pid[:14] in self._reg_prefix14:
                continue
            if not _excel_safe(pid):
                continue
            self.used_ids.add(pid)
            return pid
        raise RuntimeError("ID space exhausted")

    def region_for(self, born_here: float = 0.93) -> str:
        r = self.rng.random()
        if r < born_here:
            return REGION
        if r < born_here + 0.04:
            return NEIGHBOUR
        return self.rng.choice(OTHER_REGIONS)

    def _key_taken(self, name: str, birth: date) -> bool:
        for k in nm.name_keys(name):
            for p in self._reg_keys.get(k, ()):
                if p.birth == birth:
                    return True
        return False

    def _index(self, p: Person) -> None:
        for k in nm.name_keys(p.name):
            self._reg_keys.setdefault(k, []).append(p)

    def unique_name(self, p: Person) -> bool:
        """No other registry person shares any name key with p."""
        return all(len(self._reg_keys.get(k, ())) == 1 for k in nm.name_keys(p.name))

    # ---------------- registry
    def build_registry(self) -> None:
        rng = self.rng
        tw_weights = [t[3] for t in TOWNSHIPS]
        hh_seq: dict[str, int] = {}
        n_people = 0
        while n_people < self.target_persons:
            tw = rng.choices(TOWNSHIPS, weights=tw_weights)[0]
            tname, tcode, villages, _, group = tw
            vi = rng.randrange(len(villages))
            village = villages[vi]
            key = f"{tcode}{vi}"
            hh_seq[key] = hh_seq.get(key, 0) + 1
            if group == "A":
                hno = f"{REGION}{tcode}{vi + 1:03d}{hh_seq[key]:05d}"          # 17 digits
            else:
                hno = f"{REGION}{tcode}{vi + 1:02d}{hh_seq[key]:03d}"          # 14 digits
            hh = Household(hno, tname, village, group, status="")
            self._household_status(hh)
            hh.phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            self._household_members(hh)
            self.households.append(hh)
            n_people += len(hh.members)
        self.persons = [p for hh in self.households for p in hh.members]
        self._schooling_for_registry()

    def finalize_registry(self) -> None:
        """Person numbers, final person order, guard sets (after the special cases were added)."""
        self.persons = []
        for hh in self.households:
            for i, p in enumerate(hh.members):
                p.pno = f"{hh.hno}{i + 1:02d}"
                self.persons.append(p)
        self._reg_keys = {}
        for p in self.persons:
            self._index(p)
            self._reg_neigh.update(idm.neighbours(p.pid))
            self._reg_prefix14.add(p.pid[:14])

    def _household_status(self, hh: Household) -> None:
        r = self.rng.random()
        if hh.group == "A":
            if r < 0.06:
                hh.status = "已脱贫（不再享受政策）"
            elif r < 0.16:
                hh.status = "未脱贫"
            elif r < 0.21:
                hh.status = "返贫"
            else:
                hh.status = "已脱贫（享受政策）"
            hh.poor_kind = self.rng.choices(["一般贫困户", "低保贫困户", "特困供养贫困户"], [75, 20, 5])[0]
        else:
            # 防返贫监测 export: 脱贫属性 always holds a value the policy lists
            if r < 0.12:
                hh.status, hh.monitor, hh.htype = "已脱贫（享受政策）", "脱贫不稳定户", "脱贫户"
            elif r < 0.18:
                hh.status, hh.monitor, hh.htype = "边缘易致贫户", "边缘易致贫户", "监测户"
            elif r < 0.22:
                hh.status, hh.monitor, hh.htype = "突发严重困难户", "突发严重困难户", "监测户"
            elif r < 0.30:
                hh.status, hh.monitor, hh.htype = "未脱贫", "", "脱贫户"
            else:
                hh.status, hh.monitor, hh.htype = "已脱贫（享受政策）", "", "脱贫户"

    def _mk(self, hh: Household, relation: str, sex: str, birth: date, surname: str,
            elder: bool = False, minority: bool = False, father_given: str = "") -> Person:
        rng = self.rng
        for _ in range(200):
            if minority:
                name = nm.minority_given(rng, sex) + "·" + (father_given or nm.minority_given(rng, "男"))
            else:
                name = surname + nm.given_name(rng, sex, elder)
            if not self._key_taken(name, birth) and all(
                    nm.strip_name(name) != nm.strip_name(m.name) for m in hh.members):
                break
        region = REGION if relation not in ("配偶", "之儿媳", "之女婿") else self.region_for(0.7)
        if relation in ("之子", "之女", "之孙子", "之孙女") and rng.random() < 0.03:
            region = rng.choice(OTHER_REGIONS)
        p = Person(self.new_id(region, birth, sex), name, sex, birth, hh.township, hh.village,
                   registry=True, hh=hh, relation=relation)
        p.reg_id_raw = p.pid
        if minority:
            p.ethnicity = "维吾尔族"
        hh.members.append(p)
        self._index(p)
        return p

    def _household_members(self, hh: Household) -> None:
        rng = self.rng
        minority = rng.random() < 0.015 or len(self.households) in (7, 61, 113)
        t = rng.random()

        def sex_of(rel: str) -> str:
            return "男" if rel in ("之子", "之孙子", "之父", "户主男") else "女"

        def kid_rel(gen: int) -> tuple[str, str]:
            sex = rng.choice("男女")
            if gen == 1:
                return ("之子" if sex == "男" else "之女"), sex
            return ("之孙子" if sex == "男" else "之孙女"), sex

        def add_kids(n: int, gen: int, mother_age: int, surname: str, father_given: str,
                     lo: int = 0, hi: int = 21) -> None:
            ages = set()
            for _ in range(n):
                top = min(hi, mother_age - 19)
                if top < lo:
                    return
                a = rng.randint(lo, top)
                if a < 3 and rng.random() < 0.5:
                    a = rng.randint(lo, top)
                if a in ages:
                    continue
                ages.add(a)
                rel, sex = kid_rel(gen)
                self._mk(hh, rel, sex, birth_for_age(rng, a), surname, minority=minority,
                         father_given=father_given)

        surname = nm.pick_surname(rng)
        if t < 0.58:                                   # parents and children
            head_sex = "男" if rng.random() < 0.88 else "女"
            ha = rng.randint(29, 50)
            head = self._mk(hh, "户主", head_sex, birth_for_age(rng, ha), surname, minority=minority)
            mother_age = ha
            if rng.random() < 0.88:
                sa = max(22, ha + rng.randint(-4, 3))
                sp = self._mk(hh, "配偶", "女" if head_sex == "男" else "男", birth_for_age(rng, sa),
                              nm.pick_surname(rng), minority=minority)
                mother_age = sa if sp.sex == "女" else ha
            fg = nm.split_surname(head.name)[1] if not minority else head.name.split("·")[0]
            add_kids(rng.choices([1, 2, 3, 4], [10, 32, 36, 22])[0], 1, mother_age,
                     surname if head_sex == "男" else nm.pick_surname(rng), fg)
            if rng.random() < 0.25:
                rel = rng.choice(["之父", "之母"])
                self._mk(hh, rel, "男" if rel == "之父" else "女", birth_for_age(rng, ha + rng.randint(24, 32)),
                         surname, elder=True)
        elif t < 0.82:                                 # three generations
            ha = rng.randint(50, 68)
            head = self._mk(hh, "户主", "男", birth_for_age(rng, ha), surname, elder=True, minority=minority)
            if rng.random() < 0.8:
                self._mk(hh, "配偶", "女", birth_for_age(rng, ha - rng.randint(0, 4)), nm.pick_surname(rng),
                         elder=True, minority=minority)
            sa = rng.randint(24, min(38, ha - 20))
            son = self._mk(hh, "之子", "男", birth_for_age(rng, sa), surname, minority=minority)
            mother_age = sa
            if rng.random() < 0.7:
                da = max(22, sa + rng.randint(-4, 2))
                self._mk(hh, "之儿媳", "女", birth_for_age(rng, da), nm.pick_surname(rng))
                mother_age = da
            fg = nm.split_surname(son.name)[1] if not minority else son.name.split("·")[0]
            add_kids(rng.choices([1, 2, 3], [15, 50, 35])[0], 2, mother_age, surname, fg, 0, 16)
            if rng.random() < 0.3:
                self._mk(hh, "之女", "女", birth_for_age(rng, rng.randint(16, min(30, ha - 20))), surname)
        elif t < 0.93:                                 # grandparents with left-behind grandchildren
            ha = rng.randint(58, 76)
            self._mk(hh, "户主", "男" if rng.random() < 0.7 else "女", birth_for_age(rng, ha), surname,
                     elder=True)
            if rng.random() < 0.6:
                self._mk(hh, "配偶", "女", birth_for_age(rng, ha - rng.randint(0, 5)), nm.pick_surname(rng),
                         elder=True)
            add_kids(rng.choices([1, 2, 3], [35, 45, 20])[0], 2, 45, surname, "", 4, 16)
        else:                                          # single parent
            head_sex = rng.choice("男女")
            ha = rng.randint(30, 50)
            head = self._mk(hh, "户主", head_sex, birth_for_age(rng, ha), surname)
            add_kids(rng.choices([1, 2, 3], [35, 45, 20])[0], 1, ha,
                     surname if head_sex == "男" else nm.pick_surname(rng), "")

    def _schooling_for_registry(self) -> None:
        """Registry 在校生状况 / 文化程度 and the intended enrolment of every registry person."""
        rng = self.rng
        for p in self.persons:
            a = p.age
            st = stage_for_age(a)
            if st and st[0] == "K" and rng.random() < 0.12:
                st = None
            if st and st[0] == "H" and rng.random() < 0.3:
                st = ("V", st[1])
            if st and st[0] == "H" and rng.random() < 0.06:
                st = None                                   # left school after junior
            if st:
                stage, grade = st
                p.stage, p.grade = stage, grade
                p.in_school = in_school_word(stage, grade)
                p.school = self._school_for(p.township, stage)
                p.boarding = rng.random() < p.school.boarding_rate if stage in "PJ" else (
                    None if stage == "K" else rng.random() < p.school.boarding_rate)
                p.in_roster = True
            elif a < 6:
                p.in_school = "学龄前儿童"
            elif 18 <= a <= 21 and rng.random() < 0.55:
                if rng.random() < 0.5:
                    p.in_school = f"本科{CN_NUM[min(a - 17, 4)]}年级"
                else:
                    p.in_school = f"高职高专{CN_NUM[min(a - 17, 3)]}年级"
            else:
                p.education = self._education(a)

    def _education(self, age: int) -> str:
        r = self.rng.random()
        if age >= 60:
            return "文盲或半文盲" if r < 0.4 else ("小学" if r < 0.85 else "初中")
        if age >= 15:
            return "小学" if r < 0.2 else ("初中" if r < 0.75 else ("高中" if r < 0.93 else "大专"))
        return "小学"

    def _school_for(self, township: str, stage: str) -> School:
        if stage == "K":
            return SCHOOL_BY_CODE[K_OF[township]]
        if stage == "P":
            return SCHOOL_BY_CODE[P_OF[township]]
        if stage == "J":
            return SCHOOL_BY_CODE[J_OF[township]]
        if stage == "H":
            return SCHOOL_BY_CODE[self.rng.choices([c for c, _ in HS_WEIGHTS], [w for _, w in HS_WEIGHTS])[0]]
        return SCHOOL_BY_CODE["V1"]

    # ---------------- non-registry students
    def build_others(self) -> None:
        reg_in = {}
        for p in self.persons:
            if p.in_roster:
                reg_in[p.school.code] = reg_in.get(p.school.code, 0) + 1
        forbidden = set(self._reg_keys)
        for s in SCHOOLS:
            n = max(s.size - reg_in.get(s.code, 0), int(1.5 * reg_in.get(s.code, 0)))
            grades = [(st, g) for st in s.stages for g in GRADES[st]]
            for i in range(n):
                stage, grade = grades[i % len(grades)]
                self._new_other(s, stage, grade, forbidden)

    def _new_other(self, s: School, stage: str, grade: int, forbidden: set, age_shift: int = 0,
                   township: str | None = None) -> Person:
        rng = self.rng
        age = {"K": grade + 2, "P": grade + 5, "J": grade + 5, "H": grade + 14, "V": grade + 14}[stage]
        if rng.random() < 0.04:
            age += 1
        age += age_shift
        birth = birth_for_age(rng, age)
        sex = rng.choice("男女")
        for _ in range(500):
            name = nm.pick_surname(rng) + nm.given_name(rng, sex)
            if not (nm.name_keys(name) & forbidden):
                break
        tw = township or (s.township if stage in "KPJ" else rng.choice(TOWNSHIPS)[0])
        village = rng.choice(next(t for t in TOWNSHIPS if t[0] == tw)[2])
        region = self.region_for(0.86)
        while s.code == "P3" and f"{region}{birth:%Y%m%d}" in self._reg_prefix14:
            birth = birth_for_age(rng, age)
        pid = self.new_id(region, birth, sex, outsider=True, avoid_prefix=(s.code == "P3"))
        p = Person(pid, name, sex, birth, tw, village)
        p.stage, p.grade, p.school = stage, grade, s
        p.boarding = (rng.random() < s.boarding_rate) if stage != "K" else None
        p.in_roster = True
        self.others.append(p)
        return p

    # ---------------- classes, 学籍号, previous state
    def finish_students(self) -> None:
        rng = self.rng
        everyone = [p for p in self.persons + self.others if p.stage]
        for p in everyone:
            if p.stage and not p.cls:
                n_cls = 3 if p.school and p.school.size > 150 else 2
                p.cls = str(rng.randrange(1, n_cls + 1))
            if not p.xueji and p.stage and p.stage != "K":
                p.xueji = "G" + p.pid
        for p in self.persons + self.others:
            if "no_prev" in p.tags:
                continue
            if "prev_only" in p.tags:
                p.prev = (p.school, p.stage, p.grade - 1)
            elif p.in_roster and p.prev is None:
                p.prev = self._prev_state(p)

    def _prev_state(self, p: Person) -> tuple | None:
        rng = self.rng
        st, g, s = p.stage, p.grade, p.school
        if st is None or s is None:
            return None
        if rng.random() < 0.03:
            return None                                  # moved into the county this summer
        if g != FIRST_GRADE[st]:
            return (s, st, g - 1)
        if st == "K":
            return None
        if st == "P":
            return (SCHOOL_BY_CODE[K_OF[p.township]], "K", 3) if rng.random() < 0.8 else None
        if st == "J":
            return (s, "P", 6) if s.code == "N1" else (SCHOOL_BY_CODE[P_OF[p.township]], "P", 6)
        return (SCHOOL_BY_CODE[J_OF[p.township]], "J", 9)

    # ---------------- records
    def build_records(self) -> None:
        for p in self.persons + self.others:
            if p.in_roster:
                r = Rec("roster", p, p.school, p.stage, p.grade, p.cls, p.boarding, p.status)
                p.roster_rec = r
                self.roster.append(r)
            if p.prev is not None:
                s, st, g = p.prev
                self.previous.append(Rec("previous_roster", p, s, st, g, p.cls, p.boarding, "在读"))

    def pay(self, p: Person, item: str, amount: Decimal, *, ledger: str = "national",
            hardship: str = "建档立卡", semester: str = SEMESTER, stage: str | None = None,
            grade: int | None = None, school: School | None = None, boarding: bool | None = None,
            tags: tuple = ()) -> Rec:
        r = Rec(ledger, p, school or p.school, stage or p.stage, grade or p.grade, p.cls,
                p.boarding if boarding is None else boarding, item=item, amount=amount,
                semester=semester, hardship=hardship, tags=list(tags))
        self.payments.append(r)
        return r


def _excel_safe(pid: str) -> bool:
    """True when Excel's 15-digit rounding leaves region + birth date (first 14) intact."""
    if not pid.isdigit():
        return True                                     # ...X IDs stay text in Excel
    n15 = str((int(pid) + 500) // 1000)
    return len(n15) == 15 and n15[:14] == pid[:14]
