"""SME size by 工信部联企业〔2011〕300号《中小企业划型标准规定》, for the sixteen sectors of its 第四条.

第五条 of 300号: "以上" includes the figure, "以下" excludes it. An enterprise
is large only when it reaches every upper bound of its sector (the bounds are
joined by 或); within SMEs, medium and small need every figure (且), micro is
below any (或). Sectors use employees, revenue or total assets, as 第四条 says.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WAN = Decimal("10000")


@dataclass(frozen=True)
class Bound:
    """One size line of a sector: the figures to reach, each None where 300号 does not use it (万元 for money)."""

    employees: int | None = None
    revenue_wan: int | None = None
    assets_wan: int | None = None

    def text(self) -> list[str]:
        parts = []
        if self.employees is not None:
            parts.append(f"从业人员{self.employees}人")
        if self.revenue_wan is not None:
            parts.append(f"营业收入{self.revenue_wan}万元")
        if self.assets_wan is not None:
            parts.append(f"资产总额{self.assets_wan}万元")
        return parts


@dataclass(frozen=True)
class Thresholds:
    """Bounds of one sector (300号 第四条): below any large bound is an SME (或); medium and small need every figure (且)."""

    label: str
    large: Bound
    medium: Bound
    small: Bound

    def describe(self) -> str:
        return (
            f"{self.label}：{'或'.join(self.large.text())}以下为中小微型企业；"
            f"{'及以上，且'.join(self.medium.text())}及以上为中型；"
            f"{'及以上，且'.join(self.small.text())}及以上为小型；其余为微型"
        )


# 300号 第四条, all sixteen sectors.
THRESHOLDS: dict[str, Thresholds] = {
    "agriculture": Thresholds(
        "农、林、牧、渔业（第四条（一））",
        Bound(revenue_wan=20000),
        Bound(revenue_wan=500),
        Bound(revenue_wan=50),
    ),
    "industrial": Thresholds(
        "工业（第四条（二））", Bound(1000, 40000), Bound(300, 2000), Bound(20, 300)
    ),
    "construction": Thresholds(
        "建筑业（第四条（三））",
        Bound(revenue_wan=80000, assets_wan=80000),
        Bound(revenue_wan=6000, assets_wan=5000),
        Bound(revenue_wan=300, assets_wan=300),
    ),
    "wholesale": Thresholds(
        "批发业（第四条（四））", Bound(200, 40000), Bound(20, 5000), Bound(5, 1000)
    ),
    "retail": Thresholds(
        "零售业（第四条（五））", Bound(300, 20000), Bound(50, 500), Bound(10, 100)
    ),
    "transport": Thresholds(
        "交通运输业（第四条（六））", Bound(1000, 30000), Bound(300, 3000), Bound(20, 200)
    ),
    "warehousing": Thresholds(
        "仓储业（第四条（七））", Bound(200, 30000), Bound(100, 1000), Bound(20, 100)
    ),
    "postal": Thresholds(
        "邮政业（第四条（八））", Bound(1000, 30000), Bound(300, 2000), Bound(20, 100)
    ),
    "accommodation": Thresholds(
        "住宿业（第四条（九））", Bound(300, 10000), Bound(100, 2000), Bound(10, 100)
    ),
    "catering": Thresholds(
        "餐饮业（第四条（十））", Bound(300, 10000), Bound(100, 2000), Bound(10, 100)
    ),
    "telecom": Thresholds(
        "信息传输业（第四条（十一））", Bound(2000, 100000), Bound(100, 1000), Bound(10, 100)
    ),
    "software": Thresholds(
        "软件和信息技术服务业（第四条（十二））", Bound(300, 10000), Bound(100, 1000), Bound(10, 50)
    ),
    "real_estate": Thresholds(
        "房地产开发经营（第四条（十三））",
        Bound(revenue_wan=200000, assets_wan=10000),
        Bound(revenue_wan=1000, assets_wan=5000),
        Bound(revenue_wan=100, assets_wan=2000),
    ),
    "property": Thresholds(
        "物业管理（第四条（十四））", Bound(1000, 5000), Bound(300, 1000), Bound(100, 500)
    ),
    "leasing": Thresholds(
        "租赁和商务服务业（第四条（十五））",
        Bound(300, assets_wan=120000),
        Bound(100, assets_wan=8000),
        Bound(10, assets_wan=100),
    ),
    "other": Thresholds("其他未列明行业（第四条（十六））", Bound(300), Bound(100), Bound(10)),
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


def classify(
    industry: str,
    employees: int | None,
    revenue_yuan: Decimal | None,
    total_assets_yuan: Decimal | None = None,
) -> SizeResult:
    """工信部联企业〔2011〕300号 第四条: the size of an enterprise of `industry` by the figures its sector uses."""
    thresholds = THRESHOLDS.get(industry)
    if thresholds is None:
        return SizeResult(None, None, "未填写所属行业，无法按工信部联企业〔2011〕300号划型")
    large = thresholds.large
    if large.employees is not None and employees is None:
        return SizeResult(None, thresholds, "未填写从业人员数，无法划型")
    if large.revenue_wan is not None and revenue_yuan is None:
        return SizeResult(None, thresholds, "未填写营业收入，无法划型")
    if large.assets_wan is not None and total_assets_yuan is None:
        return SizeResult(None, thresholds, "未填写资产总额，无法划型")
    revenue_wan = (revenue_yuan or Decimal(0)) / WAN
    assets_wan = (total_assets_yuan or Decimal(0)) / WAN

    def reaches(bound: Bound) -> bool:
        return (
            (bound.employees is None or (employees or 0) >= bound.employees)
            and (bound.revenue_wan is None or revenue_wan >= bound.revenue_wan)
            and (bound.assets_wan is None or assets_wan >= bound.assets_wan)
        )

    if reaches(large):
        size = "large"
    elif reaches(thresholds.medium):
        size = "medium"
    elif reaches(thresholds.small):
        size = "small"
    else:
        size = "micro"
    figures = []
    if large.employees is not None:
        figures.append(f"从业人员{employees}人")
    if large.revenue_wan is not None:
        figures.append(f"营业收入{revenue_wan.normalize():f}万元")
    if large.assets_wan is not None:
        figures.append(f"资产总额{assets_wan.normalize():f}万元")
    return SizeResult(
        size, thresholds, f"{'、'.join(figures)}，按{thresholds.label}标准为{SIZE_NAMES[size]}"
    )
