"""Open Badges 3.0 credentials as VC-JWTs, and the W3C Bitstring Status List.

Pure functions (no database, no Flask): build the credential, sign it (RS256, PyJWT), read and
check a token, validate against the pinned 1EdTech schema, encode and decode status lists.
See ``standards/README.md`` for where the pinned files come from.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jsonschema import Draft201909Validator

STANDARDS = Path(__file__).resolve().parent / "standards"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CONTEXTS = [VC2_CONTEXT, OB3_CONTEXT, OB3_EXTENSIONS]
SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
# The pinned files by the URL a credential names them with.
PINNED = {
    VC2_CONTEXT: "credentials-v2.json",
    OB3_CONTEXT: "ob-context-3.0.3.json",
    OB3_EXTENSIONS: "ob-extensions.json",
    SCHEMA_ID: "ob_v3p0_achievementcredential_schema.json",
}
ALGORITHM = "RS256"
# W3C Bitstring Status List: at least 131,072 entries (16 KiB) so that one index tells little.
STATUS_LIST_SIZE = 131_072
MAX_TOKEN_LENGTH = 64 * 1024


def pinned(url: str) -> dict[str, Any]:
    """A pinned standard file, read from the package (never from the network)."""
    return _load(PINNED[url])


@lru_cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((STANDARDS / name).read_text(encoding="utf-8"))


@lru_cache
def _validator() -> Draft201909Validator:
    schema = _load(PINNED[SCHEMA_ID])
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_problems(credential: Any) -> list[str]:
    """Why ``credential`` does not validate against the pinned OB 3.0 schema (none: valid)."""
    problems = []
    for error in sorted(_validator().iter_errors(credential), key=lambda e: list(e.path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        problems.append(f"{where}: {error.message[:200]}")
    return problems


def iso(moment: datetime) -> str:
    """An XML Schema dateTime in UTC with a Z, to the second (what VC 2.0 expects)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: Any) -> datetime | None:
    """A timezone-aware datetime from an ISO 8601 string, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash of an e-mail address: ``sha256$`` + hex(SHA-256(address + salt))."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"sha256${digest}"


@dataclass(frozen=True)
class Issuer:
    id: str  # an https URL that serves this profile as JSON
    name: str
    url: str

    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "type": ["Profile"], "name": self.name, "url": self.url}


def build_credential(
    *,
    credential_uuid: str,
    issuer: Issuer,
    valid_from: datetime,
    valid_until: datetime | None,
    subject_id: str,
    holder_name: str,
    email: str,
    salt: str,
    achievement: dict[str, Any],
    status: dict[str, Any],
) -> dict[str, Any]:
    """An OpenBadgeCredential (VC 2.0 data model) for one learner and one achievement."""
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{credential_uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer.profile(),
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "name": holder_name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(email, salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": achievement,
        },
        "credentialStatus": status,
        "credentialSchema": [{"id": SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if valid_until is not None:
        credential["validUntil"] = iso(valid_until)
    return credential


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` entry for index ``index`` of a revocation list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The VC-JWT payload: the credential itself plus the registered claims that mirror it."""
    payload = dict(credential)
    issuer = credential["issuer"]
    payload["iss"] = issuer["id"] if isinstance(issuer, dict) else issuer
    payload["jti"] = credential["id"]
    subject = credential.get("credentialSubject") or {}
    if subject.get("id"):
        payload["sub"] = subject["id"]
    payload["nbf"] = int(parse_iso(credential["validFrom"]).timestamp())
    if credential.get("validUntil"):
        payload["exp"] = int(parse_iso(credential["validUntil"]).timestamp())
    return payload


def sign(credential: dict[str, Any], private_key: rsa.RSAPrivateKey, kid_url: str) -> str:
    """The compact VC-JWT (RS256) of ``credential``; the header names the key by URL."""
    return jwt.encode(
        claims(credential),
        private_key,
        algorithm=ALGORITHM,
        headers={"kid": kid_url, "typ": "JWT"},
    )


class TokenInvalid(Exception):
    """A token that is not a credential of ours, or not intact. ``code`` names why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def token_header(token: str) -> dict[str, Any]:
    """The (unverified) header of a compact JWS, or TokenInvalid."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid("malformed", "This is not a signed credential (JWT).")
    if token.count(".") != 2:
        raise TokenInvalid("malformed", "This is not a signed credential (JWT).")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenInvalid("malformed", "This is not a signed credential (JWT).") from None
    if header.get("alg") != ALGORITHM:
        raise TokenInvalid(
            "bad_algorithm", f"The credential is not signed with {ALGORITHM} ({header.get('alg')})."
        )
    if not isinstance(header.get("kid"), str):
        raise TokenInvalid("unknown_key", "The credential does not say which key signed it.")
    return header


def verify_token(token: str, public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The payload of ``token`` if ``public_key`` signed it and its claims agree with the
    credential inside; dates are left to the caller (an expired credential is still ours)."""
    try:
        payload = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "require": ["iss", "jti", "nbf"],
            },
        )
    except jwt.InvalidSignatureError:
        raise TokenInvalid("bad_signature", "The signature does not match: altered.") from None
    except jwt.PyJWTError:
        raise TokenInvalid("malformed", "This is not a signed credential (JWT).") from None
    except (ValueError, TypeError):  # odd bytes inside an otherwise well-formed token
        raise TokenInvalid("malformed", "This is not a signed credential (JWT).") from None
    if not isinstance(payload, dict):
        raise TokenInvalid("malformed", "This is not a signed credential (JWT).")
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = payload.get("credentialSubject")
    valid_from = parse_iso(payload.get("validFrom"))
    valid_until = parse_iso(payload.get("validUntil")) if "validUntil" in payload else None
    agrees = (
        payload.get("iss") == issuer_id
        and payload.get("jti") == payload.get("id")
        and (not isinstance(subject, dict) or payload.get("sub") == subject.get("id"))
        and valid_from is not None
        and payload.get("nbf") == int(valid_from.timestamp())
        and (valid_until is None or payload.get("exp") == int(valid_until.timestamp()))
    )
    if not agrees:
        raise TokenInvalid("claims_mismatch", "The token's claims contradict the credential.")
    return payload


def credential_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential inside a VC-JWT payload (without the registered claims)."""
    return {k: v for k, v in payload.items() if k not in {"iss", "jti", "sub", "nbf", "exp", "iat"}}


# --- Bitstring Status List ------------------------------------------------------------------


def encode_status_list(set_indices: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """GZIP-compressed bitstring, multibase base64url without padding ('u' prefix). Index 0
    is the most significant bit of the first byte (W3C Bitstring Status List §4)."""
    bits = bytearray(size // 8)
    for index in set_indices:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_status_list(encoded: str, *, max_bytes: int = 16 * STATUS_LIST_SIZE) -> bytes:
    """The raw bitstring of an ``encodedList`` (ValueError when it is not one)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("not a multibase base64url string")
    try:
        data = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
        # Bounded decompression: a small list must not inflate into gigabytes.
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        bits = inflater.decompress(data, max_bytes)
    except (binascii.Error, zlib.error) as error:
        raise ValueError(f"not a GZIP status list ({error})") from None
    if inflater.unconsumed_tail:
        raise ValueError("status list too large")
    return bits


def status_bit(bits: bytes, index: int) -> bool:
    """Whether entry ``index`` of a decoded bitstring is set."""
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"status index {index} outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(
    *, url: str, issuer: Issuer, valid_from: datetime, encoded: str
) -> dict[str, Any]:
    """A BitstringStatusListCredential for revocation."""
    return {
        "@context": [VC2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.profile(),
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }
