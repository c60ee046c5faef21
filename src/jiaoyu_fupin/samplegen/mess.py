"""Injected scenarios: special people, enrolment situations, payment errors and record damage.

Each scenario is counted in ``World.scenarios`` (written to scenario.json). Persons used by a
scenario are tagged and not reused by another one, so the truth of each stays clear; the few
deliberate combinations are noted where they are made.
"""

from __future__ import annotations

from datetime import date

from . import ids as idm
from . import names as nm
from .world import (
    PREV_SEMESTER,
    REGION,
    SCHOOL_BY_CODE,
    SEMESTER,
    D,
    Person,
    Rec,
    World,
    entitlements,
    in_school_word,
)


# ----------------------------------------------------------------------------------------------
# selection helpers
# ----------------------------------------------------------------------------------------------
def _free(w: World, p: Person) -> bool:
    return id(p) not in w._used


def _take(w: World, p: Person, tag: str) -> Person:
    w._used.add(id(p))
    p.tags.append(tag)
    return p


def pick(w: World, tag: str, pred, n: int = 1, unique: bool = True, count: bool = True) -> list[Person]:
    pool = [p for p in w.persons if _free(w, p) and pred(p) and (not unique or w.unique_name(p))]
    if len(pool) < n:
        raise RuntimeError(f"not enough people for scenario {tag}: {len(pool)} < {n}")
    chosen = w.rng.sample(pool, n)
    for p in chosen:
        _take(w, p, tag)
    if count:
        w.count(tag, n)
    return chosen


def enrolled(stage: str | None = None, school: str | None = None, boarding: bool | None = None,
             eligible: bool = True, window: bool | None = None, grades=None):
    def pred(p: Person) -> bool:
        if not (p.in_roster and p.status == "在读" and p.stage):
            return False
        if eligible is not None and p.eligible != eligible:
            return False
        if stage and p.stage not in stage:
            return False
        if school and p.school.code not in school:
            return False
        if boarding is not None and p.boarding != boarding:
            return False
        if window is not None and p.in_window != window:
            return False
        if grades and p.grade not in grades:
            return False
        return not ("·" in p.name or any(c in p.name for c in nm.RARE_CHARS))
    return pred


def rename(w: World, p: Person, name: str) -> None:
    p.name = name


def reid(w: World, p: Person, birth: date | None = None) -> None:
    """Give p a new ID (e.g. after changing the birth date)."""
    w.used_ids.discard(p.pid)
    if birth:
        p.birth = birth
    p.pid = w.new_id(REGION, p.birth, p.sex)
    p.reg_id_raw = p.pid


# ----------------------------------------------------------------------------------------------
# 1. special registry people (before finalize_registry)
# ----------------------------------------------------------------------------------------------
def special_people(w: World) -> None:
    rng = w.rng
    w.finalize_registry()   # index for the guards below

    # twins: one pair in the numeric-ID school (P3), one pair in P1/N1
    for school in ("P3", "P1"):
        pool = [p for p in w.persons if p.in_roster and p.school.code == school and p.stage == "P"
                and p.eligible and _free(w, p) and w.unique_name(p) and "·" not in p.name]
        a = rng.choice(pool)
        _take(w, a, "twin")
        hh = a.hh
        sur = nm.split_surname(a.name)[0]
        sex = "女" if a.sex == "男" else "男"
        seq = int(a.pid[14:17])
        for cand in (seq + 1, seq - 1):
            if 1 <= cand <= 999 and (cand % 2 == 1) == (sex == "男"):
                pid = idm.make_id(a.pid[:6], a.birth, cand)
                if pid not in w.used_ids:
                    break
        else:
            raise RuntimeError("no twin sequence")
        w.used_ids.add(pid)
        for _ in range(100):
            name = sur + nm.given_name(rng, sex)
            if not w._key_taken(name, a.birth) and nm.pinyin_key(name) != nm.pinyin_key(a.name):
                break
        b = Person(pid, name, sex, a.birth, a.township, a.village, registry=True, hh=hh,
                   relation=("之子" if sex == "男" else "之女") if a.relation in ("之子", "之女") else
                   ("之孙子" if sex == "男" else "之孙女"))
        b.reg_id_raw = pid
        b.stage, b.grade, b.school, b.boarding, b.in_roster = a.stage, a.grade, a.school, a.boarding, True
        b.in_school = a.in_school
        hh.members.insert(hh.members.index(a) + 1, b)
        w._index(b)
        _take(w, b, "twin")
        w.count("twins_pairs")

    # same name, same school, different households, different birth dates -> both exact
    a, b = _pair(w, lambda p: p.school.code == "J1" and p.stage == "J", same_birth=False)
    rename(w, b, a.name)
    w.count("same_name_same_school_pairs")
    a.tags.append("same_name_pair")
    b.tags.append("same_name_pair")

    # same name, same school, same birth date (different households): a garbage-ID payment row
    # naming them cannot be decided -> NEEDS_REVIEW
    a, b = _pair(w, lambda p: p.school.code == "P1" and p.stage == "P", same_birth=True)
    reid(w, b, a.birth)
    rename(w, b, a.name)
    a.tags.append("review_pair")
    b.tags.append("review_pair")
    w.review_pair = (a, b)

    # rare characters
    for ch, pred in (("𠮷", enrolled("P", "P2")), ("䶮", enrolled("J", "J2"))):
        p = pick(w, "rare_char_name", pred, count=True)[0]
        sur, given = nm.split_surname(p.name)
        rename(w, p, sur + given[:-1] + ch if len(given) > 1 else sur + given + ch)
        if ch == "𠮷":
            w.rare_kid = p

    # old adults studying in 中职 (扩招) whose roster carries the 15-digit ID
    pool = [p for p in w.persons if _free(w, p) and p.birth.year <= 1999 and 20 <= p.age <= 26
            and p.relation in ("之子", "之女") and p.eligible and not p.in_school]
    for i, p in enumerate(rng.sample(pool, 2)):
        _take(w, p, "old_15_digit_id")
        p.stage, p.grade, p.school, p.boarding, p.in_roster = "V", 1 + i, SCHOOL_BY_CODE["V1"], True, True
        p.in_school, p.education = in_school_word("V", 1 + i), ""
    w.adults15 = [p for p in w.persons if "old_15_digit_id" in p.tags]

    # disability certificate numbers in the registry's ID column (2 adults here, kids below)
    adults = [p for p in w.persons if _free(w, p) and p.age >= 30]
    for p in rng.sample(adults, 2):
        p.disability = rng.choice(["肢体", "视力", "智力"])
        p.reg_id_raw = p.pid + rng.choice(["42", "6201"])
        w.count("disability_number_ids")
    w.finalize_registry()


