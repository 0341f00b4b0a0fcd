"""Accounts business rules, called directly with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from learning.accounts import services
from learning.accounts.models import AuditLogEntry, City, User
from learning.core.auth import is_safe_redirect
from learning.core.errors import NotFound, ValidationError
from tests.factories import PASSWORD, create_city, create_user, unique

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LANGUAGES = {"en": "English", "fr": "Français", "ko": "한국어"}


def signup(**fields) -> services.SignupResult:
    values = {
        "email": f"{unique('new')}@example.org",
        "password": PASSWORD,
        "display_name": "Nadia Rahman",
        "city_id": None,
        "country": "BD",
        "timezone": "Asia/Dhaka",
        "locale": "en",
        "languages": LANGUAGES,
        "now": NOW,
    }
    values.update(fields)
    return services.register_user(**values)


def user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def audit_entries(db, action: str) -> list[AuditLogEntry]:
    return list(
        db.session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == action).order_by(AuditLogEntry.id)
        )
    )


# --- register_user ---------------------------------------------------------------------------


def test_register_user_creates_an_unconfirmed_learner(db):
    city = create_city(name="Dhaka North", country="BD", timezone="Asia/Dhaka")

    result = signup(email="  Nadia@Example.ORG ", city_id=city.id, country=None)

    assert result.is_new
    user = db.session.get(User, result.user.id)
    assert user.email == "nadia@example.org"
    assert user.roles == {"learner"}
    assert not user.is_email_confirmed
    assert user.is_active
    assert user.city is city
    assert user.country == "BD"  # taken from the city when not given
    assert user.timezone == "Asia/Dhaka"
    assert user.created_at == NOW
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_register_user_with_a_known_address_creates_nothing(db):
    first = signup(email="twice@example.org")
    before = user_count(db)

    again = signup(email="TWICE@example.org", password="another password", display_name="X")

    assert not again.is_new
    assert again.user.id == first.user.id
    assert user_count(db) == before
    assert db.session.get(User, first.user.id).display_name == "Nadia Rahman"


@pytest.mark.parametrize(
    "bad_input",
    [
        lambda email: {"password": email.upper()},
        lambda email: {"password": "short"},
        lambda email: {"timezone": "Mars/Olympus"},
        lambda email: {"city_id": 987654},
    ],
    ids=["password-is-email", "short-password", "timezone", "city"],
)
def test_register_user_refuses_bad_input_alike_for_known_addresses(db, bad_input):
    """A refusal must not tell whether the address has an account."""
    create_user(email="known@example.org")
    refusals = []
    for email in ("known@example.org", "unknown@example.org"):
        with pytest.raises(ValidationError) as error:
            signup(email=email, **bad_input(email))
        refusals.append((error.value.field, error.value.message))
    assert refusals[0] == refusals[1]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10"),
        ("x" * 129, "at most 128"),
        ("Same@Example.org", "e-mail address"),
    ],
)
def test_register_user_enforces_password_rules(db, password, message):
    before = user_count(db)
    with pytest.raises(ValidationError, match=message) as error:
        signup(email="same@example.org", password=password)
    assert error.value.field == "password"
    assert user_count(db) == before


def test_register_user_accepts_the_longest_password(db):
    assert signup(password="p" * services.PASSWORD_MAX_LENGTH).is_new


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"country": "EU"}, "country"),
        ({"locale": "tlh"}, "locale"),
        ({"city_id": 987654}, "city_id"),
        ({"display_name": "x" * 121}, "display_name"),
        ({"display_name": "   "}, "display_name"),
    ],
)
def test_register_user_refuses_bad_profile_values(db, fields, field):
    before = user_count(db)
    with pytest.raises(ValidationError) as error:
        signup(**fields)
    assert error.value.field == field
    assert error.value.status_code == 422
    assert user_count(db) == before


# --- authenticate ------------------------------------------------------------------------------


def test_authenticate_with_the_right_password(db):
    user = create_user(email="ok@example.org")
    assert services.authenticate("  OK@example.org", PASSWORD, now=NOW) is user
    assert user.last_login_at == NOW


def test_wrong_password_and_unknown_email_fail_alike(db):
    create_user(email="known@example.org")
    with pytest.raises(services.AuthenticationFailed) as wrong_password:
        services.authenticate("known@example.org", "not the password", now=NOW)
    with pytest.raises(services.AuthenticationFailed) as unknown:
        services.authenticate("nobody@example.org", PASSWORD, now=NOW)
    assert wrong_password.value.message == unknown.value.message
    assert wrong_password.value.status_code == unknown.value.status_code == 401


def test_deactivated_account_is_only_revealed_with_the_right_password(db):
    create_user(email="gone@example.org", active=False)
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate("gone@example.org", "wrong password", now=NOW)
    with pytest.raises(services.AccountDeactivated):
        services.authenticate("gone@example.org", PASSWORD, now=NOW)


def test_unconfirmed_account_cannot_sign_in(db):
    user = create_user(email="pending@example.org", confirmed=False)
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate("pending@example.org", "wrong password", now=NOW)
    with pytest.raises(services.EmailNotConfirmed) as error:
        services.authenticate("pending@example.org", PASSWORD, now=NOW)
    assert error.value.user is user
    assert user.last_login_at is None


# --- tokens ------------------------------------------------------------------------------------


@pytest.fixture
def secret(app) -> str:
    return app.config["SECRET_KEY"]


def test_confirm_email_token(db, secret):
    user = create_user(confirmed=False)
    token = services.make_token(user, services.EMAIL_CONFIRM, secret=secret, now=NOW)

    later = NOW + timedelta(hours=47)
    confirmed = services.confirm_email(token, secret=secret, max_age=timedelta(hours=48), now=later)

    assert confirmed is user
    assert user.email_confirmed_at == later


def test_confirming_twice_is_harmless(db, secret):
    user = create_user(confirmed=False)
    token = services.make_token(user, services.EMAIL_CONFIRM, secret=secret, now=NOW)
    services.confirm_email(token, secret=secret, max_age=timedelta(hours=1), now=NOW)
    services.confirm_email(
        token, secret=secret, max_age=timedelta(hours=1), now=NOW + timedelta(minutes=5)
    )
    assert user.email_confirmed_at == NOW


def test_expired_token(db, secret):
    user = create_user(confirmed=False)
    token = services.make_token(user, services.EMAIL_CONFIRM, secret=secret, now=NOW)
    with pytest.raises(services.InvalidToken, match="expired"):
        services.confirm_email(
            token,
            secret=secret,
            max_age=timedelta(hours=48),
            now=NOW + timedelta(hours=48, seconds=1),
        )
    assert not user.is_email_confirmed


def test_token_from_the_future_is_refused(db, secret):
    user = create_user(confirmed=False)
    token = services.make_token(user, services.EMAIL_CONFIRM, secret=secret, now=NOW)
    with pytest.raises(services.InvalidToken):
        services.confirm_email(
            token, secret=secret, max_age=timedelta(hours=48), now=NOW - timedelta(hours=1)
        )


def test_tampered_token(db, secret):
    user = create_user(confirmed=False)
    other = create_user(confirmed=False)
    token = services.make_token(user, services.EMAIL_CONFIRM, secret=secret, now=NOW)
    payload, signature = token.rsplit(".", 1)
    forged = URLSafeSerializer("not the secret", salt="capacity.email-confirm").dumps(
        {"u": other.id, "f": "0" * 16, "t": int(NOW.timestamp())}
    )
    # Change the first character: the last one of a base64 signature partly holds padding bits.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (payload + "." + flipped, forged, token[:-3], "", "not-a-token"):
        with pytest.raises(services.InvalidToken):
            services.confirm_email(bad, secret=secret, max_age=timedelta(hours=1), now=NOW)
    assert not user.is_email_confirmed
    assert not other.is_email_confirmed


def test_signed_payload_of_the_wrong_shape_is_refused(db, secret):
    token = URLSafeSerializer(secret, salt="capacity.email-confirm").dumps(["not", "a", "dict"])
    with pytest.raises(services.InvalidToken):
        services.confirm_email(token, secret=secret, max_age=timedelta(hours=1), now=NOW)


def test_token_for_another_purpose_is_refused(db, secret):
    user = create_user()
    confirm = services.make_token(user, services.EMAIL_CONFIRM, secret=secret, now=NOW)
    reset = services.make_token(user, services.PASSWORD_RESET, secret=secret, now=NOW)
    with pytest.raises(services.InvalidToken):
        services.reset_password(
            confirm, "brand new password", secret=secret, max_age=timedelta(hours=2), now=NOW
        )
    with pytest.raises(services.InvalidToken):
        services.read_token(
            reset, services.EMAIL_CONFIRM, secret=secret, max_age=timedelta(hours=2), now=NOW
        )


def test_token_signed_with_another_secret_is_refused(db, secret):
    user = create_user(confirmed=False)
    token = services.make_token(user, services.EMAIL_CONFIRM, secret="another-secret", now=NOW)
    with pytest.raises(services.InvalidToken):
        services.confirm_email(token, secret=secret, max_age=timedelta(hours=1), now=NOW)


def test_reset_token_works_once(db, secret):
    user = create_user(email="reset@example.org", confirmed=False)
    old_session_id = user.get_id()
    token = services.make_token(user, services.PASSWORD_RESET, secret=secret, now=NOW)
    options = {"secret": secret, "max_age": timedelta(hours=2), "now": NOW + timedelta(minutes=10)}

    services.reset_password(token, "a brand new password", **options)
    db.session.flush()

    assert services.authenticate("reset@example.org", "a brand new password", now=NOW) is user
    assert user.is_email_confirmed  # following the link proves the address
    assert services.load_user_for_session(old_session_id) is None
    assert [e.target_id for e in audit_entries(db, "user.password_reset")] == [user.id]
    with pytest.raises(services.InvalidToken, match="already been used"):
        services.reset_password(token, "yet another password", **options)
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate("reset@example.org", "yet another password", now=NOW)


def test_reset_token_dies_when_the_password_changes_otherwise(db, secret):
    user = create_user()
    token = services.make_token(user, services.PASSWORD_RESET, secret=secret, now=NOW)
    services.change_password(user, PASSWORD, "changed in the profile", now=NOW)
    with pytest.raises(services.InvalidToken):
        services.read_token(
            token, services.PASSWORD_RESET, secret=secret, max_age=timedelta(hours=2), now=NOW
        )


def test_reset_password_checks_the_rules_and_the_account(db, secret):
    user = create_user(email="rules@example.org")
    token = services.make_token(user, services.PASSWORD_RESET, secret=secret, now=NOW)
    options = {"secret": secret, "max_age": timedelta(hours=2), "now": NOW}
    with pytest.raises(ValidationError):
        services.reset_password(token, "short", **options)
    with pytest.raises(ValidationError):
        services.reset_password(token, "RULES@example.org", **options)
    user.is_active = False
    with pytest.raises(services.InvalidToken):
        services.reset_password(token, "a long enough password", **options)


# --- profile and password ---------------------------------------------------------------------


def test_change_password_needs_the_current_one(db):
    user = create_user()
    token_before = user.session_token
    with pytest.raises(ValidationError) as error:
        services.change_password(user, "not my password", "a new password here", now=NOW)
    assert error.value.field == "current_password"
    assert user.session_token == token_before


def test_change_password_signs_out_other_sessions(db):
    user = create_user(email="rotate@example.org")
    old_session_id = user.get_id()
    assert services.load_user_for_session(old_session_id) is user

    services.change_password(user, PASSWORD, "a new password here", now=NOW)
    db.session.flush()

    assert services.load_user_for_session(old_session_id) is None
    assert services.load_user_for_session(user.get_id()) is user
    assert services.authenticate("rotate@example.org", "a new password here", now=NOW) is user
    [entry] = audit_entries(db, "user.password_change")
    assert entry.actor is user and entry.created_at == NOW


def test_change_password_enforces_the_rules(db):
    user = create_user()
    with pytest.raises(ValidationError):
        services.change_password(user, PASSWORD, "short", now=NOW)


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:", ":token", "x:y", "999999:token"])
def test_load_user_for_session_refuses_malformed_ids(db, session_id):
    assert services.load_user_for_session(session_id) is None


def test_update_profile(db):
    user = create_user()
    city = create_city(name="Medellín", country="CO", timezone="America/Bogota")
    services.update_profile(
        user,
        display_name="  Camila  ",
        city_id=city.id,
        country="CO",
        timezone="America/Bogota",
        locale="fr",
        languages=LANGUAGES,
        now=NOW,
    )
    assert (user.display_name, user.city, user.country, user.timezone, user.locale) == (
        "Camila",
        city,
        "CO",
        "America/Bogota",
        "fr",
    )
    with pytest.raises(ValidationError):
        services.update_profile(
            user,
            display_name="Camila",
            city_id=None,
            country=None,
            timezone="Nowhere/Atlantis",
            locale="en",
            languages=LANGUAGES,
            now=NOW,
        )


# --- roles, activation, audit -------------------------------------------------------------------


def test_set_roles_writes_an_audit_entry(db):
    admin = create_user(roles=["admin"])
    user = create_user(roles=["learner"])

    services.set_roles(admin, user, {"instructor", "coordinator"}, now=NOW)
    db.session.flush()

    assert user.roles == {"instructor", "coordinator"}
    [entry] = audit_entries(db, "user.roles")
    assert entry.actor is admin
    assert (entry.target_type, entry.target_id) == ("user", user.id)
    assert entry.details == {"added": ["coordinator", "instructor"], "removed": ["learner"]}
    assert entry.created_at == NOW


def test_set_roles_without_a_change_writes_nothing(db):
    admin = create_user(roles=["admin"])
    user = create_user(roles=["learner"])
    services.set_roles(admin, user, {"learner"}, now=NOW)
    assert audit_entries(db, "user.roles") == []


def test_admin_cannot_remove_their_own_admin_role(db):
    admin = create_user(roles=["admin", "instructor"])
    with pytest.raises(ValidationError, match="own administrator"):
        services.set_roles(admin, admin, {"instructor"}, now=NOW)
    assert admin.roles == {"admin", "instructor"}
    services.set_roles(admin, admin, {"admin"}, now=NOW)  # dropping another role is fine
    assert admin.roles == {"admin"}


@pytest.mark.parametrize("roles", [{"superuser"}, {"learner", "root"}, set()])
def test_set_roles_refuses_unknown_or_no_roles(db, roles):
    admin = create_user(roles=["admin"])
    user = create_user(roles=["learner"])
    with pytest.raises(ValidationError) as error:
        services.set_roles(admin, user, roles, now=NOW)
    assert error.value.field == "roles"
    assert user.roles == {"learner"}
    assert audit_entries(db, "user.roles") == []


def test_deactivate_and_reactivate(db):
    admin = create_user(roles=["admin"])
    user = create_user()
    session_id = user.get_id()

    services.set_active(admin, user, False, now=NOW)
    db.session.flush()

    assert not user.is_active
    assert services.load_user_for_session(session_id) is None
    assert services.load_user_for_session(user.get_id()) is None  # inactive: nobody gets in
    services.set_active(admin, user, False, now=NOW)  # again: no second entry
    services.set_active(admin, user, True, now=NOW + timedelta(hours=1))
    db.session.flush()
    assert user.is_active
    assert services.load_user_for_session(session_id) is None  # old sessions stay dead
    assert [e.actor for e in audit_entries(db, "user.deactivate")] == [admin]
    assert [e.created_at for e in audit_entries(db, "user.activate")] == [NOW + timedelta(hours=1)]


def test_admin_cannot_deactivate_themselves(db):
    admin = create_user(roles=["admin"])
    with pytest.raises(ValidationError):
        services.set_active(admin, admin, False, now=NOW)
    assert admin.is_active


def test_set_user_city_is_audited(db):
    admin = create_user(roles=["admin"])
    city = create_city(name="Kigali", country="RW", timezone="Africa/Kigali")
    user = create_user()
    services.set_user_city(admin, user, city.id, now=NOW)
    services.set_user_city(admin, user, city.id, now=NOW)  # no change, no entry
    [entry] = audit_entries(db, "user.city")
    assert entry.details == {"from": None, "to": "Kigali"}
    with pytest.raises(ValidationError):
        services.set_user_city(admin, user, 987654, now=NOW)


def test_get_user_raises_not_found(db):
    with pytest.raises(NotFound):
        services.get_user(987654)


# --- cities -----------------------------------------------------------------------------------


def test_save_city_refuses_a_duplicate_name_in_the_same_country(db):
    create_city(name="Lyon", country="FR", timezone="Europe/Paris")
    with pytest.raises(ValidationError) as error:
        services.save_city(None, name=" LYON ", country="fr", timezone="Europe/Paris", now=NOW)
    assert error.value.field == "name"


def test_save_city_allows_the_same_name_in_another_country(db):
    create_city(name="Córdoba", country="AR", timezone="America/Argentina/Cordoba")
    spain = services.save_city(
        None, name="Córdoba", country="ES", region="Andalucía", timezone="Europe/Madrid", now=NOW
    )
    assert (spain.country, spain.region) == ("ES", "Andalucía")
    assert services.find_city("córdoba", "es") is spain


def test_save_city_updates_and_keeps_its_own_name(db):
    admin = create_user(roles=["admin"])
    city = create_city(name="Accra", country="GH", timezone="Africa/Accra")
    services.save_city(
        admin, city=city, name="Accra", country="GH", region="Greater Accra", now=NOW
    )
    assert city.region == "Greater Accra"
    assert [e.action for e in audit_entries(db, "city.update")] == ["city.update"]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "  "},
        {"country": "ZZ"},
        {"kind": "village"},
        {"timezone": "Europe/Atlantis"},
    ],
)
def test_save_city_refuses_bad_values(db, fields):
    values = {"name": unique("Town "), "country": "KE", "timezone": "Africa/Nairobi"}
    values.update(fields)
    with pytest.raises(ValidationError):
        services.save_city(None, now=NOW, **values)
    assert db.session.scalar(select(func.count(City.id)).where(City.country == "KE")) == 0


# --- search -----------------------------------------------------------------------------------


def test_search_users_by_name_email_and_role(db):
    tag = unique("zq")
    ana = create_user(email=f"ana.{tag}@example.org", display_name=f"Ana {tag}")
    bo = create_user(email=f"bo@{tag}.example.org", display_name="Bo", roles=["instructor"])
    create_user(email=f"cy.{tag}@example.org", display_name="Cy", roles=["coordinator", "admin"])

    assert services.search_users(query=f"ANA {tag}").items == [ana]
    assert [u.id for u in services.search_users(query=f"@{tag}.EXAMPLE").items] == [bo.id]
    assert services.search_users(query=tag).total == 3
    assert services.search_users(query=tag, role="instructor").items == [bo]
    assert [u.display_name for u in services.search_users(query=tag, role="admin").items] == ["Cy"]
    assert services.search_users(query=f"{tag}-nobody").total == 0


def test_search_users_pages(db):
    tag = unique("pg")
    names = sorted(f"{tag} {n:02d}" for n in range(7))
    for name in names:
        create_user(display_name=name)

    first = services.search_users(query=tag, per_page=3)
    third = services.search_users(query=tag, per_page=3, page=3)
    beyond = services.search_users(query=tag, per_page=3, page=9)

    assert (first.total, first.pages, first.page) == (7, 3, 1)
    assert [u.display_name for u in first.items] == names[:3]
    assert [u.display_name for u in third.items] == names[6:]
    assert (beyond.page, beyond.items) == (3, third.items)  # past the end: the last page
    assert services.search_users(query=tag, per_page=3, page=10**30).page == 3
    assert services.search_users(query=tag, per_page=3, page=-4).page == 1
    assert services.search_users(query=f"{tag}-none", page=5).page == 1


# --- create_user ------------------------------------------------------------------------------


def test_create_user_makes_a_confirmed_account(db):
    admin = create_user(roles=["admin"])
    city = create_city(name="Nairobi", country="KE", timezone="Africa/Nairobi")

    user = services.create_user(
        email="Wanjiru@Example.org",
        password=PASSWORD,
        display_name="Wanjiru",
        roles=["instructor", "coordinator"],
        city=city,
        actor=admin,
        now=NOW,
    )

    assert user.email == "wanjiru@example.org"
    assert user.email_confirmed_at == NOW
    assert user.roles == {"instructor", "coordinator"}
    assert (user.timezone, user.country) == ("Africa/Nairobi", "KE")
    [entry] = [e for e in audit_entries(db, "user.create") if e.target_id == user.id]
    assert entry.actor is admin
    assert entry.details == {"roles": ["coordinator", "instructor"]}


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "dup@example.org"},
        {"password": "short"},
        {"roles": ["emperor"]},
        {"roles": []},
        {"timezone": "Mars/Base"},
    ],
)
def test_create_user_refuses_bad_input(db, fields):
    create_user(email="dup@example.org")
    values = {
        "email": "fresh@example.org",
        "password": PASSWORD,
        "display_name": "Fresh",
        "now": NOW,
    }
    values.update(fields)
    before = user_count(db)
    with pytest.raises(ValidationError):
        services.create_user(**values)
    assert user_count(db) == before


def test_password_hashes_are_salted_argon2(db):
    one, two = create_user(), create_user()
    assert one.password_hash != two.password_hash
    assert services.password_matches(one, PASSWORD)
    assert not services.password_matches(one, PASSWORD + " ")
    assert not services.password_matches(None, PASSWORD)


def test_a_corrupt_hash_does_not_crash_sign_in(db):
    user = create_user(email="corrupt@example.org")
    user.password_hash = "not-a-hash"
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate("corrupt@example.org", PASSWORD, now=NOW)


# --- safe redirects (a property of any input) ----------------------------------------------------


HOST = "localhost"


def browser_resolves(target: str) -> str:
    """Where a browser would go for ``Location: target`` on http://localhost/ (netloc)."""
    # What the URL standard does before parsing: strip C0 controls and spaces at both ends,
    # drop tabs and newlines anywhere, and read backslashes as slashes in http(s) URLs.
    cleaned = target.strip("".join(chr(n) for n in range(33)))
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urlsplit(urljoin(f"http://{HOST}/", cleaned)).netloc


