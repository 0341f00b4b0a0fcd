"""Accounts business rules: sign-up, sign-in, tokens, profile, roles and the audit log.

Every function takes the actor and the clock (``now``) as arguments, raises ``core.errors``
and flushes; the caller (a view, a task, a CLI command) commits.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from learning.accounts.models import (
    ROLE_VALUES,
    AuditLogEntry,
    City,
    CityKind,
    Role,
    User,
    UserRole,
)
from learning.core.errors import DomainError, NotFound, ValidationError
from learning.core.locales import is_known_country, is_valid_timezone
from learning.extensions import db

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown, so that a wrong e-mail and a wrong
# password take the same time.
_dummy_hash: str | None = None


class AuthenticationFailed(DomainError):
    status_code = 401
    code = "authentication_failed"


class EmailNotConfirmed(DomainError):
    status_code = 403
    code = "email_not_confirmed"

    def __init__(self, message: str, user: User):
        super().__init__(message)
        self.user = user


class AccountDeactivated(DomainError):
    status_code = 403
    code = "account_deactivated"


class InvalidToken(DomainError):
    status_code = 400
    code = "invalid_token"


def configure_password_hashing(*, fast: bool) -> None:
    """Use a cheap Argon2 cost (tests only) or the library's recommended one."""
    global _hasher, _dummy_hash
    _hasher = (
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if fast else PasswordHasher()
    )
    _dummy_hash = None


def _session() -> Session:
    return db.session


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash ``password`` with Argon2id after checking the password rules."""
    check_password_rules(password)
    return _hasher.hash(password)


def check_password_rules(password: str, *, email: str | None = None) -> None:
    """Raise ValidationError if ``password`` is too short, too long or the e-mail itself."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationError(f"Use at least {PASSWORD_MIN_LENGTH} characters.", field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(f"Use at most {PASSWORD_MAX_LENGTH} characters.", field="password")
    if email and password.strip().lower() == normalise_email(email):
        raise ValidationError("Do not use your e-mail address as password.", field="password")


def password_matches(user: User | None, password: str) -> bool:
    """Check ``password`` against ``user``'s hash in constant-ish time, even for no user."""
    global _dummy_hash
    if user is None:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash, password)
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def _new_session_token() -> str:
    return secrets.token_hex(16)


# --- users -----------------------------------------------------------------------------------


def get_user(user_id: int) -> User:
    """Return the user with ``user_id`` or raise NotFound."""
    user = _session().get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_user_by_email(email: str) -> User | None:
    """Return the user with this e-mail address (any case), or None."""
    return _session().scalar(select(User).where(User.email == normalise_email(email)))


def load_user_for_session(session_id: str) -> User | None:
    """Resolve a Flask-Login session id ``"<id>:<token>"`` to an active user, or None."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    # One query per request for the user, their city and their roles.
    user = _session().get(User, int(user_id), options=[joinedload(User.role_rows)])
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.session_token, token):
        return None
    return user


def active_user_id(session_id: str | None) -> int | None:
    """The id of the active user a session id names, read without loading the user: for hot
    JSON endpoints that need only who is asking."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    row = (
        _session()
        .execute(select(User.session_token, User.is_active).where(User.id == int(user_id)))
        .first()
    )
    if row is None or not row.is_active or not hmac.compare_digest(row.session_token, token):
        return None
    return int(user_id)


def _validate_profile(
    *, display_name: str, country: str | None, timezone: str, locale: str, languages
) -> None:
    if not display_name.strip():
        raise ValidationError("Enter your name.", field="display_name")
    if len(display_name) > 120:
        raise ValidationError("Use at most 120 characters.", field="display_name")
    if country and not is_known_country(country):
        raise ValidationError("Choose a country from the list.", field="country")
    if not is_valid_timezone(timezone):
        raise ValidationError("Choose a time zone from the list.", field="timezone")
    if locale not in languages:
        raise ValidationError("Choose a language from the list.", field="locale")


def _get_city(city_id: int | None) -> City | None:
    if city_id is None:
        return None
    city = _session().get(City, city_id)
    if city is None:
        raise ValidationError("Choose a city or organisation from the list.", field="city_id")
    return city


@dataclass(frozen=True)
class SignupResult:
    user: User
    is_new: bool


