"""Reference rows every program of the Changjiang kind starts with (a new district gets them at creation).

The same list as the migration `applications/0003_reference_data` loads for 昌江区 itself: 附件2 “科贷通”申请资料清单,
(number, name, required at submission, note).
"""

MATERIALS = [
    (1, "“科贷通”贷款申请报告", True, "附件3，系统生成后盖章上传"),
    (2, "“科贷通”审批表", True, "附件4，系统生成后盖章上传"),
    (3, "有效营业执照副本", True, ""),
    (4, "贷款银行开户许可证", True, ""),
    (5, "近三年资产负债表", True, ""),
    (6, "近三年利润表", True, ""),
    (7, "近三年现金流量表", True, ""),
    (8, "近半年水电费发票复印件", True, ""),
    (9, "税收完税证明", True, ""),
    (10, "企业及法人无涉案情况证明", True, ""),
    (
        11,
        "银行同意受理科贷通贷款情况说明（包含征信情况）",
        False,
        "由合作银行出具，银行审核阶段补齐",
    ),
]

# 附件2 第11项 is issued by the cooperating bank and added at its review (the bank uploads it, issue 18 item 9).
SUPPLIED_BY_BANK = frozenset({11})