def _pair(w: World, pred, same_birth: bool) -> tuple[Person, Person]:
    pool = [p for p in w.persons if p.in_roster and p.eligible and _free(w, p) and pred(p)
            and w.unique_name(p) and "·" not in p.name]
    rng = w.rng
    for _ in range(500):
        a, b = rng.sample(pool, 2)
        if a.hh is b.hh or a.sex != b.sex:
            continue
        if same_birth and a.grade != b.grade:
            continue
        if not same_birth and a.birth == b.birth:
            continue
        _take(w, a, "pair")
        _take(w, b, "pair")
        return a, b
    raise RuntimeError("no pair")


# ----------------------------------------------------------------------------------------------
# 2. enrolment situations (registry; before the non-registry students are made)
# ----------------------------------------------------------------------------------------------
def situations(w: World) -> None:
    rng = w.rng
    W = True

    # --- dropout-check situations (children in the 6-15 window)
    he = pick(w, "home_education", lambda p: p.in_roster and p.stage in ("P", "J") and p.in_window
              and p.eligible and p.grade not in (1, 7) and "·" not in p.name, 3)
    for i, p in enumerate(he):
        p.in_roster = False
        p.disability = "智力" if i != 1 else "肢体"
        p.reg_id_raw = p.pid + ("5201" if i == 0 else "21" if i == 1 else "")
        if i != 1:
            p.in_school, p.education = "", "文盲或半文盲"
        if i == 0:
            p.tags.append("prev_only")          # also active in last semester's roster
        else:
            p.tags.append("no_prev")
    w.count("disability_number_ids", 2)
    w.home_kids = he
    w.home_enrolled = pick(w, "home_education_also_enrolled", enrolled("P", window=W))

    ew = pick(w, "elsewhere", lambda p: p.in_roster and p.stage in ("P", "J") and p.in_window
              and p.eligible and p.grade not in (1, 7), 4)
    for i, p in enumerate(ew):
        p.in_roster = False
        p.tags.append("prev_only" if i == 0 else "no_prev")
    w.elsewhere_kids = ew

    for p in pick(w, "dropped_out_left_roster", lambda p: p.in_roster and p.stage in ("P", "J")
                  and p.in_window and p.eligible and p.grade not in (1, 7), 2):
        p.in_roster = False
        p.tags.append("prev_only")

    for status, tag, pred in (("退学", "dropped_out_status_withdrawn", enrolled("J", window=W)),
                              ("死亡", "dropped_out_status_died", enrolled("P", window=W))):
        p = pick(w, tag, pred)[0]
        p.status = status
    # graduated junior school in June (15 years old, still in the window) and went nowhere
    p = pick(w, "dropped_out_status_graduated", lambda p: p.in_roster and p.stage == "H" and p.grade == 1
             and p.in_window and p.eligible)[0]
    p.stage, p.grade, p.school, p.status = "J", 9, SCHOOL_BY_CODE[_j_of(p)], "毕业"
    p.boarding = False
    p.in_school = "九年级"

    for p in pick(w, "resumed_status_active", enrolled("PJ", window=W), 2):
        p.status = "复学"

    # registry says not in school, found nowhere
    ne = []
    p = pick(w, "not_enrolled_delayed_entry", lambda p: p.in_roster and p.stage == "P" and p.grade == 1
             and p.eligible)[0]
    p.in_roster, p.in_school = False, "学龄前儿童"
    ne.append(p)
    p = pick(w, "not_enrolled_working", lambda p: p.in_roster and p.stage == "J" and p.grade == 9
             and p.in_window and p.eligible)[0]
    p.in_roster, p.in_school, p.education = False, "", "小学"
    ne.append(p)
    p = pick(w, "not_enrolled_disabled", lambda p: p.in_roster and p.stage == "P" and p.grade in (3, 4, 5)
             and p.eligible)[0]
    p.in_roster, p.in_school, p.education, p.disability = False, "", "文盲或半文盲", "智力"
    p.reg_id_raw = p.pid + "5101"
    w.count("disability_number_ids")
    for p in ne:
        p.tags.append("no_prev")

    # --- reconcile situations
    for p, tag in ((pick(w, "out_of_area", lambda p: p.in_roster and p.stage == "J" and p.in_window
                          and p.eligible)[0], ""),
                   (pick(w, "out_of_area", lambda p: p.in_roster and p.stage == "P" and p.in_window
                         and p.eligible and p.grade > 1)[0], ""),
                   (pick(w, "out_of_area", lambda p: p.in_roster and p.stage == "P" and p.in_window
                         and p.eligible and p.grade > 1)[0], ""),
                   (pick(w, "out_of_area", lambda p: p.in_roster and p.stage == "H" and p.grade == 2
                         and p.eligible)[0], "")):
        p.in_roster = False
        p.tags.append("no_prev")

    # paid although suspended / transferred out
    p = pick(w, "not_enrolled_suspended", enrolled("PJ", window=W))[0]
    p.status = "休学"
    p.tags.append("pay_anyway")
    p = pick(w, "not_enrolled_transferred", enrolled("J", window=W))[0]
    p.status = "转出"
    p.tags.append("pay_anyway")
    w.transferred_kid = p
    # paid although in no roster at all
    for p in pick(w, "not_enrolled_registry_no_roster", lambda p: p.in_roster and p.eligible and
                  p.stage in ("P", "H") and (p.stage == "H" or p.grade > 1), 2):
        p.in_roster = False
        p.tags += ["pay_anyway", "no_prev"]

    # unpaid
    for pred, tag in ((enrolled("K"), "all"), (enrolled("P", boarding=True), "all"),
                      (enrolled("J", boarding=False), "all"), (enrolled("H", "H1H2H3"), "all"),
                      (enrolled("H", "H1H2H3"), "HS_TUITION"), (enrolled("V", grades=(1, 2)), "all")):
        p = pick(w, "unpaid", pred)[0]
        p.tags.append("unpaid:" + tag)

    p = pick(w, "underpaid_boarder_paid_day_rate", enrolled("J", boarding=True))[0]
    p.tags.append("amount:LIVING_JUNIOR=312.50")
    p = pick(w, "underpaid_boarder_paid_day_rate", enrolled("P", boarding=True))[0]
    p.tags.append("amount:LIVING_PRIMARY=250")
    p = pick(w, "underpaid_hs_grant_lower_tier", enrolled("H"))[0]
    p.tags.append("amount:HS_GRANT=1000")
    p = pick(w, "overpaid_day_paid_boarder_rate", enrolled("P", boarding=False))[0]
    p.tags.append("amount:LIVING_PRIMARY=500")
    p = pick(w, "overpaid_hs_tuition_wrong_tier", enrolled("H", "H2"))[0]
    p.tags.append("amount:HS_TUITION=850")

    p = pick(w, "duplicate_national", enrolled("J"))[0]
    p.tags.append("dup:national")
    p = pick(w, "duplicate_provincial", enrolled("P"))[0]
    p.tags.append("dup:provincial")

    for p in pick(w, "not_registered_ineligible_status", enrolled("PJH", eligible=False), 2):
        p.tags.append("pay_anyway")

    for tag, flag in (("ledger_provincial_only", "prov_only"), ("ledger_national_only", "nat_only")):
        for p in pick(w, tag, enrolled("PJK"), 2):
            p.tags.append(flag)
    p = pick(w, "ledger_amount_differs", enrolled("J", boarding=True))[0]
    p.tags.append("prov_amount:LIVING_JUNIOR=312.50")
    p = pick(w, "ledger_amount_differs", enrolled("H", "H1"))[0]
    p.tags.append("prov_amount:HS_TUITION=700")

    # --- link scenarios on clean, eligible, enrolled, paid children (record damage applied later)
    link = {}
    for tag, pred, n in (
            ("id_typo_substitution", enrolled("PJ"), 2),
            ("id_typo_transposition", enrolled("PJH"), 2),
            ("roster_id_typo_with_xueji", enrolled("PJ", "P1P2J1J2N1"), 1),
            ("homophone_name_exact_id", enrolled("PJ", "P1P2J1J2N1"), 3),
            ("precision_lost_national", enrolled("P", "P1P2"), 1),
            ("empty_id_with_g_registry", enrolled("PJ", "P1P2J1J2N1"), 2),
            ("changed_id_xueji", enrolled("PJ", "P2J1"), 1),
            ("damaged_id_name_school", enrolled("PJ"), 1),
            ("damaged_id_name_village", enrolled("PJH"), 1),
            ("review_no_birth_date", enrolled("PJ"), 1)):
        link[tag] = [p for p in pick(w, tag, pred, n, count=False)]
    w.link_kids = link
    # homophone names need a homophone-able character
    for p in link["homophone_name_exact_id"]:
        if nm.homophone_variant(p.name, rng) is None:
            sur, given = nm.split_surname(p.name)
            new = sur + given[:-1] + "丽" if p.sex == "女" else sur + given[:-1] + "明"
            if not w._key_taken(new, p.birth):
                rename(w, p, new)
    w.rare_kid.tags.append("no_prov")
    w.review_pair[0].tags.append("no_prov")
    for p in link["review_no_birth_date"]:
        p.tags.append("no_prov")


