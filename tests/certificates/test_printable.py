"""The printable certificate through the app: PNG and PDF downloads, the QR code leads to
the verify page, and the PNG itself verifies when uploaded (or is refused when forged)."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp
from PIL import Image

from learning.certificates import render, services
from learning.core.db import utcnow
from tests.factories import create_user
from tests.helpers import post_form


@pytest.fixture
def issued(setup, issuer, db):
    certificate = services.issue_manually(
        setup.coordinator, setup.enrolment, "Tests", issuer, now=utcnow()
    )
    db.session.commit()
    return certificate


@pytest.fixture
def png(client, login_as, setup, issued):
    login_as(setup.learner)
    response = client.get(f"/certificates/{issued.uuid}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    return response.data


def test_the_png_carries_the_credential_and_a_qr_code_to_the_verify_page(png, issued, issuer):
    assert render.unbake_png(png) == issued.jwt
    image = Image.open(io.BytesIO(png)).convert("RGB")
    codes = [code.text for code in zxingcpp.read_barcodes(image)]
    assert codes == [issuer.verify_url(issued.uuid)]


def test_the_pdf_is_text_with_the_holders_name(client, login_as, setup, issued):
    login_as(setup.learner)
    response = client.get(f"/certificates/{issued.uuid}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert issued.code in text and setup.course.title in text


def test_printables_are_the_holders_only(client, login_as, issued):
    login_as(create_user())
    assert client.get(f"/certificates/{issued.uuid}.png").status_code == 403
    assert client.get(f"/certificates/{issued.uuid}.pdf").status_code == 403


def _upload(client, data: bytes):
    return post_form(
        client,
        "/verify",
        {"file": (io.BytesIO(data), "certificate.png")},
        content_type="multipart/form-data",
    )


def test_an_uploaded_certificate_image_verifies(app, png):
    client = app.test_client()
    response = _upload(client, png)
    assert response.status_code == 200
    assert "This certificate is genuine and valid." in response.get_data(as_text=True)


def test_a_forged_image_is_not_valid(app, png, issued):
    head, body, signature = issued.jwt.split(".")
    forged_jwt = f"{head}.{body[:-6]}AAAAAA.{signature}"
    plain = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(plain, "PNG")
    forged = render.bake_png(plain.getvalue(), forged_jwt)
    client = app.test_client()
    response = _upload(client, forged)
    assert response.status_code == 200
    assert "not a genuine certificate" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 40,  # a PNG signature and junk
        b"not an image at all",
    ],
)
def test_broken_images_hold_no_credential(app, data, db):
    client = app.test_client()
    response = _upload(client, data)
    assert response.status_code == 422
    assert "holds no signed credential" in response.get_data(as_text=True)


def test_a_plain_png_holds_no_credential(app, db):
    plain = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(plain, "PNG")
    response = _upload(app.test_client(), plain.getvalue())
    assert response.status_code == 422


def test_the_command_line_verifies_the_png(app, png, tmp_path):
    path = tmp_path / "certificate.png"
    path.write_bytes(png)
    result = app.test_cli_runner().invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert '"verdict": "valid"' in result.output
    plain = tmp_path / "plain.png"
    Image.new("RGB", (10, 10), "white").save(plain, "PNG")
    result = app.test_cli_runner().invoke(args=["certificates", "verify", str(plain)])
    assert result.exit_code != 0 and "holds no signed credential" in result.output


def test_the_pdf_is_the_same_bytes_each_time(client, login_as, setup, issued):
    login_as(setup.learner)
    first = client.get(f"/certificates/{issued.uuid}.pdf")
    second = client.get(f"/certificates/{issued.uuid}.pdf")
    assert first.data == second.data
    assert first.headers["Cache-Control"] == "private, max-age=3600"
