"""RSA signing keys: generate, load, publish as JWK (RFC 7517) with an RFC 7638 thumbprint.

No Flask and no database here: ``settings.py`` decides where the private key comes from,
``services.py`` records the public keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 3072
MIN_KEY_BITS = 2048  # RS256 with less than this is refused


class SigningKeyError(ValueError):
    """A private key that cannot be used: not PEM, not RSA, too short."""


def generate_pem(bits: int = KEY_BITS) -> bytes:
    """A new RSA private key as unencrypted PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_pem(data: bytes | str) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM; refuse anything else."""
    if isinstance(data, str):
        data = data.encode()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"not an unencrypted PEM private key ({error})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError("the signing key must be an RSA key (RS256)")
    if key.key_size < MIN_KEY_BITS:
        raise SigningKeyError(f"the signing key has {key.key_size} bits; at least {MIN_KEY_BITS}")
    return key


def write_pem(path: Path, pem: bytes) -> None:
    """Write a private key readable by its owner only, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(tmp, path)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> dict[str, Any]:
    """The public half as a JWK (without ``kid``: that is a URL, added where it is served)."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    numbers = public.public_numbers()
    return {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e), "alg": "RS256", "use": "sig"}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): the key's name, stable and public."""
    members = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_key_from_jwk(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    """The RSA public key of a JWK (``n`` and ``e``)."""

    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    return rsa.RSAPublicNumbers(number(jwk["e"]), number(jwk["n"])).public_key()
