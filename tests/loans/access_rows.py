"""Access-matrix rows of the bank side (issue 5): loans, uploads, post-loan reports."""

from __future__ import annotations

from django.core.files.base import ContentFile

from loans.models import LoanDocument, RecordUpload
from tests.access import LOGIN, Row, expect, for_government_and_banks
from tests.conftest import Cast


def bank_x_upload(cast: Cast) -> RecordUpload:
    upload = RecordUpload(kind="interest", program=cast.changjiang, bank=cast.bank_x, original_name="interest.csv",
                          checksum="0" * 64, uploaded_by=cast.bank_x_user, state=RecordUpload.State.CHECKED)
    upload.file.save("interest.csv", ContentFile("贷款合同编号\n".encode()), save=False)
    upload.save()
    return upload


def loan_a_document(cast: Cast) -> LoanDocument:
    document = LoanDocument(loan=cast.loan_a, kind="application_form", original_name="form.pdf", checksum="0" * 64,
                            uploaded_by=cast.bank_x_user)
    document.file.save("form.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.save()
    return document


LOAN_A = expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404)
BANK_X_UPLOAD = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404)

ROWS = [
    Row("loans:loan-list", lambda c: "/loans/", expect(200, anonymous=LOGIN)),
    Row("loans:loan-create", lambda c: "/loans/new/", expect(403, anonymous=LOGIN, bank_x=200, bank_y=200)),
    Row("loans:loan-detail", lambda c: f"/loans/{c.loan_a.public_id}/", LOAN_A),
    Row("loans:report-create", lambda c: f"/loans/{c.loan_a.public_id}/reports/new/",
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404, bank_x=200)),
    Row("loans:document-create", lambda c: f"/loans/{c.loan_a.public_id}/documents/new/",
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404, bank_x=200)),
    Row("loans:document-file", lambda c: f"/loans/documents/{loan_a_document(c).public_id}/file/", LOAN_A),
    Row("loans:report-overview", lambda c: "/loans/reports/", for_government_and_banks()),
    Row("loans:report-export", lambda c: "/loans/reports/export.xlsx", for_government_and_banks()),
    Row("loans:upload-list", lambda c: "/loans/uploads/", for_government_and_banks()),
    Row("loans:upload-create", lambda c: "/loans/uploads/new/",
        expect(403, anonymous=LOGIN, bureau_staff=200, bank_x=200, bank_y=200, admin=200)),
    Row("loans:upload-template", lambda c: "/loans/uploads/templates/interest.xlsx", for_government_and_banks()),
    Row("loans:upload-detail", lambda c: f"/loans/uploads/{bank_x_upload(c).public_id}/", BANK_X_UPLOAD),
    Row("loans:upload-file", lambda c: f"/loans/uploads/{bank_x_upload(c).public_id}/file/", BANK_X_UPLOAD),
    Row("loans:upload-confirm", lambda c: f"/loans/uploads/{bank_x_upload(c).public_id}/confirm/", expect(405)),
    Row("loans:upload-cancel", lambda c: f"/loans/uploads/{bank_x_upload(c).public_id}/cancel/", expect(405)),
]
