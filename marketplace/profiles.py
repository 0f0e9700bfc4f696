"""家庭画像 — the household's profile in seven dimensions (DESIGN §9), the data the resilience
score (抗风险能力赋分) is computed from.

One vocabulary for the form, the API, the Excel template and import, and the scoring model:
``FIELDS`` lists every indicator field with its dimension, its kind and, for choices, its codes
with their Chinese names (used as-is in the Excel template, like the hardship types there). The
people of the household appear as counts (members with a chronic or major illness, dependants,
able-bodied and employed members, pupils) plus the severest disability grade among them, so that
one household stays one row in the template and one record to score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

# 对象来源: registered recipients (在册), monitored households (非在册) and the five high-risk
# sources, which are also the codes of the monitoring events that bring such households in.
SOURCES: dict[str, str] = {
    "tekun": "特困",
    "dibao": "低保",
    "dibian": "低边",
    "monitored": "监测对象",
    "assistance_exit": "救助退出",
    "application_refused": "新申请未通过",
    "temporary_assistance": "临时救助",
    "discovered": "主动发现",
    "other_department": "其他部门救助",
}
HIGH_RISK_SOURCES = (
    "assistance_exit",
    "application_refused",
    "temporary_assistance",
    "discovered",
    "other_department",
)
DISABILITY: dict[str, str] = {"none": "无", "1": "一级", "2": "二级", "3": "三级", "4": "四级"}
HOUSING: dict[str, str] = {
    "owned": "自有住房",
    "public": "公租房",
    "rented": "租房",
    "unsafe": "危房",
    "none": "无固定住所",
}
SAVINGS: dict[str, str] = {
    "none": "无存款",
    "low": "1万元以下",
    "mid": "1万–5万元",
    "high": "5万元以上",
}
MEDICAL_EXPENSE: dict[str, str] = {
    "none": "无",
    "low": "1万元以下",
    "high": "1万–5万元",
    "very_high": "5万元以上",
}
YES_NO: dict[bool, str] = {True: "是", False: "否"}

DIMENSIONS: dict[str, str] = {
    "source": "对象来源",
    "family": "家庭结构",
    "health": "健康状况",
    "property": "财产情况",
    "expenses": "支出情况",
    "employment": "就业情况",
    "other": "其他情况",
}

Kind = Literal["choice", "count", "flag", "text"]


@dataclass(frozen=True)
class ProfileField:
    name: str
    dimension: str
    kind: Kind
    zh: str  # the Excel column heading
    choices: dict[str, str] | None = None  # code → Chinese name (kind "choice")


FIELDS: tuple[ProfileField, ...] = (
    ProfileField("source", "source", "choice", "对象来源", SOURCES),
    ProfileField("dependants", "family", "count", "需赡养/抚养人数"),
    ProfileField("elderly_alone", "family", "flag", "独居老人"),
    ProfileField("single_parent", "family", "flag", "单亲家庭"),
    ProfileField("chronic_ill", "health", "count", "慢性病人数"),
    ProfileField("major_ill", "health", "count", "重大疾病人数"),
    ProfileField("disability", "health", "choice", "最重残疾等级", DISABILITY),
    ProfileField("housing", "property", "choice", "住房情况", HOUSING),
    ProfileField("vehicle", "property", "flag", "有机动车"),
    ProfileField("savings", "property", "choice", "存款", SAVINGS),
    ProfileField("medical_expense", "expenses", "choice", "年医疗支出", MEDICAL_EXPENSE),
    ProfileField("students", "expenses", "count", "在学人数"),
    ProfileField("able_bodied", "employment", "count", "劳动力人数"),
    ProfileField("employed", "employment", "count", "就业人数"),
    ProfileField("debt", "other", "flag", "有较大负债"),
    ProfileField("disaster", "other", "flag", "遭受灾害或意外"),
    ProfileField("note", "other", "text", "其他情况说明"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
COUNT_FIELDS = tuple(f.name for f in FIELDS if f.kind == "count")

Count = int


def _invalid(code: str, **params: Any) -> PydanticCustomError:
    return PydanticCustomError(code, code, params)


class Profile(BaseModel):
    """The profile as validated input and as stored (``Household.profile`` holds its JSON; the
    source is also its own column, ``Household.source``, for lists and counts).

    Each count is of the household's members: none may exceed ``members``, and no more members
    are employed than able-bodied. The defaults describe a household about which nothing
    worrying is known yet: they score no deduction, so a household registered without a profile
    starts at the model's base value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: Literal[
        "tekun",
        "dibao",
        "dibian",
        "monitored",
        "assistance_exit",
        "application_refused",
        "temporary_assistance",
        "discovered",
        "other_department",
    ] = "monitored"
    dependants: Count = Field(default=0, ge=0, le=30)
    elderly_alone: bool = False
    single_parent: bool = False
    chronic_ill: Count = Field(default=0, ge=0, le=30)
    major_ill: Count = Field(default=0, ge=0, le=30)
    disability: Literal["none", "1", "2", "3", "4"] = "none"
    housing: Literal["owned", "public", "rented", "unsafe", "none"] = "owned"
    vehicle: bool = False
    savings: Literal["none", "low", "mid", "high"] = "mid"
    medical_expense: Literal["none", "low", "high", "very_high"] = "none"
    students: Count = Field(default=0, ge=0, le=30)
    able_bodied: Count = Field(default=1, ge=0, le=30)
    employed: Count = Field(default=1, ge=0, le=30)
    debt: bool = False
    disaster: bool = False
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _employed_among_able(self) -> Profile:
        if self.employed > self.able_bodied:
            raise _invalid("profile.employed_over_able_bodied")
        return self

    def over_members(self, members: int) -> list[str]:
        """The counts that exceed the household's size (each count is of its members)."""
        return [name for name in COUNT_FIELDS if getattr(self, name) > members]

    def stored(self) -> dict[str, Any]:
        """What ``Household.profile`` keeps (every field, so that a later default change does
        not silently change what a household was registered with)."""
        return self.model_dump()