def _j_of(p: Person) -> str:
    from .world import J_OF
    return J_OF[p.township]


# ----------------------------------------------------------------------------------------------
# 3. non-registry special students (after build_others)
# ----------------------------------------------------------------------------------------------
def outsider_situations(w: World) -> None:
    rng = w.rng
    forbidden = set(w._reg_keys)
    others = [p for p in w.others if p.in_roster and p.stage]

    def take(pred, n, tag, count=True):
        pool = [p for p in others if not p.tags and pred(p)]
        chosen = rng.sample(pool, n)
        for p in chosen:
            p.tags.append(tag)
        if count:
            w.count(tag, n)
        return chosen

    # children without an ID number: temporary L 学籍号 (new in grade 1, no previous record)
    for p in take(lambda p: p.school.code == "P1" and p.grade == 1, 3, "no_id_temporary_xueji"):
        p.xueji = f"L{p.pid[:6]}{p.birth:%Y%m%d}{rng.randrange(10000):04d}"
        p.tags.append("no_prev")
    # garbage IDs in rosters without a usable 学籍号
    take(lambda p: p.school.code in ("K1", "K2"), 2, "garbage_id_outsider_kindergarten", count=False)
    take(lambda p: p.school.code in ("P1", "J1"), 2, "garbage_id_outsider_school", count=False)
    take(lambda p: p.school.code in ("P1", "P2", "J1", "N1"), 3, "empty_id_with_g_outsider")
    w.count("garbage_id_outsider", 4)

    # paid although not enrolled
    for tag, hardship, n in (("not_enrolled_outsider_no_roster", "农村低保", 2),
                             ("not_enrolled_and_not_registered_outsider", "建档立卡", 1)):
        for _ in range(n):
            s = SCHOOL_BY_CODE[rng.choice(["P1", "J1", "H2"])]
            st = s.stages[0]
            p = w._new_other(s, st, rng.choice([g for g in _grades(st) if g not in (1, 7)]), forbidden)
            p.in_roster = False
            p.tags += [tag, "no_prev", "pay:" + hardship]
            p.xueji = "G" + p.pid
        w.count(tag, n)
    for p in take(lambda p: p.school.code in ("P1", "J1") and p.grade not in (1, 7), 1,
                  "not_enrolled_outsider_inactive"):
        p.status = "休学"
        p.tags.append("pay:农村低保")
    for p in take(lambda p: p.school.code in ("P2", "J1", "H1"), 2, "not_registered_outsider_national"):
        p.tags.append("pay:建档立卡")
    for p in take(lambda p: p.school.code in ("P1", "J2"), 1, "not_registered_outsider_provincial"):
        p.tags.append("pay:provincial")
    for p in take(lambda p: p.school.code in ("H1", "H2"), 1, "duplicate_outsider"):
        p.tags.append("pay:dup")
    # a few non-registry students with inactive status (no payments)
    for p in take(lambda p: p.school.code not in ("K1", "K2"), 6, "outsider_inactive", count=False):
        p.status = rng.choice(["休学", "转出", "退学"])


