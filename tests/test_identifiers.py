"""Licence numbers and USCC codes: real-format numbers pass, typos warn, garbage is rejected."""

from __future__ import annotations

import pytest

from foodsafety.registry.identifiers import (
    check_licence_no,
    check_uscc,
    iso7064_mod11_10,
    uscc_check_char,
)


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",  # the GB 32100-2015 worked example
    "91110000600037341L",
    "12100000400010398P",  # a public institution (事业单位)
])
def test_valid_uscc_passes_clean(code):
    assert check_uscc(code).ok and check_uscc(code).warning is None


def test_uscc_with_a_wrong_check_character_is_a_warning_not_an_error():
    good = "91350100M000100Y43"
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    result = check_uscc(typo)
    assert result.ok and "校验位" in result.warning


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y43X", "91350100m000100y43",
                                  "91350100I000100Y43", "9135 0100M000100Y4", ""])
def test_malformed_uscc_is_an_error(code):
    assert not check_uscc(code).ok


def test_uscc_check_character_maps_31_to_0():
    # Σ ≡ 0 (mod 31) → 31 − 0 = 31 → "0".
    assert uscc_check_char("00000000000000000") == "0"


def licence(body13: str) -> str:
    return f"JY{body13}{iso7064_mod11_10(body13)}"


@pytest.mark.parametrize("number", [
    licence("3510104000123"),  # 单位食堂, 四川 成都 锦江
    licence("2500103001234"),  # 餐饮服务, 重庆 渝中
    licence("1429004000001"),  # 食品销售, 湖北 仙桃 (省直辖县级)
])
def test_well_formed_licence_passes(number):
    assert check_licence_no(number).ok and check_licence_no(number).warning is None


def test_iso7064_mod_11_10_check_digit():
    # Worked example of ISO 7064 MOD 11,10: "0794" → check digit 5 (07945 is valid).
    assert iso7064_mod11_10("0794") == 5


def test_licence_with_a_failing_check_digit_is_a_warning():
    number = licence("3510104000123")
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    result = check_licence_no(typo)
    assert result.ok and "校验位" in result.warning


@pytest.mark.parametrize("number, reason", [
    ("JY351010400012", "14 位"),
    ("JX35101040001234", "14 位"),
    ("JY45101040001234", "主体业态"),
    ("JY39901040001234", "省级"),
    ("jy35101040001234", "14 位"),
])
def test_malformed_licence_is_rejected_with_the_reason(number, reason):
    result = check_licence_no(number)
    assert not result.ok and reason in result.error
