"""SME size by 工信部联企业〔2011〕300号《中小企业划型标准规定》, for the sectors the profile distinguishes.

第五条 of 300号: "以上" includes the figure, "以下" excludes it. An enterprise
is large only when it reaches every upper bound of its sector (the bounds are
joined by 或); within SMEs, medium and small need both figures (且), micro is
below either (或).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WAN = Decimal("10000")


@dataclass(frozen=True)
class Thresholds:
    """Bounds of one sector: employees and revenue (万元); revenue None where 300号 uses employees only."""

    label: str
    large_employees: int
    large_revenue_wan: int | None
    medium_employees: int
    medium_revenue_wan: int | None
    small_employees: int
    small_revenue_wan: int | None

    def describe(self) -> str:
        def pair(employees: int, revenue: int | None, joiner: str) -> str:
            return f"从业人员{employees}人" + (f"{joiner}营业收入{revenue}万元" if revenue is not None else "")

        return (
            f"{self.label}：{pair(self.large_employees, self.large_revenue_wan, '或')}以下为中小微型企业；"
            f"{pair(self.medium_employees, self.medium_revenue_wan, '及以上，且')}及以上为中型；"
            f"{pair(self.small_employees, self.small_revenue_wan, '及以上，且')}及以上为小型；其余为微型"
        )


# 300号 第四条 (sectors the portal's profile offers).
THRESHOLDS: dict[str, Thresholds] = {
    "industrial": Thresholds("工业（第四条（二））", 1000, 40000, 300, 2000, 20, 300),
    "software": Thresholds("软件和信息技术服务业（第四条（十四））", 300, 10000, 100, 1000, 10, 50),
    "wholesale": Thresholds("批发业（第四条（四））", 200, 40000, 20, 5000, 5, 1000),
    "retail": Thresholds("零售业（第四条（五））", 300, 20000, 50, 500, 10, 100),
    "other": Thresholds("其他未列明行业（第四条（十六））", 300, None, 100, None, 10, None),
}

SIZE_NAMES = {"large": "大型企业", "medium": "中型企业", "small": "小型企业", "micro": "微型企业"}


@dataclass(frozen=True)
class SizeResult:
    size: str | None  # large, medium, small, micro; None when the figures are missing
    thresholds: Thresholds | None
    reason: str

    @property
    def is_sme(self) -> bool | None:
        return None if self.size is None else self.size != "large"

    @property
    def name(self) -> str:
        return SIZE_NAMES.get(self.size or "", "未知")


def classify(industry: str, employees: int | None, revenue_yuan: Decimal | None) -> SizeResult:
    """工信部联企业〔2011〕300号 第四条: the size of an enterprise of `industry` by employees and revenue."""
    thresholds = THRESHOLDS.get(industry)
    if thresholds is None:
        return SizeResult(None, None, "未填写所属行业，无法按工信部联企业〔2011〕300号划型")
    if employees is None:
        return SizeResult(None, thresholds, "未填写从业人员数，无法划型")
    uses_revenue = thresholds.large_revenue_wan is not None
    if uses_revenue and revenue_yuan is None:
        return SizeResult(None, thresholds, "未填写营业收入，无法划型")
    revenue_wan = (revenue_yuan or Decimal(0)) / WAN

    def reaches(emp_bound: int, rev_bound: int | None) -> bool:
        return employees >= emp_bound and (rev_bound is None or revenue_wan >= rev_bound)

    if reaches(thresholds.large_employees, thresholds.large_revenue_wan):
        size = "large"
    elif reaches(thresholds.medium_employees, thresholds.medium_revenue_wan):
        size = "medium"
    elif reaches(thresholds.small_employees, thresholds.small_revenue_wan):
        size = "small"
    else:
        size = "micro"
    figures = f"从业人员{employees}人" + (f"、营业收入{revenue_wan.normalize():f}万元" if uses_revenue else "")
    return SizeResult(size, thresholds, f"{figures}，按{thresholds.label}标准为{SIZE_NAMES[size]}")