def _grades(stage: str):
    from .world import GRADES
    return GRADES[stage]


# ----------------------------------------------------------------------------------------------
# 4. payments
# ----------------------------------------------------------------------------------------------
HARDSHIP_OTHER = (("农村低保", 40), ("城市低保", 8), ("残疾", 8), ("农村特困供养", 5), ("一般困难", 30),
                  ("其他", 9))


def build_payments(w: World) -> None:
    rng = w.rng
    for p in w.persons:
        if not p.stage:
            continue
        tags = p.tags
        paid = (p.in_roster and p.status in ("在读", "复学") and p.eligible) or "pay_anyway" in tags
        if not paid or any(t == "unpaid:all" for t in tags):
            continue
        if p.school is None:
            continue
        for item, amount in entitlements(p.stage, p.grade, p.boarding, p.school.tier):
            if f"unpaid:{item}" in tags:
                continue
            if amount is None:
                amount = D("600")            # a tier the policy has no amount for: not checked
            nat_amount = prov_amount = amount
            for t in tags:
                if t.startswith("amount:" + item + "="):
                    nat_amount = prov_amount = D(t.split("=")[1])
                if t.startswith("prov_amount:" + item + "="):
                    prov_amount = D(t.split("=")[1])
            if "prov_only" not in tags:
                w.pay(p, item, nat_amount)
                if "dup:national" in tags:
                    w.pay(p, item, nat_amount, tags=("duplicate",))
                if p.prev and p.prev[1] == p.stage and rng.random() < 0.25:
                    w.pay(p, item, nat_amount, semester=PREV_SEMESTER, grade=p.prev[2], school=p.prev[0])
            if "nat_only" not in tags and "no_prov" not in tags:
                w.pay(p, item, prov_amount, ledger="provincial")
                if "dup:provincial" in tags:
                    w.pay(p, item, prov_amount, ledger="provincial", tags=("duplicate",))
                if p.prev and p.prev[1] == p.stage and rng.random() < 0.08:
                    w.pay(p, item, prov_amount, ledger="provincial", semester=PREV_SEMESTER,
                          grade=p.prev[2], school=p.prev[0])
        if p.stage == "V":
            r = w.pay(p, "", D("1000"))
            r.ignored_item = True
            r.item_label = "中职教育资助-免除学杂费"
    w.count("ignored_item_rows", sum(1 for r in w.payments if r.ignored_item))

    for p in w.others:
        if not p.stage or p.school is None:
            continue
        special = [t for t in p.tags if t.startswith("pay:")]
        bad = {"no_id_temporary_xueji", "garbage_id_outsider_kindergarten", "garbage_id_outsider_school"}
        if not special:
            if bad & set(p.tags) or p.school.code == "P3" or not p.in_roster or p.status != "在读":
                continue
            if rng.random() > 0.2:
                continue
        hardship = rng.choices([h for h, _ in HARDSHIP_OTHER], [w_ for _, w_ in HARDSHIP_OTHER])[0]
        ledger = "national"
        dup = False
        for t in special:
            kind = t[4:]
            if kind in ("农村低保", "建档立卡"):
                hardship = kind
            elif kind == "provincial":
                ledger = "provincial"
            elif kind == "dup":
                dup = True
        for item, amount in entitlements(p.stage, p.grade, p.boarding, p.school.tier):
            if item == "HS_GRANT":
                amount = rng.choice([D("1500"), D("1000"), D("500")])
            elif item == "HS_TUITION" and amount is None:
                amount = D("600")
            elif item == "PRESCHOOL":
                amount = rng.choice([D("400"), D("300")])
            if amount is None:
                continue
            if ledger == "provincial":
                w.pay(p, item, amount, ledger="provincial", hardship="建档立卡")
                w.pay(p, item, amount, hardship="农村低保")
            else:
                w.pay(p, item, amount, hardship=hardship)
                if dup:
                    w.pay(p, item, amount, hardship=hardship, tags=("duplicate",))
                    dup = False
                elif p.prev and p.prev[1] == p.stage and rng.random() < 0.1:
                    w.pay(p, item, amount, hardship=hardship, semester=PREV_SEMESTER, grade=p.prev[2],
                          school=p.prev[0])


