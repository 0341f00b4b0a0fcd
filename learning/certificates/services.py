"""Certificates business rules: completion, issuance (once per learner and run), signing,
revocation, the status list and verification.

Functions take the actor, the clock (``now``) and the issuer settings explicitly, raise
``core.errors`` and flush; the entry point (view, task, CLI) commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session, selectinload

from learning.accounts import services as accounts
from learning.accounts.models import Role, User
from learning.certificates import credential as vc
from learning.certificates import keys, rules
from learning.certificates.models import (
    Certificate,
    CertificateHolder,
    CertificateSettings,
    SigningKey,
)
from learning.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from learning.courses import services as courses
from learning.courses.models import (
    Course,
    CourseRun,
    Enrolment,
    Item,
    ItemKind,
    RunRole,
    RunStaff,
)
from learning.extensions import db

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 12  # 60 random bits
MAX_REASON = 2000


class SigningUnavailable(DomainError):
    """No usable signing key (production without one configured)."""

    status_code = 503
    code = "signing_unavailable"


def _session() -> Session:
    return db.session


def _insert_ignoring_conflicts(model, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row went in."""
    if _session().get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # RETURNING says whether the row went in (rowcount is not reliable here on every driver).
    statement = (
        insert(model.__table__).values(**values).on_conflict_do_nothing().returning(literal(1))
    )
    return _session().execute(statement).first() is not None


# --- course settings and completion -----------------------------------------------------------


def course_settings(course: Course) -> CertificateSettings | None:
    """A course's certificate settings row, or None (then the defaults apply)."""
    return _session().get(CertificateSettings, course.id)


def save_course_settings(
    course: Course,
    *,
    requires: dict[str, Any],
    valid_for_days: int | None,
    signatory: str,
    criteria: str,
    now: datetime,
) -> CertificateSettings:
    """Store a course's completion rules and certificate wording (from course.yaml)."""
    if not requires:
        raise ValidationError("Choose at least one rule.", field="items")
    try:
        normalised = {key: rules.RULES[key].parse(value) for key, value in requires.items()}
    except (KeyError, rules.RuleError) as error:
        raise ValidationError(str(error), field="requires") from None
    named = normalised.get("quizzes_passed") or []
    unknown = sorted(set(named) - {key for key, _ in quiz_items(course)})
    if unknown:
        raise ValidationError(
            f"No quiz item of this course is called {', '.join(unknown)}.", field="quizzes"
        )
    settings = course_settings(course)
    if settings is None:
        settings = CertificateSettings(course_id=course.id)
        _session().add(settings)
    settings.rules = normalised
    settings.valid_for_days = valid_for_days
    settings.signatory = signatory
    settings.criteria = criteria
    settings.updated_at = now
    _session().flush()
    return settings


def quiz_items(course: Course) -> list[tuple[str, str]]:
    """(key, title) of the course's quiz items, for naming the ones to pass."""
    return [
        (key, title)
        for key, title in _session().execute(
            select(Item.key, Item.title)
            .where(
                Item.course_id == course.id,
                Item.kind == ItemKind.QUIZ.value,
                Item.is_archived.is_(False),
            )
            .order_by(Item.module_id, Item.position)
        )
    ]


def rules_of(course: Course) -> dict[str, Any]:
    """The completion rules of ``course`` (every required item when it sets none)."""
    settings = course_settings(course)
    return dict(settings.rules) if settings and settings.rules else dict(rules.DEFAULT_RULES)


def missing_for(course: Course, enrolments: list[Enrolment], *, now: datetime) -> dict[int, list]:
    """What each enrolment (all of ``course``) still lacks for the certificate, in words."""
    return rules.missing(rules_of(course), course, enrolments, now=now)


# --- look-ups ---------------------------------------------------------------------------------


