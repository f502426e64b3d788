"""The system's vocabularies, each defined once: the code stored and sent, the Chinese label shown,
and the order of the members (the order screens, exports and dropdowns list them in).

Models store the codes, schemas serialise code and label, pages, the workbook, the import template
and the phone (which receives them with the form definitions, `GET /api/v1/forms/vocabulary`)
show the labels. Nothing else restates a label.
"""

from __future__ import annotations

import enum


class Term(enum.StrEnum):
    """A vocabulary member: compares and serialises as its code; `label` is what users read."""

    label: str

    def __new__(cls, value: str, label: str) -> Term:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}

    @classmethod
    def by_label(cls, text: str) -> Term | None:
        """The member whose label (or code) is `text`, e.g. for a spreadsheet cell."""
        return next((member for member in cls if text in (member.label, member.value)), None)


# --- registry ------------------------------------------------------------------------------------

class SchoolStage(Term):
    KINDERGARTEN = "kindergarten", "幼儿园"
    PRIMARY = "primary", "小学"
    SECONDARY = "secondary", "中学"
    VOCATIONAL = "vocational", "职业学校"
    OTHER = "other", "其他"


class UnitKind(Term):
    CANTEEN = "canteen", "学校食堂"
    SUPPLIER = "supplier", "学生集体用餐配送单位"
    PERIPHERY = "periphery", "校园周边食品经营者"
    UNLICENSED = "unlicensed", "无证经营者"


class OperationMode(Term):
    SELF_RUN = "self_run", "自营"
    CONTRACTED = "contracted", "承包经营"


class HaccpStatus(Term):
    NONE = "none", "未建立"
    ESTABLISHED = "established", "已建立"
    CERTIFIED = "certified", "已通过认证"


class Mingchu(Term):
    """明厨亮灶 modes; a unit may have several."""

    TRANSPARENT = "transparent", "透明式"
    VIDEO = "video", "视频式"
    INTERNET = "internet", "互联网式"


class BusinessType(Term):
    """主体业态: the first digit of a 食品经营许可证号 (JY + 1 digit …); none without a licence."""

    SALES = "sales", "食品销售经营者"
    CATERING = "catering", "餐饮服务经营者"
    UNIT_CANTEEN = "unit_canteen", "单位食堂"
    NONE = "none", "无许可证"


class LicenceStatus(Term):
    VALID = "valid", "有效"
    EXPIRED = "expired", "已过期"
    NOT_YET_VALID = "not_yet_valid", "未生效"
    REVOKED = "revoked", "已吊销"
    NONE = "none", "未登记许可证"


# --- inspections ---------------------------------------------------------------------------------

class Answer(Term):
    YES = "yes", "是"
    NO = "no", "否"
    NA = "na", "合理缺项"


class Result(Term):
    COMPLIANT = "compliant", "符合"
    BASIC = "basic", "基本符合"
    NONCOMPLIANT = "noncompliant", "不符合"


class Handling(Term):
    PASS = "pass", "通过"
    ON_SITE = "on_site", "当场整改"  # every problem corrected on the spot: no written order
    RECTIFY = "rectify", "书面限期整改"
    STOP = "stop", "食品生产经营者立即停止食品生产经营活动"


class Category(Term):
    """The statistics table's problem categories (rows C1–C11)."""

    RAW_MATERIAL = "raw_material", "原料进货查验把关不严格"
    PROCESSING = "processing", "食品加工制作行为不规范"
    CLEANING = "cleaning", "餐具用具清洗消毒不彻底"
    ENVIRONMENT = "environment", "加工制作环境不清洁"
    DISTRIBUTION = "distribution", "食品分餐配送过程不合规"  # catering suppliers only
    OTHER = "other", "其他食品安全问题"


class SignatureState(Term):
    """The operator's answer to the record handed over on site (令第49号 art. 35)."""

    SIGNED = "signed", "已签名"
    REFUSED = "refused", "当事人拒签"  # recorded with the inspectors' note


# --- rectification, statistics, scheduler, accounts ----------------------------------------------

class OrderStatus(Term):
    OPEN = "open", "待整改"
    REPORTED = "reported", "已报告整改，待复查"
    CLOSED = "closed", "复查合格，已销号"


class SnapshotKind(Term):
    DRAFT = "draft", "草稿"
    FINAL = "final", "定稿"  # passes every error-level validation rule


class Severity(Term):
    ERROR = "error", "错误"
    WARNING = "warning", "警告"


class RunStatus(Term):
    RUNNING = "running", "运行中"
    SUCCEEDED = "succeeded", "成功"
    FAILED = "failed", "失败"  # retried after a back-off, a limited number of times


class Role(Term):
    INSPECTOR = "inspector", "市场监管执法人员"  # reads and writes its subtree
    BUREAU = "bureau", "教育局"  # reads its subtree
    SCHOOL = "school", "学校"  # reads its own canteens' records
    ADMIN = "admin", "管理员"  # users and registry within its subtree, not the audit log
    AUDITOR = "auditor", "审计员"  # reads and exports the audit log of its subtree, changes nothing


class Outcome(Term):
    """How an audited request ended."""

    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"
    DENIED = "denied", "拒绝"


# What the phone and the pages receive (by name), in this order.
VOCABULARIES: dict[str, type[Term]] = {
    "school_stage": SchoolStage, "unit_kind": UnitKind, "operation_mode": OperationMode,
    "haccp": HaccpStatus, "mingchu": Mingchu, "business_type": BusinessType,
    "licence_status": LicenceStatus, "answer": Answer,
    "result": Result, "handling": Handling, "category": Category,
    "signature_state": SignatureState, "order_status": OrderStatus,
    "snapshot_kind": SnapshotKind, "severity": Severity, "role": Role, "outcome": Outcome,
}


def as_json() -> dict[str, list[dict[str, str]]]:
    """Every vocabulary as `{name: [{code, label}, …]}`, members in order."""
    return {name: [{"code": m.value, "label": m.label} for m in term] for name, term in VOCABULARIES.items()}
