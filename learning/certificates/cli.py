"""``flask certificates ...``: verify a certificate offline, rotate the signing key, issue
what is due."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from learning.certificates import credential as vc
from learning.certificates import keys, services, settings
from learning.core.db import utcnow
from learning.extensions import db

certificates_cli = AppGroup("certificates", help="Signed completion certificates.")


def _token_in(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        from learning.certificates import render

        try:
            token = render.unbake_png(data)
        except ValueError as error:
            raise click.ClickException(f"{path}: {error}") from None
        if token is None:
            raise click.ClickException(f"{path}: this PNG holds no signed credential")
        return token
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: neither a PNG nor a JWT") from None


def _keys_from_jwks(path: Path) -> dict[str, object]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        found = {k["kid"]: keys.public_key_from_jwk(k) for k in document["keys"] if "kid" in k}
    except (ValueError, KeyError, TypeError) as error:
        raise click.ClickException(f"{path}: not a JWKS document ({error})") from None
    return found


def _status_from(path: Path, public_key_for) -> tuple[str, bytes]:
    """(list URL, bits) of a status list credential file (a VC-JWT), signature checked."""
    token = path.read_text(encoding="utf-8").strip()
    try:
        header = vc.token_header(token)
        public_key = public_key_for(header["kid"])
        if public_key is None:
            raise vc.TokenInvalid("unknown_key", "signed by an unknown key")
        payload = vc.verify_token(token, public_key)
        return payload["id"], vc.decode_status_list(payload["credentialSubject"]["encodedList"])
    except (vc.TokenInvalid, KeyError, TypeError, ValueError) as error:
        raise click.ClickException(f"{path}: not a status list of this issuer ({error})") from None


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Published keys (a saved /.well-known/jwks.json); default: this instance's keys.",
)
@click.option(
    "--status-list",
    "status_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved status list credential, to check revocation offline.",
)
def verify(file: Path, jwks_file: Path | None, status_file: Path | None) -> None:
    """Check a certificate FILE (its PNG or .jwt): signature, schema, status, dates."""
    token = _token_in(file)
    now = utcnow()
    if jwks_file is None and status_file is None:
        result = services.verify_token(token, settings.current(), now=now)
    else:
        if jwks_file is not None:
            found = _keys_from_jwks(jwks_file)
        else:
            issuer = settings.current()
            found = {
                issuer.key_url(k.kid): keys.public_key_from_jwk(k.public_jwk)
                for k in services.published_keys()
            }
        status = _status_from(status_file, found.get) if status_file else None

        def status_for(credential):
            entry = credential.get("credentialStatus")
            if not isinstance(entry, dict):
                return None
            if status is None:
                return services.StatusAnswer(False)
            try:
                index = int(entry.get("statusListIndex"))
                same_list = entry.get("statusListCredential") == status[0]
                revoked = same_list and vc.status_bit(status[1], index)
            except (TypeError, ValueError):
                return None
            if not same_list:
                return services.StatusAnswer(False)
            return services.StatusAnswer(True, revoked)

        result = services.check_token(
            token, public_key_for=found.get, status_for=status_for, now=now
        )
    click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    if "status" not in result.checks and result.verdict != services.INVALID:
        click.echo("Revocation not checked: give --status-list.", err=True)
    if result.verdict != services.VALID:
        raise SystemExit(1)


@certificates_cli.command("rotate-key")
def rotate_key() -> None:
    """Start signing with a new key; the old public key stays published."""
    issuer = settings.current()
    if issuer.key_file is None:
        raise click.ClickException(
            "The key comes from LEARNING_CERT_KEY_PEM: put a new PEM there and restart; "
            "it is published at its first signature and the old one is retired."
        )
    if issuer.private_key is not None:
        services.signing_key(issuer, now=utcnow())  # the old key is on record before it goes
        db.session.commit()
    keys.write_pem(issuer.key_file, keys.generate_pem())
    settings.reset()
    _, record = services.signing_key(settings.current(), now=utcnow())
    db.session.commit()
    click.echo(f"Now signing with key {record.kid} ({issuer.key_file}).")


@certificates_cli.command("issue-due")
def issue_due() -> None:
    """Issue every certificate whose rules are met but that was not issued yet."""
    issued = services.issue_due(settings.current(), now=utcnow())
    db.session.commit()
    click.echo(f"{len(issued)} certificate(s) issued.")
