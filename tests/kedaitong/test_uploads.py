"""Uploads are judged by content, not by name, and limited in size."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kedaitong.fields import UploadTo
from kedaitong.uploads import check_upload, display_name


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_real_pdf_and_a_real_png_are_accepted_whatever_their_names():
    assert check_upload(SimpleUploadedFile("scan.bin", b"%PDF-1.7\n...%%EOF")) == "application/pdf"
    assert check_upload(SimpleUploadedFile("photo.pdf", png_bytes())) == "image/png"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("invoice.pdf", b"MZ\x90\x00 this is an executable", "bad_type"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "bad_type"),
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "bad_type"),
        ("empty.pdf", b"", "empty"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "bad_image"),
    ],
)
def test_anything_else_is_refused_with_a_reason(name, content, code):
    with pytest.raises(ValidationError) as excinfo:
        check_upload(SimpleUploadedFile(name, content))
    assert excinfo.value.code == code


def test_files_over_the_limit_are_refused(settings):
    settings.UPLOAD_MAX_MB = 1
    with pytest.raises(ValidationError) as excinfo:
        check_upload(SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 1)))
    assert excinfo.value.code == "too_large"


def test_stored_names_are_random_and_user_names_lose_their_folders():
    path = UploadTo("materials")(None, "../../etc/passwd.PDF")
    assert path.startswith("materials/") and path.endswith(".pdf") and "passwd" not in path
    assert display_name("C:\\Users\\x\\营业执照.pdf") == "营业执照.pdf"
    assert display_name("../../etc/passwd") == "passwd"


def test_a_file_takes_the_extension_of_its_content_not_of_its_name():
    mislabeled = SimpleUploadedFile("营业执照.pdf", png_bytes())
    assert check_upload(mislabeled) == "image/png"
    assert mislabeled.name == "营业执照.png"
    assert UploadTo("materials")(None, mislabeled.name).endswith(".png")
    honest = SimpleUploadedFile("photo.JPEG", jpeg_bytes())
    assert check_upload(honest) == "image/jpeg" and honest.name == "photo.JPEG"
    bare = SimpleUploadedFile("scan", b"%PDF-1.7\n%%EOF")
    check_upload(bare)
    assert bare.name == "scan.pdf"


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_stored_file_is_served_by_its_content(tmp_path, settings):
    from django.core.files.storage import FileSystemStorage
    from django.db.models.fields.files import FieldFile

    from applications.models import Material
    from kedaitong.uploads import serve_upload

    settings.MEDIA_ROOT = tmp_path
    # A file stored before names followed the content: PNG bytes under a .pdf name.
    (tmp_path / "old.pdf").write_bytes(png_bytes())
    fieldfile = FieldFile(Material(), Material._meta.get_field("file"), "old.pdf")
    fieldfile.storage = FileSystemStorage(location=tmp_path)
    response = serve_upload(fieldfile, filename="营业执照.pdf")
    assert response["Content-Type"] == "image/png"
    assert "%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()
