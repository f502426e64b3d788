"""Validators for Chinese identifiers: food business licence numbers and USCC codes.

Each returns a `Check`: `error` (the number cannot be right: reject) or `warning`
(format fine, check digit wrong: real numbers like this exist, so store and warn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from foodsafety.vocabulary import BusinessType

PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
LICENCE_RE = re.compile(r"JY([0-9]{14})")
BUSINESS_TYPES = {"1": BusinessType.SALES, "2": BusinessType.CATERING, "3": BusinessType.UNIT_CANTEEN}

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(rf"[{USCC_ALPHABET}]{{18}}")


@dataclass(frozen=True)
class Check:
    error: str | None = None
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def iso7064_mod11_10(digits: str) -> int:
    """The ISO 7064 MOD 11,10 check digit of a digit string."""
    product = 10
    for char in digits:
        total = (product + int(char)) % 10 or 10
        product = (total * 2) % 11
    return (11 - product) % 10


def check_licence_no(value: str) -> Check:
    """食品经营许可证号: JY + type + province + city + county + 6-digit sequence + check digit."""
    match = LICENCE_RE.fullmatch(value)
    if not match:
        return Check(error="许可证编号应为 JY 加 14 位数字。")
    digits = match.group(1)
    if digits[0] not in BUSINESS_TYPES:
        return Check(error="许可证编号第 1 位数字（主体业态）应为 1、2 或 3。")
    if digits[1:3] not in PROVINCE_PREFIXES:
        return Check(error="许可证编号中的省级行政区划代码无效。")
    if digits[3:5] == "00" and digits[5:7] != "00":
        return Check(error="许可证编号中的地市、区县代码不一致。")
    if iso7064_mod11_10(digits[:13]) != int(digits[13]):
        return Check(warning="许可证编号校验位不符，请核对（已保存）。")
    return Check()


def business_type(licence_no: str | None) -> BusinessType:
    """The 主体业态 a licence number states by its type digit; NONE without a (well-formed) one."""
    match = LICENCE_RE.fullmatch(licence_no or "")
    return BUSINESS_TYPES.get(match.group(1)[0], BusinessType.NONE) if match else BusinessType.NONE


def uscc_check_char(code17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: str) -> Check:
    """统一社会信用代码 (GB 32100-2015): 18 characters, check character warned on, not rejected."""
    if not USCC_RE.fullmatch(value):
        return Check(error="统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）。")
    if uscc_check_char(value[:17]) != value[17]:
        return Check(warning="统一社会信用代码校验位不符，请核对（已保存）。")
    return Check()