# ----------------------------------------------------------------------------------------------
# 5. lists
# ----------------------------------------------------------------------------------------------
def build_lists(w: World) -> None:
    rng = w.rng
    for p in w.home_kids + w.home_enrolled:
        w.home.append(Rec("home_education", p, school=SCHOOL_BY_CODE[_p_of(p)], stage=p.stage, grade=p.grade))
    # a non-registry child on the list
    o = [p for p in w.others if p.in_roster and p.stage == "P" and not p.tags]
    extra = rng.choice(o)
    extra.tags.append("home_list_outsider")
    w.home.append(Rec("home_education", extra, school=extra.school, stage=extra.stage, grade=extra.grade))
    w.home[1].set_id(w.home[1].person.reg_id_raw, no_style=True)      # 20-char disability number
    w.home[1].tags.append("disability_number_in_list")
    w.count("disability_number_in_list")

    for p in w.elsewhere_kids + [w.transferred_kid]:
        w.elsewhere.append(Rec("elsewhere", p, stage=p.stage, grade=p.grade))
    o = [p for p in w.others if p.in_roster and p.stage == "J" and not p.tags]
    extra = rng.choice(o)
    extra.tags.append("elsewhere_list_outsider")
    w.elsewhere.append(Rec("elsewhere", extra, stage=extra.stage, grade=extra.grade))


def _p_of(p: Person) -> str:
    from .world import P_OF
    return P_OF[p.township]


# ----------------------------------------------------------------------------------------------
# 6. record damage (expected link classes)
# ----------------------------------------------------------------------------------------------
def _damage(w: World, pid: str, positions: tuple[int, ...], need_valid_date: bool) -> str:
    """pid with the digits at positions changed; invalid, not one edit from any registry ID."""
    rng = w.rng
    for _ in range(1000):
        s = list(pid)
        for pos in positions:
            choices = [d for d in "0123456789" if d != pid[pos]]
            if pos == 12 and not need_valid_date:
                choices = [d for d in "456789" if d != pid[pos]]
            s[pos] = rng.choice(choices)
        out = "".join(s)
        if idm.is_valid18(out) or out in w._reg_neigh or out in w.used_ids:
            continue
        if out.endswith("000"):
            continue
        if need_valid_date != (idm.parse_date8(out[6:14]) is not None):
            continue
        return out
    raise RuntimeError("cannot damage")