def register_user(
    *,
    email: str,
    password: str,
    display_name: str,
    city_id: int | None,
    country: str | None,
    timezone: str,
    locale: str,
    languages,
    now: datetime,
) -> SignupResult:
    """Create an unconfirmed learner account.

    An address that already has an account is not an error the visitor may see (that would
    tell strangers who has an account): the result says ``is_new=False`` and the caller tells
    the owner by e-mail instead. The input is checked first, so that a refusal (say, the
    password equal to the address) reads the same whether or not the address has an account.
    """
    email = normalise_email(email)
    check_password_rules(password, email=email)
    _validate_profile(
        display_name=display_name,
        country=country,
        timezone=timezone,
        locale=locale,
        languages=languages,
    )
    city = _get_city(city_id)
    # Hash in every case, so that the answer takes as long for an existing address.
    password_hash = _hasher.hash(password)
    existing = find_user_by_email(email)
    if existing is not None:
        return SignupResult(existing, is_new=False)
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name.strip(),
        country=country or (city.country if city else None),
        timezone=timezone,
        locale=locale,
        session_token=_new_session_token(),
        created_at=now,
        updated_at=now,
    )
    user.role_rows = []
    session = _session()
    try:
        with session.begin_nested():
            session.add(user)
            # Set after add: the backref puts the user in city.users, and a city holding a
            # user that is not in the session makes the nested transaction's flush warn.
            user.city = city
            grant_role(user, Role.LEARNER, now=now)
            session.flush()
    except IntegrityError:
        # Two sign-ups for one address at once: the other one won.
        existing = find_user_by_email(email)
        if existing is None:
            raise
        return SignupResult(existing, is_new=False)
    return SignupResult(user, is_new=True)


def create_user(
    *,
    email: str,
    password: str,
    display_name: str,
    roles: list[str] | tuple[str, ...] = (Role.LEARNER,),
    city: City | None = None,
    timezone: str | None = None,
    locale: str = "en",
    actor: User | None = None,
    now: datetime,
) -> User:
    """Create a confirmed account directly (CLI, demo data, administrators)."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise ValidationError("An account with this e-mail address already exists.", field="email")
    check_password_rules(password, email=email)
    timezone = timezone or (city.timezone if city else "UTC")
    if not is_valid_timezone(timezone):
        raise ValidationError("Unknown time zone.", field="timezone")
    unknown = set(roles) - set(ROLE_VALUES)
    if unknown or not roles:
        raise ValidationError(f"Roles must be some of: {', '.join(ROLE_VALUES)}.", field="roles")
    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        display_name=display_name.strip(),
        city=city,
        country=city.country if city else None,
        timezone=timezone,
        locale=locale,
        session_token=_new_session_token(),
        email_confirmed_at=now,
        created_at=now,
        updated_at=now,
    )
    user.role_rows = []
    _session().add(user)
    for role in roles:
        grant_role(user, role, now=now)
    _session().flush()
    record_audit(actor, "user.create", user, {"roles": sorted(roles)}, now=now)
    return user


def grant_role(user: User, role: str, *, now: datetime) -> None:
    if role not in ROLE_VALUES:
        raise ValidationError(f"Unknown role {role!r}.", field="roles")
    if role not in user.roles:
        user.role_rows.append(UserRole(role=str(role), granted_at=now))


def authenticate(email: str, password: str, *, now: datetime) -> User:
    """Return the user if the e-mail and password match an active, confirmed account.

    A wrong e-mail and a wrong password fail alike. Only someone who knows the password
    learns that the account is deactivated or unconfirmed.
    """
    user = find_user_by_email(email)
    if not password_matches(user, password) or user is None:
        raise AuthenticationFailed("The e-mail address or password is not correct.")
    if not user.is_active:
        raise AccountDeactivated("This account has been deactivated. Contact an administrator.")
    if not user.is_email_confirmed:
        raise EmailNotConfirmed(
            "Please confirm your e-mail address first. We have sent you a new link.", user
        )
    user.last_login_at = now
    return user


# --- signed tokens -----------------------------------------------------------------------------

EMAIL_CONFIRM = "email-confirm"
PASSWORD_RESET = "password-reset"  # noqa: S105 - a token purpose, not a secret


def _fingerprint(user: User, purpose: str) -> str:
    # A reset token is bound to the current password hash, so it dies once used; a
    # confirmation token is bound to the address it confirms.
    material = user.password_hash if purpose == PASSWORD_RESET else user.email
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def make_token(user: User, purpose: str, *, secret: str, now: datetime) -> str:
    """A URL-safe signed token for ``user`` and ``purpose`` issued at ``now``."""
    serializer = URLSafeSerializer(secret, salt=f"capacity.{purpose}")
    return serializer.dumps(
        {"u": user.id, "f": _fingerprint(user, purpose), "t": int(now.timestamp())}
    )


def read_token(token: str, purpose: str, *, secret: str, max_age: timedelta, now: datetime) -> User:
    """Return the user a token was made for, or raise InvalidToken (bad, expired or used)."""
    serializer = URLSafeSerializer(secret, salt=f"capacity.{purpose}")
    try:
        data = serializer.loads(token)
        user_id, fingerprint, issued = int(data["u"]), str(data["f"]), int(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise InvalidToken("This link is not valid. Ask for a new one.") from None
    if now.timestamp() - issued > max_age.total_seconds() or issued > now.timestamp() + 60:
        raise InvalidToken("This link has expired. Ask for a new one.")
    user = _session().get(User, user_id)
    if user is None or not hmac.compare_digest(_fingerprint(user, purpose), fingerprint):
        raise InvalidToken("This link has already been used or is no longer valid.")
    return user


def confirm_email(token: str, *, secret: str, max_age: timedelta, now: datetime) -> User:
    """Mark the address in ``token`` as confirmed; confirming twice is harmless."""
    user = read_token(token, EMAIL_CONFIRM, secret=secret, max_age=max_age, now=now)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    return user


def reset_password(
    token: str, new_password: str, *, secret: str, max_age: timedelta, now: datetime
) -> User:
    """Set a new password from a reset link; the link stops working once used."""
    user = read_token(token, PASSWORD_RESET, secret=secret, max_age=max_age, now=now)
    if not user.is_active:
        raise InvalidToken("This link is no longer valid.")
    check_password_rules(new_password, email=user.email)
    _set_password(user, new_password, now=now)
    # Following the link proves the address belongs to them.
    user.email_confirmed_at = user.email_confirmed_at or now
    record_audit(user, "user.password_reset", user, now=now)
    return user


def change_password(user: User, current: str, new_password: str, *, now: datetime) -> None:
    """Change ``user``'s password after checking the current one; other sessions end."""
    if not password_matches(user, current):
        raise ValidationError("Your current password is not correct.", field="current_password")
    check_password_rules(new_password, email=user.email)
    _set_password(user, new_password, now=now)
    record_audit(user, "user.password_change", user, now=now)


