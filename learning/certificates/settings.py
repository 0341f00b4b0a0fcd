"""The issuer as configured: public URLs, name, and the private signing key.

The key comes from ``LEARNING_CERT_KEY_PEM`` (the PEM text) or ``LEARNING_CERT_KEY_FILE`` (a
path). Without either, development and tests generate one once into
``instance/certificate-signing-key.pem``; production issues nothing without a configured key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app

from learning.certificates import keys
from learning.certificates.credential import Issuer

DEV_KEY_NAME = "certificate-signing-key.pem"
EXTENSION = "certificates"


@dataclass(frozen=True)
class IssuerSettings:
    base_url: str
    issuer_name: str
    issuer_url: str
    signatory: str
    private_key: rsa.RSAPrivateKey | None
    key_problem: str | None  # why there is no key, in words for an operator
    key_file: Path | None  # where `rotate-key` writes (None: the key is in an env variable)

    @property
    def issuer(self) -> Issuer:
        return Issuer(id=self.issuer_id, name=self.issuer_name, url=self.issuer_url)

    @property
    def issuer_id(self) -> str:
        return f"{self.base_url}/certificates/issuer"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"

    def key_url(self, kid: str) -> str:
        return f"{self.base_url}/certificates/keys/{kid}"

    def status_url(self, number: int) -> str:
        return f"{self.base_url}/certificates/status/{number}"

    def verify_url(self, uuid: str) -> str:
        return f"{self.base_url}/verify/{uuid}"

    def course_url(self, slug: str) -> str:
        return f"{self.base_url}/courses/{slug}"


def load_settings(config: Mapping[str, Any]) -> IssuerSettings:
    """Read the issuer settings and the private key from a Flask config mapping."""
    base = (config.get("CERT_BASE_URL") or config["BASE_URL"]).rstrip("/")
    key, problem, key_file = None, None, None
    pem = config.get("CERT_KEY_PEM")
    path = config.get("CERT_KEY_FILE")
    try:
        if pem:
            key = keys.load_pem(pem)
        elif path:
            key_file = Path(path)
            if not key_file.is_file():
                raise keys.SigningKeyError(f"LEARNING_CERT_KEY_FILE {key_file} does not exist")
            key = keys.load_pem(key_file.read_bytes())
        elif config.get("ENV_NAME") == "production":
            problem = (
                "No certificate signing key: set LEARNING_CERT_KEY_FILE or LEARNING_CERT_KEY_PEM."
            )
        else:
            key_file = Path(config["INSTANCE_DIR"]) / DEV_KEY_NAME
            key = keys.load_pem(_dev_key(key_file))
    except keys.SigningKeyError as error:
        key, problem = None, f"Certificate signing key unusable: {error}"
    return IssuerSettings(
        base_url=base,
        issuer_name=config.get("CERT_ISSUER_NAME") or config.get("SITE_NAME") or "CapaCity",
        issuer_url=(config.get("CERT_ISSUER_URL") or base),
        signatory=config.get("CERT_SIGNATORY") or "",
        private_key=key,
        key_problem=problem,
        key_file=key_file,
    )


def _dev_key(path: Path) -> bytes:
    """The development key, generated the first time (two processes at once keep one)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        keys.write_pem(tmp, keys.generate_pem())
        try:
            os.link(tmp, path)  # fails if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _mtime(path: Path | None) -> float | None:
    try:
        return path.stat().st_mtime_ns if path is not None else None
    except OSError:
        return None


def current() -> IssuerSettings:
    """The settings of the current app, read once; read again when the key file changes
    (``rotate-key`` in another process), so that every process signs with the new key."""
    cached = current_app.extensions.get(EXTENSION)
    if cached is not None and _mtime(cached[0].key_file) == cached[1]:
        return cached[0]
    loaded = load_settings(current_app.config)
    current_app.extensions[EXTENSION] = (loaded, _mtime(loaded.key_file))
    return loaded


def reset() -> None:
    """Forget the cached settings (after a key rotation, or in tests)."""
    current_app.extensions.pop(EXTENSION, None)