def _typo(w: World, pid: str, transpose: bool) -> str:
    rng = w.rng
    others = {q.pid for q in w.persons if q.pid != pid}
    for _ in range(1000):
        if transpose:
            i = rng.randrange(6, 16)
            if pid[i] == pid[i + 1]:
                continue
            out = pid[:i] + pid[i + 1] + pid[i] + pid[i + 2:]
        else:
            i = rng.randrange(6, 17)
            out = pid[:i] + rng.choice([d for d in "0123456789" if d != pid[i]]) + pid[i + 1:]
        if idm.is_valid18(out) or out.endswith("000"):
            continue
        # exactly one registry ID within one edit
        if any(n in others for n in idm.neighbours(out)):
            continue
        return out
    raise RuntimeError("cannot typo")


def _recs(w: World, p: Person, kind: str, item_first: bool = True) -> list[Rec]:
    src = {"roster": w.roster, "national": w.payments, "provincial": w.payments}[kind]
    return [r for r in src if r.person is p and r.kind == kind and r.semester == SEMESTER]


def damage_records(w: World) -> None:
    rng = w.rng
    L = w.link_kids

    def mark(r: Rec, cls: str, tag: str) -> None:
        r.exp_class = cls
        r.tags.append(tag)

    # national/provincial ID typos (national rows with an empty 学籍号)
    for i, p in enumerate(L["id_typo_substitution"]):
        r = _recs(w, p, "national" if i == 0 else "provincial")[0]
        r.set_id(_typo(w, p.pid, False))
        r.xueji_raw = ""
        mark(r, "mismatch", "id_typo_substitution")
        w.count("id_typo_substitution")
    for i, p in enumerate(L["id_typo_transposition"]):
        r = _recs(w, p, "national" if i == 0 else "provincial")[0]
        r.set_id(_typo(w, p.pid, True))
        r.xueji_raw = ""
        mark(r, "mismatch", "id_typo_transposition")
        w.count("id_typo_transposition")
    for p in L["roster_id_typo_with_xueji"]:
        r = p.roster_rec
        r.set_id(_typo(w, p.pid, False))
        mark(r, "mismatch", "roster_id_typo_with_xueji")
        w.count("roster_id_typo_with_xueji")
    # homophone names with the exact ID: two roster rows, one national row
    for i, p in enumerate(L["homophone_name_exact_id"]):
        r = p.roster_rec if i < 2 else _recs(w, p, "national")[0]
        variant = nm.homophone_variant(p.name, rng)
        assert variant and nm.strip_name(variant) != nm.strip_name(p.name)
        r.name_raw = variant
        mark(r, "mismatch", "homophone_name_exact_id")
        w.count("homophone_name_exact_id")
    # an ID turned into a number in the national ledger (学籍号 empty)
    for p in L["precision_lost_national"]:
        r = _recs(w, p, "national")[0]
        r.set_id(idm.excel_number(p.pid))
        r.xueji_raw = ""
        mark(r, "mismatch", "precision_lost_linked")
        w.count("precision_lost_linked")
    # empty ID with a G 学籍号
    for i, p in enumerate(L["empty_id_with_g_registry"]):
        r = p.roster_rec if i == 0 else _recs(w, p, "national")[0]
        r.set_id("")
        r.xueji_raw = "G" + p.pid
        mark(r, "exact", "empty_id_with_g_registry")
        w.count("empty_id_with_g_registry")
    # the ID changed: the registry holds the old one, the school the new one (G number = old ID)
    for p in L["changed_id_xueji"]:
        new = w.new_id(p.pid[:6], p.birth, p.sex, outsider=True)
        r = p.roster_rec
        r.set_id(new, no_style=False)
        r.xueji_raw = "G" + p.pid
        mark(r, "mismatch", "changed_id_xueji")
        n = _recs(w, p, "national")[0]
        n.set_id(new, no_style=False)
        n.xueji_raw = ""
        mark(n, "mismatch", "changed_id_name_school")
        w.count("changed_id_xueji")
    # two wrong digits (date intact): name + birth date + school / village decide
    for p in L["damaged_id_name_school"]:
        r = _recs(w, p, "national")[0]
        r.set_id(_damage(w, p.pid, (14, 16), True))
        r.xueji_raw = ""
        mark(r, "mismatch", "damaged_id_name_school")
        w.count("damaged_id_name_school")
    for p in L["damaged_id_name_village"]:
        r = _recs(w, p, "provincial")[0]
        r.set_id(_damage(w, p.pid, (14, 16), True))
        mark(r, "mismatch", "damaged_id_name_village")
        w.count("damaged_id_name_village")
    # garbage ID with no birth date, right name and school: one candidate but not enough -> review
    for p in L["review_no_birth_date"]:
        r = _recs(w, p, "national")[0]
        r.set_id(_damage(w, p.pid, (12, 15), False))
        r.xueji_raw = ""
        r.candidates = [p.pid]
        mark(r, "review", "review_no_birth_date")
        w.count("review_no_birth_date")
    # same name + same birth date + same school, bad checksum -> review with two candidates
    a, b = w.review_pair
    r = _recs(w, a, "national")[0]
    r.set_id(_damage(w, a.pid, (15, 17), True))
    r.xueji_raw = ""
    r.candidates = sorted([a.pid, b.pid])
    mark(r, "review", "review_same_name_same_birth")
    w.count("review_same_name_same_birth")
    # rare character lost ("?") and a digit dropped: nothing to link -> INVALID_ID, child UNPAID
    p = w.rare_kid
    r = _recs(w, p, "national")[0]
    cut = rng.randrange(7, 16)
    r.set_id(p.pid[:cut] + p.pid[cut + 1:])
    r.xueji_raw = ""
    r.name_raw = p.name.replace("𠮷", "?")
    mark(r, "invalid", "garbage_id_rare_name")
    w.count("garbage_id_rare_name")
    # 15-digit IDs of adult 中职 students
    for p in w.adults15:
        r = p.roster_rec
        r.set_id(idm.to15(p.pid))
        mark(r, "mismatch", "old_15_digit_id")
    # numeric-ID roster (P3): precision lost everywhere except IDs ending in X (text in Excel)
    n_link = n_bad = 0
    for r in w.roster:
        if r.school.code != "P3":
            continue
        if r.person.pid.endswith("X"):
            continue
        r.set_id(idm.excel_number(r.person.pid))
        if r.person.registry:
            mark(r, "mismatch", "precision_lost_linked")
            n_link += 1
        else:
            mark(r, "invalid", "precision_lost_unlinkable")
            n_bad += 1
    w.count("precision_lost_linked", n_link)
    w.count("precision_lost_unlinkable", n_bad)
    # non-registry roster rows
    for p in w.others:
        r = p.roster_rec
        if r is None:
            continue
        if "no_id_temporary_xueji" in p.tags:
            r.set_id("")
            mark(r, "invalid", "no_id_temporary_xueji")
        elif "garbage_id_outsider_kindergarten" in p.tags or "garbage_id_outsider_school" in p.tags:
            kind = ["checksum", "date", "short", "long"][sum(1 for q in w.others if q.roster_rec and
                                                            "garbage" in "".join(q.roster_rec.tags)) % 4]
            if kind == "checksum":
                bad = _damage(w, p.pid, (17,), True)
            elif kind == "date":
                bad = _damage(w, p.pid, (10, 12), False)
            elif kind == "short":
                bad = p.pid[:-2]
            else:
                bad = p.pid + "1"
            r.set_id(bad)
            r.xueji_raw = ""
            mark(r, "invalid", f"garbage_id_{kind}")
        elif "empty_id_with_g_outsider" in p.tags:
            r.set_id("")
            r.xueji_raw = "G" + p.pid
            mark(r, "none", "empty_id_with_g_outsider")


# ----------------------------------------------------------------------------------------------
# What each scenario is and what the tool must conclude (copied into scenario.json)
# ----------------------------------------------------------------------------------------------
SCENARIO_DOC = {
    "twins_pairs": "twins (same household and birth date, consecutive sequence numbers); one pair in the "
                   "numeric-ID roster, where only the name tells them apart -> both linked",
    "same_name_same_school_pairs": "two registry children, same name, same junior school, different households "
                                   "and birth dates -> both exact",
    "rare_char_name": "registry names with 𠮷 / 䶮 (GB18030-only characters) -> exact where written correctly",
    "old_15_digit_id": "adult 中职 students whose roster shows the 15-digit ID -> exact_id via 15->18, DATA_MISMATCH",
    "disability_number_ids": "20/22-character disability numbers in the registry ID column -> first 18 = ID",
    "disability_number_in_list": "a 20-character disability number in the 送教上门 list -> exact",
    "home_education": "on the 送教上门 list, in no current roster -> dropout HOME_EDUCATION (one is also in the "
                      "previous roster; one has 在校生状况 小学 -> reconcile OUT_OF_AREA)",
    "home_education_also_enrolled": "on the 送教上门 list and active in a roster -> dropout ENROLLED",
    "elsewhere": "on the 外地就读 list, in no roster -> dropout ENROLLED_ELSEWHERE; reconcile OUT_OF_AREA "
                 "(reconcile does not read the list)",
    "dropped_out_left_roster": "active in the 2020春 roster, in no current roster -> dropout DROPPED_OUT; "
                               "reconcile OUT_OF_AREA",
    "dropped_out_status_withdrawn": "current status 退学 -> DROPPED_OUT",
    "dropped_out_status_died": "current status 死亡 -> DROPPED_OUT (reason 死亡)",
    "dropped_out_status_graduated": "15-year-old whose current junior roster says 毕业 -> DROPPED_OUT",
    "resumed_status_active": "status 复学 (code 05) counts as active -> enrolled, paid, no finding",
    "not_enrolled_delayed_entry": "6-year-old, registry 学龄前儿童, in no roster -> dropout NOT_ENROLLED",
    "not_enrolled_working": "14-year-old, registry 在校生状况 blank, in no roster -> dropout NOT_ENROLLED",
    "not_enrolled_disabled": "disabled child, 在校生状况 blank, in no list -> dropout NOT_ENROLLED",
    "out_of_area": "registry 在校生状况 七年级/小学/普通高中二年级, in no roster, unpaid -> OUT_OF_AREA "
                   "(and OUT_OF_AREA_UNVERIFIED when in the dropout window)",
    "not_enrolled_suspended": "status 休学 and paid in both ledgers -> NOT_ENROLLED; dropout DROPPED_OUT",
    "not_enrolled_transferred": "status 转出 and paid -> NOT_ENROLLED; on the 外地就读 list -> ENROLLED_ELSEWHERE",
    "not_enrolled_registry_no_roster": "registry child in no roster, paid in both ledgers -> NOT_ENROLLED",
    "not_enrolled_outsider_no_roster": "non-registry child in no roster, paid (农村低保) -> NOT_ENROLLED",
    "not_enrolled_outsider_inactive": "non-registry child with status 休学, paid -> NOT_ENROLLED",
    "not_enrolled_and_not_registered_outsider": "non-registry child in no roster paid as 建档立卡 -> "
                                                "NOT_REGISTERED and NOT_ENROLLED",
    "unpaid": "eligible and enrolled, nothing paid (one high-school child misses only HS_TUITION) -> UNPAID",
    "underpaid_boarder_paid_day_rate": "boarder paid the 走读 rate in both ledgers -> UNDERPAID",
    "underpaid_hs_grant_lower_tier": "HS_GRANT paid at 1000 (二档) -> UNDERPAID",
    "overpaid_day_paid_boarder_rate": "day pupil paid the boarder rate -> OVERPAID",
    "overpaid_hs_tuition_wrong_tier": "市示范 school paid the 省示范 tuition (850) -> OVERPAID",
    "duplicate_national": "same item twice in the national ledger -> DUPLICATE only (no OVERPAID/LEDGER_MISMATCH)",
    "duplicate_provincial": "same item twice in the provincial ledger -> DUPLICATE only",
    "duplicate_outsider": "non-registry child paid HS_GRANT twice -> DUPLICATE keyed by the child's own ID",
    "not_registered_ineligible_status": "已脱贫（不再享受政策） child paid as 建档立卡 -> NOT_REGISTERED",
    "not_registered_outsider_national": "non-registry enrolled child with hardship 建档立卡 -> NOT_REGISTERED",
    "not_registered_outsider_provincial": "non-registry child in the provincial 建档立卡 ledger -> NOT_REGISTERED",
    "ledger_provincial_only": "paid only in the provincial ledger -> LEDGER_MISMATCH (not UNPAID)",
    "ledger_national_only": "paid only in the national ledger -> LEDGER_MISMATCH",
    "ledger_amount_differs": "national and provincial amounts differ -> LEDGER_MISMATCH (paid = national)",
    "ignored_item_rows": "中职教育资助-免除学杂费 rows (ignored item) -> read, not judged",
    "id_typo_substitution": "one digit wrong, same name (national with empty 学籍号, provincial) -> id_typo, "
                            "DATA_MISMATCH",
    "id_typo_transposition": "two adjacent digits swapped, same name -> id_typo, DATA_MISMATCH",
    "roster_id_typo_with_xueji": "roster ID with one wrong digit but the right G 学籍号 -> xueji_no, DATA_MISMATCH",
    "homophone_name_exact_id": "exact ID, homophone given name (2 roster rows, 1 national) -> exact_id, "
                               "DATA_MISMATCH",
    "precision_lost_linked": "ID stored as a number (15 digits kept) + matching name -> float_id, DATA_MISMATCH",
    "precision_lost_unlinkable": "numeric ID of a non-registry pupil, no 学籍号 column -> INVALID_ID",
    "empty_id_with_g_registry": "empty ID + G 学籍号 of a registry child -> xueji_no, no mismatch (exact class)",
    "empty_id_with_g_outsider": "empty ID + G 学籍号, not in the registry -> none (not INVALID_ID)",
    "changed_id_xueji": "school shows a new valid ID, G 学籍号 = registry (old) ID -> xueji_no + DATA_MISMATCH; "
                        "the national row with the new ID and no 学籍号 -> name_school + DATA_MISMATCH",
    "damaged_id_name_school": "two wrong digits (date intact) in the national ledger -> name_school, DATA_MISMATCH",
    "damaged_id_name_village": "two wrong digits in the provincial ledger -> name_village, DATA_MISMATCH",
    "review_no_birth_date": "ID with an impossible date, right name and school -> NEEDS_REVIEW (one candidate); "
                            "the child's UNPAID is suppressed",
    "review_same_name_same_birth": "bad checksum, name + birth date + school shared by two registry children -> "
                                   "NEEDS_REVIEW (two candidates); UNPAID suppressed",
    "garbage_id_rare_name": "17-digit ID and the rare character stored as '?' -> INVALID_ID; the child is UNPAID",
    "garbage_id_outsider": "bad checksum / bad date / 16 or 19 characters, no 学籍号 -> INVALID_ID",
    "no_id_temporary_xueji": "empty ID with an L 学籍号, not in the registry -> INVALID_ID",
}
