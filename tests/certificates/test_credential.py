"""The credential itself: pinned files, OB 3.0 schema, VC-JWT checked by another JOSE library,
the Bitstring Status List encoding, and tampered tokens."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, RSAKey

from learning.certificates import credential as vc
from learning.certificates import keys, services
from learning.core.db import utcnow
from tests.factories import create_user, enrol

STANDARDS = Path(vc.__file__).parent / "standards"


def test_pinned_files_are_the_ones_listed_with_their_provenance():
    readme = (STANDARDS / "README.md").read_text()
    for url, name in vc.PINNED.items():
        digest = hashlib.sha256((STANDARDS / name).read_bytes()).hexdigest()
        assert digest in readme, f"{name} changed without its README entry"
        assert url in readme or name.endswith("schema.json")


@pytest.fixture
def issued(setup, issuer, db):
    return services.issue_manually(
        setup.coordinator, setup.enrolment, "For the tests", issuer, now=utcnow()
    )


def test_the_credential_validates_against_the_pinned_schema(issued):
    assert vc.schema_problems(issued.credential) == []
    credential = issued.credential
    assert credential["@context"] == vc.CONTEXTS
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"urn:uuid:{issued.uuid}"
    subject = credential["credentialSubject"]
    identity = subject["identifier"][0]
    assert identity["hashed"] is True and identity["identityType"] == "emailAddress"
    assert identity["identityHash"] == vc.identity_hash(issued.user.email, identity["salt"])
    assert issued.user.email not in json.dumps(credential)
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["name"] == issued.course.title
    assert achievement["criteria"]["narrative"]
    assert credential["credentialStatus"]["statusListIndex"] == str(issued.status_index)


def test_the_schema_catches_what_it_should(issued):
    broken = dict(issued.credential)
    del broken["validFrom"]
    assert any("validFrom" in p for p in vc.schema_problems(broken))
    wrong_context = {**issued.credential, "@context": ["https://example.org/other"]}
    assert vc.schema_problems(wrong_context)


def test_an_independent_jose_library_verifies_the_signature(issued, issuer):
    jwks = services.jwks(issuer)
    key_set = KeySet.import_key_set(json.loads(json.dumps(jwks)))
    token = jose_jwt.decode(issued.jwt, key_set, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.header["typ"] == "JWT"
    assert token.header["kid"] == issuer.key_url(issued.kid)
    claims = token.claims
    assert claims["iss"] == issuer.issuer_id == claims["issuer"]["id"]
    assert claims["jti"] == f"urn:uuid:{issued.uuid}"
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == int(issued.valid_from.timestamp())
    assert "exp" not in claims
    # The one key the kid URL serves verifies it too.
    single = RSAKey.import_key(services.jwk_of(services.find_key(issued.kid), issuer))
    assert jose_jwt.decode(issued.jwt, single, algorithms=["RS256"]).claims["jti"]


def test_another_key_does_not_verify_it(issued):
    stranger = RSAKey.import_key(keys.public_jwk(keys.load_pem(keys.generate_pem(2048))))
    with pytest.raises(BadSignatureError):
        jose_jwt.decode(issued.jwt, stranger, algorithms=["RS256"])


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _parts(token):
    head, body, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(body))),
        signature,
    )


def _tampered(token: str, kind: str, issuer) -> str:
    header, payload, signature = _parts(token)
    if kind == "payload":
        payload["credentialSubject"]["name"] = "Mallory"
        return f"{_b64(header)}.{_b64(payload)}.{signature}"
    if kind == "alg_none":
        return f"{_b64({**header, 'alg': 'none'})}.{_b64(payload)}."
    if kind == "hs256_with_public_key":
        return f"{_b64({**header, 'alg': 'HS256'})}.{_b64(payload)}.{signature}"
    if kind == "wrong_key":
        other = keys.load_pem(keys.generate_pem(2048))
        return vc.sign(payload, other, header["kid"])
    if kind == "unknown_kid":
        other = keys.load_pem(keys.generate_pem(2048))
        return vc.sign(payload, other, issuer.key_url("nobody"))
    if kind == "truncated":
        return token[: len(token) // 2]
    if kind == "no_signature":
        return token.rsplit(".", 1)[0] + "."
    if kind == "garbage":
        return "not.a.jwt"
    if kind == "bad_base64":
        return "%%%.%%%.%%%"
    if kind == "empty":
        return ""
    if kind == "huge":
        return "a" * 100_000
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("payload", "bad_signature"),
        ("alg_none", "bad_algorithm"),
        ("hs256_with_public_key", "bad_algorithm"),
        ("wrong_key", "bad_signature"),
        ("unknown_kid", "unknown_key"),
        ("truncated", "malformed"),
        ("no_signature", "bad_signature"),
        ("garbage", "malformed"),
        ("bad_base64", "malformed"),
        ("empty", "malformed"),
        ("huge", "malformed"),
    ],
)
def test_tampered_tokens_get_a_clear_verdict(issued, issuer, kind, code):
    result = services.verify_token(_tampered(issued.jwt, kind, issuer), issuer, now=utcnow())
    assert result.verdict == "invalid"
    assert result.problem_code == code


def test_a_genuine_token_is_valid_then_revoked(issued, issuer, setup):
    now = utcnow()
    result = services.verify_token(issued.jwt, issuer, now=now)
    assert result.verdict == "valid", result.problem
    assert result.checks == {"signature": True, "schema": True, "status": True}
    assert result.holder_name == "Дарина Ковальчук"
    services.revoke(setup.coordinator, issued, "Wrong person", now=now)
    result = services.verify_token(issued.jwt, issuer, now=now + timedelta(seconds=1))
    assert result.verdict == "revoked" and result.revoked_at == now
    assert "Wrong person" not in json.dumps(result.as_json())


def test_a_signed_token_that_breaks_the_schema_is_invalid(issued, issuer):
    header, payload, _ = _parts(issued.jwt)
    payload["type"] = "OpenBadgeCredential"  # must be an array
    private_key, _record = services.signing_key(issuer, now=utcnow())
    token = vc.sign(vc.credential_of(payload), private_key, header["kid"])
    result = services.verify_token(token, issuer, now=utcnow())
    assert result.verdict == "invalid" and result.problem_code == "schema"


# --- Bitstring Status List ------------------------------------------------------------------


def test_status_list_bit_order_is_most_significant_bit_first():
    encoded = vc.encode_status_list([0, 9, 131_071])
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == 131_072 // 8
    assert raw[0] == 0b1000_0000  # index 0: the most significant bit of byte 0
    assert raw[1] == 0b0100_0000  # index 9: second bit of byte 1
    assert raw[-1] == 0b0000_0001  # the last index: the least significant bit of the last byte
    assert sum(bin(b).count("1") for b in raw) == 3
    bits = vc.decode_status_list(encoded)
    assert [i for i in (0, 1, 8, 9, 131_071) if vc.status_bit(bits, i)] == [0, 9, 131_071]


def test_status_list_refuses_what_it_cannot_hold():
    with pytest.raises(ValueError):
        vc.encode_status_list([131_072])
    with pytest.raises(ValueError):
        vc.decode_status_list("zABC")
    with pytest.raises(ValueError):
        vc.decode_status_list("u" + base64.urlsafe_b64encode(b"not gzip").decode())
    bomb = gzip.compress(bytes(64 * 1024 * 1024))
    with pytest.raises(ValueError, match="too large"):
        vc.decode_status_list("u" + base64.urlsafe_b64encode(bomb).decode())


def test_the_status_list_credential_is_signed_and_marks_revocations(setup, issuer, db):
    now = utcnow()
    kept = services.issue_manually(setup.coordinator, setup.enrolment, "x", issuer, now=now)
    gone = services.issue_manually(
        setup.coordinator, enrol(create_user(), setup.run), "x", issuer, now=now
    )
    services.revoke(setup.coordinator, gone, "Error", now=now)
    token = services.status_list_token(1, issuer, now=now)
    key_set = KeySet.import_key_set(services.jwks(issuer))
    claims = jose_jwt.decode(token, key_set, algorithms=["RS256"]).claims
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = claims["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    bits = vc.decode_status_list(subject["encodedList"])
    assert len(bits) * 8 >= 131_072
    assert vc.status_bit(bits, gone.status_index)
    assert not vc.status_bit(bits, kept.status_index)
    assert claims["id"] == kept.credential["credentialStatus"]["statusListCredential"]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
    )
)
def test_no_input_makes_verification_raise(issued, issuer, junk):
    """Random text, and random edits of a real token, get a verdict, never an exception."""
    now = utcnow()
    assert services.verify_token(junk, issuer, now=now).verdict == "invalid"
    cut = len(junk) % len(issued.jwt)
    mangled = issued.jwt[:cut] + junk[:8] + issued.jwt[cut + 8 :]
    result = services.verify_token(mangled, issuer, now=now)
    assert result.verdict in {"invalid", "valid"}
    if result.verdict == "valid":  # only when the edit changed nothing that was signed
        assert result.credential == issued.credential