def normalise_code(text: str) -> str | None:
    """A typed short code in canonical form (``7K3M-QX2D-94HT``), or None if it cannot be one.
    Spaces and dashes are ignored, lower case is accepted and O/I/L read as 0/1/1."""
    if not isinstance(text, str):
        return None
    raw = re.sub(r"[\s\-]", "", text.upper()).translate(str.maketrans("OIL", "011"))
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def new_code() -> str:
    """A random short code, grouped in fours for reading aloud."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _with_context():
    return (
        selectinload(Certificate.course),
        selectinload(Certificate.run),
        selectinload(Certificate.user),
    )


def get_by_uuid(value: str) -> Certificate | None:
    """The certificate with this UUID, or None (also for text that is no UUID)."""
    try:
        value = str(uuid_lib.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return None
    return _session().scalar(select(Certificate).where(Certificate.uuid == value))


def get_by_code(text: str) -> Certificate | None:
    """The certificate with this short code as a person typed it, or None."""
    code = normalise_code(text)
    if code is None:
        return None
    return _session().scalar(select(Certificate).where(Certificate.code == code))


def certificate_of(user: User, run: CourseRun) -> Certificate | None:
    """The certificate of ``user`` in ``run``, revoked or not, or None."""
    return _session().scalar(
        select(Certificate).where(Certificate.user_id == user.id, Certificate.run_id == run.id)
    )


def owner_or_staff(user: User | None, certificate: Certificate) -> None:
    """Only the holder and the run's staff (and admins) see downloads and private pages."""
    if user is None or not user.is_authenticated:
        raise Forbidden("This certificate is not yours.")
    if certificate.user_id == user.id or courses.is_run_staff(user, certificate.run):
        return
    raise Forbidden("This certificate is not yours.")


# --- keys -------------------------------------------------------------------------------------


def signing_key(settings, *, now: datetime) -> tuple[Any, SigningKey]:
    """The configured private key and its published record; a key seen for the first time is
    recorded and becomes the current one (the others are retired, never deleted)."""
    if settings.private_key is None:
        raise SigningUnavailable(settings.key_problem or "No certificate signing key.")
    jwk = keys.public_jwk(settings.private_key)
    kid = keys.thumbprint(jwk)
    record = _session().scalar(select(SigningKey).where(SigningKey.kid == kid))
    if record is None:
        _session().execute(
            update(SigningKey)
            .where(SigningKey.retired_at.is_(None), SigningKey.kid != kid)
            .values(retired_at=now)
        )
        _insert_ignoring_conflicts(
            SigningKey, {"kid": kid, "public_jwk": jwk, "created_at": now, "retired_at": None}
        )
        record = _session().scalar(select(SigningKey).where(SigningKey.kid == kid))
    elif record.retired_at is not None:
        # An operator went back to an older key: it signs again.
        _session().execute(
            update(SigningKey)
            .where(SigningKey.retired_at.is_(None), SigningKey.kid != kid)
            .values(retired_at=now)
        )
        record.retired_at = None
    return settings.private_key, record


def published_keys() -> list[SigningKey]:
    """Every key that ever signed, current first."""
    return list(
        _session().scalars(
            select(SigningKey).order_by(SigningKey.retired_at.is_not(None), SigningKey.id.desc())
        )
    )


def jwk_of(record: SigningKey, settings) -> dict[str, Any]:
    """A published key as a JWK whose ``kid`` is the URL that serves it."""
    return {**record.public_jwk, "kid": settings.key_url(record.kid)}


def jwks(settings) -> dict[str, Any]:
    """Every published key (current and retired) as a JWK Set."""
    return {"keys": [jwk_of(record, settings) for record in published_keys()]}


def find_key(kid: str) -> SigningKey | None:
    """A published key by its thumbprint, or None."""
    return _session().scalar(select(SigningKey).where(SigningKey.kid == kid))


# --- issuance ---------------------------------------------------------------------------------


def _subject_id(user: User) -> str:
    """The learner's stable opaque id in every credential."""
    holder = _session().get(CertificateHolder, user.id)
    if holder is None:
        _insert_ignoring_conflicts(
            CertificateHolder, {"user_id": user.id, "subject_id": f"urn:uuid:{uuid_lib.uuid4()}"}
        )
        holder = _session().get(CertificateHolder, user.id)
    return holder.subject_id


def _status_list_number() -> int:
    """The list new certificates go to: a list is closed at half full, so that a random free
    index is found at once and indices stay sparse."""
    row = (
        _session()
        .execute(
            select(Certificate.status_list, func.count())
            .group_by(Certificate.status_list)
            .order_by(Certificate.status_list.desc())
            .limit(1)
        )
        .first()
    )
    if row is None:
        return 1
    number, used = row
    return number + 1 if used >= vc.STATUS_LIST_SIZE // 2 else number