hosts = st.from_regex(r"\A[a-z][a-z0-9-]{0,15}(\.[a-z]{2,6}){1,2}\Z")
prefixes = st.sampled_from(
    [
        "http://",
        "https://",
        "//",
        "///",
        "\\\\",
        "/\\",
        "\\/",
        " //",
        "\t//",
        "/\t/",
        "\n//",
        "http:/",
        "https:",
        "HTTPS://",
        "javascript://",
        "ftp://",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=prefixes, host=hosts, rest=st.text(max_size=20))
@example(prefix="https://", host="evil.example", rest="")
@example(prefix="//", host="evil.example", rest="/path")
@example(prefix="http://", host="a.aa", rest="[")  # once a ValueError, a 500 on sign-in
def test_is_safe_redirect_never_accepts_another_host(app, prefix, host, rest):
    with app.test_request_context("/login", base_url=f"http://{HOST}"):
        assert not is_safe_redirect(prefix + host + rest)


# Pieces that make up the tricks: slashes and backslashes, schemes, hosts, user info, controls.
url_pieces = st.sampled_from(
    [
        "/",
        "//",
        "\\",
        "evil.example",
        "a",
        ":",
        "http:",
        "https:",
        "@",
        "?",
        "#",
        "%2f",
        ".",
        "\t",
        "\n",
        " ",
        "\x00",
    ]
)
tricky_targets = st.builds(
    lambda lead, rest: lead + "".join(rest),
    st.sampled_from(["/", "//", "\\", "/\\", "\\/", " /", "\t/", "/\t", "\x00/", "http:", ""]),
    st.lists(url_pieces, max_size=6),
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=tricky_targets | st.text(max_size=12))
def test_whatever_is_accepted_stays_on_this_site(app, target):
    with app.test_request_context("/login", base_url=f"http://{HOST}"):
        accepted = is_safe_redirect(target)
    if accepted:
        assert browser_resolves(target) == HOST


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.from_regex(r"\A(/[a-z0-9_-]{1,10}){1,4}/?(\?[a-z]{1,5}=[a-z0-9]{0,5})?\Z"))
def test_is_safe_redirect_accepts_local_paths(app, path):
    with app.test_request_context("/login", base_url=f"http://{HOST}"):
        assert is_safe_redirect(path)


@pytest.mark.parametrize(
    "target", [None, "", "profile", "javascript:alert(1)", "/\x00/evil", "//[", "/\t/evil"]
)
def test_is_safe_redirect_refuses_non_paths(app, target):
    with app.test_request_context("/login", base_url=f"http://{HOST}"):
        assert not is_safe_redirect(target)
