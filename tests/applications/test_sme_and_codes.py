"""SME size by 工信部联企业〔2011〕300号, the credit-code check (letters first), ID numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications.credit_code import check_character, validate
from applications.forms import TeamMemberForm
from applications.sme import classify


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "size"),
    [
        ("industrial", 1000, "400000000", "large"),
        ("industrial", 1000, "399999999.99", "medium"),  # below one bound (或) is an SME
        ("industrial", 300, "20000000", "medium"),
        ("industrial", 299, "20000000", "small"),
        ("industrial", 20, "3000000", "small"),
        ("industrial", 19, "3000000", "micro"),
        ("software", 300, "100000000", "large"),
        ("software", 100, "10000000", "medium"),
        ("software", 10, "500000", "small"),
        ("software", 9, "500000", "micro"),
        ("wholesale", 20, "50000000", "medium"),
        ("retail", 50, "5000000", "medium"),
        ("other", 300, None, "large"),
        ("other", 100, None, "medium"),
        ("other", 9, None, "micro"),
    ],
)
def test_size_by_sector(industry, employees, revenue, size):
    result = classify(industry, employees, Decimal(revenue) if revenue else None)
    assert result.size == size
    assert result.thresholds is not None and "300" not in result.name


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "size"),
    [
        ("agriculture", None, "200000000", None, "large"),
        ("agriculture", None, "5000000", None, "medium"),
        ("agriculture", None, "499999.99", None, "micro"),
        ("construction", None, "800000000", "800000000", "large"),
        (
            "construction",
            None,
            "800000000",
            "799999999",
            "medium",
        ),  # below the assets bound (或) is an SME
        ("construction", None, "60000000", "49999999", "small"),  # medium needs both (且)
        ("telecom", 2000, "1000000000", None, "large"),
        ("telecom", 1999, "1000000000", None, "medium"),
        ("real_estate", None, "10000000", "50000000", "medium"),
        ("real_estate", None, "1000000", "19999999", "micro"),
        ("leasing", 300, None, "1200000000", "large"),
        ("leasing", 100, None, "80000000", "medium"),
        ("property", 100, "5000000", None, "small"),
        ("property", 99, "5000000", None, "micro"),
    ],
)
def test_size_of_the_other_sectors(industry, employees, revenue, assets, size):
    result = classify(
        industry,
        employees,
        Decimal(revenue) if revenue else None,
        Decimal(assets) if assets else None,
    )
    assert result.size == size, result.reason


def test_every_sector_of_300_is_offered():
    from applications.models import Industry
    from applications.sme import THRESHOLDS

    assert set(Industry.values) == set(THRESHOLDS) and len(THRESHOLDS) == 16


def test_size_unknown_without_figures():
    assert classify("construction", None, Decimal(1), None).reason == "未填写资产总额，无法划型"
    assert (
        classify("agriculture", None, Decimal(1)).size == "micro"
    )  # employees not used by this sector
    assert classify("", 10, Decimal(1)).size is None
    assert classify("industrial", None, Decimal(1)).size is None
    assert classify("industrial", 10, None).size is None


def test_thresholds_are_described():
    assert (
        "从业人员1000人或营业收入40000万元以下"
        in classify("industrial", 50, Decimal(1)).thresholds.describe()
    )


def test_codes_starting_with_a_letter_validate():
    first17 = "N2330802MA2DX0001"
    code = first17 + check_character(first17)
    assert validate(code) is None
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert "校验码错误" in (validate(wrong) or "")


def test_the_standards_own_example_code_validates():
    # GB 32100-2015's example 91350100M000100Y43, fixed, not computed by the code under test.
    assert validate("91350100M000100Y43") is None
    assert validate("91350100m000100y43") is None  # typed in lower case
    assert validate("91350100M000100Y44") == "校验码错误：按GB 32100-2015第18位应为“3”"
    assert validate("91350100M000100Y4") == "统一社会信用代码应为18位，现为17位"
    assert (
        validate("91350100M000I00Y43")
        == "统一社会信用代码含有不允许的字符：I（不使用I、O、S、V、Z）"
    )


def _check_by_the_standard(first17: str) -> str:
    # GB 32100-2015 §4.4: weights 3^(i-1) mod 31, C18 = 31 − (Σ Ci×Wi mod 31), 31 read as 0.
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return alphabet[(31 - total % 31) % 31]


@pytest.mark.parametrize("code", ["N2360202MA0000001D", "N1330802MA2DX0001H", "Y1110000MA01ABCD10"])
def test_fixed_letter_first_codes_validate(code):
    assert (
        _check_by_the_standard(code[:17]) == code[17]
    )  # the literal is right by the standard's formula
    assert validate(code) is None
    assert (validate(code[:17] + ("0" if code[17] != "0" else "1")) or "").startswith("校验码错误")


def test_id_numbers_are_checked():
    good = TeamMemberForm({"name": "王五", "id_number": "11010519491231002X"})
    assert good.is_valid(), good.errors
    bad = TeamMemberForm({"name": "王五", "id_number": "110105194912310021"})
    assert not bad.is_valid()
    assert "GB 11643" in str(bad.errors["id_number"])