def achievement(course: Course, settings, course_rules: dict, criteria: str) -> dict[str, Any]:
    """The OB 3.0 Achievement that describes completing ``course``."""
    return {
        "id": settings.course_url(course.slug),
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": course.title,
        "description": course.summary.strip() or course.title,
        "criteria": {
            "narrative": criteria.strip() or rules.describe(course_rules, course) or course.title
        },
        "inLanguage": course.language,
    }


def _issue(
    enrolment: Enrolment,
    settings,
    *,
    now: datetime,
    actor: User | None = None,
    reason: str | None = None,
) -> Certificate:
    """Sign and store the certificate of ``enrolment`` unless one exists: the unique
    constraint on (user, run) with ON CONFLICT DO NOTHING makes a retry, or two workers at
    once, end with the one certificate."""
    existing = certificate_of(enrolment.user, enrolment.run)
    if existing is not None:
        return existing
    private_key, key_record = signing_key(settings, now=now)
    course = enrolment.run.course
    user = enrolment.user
    course_settings_row = course_settings(course)
    course_rules = rules_of(course)
    valid_from = now.replace(microsecond=0)
    valid_until = None
    if course_settings_row is not None and course_settings_row.valid_for_days:
        valid_until = valid_from + timedelta(days=course_settings_row.valid_for_days)
    subject_id = _subject_id(user)
    list_number = _status_list_number()
    list_url = settings.status_url(list_number)
    for _ in range(8):  # a collision on a random index or code is rare; draw again
        cert_uuid = str(uuid_lib.uuid4())
        index = secrets.randbelow(vc.STATUS_LIST_SIZE)
        credential = vc.build_credential(
            credential_uuid=cert_uuid,
            issuer=settings.issuer,
            valid_from=valid_from,
            valid_until=valid_until,
            subject_id=subject_id,
            holder_name=user.display_name,
            email=user.email,
            salt=secrets.token_hex(16),
            achievement=achievement(
                course,
                settings,
                course_rules,
                course_settings_row.criteria if course_settings_row else "",
            ),
            status=vc.status_entry(list_url, index),
        )
        token = vc.sign(credential, private_key, settings.key_url(key_record.kid))
        inserted = _insert_ignoring_conflicts(
            Certificate,
            {
                "uuid": cert_uuid,
                "code": new_code(),
                "user_id": user.id,
                "run_id": enrolment.run_id,
                "course_id": course.id,
                "holder_name": user.display_name,
                "issued_at": now,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "status_list": list_number,
                "status_index": index,
                "issued_by_id": actor.id if actor else None,
                "issue_reason": reason,
                "kid": key_record.kid,
                "credential": credential,
                "jwt": token,
            },
        )
        certificate = certificate_of(user, enrolment.run)
        if certificate is not None:
            if inserted and actor is not None:
                accounts.record_audit(
                    actor,
                    "certificate.issue",
                    certificate,
                    {"reason": reason, "user_id": user.id, "run_id": enrolment.run_id},
                    now=now,
                )
            return certificate
    raise Conflict("Could not allocate a certificate number; try again.")


def issue_if_complete(enrolment_id: int, settings, *, now: datetime) -> Certificate | None:
    """Issue the certificate of an enrolment whose learner meets the course's rules
    (idempotent: an existing certificate is returned as it is)."""
    enrolment = _session().get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.left_at is not None:
        return None
    existing = certificate_of(enrolment.user, enrolment.run)
    if existing is not None:
        return existing
    course = enrolment.run.course
    if missing_for(course, [enrolment], now=now)[enrolment.id]:
        return None
    return _issue(enrolment, settings, now=now)