def _set_password(user: User, password: str, *, now: datetime) -> None:
    user.password_hash = _hasher.hash(password)
    user.session_token = _new_session_token()
    user.updated_at = now


def update_profile(
    user: User,
    *,
    display_name: str,
    city_id: int | None,
    country: str | None,
    timezone: str,
    locale: str,
    languages,
    now: datetime,
) -> User:
    """Update the fields a user may change about themselves."""
    _validate_profile(
        display_name=display_name,
        country=country,
        timezone=timezone,
        locale=locale,
        languages=languages,
    )
    user.display_name = display_name.strip()
    user.city = _get_city(city_id)
    user.country = country or None
    user.timezone = timezone
    user.locale = locale
    user.updated_at = now
    return user


# --- administration -----------------------------------------------------------------------------


def record_audit(
    actor: User | None,
    action: str,
    target: Any,
    details: dict[str, Any] | None = None,
    *,
    now: datetime,
) -> AuditLogEntry:
    """Write one audit log entry: who (``actor``) did ``action`` to ``target`` at ``now``."""
    entry = AuditLogEntry(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=getattr(target, "id", None),
        details=details or {},
        created_at=now,
    )
    _session().add(entry)
    return entry


def set_roles(actor: User, user: User, roles: set[str], *, now: datetime) -> None:
    """Replace ``user``'s roles; an administrator cannot remove their own admin role."""
    roles = {str(role) for role in roles}
    unknown = roles - set(ROLE_VALUES)
    if unknown:
        raise ValidationError(f"Unknown role: {', '.join(sorted(unknown))}.", field="roles")
    if not roles:
        raise ValidationError("A user needs at least one role.", field="roles")
    if actor.id == user.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        raise ValidationError("You cannot remove your own administrator role.", field="roles")
    before = set(user.roles)
    if before == roles:
        return
    user.role_rows = [row for row in user.role_rows if row.role in roles]
    for role in sorted(roles - before):
        grant_role(user, role, now=now)
    user.updated_at = now
    record_audit(
        actor,
        "user.roles",
        user,
        {"added": sorted(roles - before), "removed": sorted(before - roles)},
        now=now,
    )


