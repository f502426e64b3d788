"""Chinese labels of the inspection vocabularies (what screens and exports show)."""

from __future__ import annotations

ANSWER_LABELS = {"yes": "是", "no": "否", "na": "合理缺项"}
RESULT_LABELS = {"compliant": "符合", "basic": "基本符合", "noncompliant": "不符合"}
HANDLING_LABELS = {
    "pass": "通过",
    "rectify": "书面限期整改",
    "stop": "食品生产经营者立即停止食品生产经营活动",
}
CATEGORY_LABELS = {
    "raw_material": "原料进货查验把关不严格",
    "processing": "食品加工制作行为不规范",
    "cleaning": "餐具用具清洗消毒不彻底",
    "environment": "加工制作环境不清洁",
    "distribution": "食品分餐配送过程不合规",
    "other": "其他食品安全问题",
}
HACCP_LABELS = {"none": "未建立", "established": "已建立", "certified": "已通过认证"}
MINGCHU_LABELS = {"transparent": "透明式", "video": "视频式", "internet": "互联网式"}
UNIT_KIND_LABELS = {
    "canteen": "学校食堂",
    "supplier": "学生集体用餐配送单位",
    "periphery": "校园周边食品经营者",
    "unlicensed": "无证经营者",
}