def issue_due(settings, *, now: datetime, batch: int = 500) -> list[Certificate]:
    """Issue every certificate whose rules are met and that nobody issued yet (a rule that
    changed, a first day that has come): active enrolments without a certificate, evaluated
    course by course in batches; the caller commits."""
    pending = list(
        _session().scalars(
            select(Enrolment)
            .outerjoin(
                Certificate,
                (Certificate.user_id == Enrolment.user_id)
                & (Certificate.run_id == Enrolment.run_id),
            )
            .where(Enrolment.left_at.is_(None), Certificate.id.is_(None))
            .options(selectinload(Enrolment.run).selectinload(CourseRun.course))
            .order_by(Enrolment.id)
        )
    )
    by_course: dict[int, list[Enrolment]] = {}
    for enrolment in pending:
        by_course.setdefault(enrolment.run.course_id, []).append(enrolment)
    issued = []
    for group in by_course.values():
        course = group[0].run.course
        for start in range(0, len(group), batch):
            chunk = group[start : start + batch]
            lacks = missing_for(course, chunk, now=now)
            issued += [_issue(e, settings, now=now) for e in chunk if not lacks[e.id]]
    return issued


def may_manage(user: User | None, run: CourseRun) -> bool:
    """Coordinators of the run (and admins) issue by hand and revoke."""
    return courses.is_run_staff(user, run, RunRole.COORDINATOR)


def managed_runs(user: User) -> list[CourseRun]:
    """Runs whose certificates ``user`` manages (coordinators; admins: every run)."""
    stmt = (
        select(CourseRun).options(selectinload(CourseRun.course)).order_by(CourseRun.ends_at.desc())
    )
    if not user.has_role(Role.ADMIN):
        stmt = stmt.join(RunStaff).where(
            RunStaff.user_id == user.id, RunStaff.role == RunRole.COORDINATOR.value
        )
    return list(_session().scalars(stmt).unique())


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationError("Give a reason.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    return reason


def issue_manually(
    actor: User, enrolment: Enrolment, reason: str, settings, *, now: datetime
) -> Certificate:
    """A coordinator issues a certificate whatever the rules say, with a reason (audited)."""
    if not may_manage(actor, enrolment.run):
        raise Forbidden("Only the run's coordinators issue certificates.")
    reason = _reason(reason)
    if enrolment.left_at is not None:
        raise ValidationError("This learner has left the run.")
    if certificate_of(enrolment.user, enrolment.run) is not None:
        raise Conflict("This learner already holds a certificate for this run.")
    return _issue(enrolment, settings, now=now, actor=actor, reason=reason)


def revoke(actor: User, certificate: Certificate, reason: str, *, now: datetime) -> Certificate:
    """Revoke a certificate with a reason (audited); its status-list bit is set from now on."""
    if not may_manage(actor, certificate.run):
        raise Forbidden("Only the run's coordinators revoke certificates.")
    reason = _reason(reason)
    if certificate.revoked_at is not None:
        raise Conflict("This certificate is already revoked.")
    certificate.revoked_at = now
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason
    accounts.record_audit(actor, "certificate.revoke", certificate, {"reason": reason}, now=now)
    _session().flush()
    return certificate


# --- pages' data ------------------------------------------------------------------------------


@dataclass
class Standing:
    """One enrolment and its certificate, or what is missing for it."""

    enrolment: Enrolment | None  # None: a certificate of a run the learner has left
    certificate: Certificate | None
    missing: list = field(default_factory=list)


def learner_standings(user: User, *, now: datetime) -> list[Standing]:
    """Every current enrolment of ``user`` with its certificate or what it still needs."""
    enrolments = list(
        _session().scalars(
            select(Enrolment)
            .where(Enrolment.user_id == user.id, Enrolment.left_at.is_(None))
            .options(selectinload(Enrolment.run).selectinload(CourseRun.course))
            .order_by(Enrolment.enrolled_at.desc())
        )
    )
    held = {
        c.run_id: c
        for c in _session().scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .options(selectinload(Certificate.course), selectinload(Certificate.run))
        )
    }
    by_course: dict[int, list[Enrolment]] = {}
    for enrolment in enrolments:
        if enrolment.run_id not in held:
            by_course.setdefault(enrolment.run.course_id, []).append(enrolment)
    lacks: dict[int, list] = {}
    for group in by_course.values():
        lacks.update(missing_for(group[0].run.course, group, now=now))
    standings = [Standing(e, held.pop(e.run_id, None), lacks.get(e.id, [])) for e in enrolments]
    # Certificates of runs the learner has since left still belong to them.
    return standings + [Standing(None, c) for c in held.values()]


