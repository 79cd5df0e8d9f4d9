"""Changjiang 附件2 第11项 “由合作银行出具，银行审核阶段补齐”: the bank adds it at its review (issue 18 item 9)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from applications import services as app_services
from applications.models import Application, Material, MaterialType
from kedaitong.models import AuditEntry
from tests.applications.test_views import png_bytes
from tests.factories import UserFactory
from tests.review.helpers import PDF, to_bank_review, to_publicity

pytestmark = pytest.mark.django_db

PNG = png_bytes()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bank_material(cast) -> MaterialType:
    return MaterialType.objects.get(program=cast.changjiang, number=11)


def url(application: Application) -> str:
    return f"/review/applications/{application.public_id}/bank-material/"


def upload(client: Client, application: Application, cast, name: str, data: bytes = PDF):
    return client.post(
        url(application),
        {"material_type": bank_material(cast).pk, "file": SimpleUploadedFile(name, data)},
    )


def test_material_11_is_marked_as_the_banks_by_the_migration(cast):
    assert bank_material(cast).supplied_by_bank
    assert list(
        MaterialType.objects.filter(program=cast.changjiang, supplied_by_bank=True).values_list(
            "number", flat=True
        )
    ) == [11]


def test_the_bank_uploads_material_11_at_its_review_and_the_page_shows_it(cast):
    application = to_bank_review(cast)
    client = client_for(cast.bank_x_user)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert 'id="bank-material"' in page and "银行出具的材料（附件2第11项）" in page
    response = upload(client, application, cast, "征信情况说明.pdf")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/review/applications/{application.public_id}/#materials")
    material = Material.objects.get(application=application)
    assert (material.material_type.number, material.original_name, material.uploaded_by) == (
        11,
        "征信情况说明.pdf",
        cast.bank_x_user,
    )
    entry = AuditEntry.objects.get(action="applications.material.added_by_bank")
    assert entry.actor == cast.bank_x_user and entry.object_id == str(application.pk)
    assert entry.data == {
        "material": 11,
        "name": "征信情况说明.pdf",
        "size": len(PDF),
        "replaced": [],
    }
    page = client.get(response["Location"]).content.decode()
    assert "征信情况说明.pdf" in page and "材料已提交" not in page


def test_a_new_file_replaces_the_one_on_file_before_the_decision(cast):
    application = to_bank_review(cast)
    client = client_for(cast.bank_x_user)
    assert upload(client, application, cast, "第一版.pdf").status_code == 302
    assert upload(client, application, cast, "第二版.png", PNG).status_code == 302
    material = Material.objects.get(application=application)  # one file: the old one replaced
    assert (material.original_name, material.content_type) == ("第二版.png", "image/png")
    replaced = AuditEntry.objects.get(action="applications.material.replaced_by_bank")
    assert replaced.data["replaced"] == ["第一版.pdf"] and replaced.data["name"] == "第二版.png"


def test_a_hostile_file_is_refused_and_nothing_is_stored(cast):
    application = to_bank_review(cast)
    client = client_for(cast.bank_x_user)
    response = upload(client, application, cast, "征信.pdf", b"MZ\x90\x00 not a pdf at all")
    assert response.status_code == 400
    page = response.content.decode()
    assert "只接受PDF、JPEG或PNG文件" in page or "PDF" in page
    assert 'id="bank-material"' in page  # the form is shown again, with the reason
    assert not Material.objects.filter(application=application).exists()
    assert not AuditEntry.objects.filter(action__endswith="_by_bank").exists()


def test_after_the_banks_decision_the_material_no_longer_changes(cast):
    application = to_publicity(cast)  # the bank approved: its review is over
    client = client_for(cast.bank_x_user)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert 'id="bank-material"' not in page
    response = upload(client, application, cast, "迟到.pdf")
    assert response.status_code == 409
    assert "银行审核期间" in response.content.decode()
    assert not Material.objects.filter(application=application).exists()


def test_only_the_applications_bank_adds_it(cast):
    application = to_bank_review(cast)
    assert upload(client_for(cast.bank_y_user), application, cast, "x.pdf").status_code == 404
    assert upload(client_for(cast.applicant), application, cast, "x.pdf").status_code == 403
    assert upload(client_for(cast.bureau_staff), application, cast, "x.pdf").status_code == 403
    assert client_for(cast.bank_x_user).get(url(application)).status_code == 405
    # The service refuses a bank user of another bank too, whatever the view.
    other = UserFactory(username="bank-y-2", role="bank", bank=cast.bank_y)
    with pytest.raises(app_services.NotAllowed):
        app_services.material_supply_by_bank(
            actor=other,
            application=application,
            material_type=bank_material(cast),
            upload=SimpleUploadedFile("x.pdf", PDF),
        )
    assert not Material.objects.filter(application=application).exists()


def test_the_bank_adds_only_its_own_material(cast):
    application = to_bank_review(cast)
    licence = MaterialType.objects.get(program=cast.changjiang, number=3)
    with pytest.raises(app_services.DomainError):
        app_services.material_supply_by_bank(
            actor=cast.bank_x_user,
            application=application,
            material_type=licence,
            upload=SimpleUploadedFile("x.pdf", PDF),
        )
    response = client_for(cast.bank_x_user).post(
        url(application), {"material_type": licence.pk, "file": SimpleUploadedFile("x.pdf", PDF)}
    )
    assert response.status_code == 400
    assert Material.objects.filter(application=application, material_type=licence).count() == 0


def test_the_enterprise_neither_uploads_nor_removes_the_banks_material(cast):
    application = Application.objects.get(pk=cast.application_a.pk)
    Application.objects.filter(pk=application.pk).update(state=Application.State.DRAFT)
    application.refresh_from_db()
    with pytest.raises(app_services.DomainError, match="合作银行"):
        app_services.material_add(
            actor=cast.applicant,
            application=application,
            material_type=bank_material(cast),
            upload=SimpleUploadedFile("x.pdf", PDF),
        )
    page = client_for(cast.applicant).get(f"/applications/{application.public_id}/edit/")
    options = page.context["material_form"].fields["material_type"].queryset
    assert bank_material(cast) not in options and options.count() == 10
    assert not Material.objects.filter(application=application).exists()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_annex_2_shows_material_11_as_provided_with_its_name(cast):
    application = to_bank_review(cast)
    annex = f"/applications/{application.public_id}/pdf/annex2/"

    def text() -> str:
        data = client_for(cast.applicant).get(annex).content
        out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
        return "".join(out.stdout.decode().split())

    before = text()
    # pdftotext interleaves the text of a wrapped row with the lines beside it: short phrases only.
    assert "由合作银行出" in before
    assert "银行已提供" not in before and "征信说明-X银行.pdf" not in before
    assert (
        upload(client_for(cast.bank_x_user), application, cast, "征信说明-X银行.pdf").status_code
        == 302
    )
    after = text()
    assert "银行已提供" in after and "征信说明-X银行.pdf" in after
    assert after.count("未上传") == before.count("未上传") - 1