def load(stored: dict[str, Any] | None, *, source: str | None = None) -> Profile:
    """The profile of a stored household (``{}`` for one registered before profiles existed)."""
    data = dict(stored or {})
    if source is not None:
        data["source"] = source
    return Profile.model_validate(data)


def changes(before: Profile, after: Profile) -> dict[str, list[Any]]:
    """Field → [before, after] for each field that differs."""
    old, new = before.model_dump(), after.model_dump()
    return {k: [old[k], new[k]] for k in FIELD_NAMES if old[k] != new[k]}


def sample(rng: Any, members: int, hardship: str) -> dict[str, Any]:
    """A plausible profile for seed data (``zhongfu seed``, ``seed --city``): ``rng`` is a
    ``random.Random``; the hardship type steers the source and the indicators (兜底型 mostly
    registered recipients, 支出型 medical costs, 急难型 a disaster or a major illness, 发展型
    able-bodied members out of work, 关爱型 old, ill or disabled members). Returns the stored
    form (``Profile.stored``) without validating it, for speed; the counts fit ``members``."""
    r = rng.random
    source_weights = {
        "bottom": (("tekun", 0.15), ("dibao", 0.45), ("dibian", 0.2), ("monitored", 0.2)),
        "expense": (("dibian", 0.25), ("temporary_assistance", 0.2), ("monitored", 0.55)),
        "emergency": (("temporary_assistance", 0.35), ("discovered", 0.15), ("monitored", 0.5)),
        "development": (
            ("assistance_exit", 0.2),
            ("application_refused", 0.15),
            ("monitored", 0.65),
        ),
        "care": (("other_department", 0.25), ("dibian", 0.15), ("monitored", 0.6)),
    }.get(hardship, (("monitored", 1.0),))
    pick, acc = r(), 0.0
    source = source_weights[-1][0]
    for code, weight in source_weights:
        acc += weight
        if pick < acc:
            source = code
            break

    def upto(limit: int, p: float) -> int:
        return sum(1 for _ in range(limit) if r() < p)

    able = upto(members, 0.55 if hardship == "development" else 0.4)
    employed = upto(able, 0.35 if hardship == "development" else 0.6)
    return {
        "source": source,
        "dependants": min(members - 1, upto(3, 0.25)) if members > 1 else 0,
        "elderly_alone": members == 1 and r() < (0.6 if hardship == "care" else 0.2),
        "single_parent": members > 1 and r() < 0.06,
        "chronic_ill": upto(min(members, 3), 0.18 if hardship == "care" else 0.1),
        "major_ill": upto(min(members, 2), 0.12 if hardship in ("expense", "emergency") else 0.03),
        "disability": (
            rng.choice(["1", "2", "3", "4"])
            if r() < (0.3 if hardship == "care" else 0.06)
            else "none"
        ),
        "housing": rng.choices(["owned", "public", "rented", "unsafe", "none"], [55, 15, 24, 5, 1])[
            0
        ],
        "vehicle": r() < 0.1,
        "savings": rng.choices(["none", "low", "mid", "high"], [12, 28, 40, 20])[0],
        "medical_expense": (
            rng.choices(["none", "low", "high", "very_high"], [20, 40, 30, 10])[0]
            if hardship == "expense"
            else rng.choices(["none", "low", "high", "very_high"], [62, 30, 6, 2])[0]
        ),
        "students": upto(min(members, 2), 0.15),
        "able_bodied": able,
        "employed": employed,
        "debt": r() < 0.06,
        "disaster": r() < (0.4 if hardship == "emergency" else 0.02),
        "note": "",
    }