def run_standings(run: CourseRun, *, now: datetime) -> list[Standing]:
    """Every active learner of ``run`` with certificate or what is missing (constant queries)."""
    rows = courses.run_progress(run)
    enrolments = [row.enrolment for row in rows]
    held = {
        c.user_id: c
        for c in _session().scalars(select(Certificate).where(Certificate.run_id == run.id))
    }
    pending = [e for e in enrolments if e.user_id not in held]
    lacks = missing_for(run.course, pending, now=now) if pending else {}
    return [Standing(e, held.get(e.user_id), lacks.get(e.id, [])) for e in enrolments]


# --- status list ------------------------------------------------------------------------------

_STATUS_CACHE: dict[tuple, str] = {}


def revoked_indices(list_number: int) -> list[int]:
    """The revoked indices of one status list, in order."""
    return list(
        _session().scalars(
            select(Certificate.status_index)
            .where(Certificate.status_list == list_number, Certificate.revoked_at.is_not(None))
            .order_by(Certificate.status_index)
        )
    )


def status_list_exists(list_number: int) -> bool:
    """True for list 1 (always served) and for every list in use."""
    if list_number == 1:
        return True
    return (
        _session().scalar(
            select(Certificate.id).where(Certificate.status_list == list_number).limit(1)
        )
        is not None
    )


def status_list_token(list_number: int, settings, *, now: datetime) -> str:
    """The signed BitstringStatusListCredential (VC-JWT) of one list. Re-signed only when
    its content changes."""
    if not status_list_exists(list_number):
        raise NotFound("No such status list.")
    indices = revoked_indices(list_number)
    private_key, record = signing_key(settings, now=now)
    digest = hashlib.sha256(",".join(map(str, indices)).encode()).hexdigest()
    cache_key = (settings.base_url, record.kid, list_number, digest)
    token = _STATUS_CACHE.get(cache_key)
    if token is None:
        credential = vc.status_list_credential(
            url=settings.status_url(list_number),
            issuer=settings.issuer,
            valid_from=now,
            encoded=vc.encode_status_list(indices),
        )
        token = vc.sign(credential, private_key, settings.key_url(record.kid))
        if len(_STATUS_CACHE) > 64:
            _STATUS_CACHE.clear()
        _STATUS_CACHE[cache_key] = token
    return token


# --- verification -----------------------------------------------------------------------------

VALID, REVOKED, EXPIRED, NOT_YET_VALID, UNKNOWN, INVALID = (
    "valid",
    "revoked",
    "expired",
    "not_yet_valid",
    "unknown",
    "invalid",
)


@dataclass
class Verification:
    """A verdict on a certificate and the facts a verifier may see (never the revoke reason)."""

    verdict: str
    problem: str | None = None  # why a token is invalid, in words (English)
    problem_code: str | None = None
    certificate: Certificate | None = None
    credential: dict[str, Any] | None = None
    revoked_at: datetime | None = None
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return self.verdict == VALID

    @property
    def holder_name(self) -> str | None:
        subject = (self.credential or {}).get("credentialSubject") or {}
        return subject.get("name") if isinstance(subject, dict) else None

    @property
    def achievement_name(self) -> str | None:
        subject = (self.credential or {}).get("credentialSubject") or {}
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        return achievement.get("name") if isinstance(achievement, dict) else None

    @property
    def issuer_name(self) -> str | None:
        issuer = (self.credential or {}).get("issuer")
        return issuer.get("name") if isinstance(issuer, dict) else None

    @property
    def valid_from(self) -> datetime | None:
        return vc.parse_iso((self.credential or {}).get("validFrom"))

    @property
    def valid_until(self) -> datetime | None:
        return vc.parse_iso((self.credential or {}).get("validUntil"))

    @property
    def credential_id(self) -> str | None:
        return (self.credential or {}).get("id")

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "problem": self.problem_code,
            "message": self.problem,
            "id": self.credential_id,
            "holder": self.holder_name,
            "achievement": self.achievement_name,
            "issuer": self.issuer_name,
            "valid_from": vc.iso(self.valid_from) if self.valid_from else None,
            "valid_until": vc.iso(self.valid_until) if self.valid_until else None,
            "revoked_at": vc.iso(self.revoked_at) if self.revoked_at else None,
            "checks": self.checks,
        }


