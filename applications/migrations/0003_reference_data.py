"""Reference data every database needs: the two programs with their versions, and the annexes' lists."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

PRODUCT_TYPES = [  # Changjiang 附件4 产品类型
    ("incubation", "科技孵化贷"),
    ("knowledge", "科技知识贷"),
    ("working-capital", "科技周转贷"),
    ("startup", "科技立业贷"),
    ("tax-refund", "科技退税贷"),
    ("equity", "科技股权贷"),
    ("mortgage", "科技抵押贷"),
    ("guarantee", "科技担保贷"),
]

TECH_FIELDS = [  # Quzhou 附件1 主营产品（服务）所属技术领域, in the form's order
    ("next-gen-it", "新一代信息技术"),
    ("biomedicine", "生物与新医药技术"),
    ("high-end-equipment", "高端装备制造"),
    ("new-materials", "新材料技术"),
    ("high-tech-services", "高技术服务业"),
    ("new-energy", "新能源及节能技术"),
    ("resources-environment", "资源与环境技术"),
    ("upgrading-traditional", "高新技术改造传统产业"),
    ("nuclear-related", "核电关联产业"),
    ("marine", "海洋开发利用"),
    ("new-energy-vehicles", "新能源汽车"),
    ("other", "其他"),
    ("modern-agriculture", "现代农业"),
    ("aerospace", "航空航天技术"),
]

MATERIALS = [  # Changjiang 附件2 “科贷通”申请资料清单: (number, name, required at submission, note)
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
    (11, "银行同意受理科贷通贷款情况说明（包含征信情况）", False, "由合作银行出具，银行审核阶段补齐"),
]

QUZHOU_PLACES = [  # Quzhou 一(一) and 附件1 企业注册地
    ("shibenji", "市本级"),
    ("zhizao", "智造新城（市本级）"),
    ("zhihui", "智慧新城（市本级）"),
    ("qisan", "市、柯城区七三共享"),
]


def load(apps, schema_editor):
    Program = apps.get_model("applications", "Program")
    ProgramVersion = apps.get_model("applications", "ProgramVersion")
    ProductType = apps.get_model("applications", "ProductType")
    TechField = apps.get_model("applications", "TechField")
    MaterialType = apps.get_model("applications", "MaterialType")
    RegistrationPlace = apps.get_model("applications", "RegistrationPlace")
    # The reference prefixes came later (0011); tests that flush the database load these rows again with
    # today's models, where each program needs its own prefix.
    later = {f.name for f in Program._meta.get_fields()}

    def prefix(letters: str) -> dict[str, str]:
        return {"reference_prefix": letters} if "reference_prefix" in later else {}

    changjiang, _ = Program.objects.get_or_create(
        code="changjiang",
        defaults={
            "name": "昌江区“科贷通”",
            "kind": "changjiang_kedaitong",
            "region": "江西省景德镇市昌江区",
            "authority": "昌江区科学技术局",
        }
        | prefix("CJ"),
    )
    ProgramVersion.objects.get_or_create(
        program=changjiang,
        code="2025",
        defaults={
            "title": "昌江区“科贷通”工作实施细则",
            "document_no": "",
            "effective_from": dt.date(2025, 10, 28),  # 第十二条: 自发布之日起施行
            "max_amount": Decimal("5000000.00"),  # 第一条: 500万元以内
            "one_bank_per_enterprise": True,  # 第六条(二)
            "needs_recommendation": True,  # 第一条, 第三条
            "publicity_workdays": 5,  # 第八条 sets no period: see docs/decisions.md
            "risk_compensation": True,  # 第十一条
        },
    )
    quzhou, _ = Program.objects.get_or_create(
        code="quzhou",
        defaults={
            "name": "衢州市科技金融合作贷款",
            "kind": "quzhou_coop_loan",
            "region": "浙江省衢州市本级（含智造新城、智慧新城）",
            "authority": "衢州市科学技术局",
        }
        | prefix("QZ"),
    )
    ProgramVersion.objects.get_or_create(
        program=quzhou,
        code="2020",
        defaults={
            "title": "衢州市科技金融合作贷款工作方案（2020年）",
            "document_no": "衢市科发创〔2020〕29号",
            "effective_from": dt.date(2020, 1, 1),
            "effective_to": dt.date(2023, 12, 31),
            "notes": "2023年方案七(二)：按原方案发放且未到期的贷款继续按原方案执行。原方案的参数未收录，由管理员按原文补录。",
        },
    )
    ProgramVersion.objects.get_or_create(
        program=quzhou,
        code="2023",
        defaults={
            "title": "衢州市科技金融合作贷款工作方案",
            "document_no": "衢市科发创〔2023〕37号",
            "effective_from": dt.date(2024, 1, 1),  # 七(三)
            "max_amount": Decimal("5000000.00"),  # 附件1: 最高不超过500万元
            "max_term_months": 36,  # 一(二)
            "enterprise_annual_cap": Decimal("5000000.00"),  # 一(五), annualized
            "total_annual_cap": Decimal("640000000.00"),  # 一(四), annualized
            "rate_capped_by_lpr": True,  # 一(六)
            "lpr_long_tier_above_months": 60,
            "subsidy_share": Decimal("0.3000"),  # 四(1)
        },
    )
    for order, (code, name) in enumerate(PRODUCT_TYPES, start=1):
        ProductType.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for order, (code, name) in enumerate(TECH_FIELDS, start=1):
        TechField.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for number, name, required, note in MATERIALS:
        MaterialType.objects.get_or_create(
            program=changjiang, number=number, defaults={"name": name, "required": required, "note": note}
        )
    for order, (code, name) in enumerate(QUZHOU_PLACES, start=1):
        RegistrationPlace.objects.get_or_create(program=quzhou, code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