def set_active(actor: User, user: User, active: bool, *, now: datetime) -> None:
    """Deactivate (signing the user out everywhere) or reactivate an account."""
    if actor.id == user.id and not active:
        raise ValidationError("You cannot deactivate your own account.")
    if user.is_active == active:
        return
    user.is_active = active
    user.session_token = _new_session_token()
    user.updated_at = now
    record_audit(actor, "user.activate" if active else "user.deactivate", user, now=now)


def set_user_city(actor: User, user: User, city_id: int | None, *, now: datetime) -> None:
    """Move ``user`` to another city or organisation (their team)."""
    city = _get_city(city_id)
    # Compare the related objects: ``city_id`` lags behind ``city`` until the next flush.
    if user.city is city:
        return
    before = user.city.name if user.city else None
    user.city = city
    user.updated_at = now
    record_audit(
        actor, "user.city", user, {"from": before, "to": city.name if city else None}, now=now
    )


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_users(
    *, query: str = "", role: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """Users whose name or e-mail contains ``query``, optionally holding ``role``."""
    conditions = []
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        conditions.append(
            or_(func.lower(User.display_name).like(pattern), User.email.like(pattern))
        )
    if role:
        conditions.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = _session().scalar(select(func.count(User.id)).where(*conditions)) or 0
    # Past the last page shows the last one; an absurd number would overflow the OFFSET (a 500).
    page = min(max(1, page), Page([], total, 1, per_page).pages)
    users = list(
        _session().scalars(
            select(User)
            .where(*conditions)
            .order_by(func.lower(User.display_name), User.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(users, total, page, per_page)


def recent_audit_entries(
    *, limit: int = 100, target_type: str | None = None
) -> list[AuditLogEntry]:
    """The newest audit entries first."""
    stmt = select(AuditLogEntry).order_by(AuditLogEntry.created_at.desc(), AuditLogEntry.id.desc())
    if target_type:
        stmt = stmt.where(AuditLogEntry.target_type == target_type)
    return list(_session().scalars(stmt.limit(limit)))


# --- cities --------------------------------------------------------------------------------------


def list_cities() -> list[City]:
    """All cities and organisations, by country then name."""
    return list(_session().scalars(select(City).order_by(City.country, City.name)))


def save_city(
    actor: User | None,
    *,
    city: City | None = None,
    name: str,
    country: str,
    region: str = "",
    kind: str = CityKind.CITY,
    timezone: str = "UTC",
    now: datetime,
) -> City:
    """Create a city/organisation, or update ``city``; names are unique within a country."""
    name = name.strip()
    country = country.strip().upper()
    if not name:
        raise ValidationError("Enter a name.", field="name")
    if not is_known_country(country):
        raise ValidationError("Choose a country from the list.", field="country")
    if kind not in {k.value for k in CityKind}:
        raise ValidationError("Choose city or organisation.", field="kind")
    if not is_valid_timezone(timezone):
        raise ValidationError("Choose a time zone from the list.", field="timezone")
    clash = _session().scalar(
        select(City).where(func.lower(City.name) == name.lower(), City.country == country)
    )
    if clash is not None and clash is not city:
        raise ValidationError("This country already has a city with that name.", field="name")
    is_new = city is None
    if city is None:
        city = City(created_at=now)
        _session().add(city)
    city.name, city.country, city.region, city.kind, city.timezone = (
        name,
        country,
        region.strip(),
        str(kind),
        timezone,
    )
    city.updated_at = now
    _session().flush()
    record_audit(actor, "city.create" if is_new else "city.update", city, {"name": name}, now=now)
    return city


def find_city(name: str, country: str | None = None) -> City | None:
    """A city by name (any case), optionally within ``country``."""
    stmt = select(City).where(func.lower(City.name) == name.strip().lower())
    if country:
        stmt = stmt.where(City.country == country.upper())
    return _session().scalars(stmt).first()