def _dated_verdict(valid_from, valid_until, revoked_at, now: datetime) -> str:
    if revoked_at is not None:
        return REVOKED
    if valid_until is not None and now >= valid_until:
        return EXPIRED
    if valid_from is not None and now < valid_from:
        return NOT_YET_VALID
    return VALID


def verification_of(certificate: Certificate | None, *, now: datetime) -> Verification:
    """The verdict on a certificate on record (the public page for a UUID or a code)."""
    if certificate is None:
        return Verification(UNKNOWN)
    return Verification(
        _dated_verdict(
            certificate.valid_from, certificate.valid_until, certificate.revoked_at, now
        ),
        certificate=certificate,
        credential=certificate.credential,
        revoked_at=certificate.revoked_at,
        checks={"record": True},
    )


def _status_of(credential: dict[str, Any], settings) -> tuple[int, int] | None:
    """(list number, index) of a credential's status entry if it points at our lists."""
    status = credential.get("credentialStatus")
    if not isinstance(status, dict) or status.get("type") != "BitstringStatusListEntry":
        return None
    url = status.get("statusListCredential")
    prefix = settings.status_url(0)[:-1]
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    try:
        number = int(url[len(prefix) :])
        index = int(status.get("statusListIndex"))
    except (TypeError, ValueError):
        return None
    if number < 1 or not 0 <= index < vc.STATUS_LIST_SIZE:
        return None
    return number, index


@dataclass(frozen=True)
class StatusAnswer:
    checked: bool  # False: no status list at hand (offline without one)
    revoked: bool = False
    revoked_at: datetime | None = None
    certificate: Certificate | None = None


def check_token(token: str, *, public_key_for, status_for, now: datetime) -> Verification:
    """Check a VC-JWT as an outsider would: RS256 by a known key, intact, the pinned schema,
    the status and the dates. ``public_key_for(kid)`` finds a key, ``status_for(credential)``
    answers a StatusAnswer or None (no status of this issuer). Never raises on bad input."""
    token = (token or "").strip()
    try:
        header = vc.token_header(token)
        public_key = public_key_for(header["kid"])
        if public_key is None:
            raise vc.TokenInvalid("unknown_key", "The credential was not signed by this issuer.")
        payload = vc.verify_token(token, public_key)
    except vc.TokenInvalid as error:
        return Verification(INVALID, problem=error.message, problem_code=error.code)
    credential = vc.credential_of(payload)
    checks: dict[str, bool] = {"signature": True}
    problems = vc.schema_problems(credential)
    checks["schema"] = not problems
    if problems:
        return Verification(
            INVALID,
            problem="The credential does not follow the Open Badges 3.0 schema: " + problems[0],
            problem_code="schema",
            credential=credential,
            checks=checks,
        )
    status = status_for(credential)
    if status is None:
        checks["status"] = False
        return Verification(
            INVALID,
            problem="The credential has no revocation status of this issuer.",
            problem_code="status",
            credential=credential,
            checks=checks,
        )
    if status.checked:
        checks["status"] = True
    verdict = _dated_verdict(
        vc.parse_iso(credential.get("validFrom")),
        vc.parse_iso(credential.get("validUntil")),
        status.revoked_at if status.revoked_at else (now if status.revoked else None),
        now,
    )
    return Verification(
        verdict,
        certificate=status.certificate,
        credential=credential,
        revoked_at=status.revoked_at,
        checks=checks,
    )


def verify_token(token: str, settings, *, now: datetime) -> Verification:
    """Check a VC-JWT against the published keys and the status on record."""

    def public_key_for(kid_url: str):
        record = find_key(kid_url.rstrip("/").rsplit("/", 1)[-1])
        return keys.public_key_from_jwk(record.public_jwk) if record else None

    def status_for(credential: dict[str, Any]) -> StatusAnswer | None:
        status = _status_of(credential, settings)
        if status is None:
            return None
        list_number, index = status
        row = _session().scalar(
            select(Certificate).where(
                Certificate.status_list == list_number, Certificate.status_index == index
            )
        )
        if row is not None and f"urn:uuid:{row.uuid}" != credential.get("id"):
            row = None  # the index belongs to another certificate: nothing to say about this one
        revoked_at = row.revoked_at if row is not None else None
        return StatusAnswer(True, revoked_at is not None, revoked_at, row)

    return check_token(token, public_key_for=public_key_for, status_for=status_for, now=now)
