"""Accounts through the test client: sign-up to sign-out, bad input, permissions, security."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from learning.accounts import services
from learning.accounts.models import AuditLogEntry, City, User
from learning.core.db import utcnow
from tests.factories import PASSWORD, create_city, create_user, unique
from tests.helpers import (
    csrf_token,
    field_value,
    path_of_link,
    post_form,
    selected_option,
)

NEW_PASSWORD = "a much better passphrase"


def signup_data(**fields) -> dict:
    data = {
        "email": f"{unique('signup')}@example.org",
        "display_name": "Lindiwe Dube",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "city_id": "",
        "country": "ZA",
        "timezone": "Africa/Johannesburg",
        "locale": "en",
    }
    data.update(fields)
    return data


def login(client, email: str, password: str = PASSWORD, **fields):
    return post_form(client, "/login", {"email": email, "password": password, **fields})


def users_with(db, email: str) -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.email == email))


def error_summary(page: bytes) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', page.decode(), re.S)
    assert found, "no error summary on the page"
    return found.group(0)


def location(response) -> str:
    return response.headers["Location"]


# --- sign-up, confirmation, sign-in ------------------------------------------------------------


def test_sign_up_confirm_and_sign_in(client, db, outbox):
    data = signup_data(email="Lindiwe@Example.org")

    response = post_form(client, "/signup", data)

    assert response.status_code == 302
    assert location(response) == "/signup/check-inbox"
    assert b"Check your inbox" in client.get(location(response)).data
    user = db.session.scalar(select(User).where(User.email == "lindiwe@example.org"))
    assert user is not None and not user.is_email_confirmed
    assert (user.display_name, user.country, user.timezone, user.roles) == (
        "Lindiwe Dube",
        "ZA",
        "Africa/Johannesburg",
        {"learner"},
    )
    message = outbox.last_to("lindiwe@example.org")
    assert message["Subject"] == "Confirm your e-mail address"
    confirm_path = path_of_link(message, "/confirm/")

    # Not confirmed yet: the right password is told so, and a new link goes out.
    response = login(client, "lindiwe@example.org")
    assert response.status_code == 403
    assert b"confirm your e-mail address" in response.data
    assert len(outbox.to("lindiwe@example.org")) == 2

    response = client.get(confirm_path)
    assert response.status_code == 302
    assert location(response).startswith("/login?email=lindiwe")
    page = client.get(location(response))
    assert b"your e-mail address is confirmed" in page.data
    assert field_value(page.data, "email") == "lindiwe@example.org"
    db.session.refresh(user)
    assert user.is_email_confirmed

    response = login(client, "LINDIWE@example.org")
    assert response.status_code == 302
    assert location(response) == "/"
    home = client.get("/", follow_redirects=True)  # signed in: "/" leads to the dashboard
    assert b"Lindiwe Dube" in home.data
    assert b"Welcome back" in home.data


def test_the_confirmation_link_can_be_followed_twice(client, db, outbox):
    post_form(client, "/signup", signup_data(email="twice@example.org"))
    path = path_of_link(outbox.last_to("twice@example.org"), "/confirm/")
    assert client.get(path).status_code == 302
    assert client.get(path).status_code == 302


def test_expired_confirmation_link(client, db):
    user = create_user(confirmed=False)
    issued = utcnow() - timedelta(hours=48, minutes=1)
    token = services.make_token(
        user, services.EMAIL_CONFIRM, secret=client.application.config["SECRET_KEY"], now=issued
    )

    response = client.get(f"/confirm/{token}")

    assert response.status_code == 400
    assert b"expired" in response.data
    assert b'href="/confirm"' in response.data  # a way to ask for a new link
    db.session.refresh(user)
    assert not user.is_email_confirmed


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ.AAAA"])
def test_tampered_confirmation_link(client, db, token):
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 400
    assert b"not valid" in response.data


def test_resend_confirmation_does_not_reveal_accounts(client, db, outbox):
    create_user(email="waiting@example.org", confirmed=False)
    create_user(email="done@example.org")

    answers = [
        post_form(client, "/confirm", {"email": email})
        for email in ("waiting@example.org", "done@example.org", "nobody@example.org")
    ]

    assert {(r.status_code, location(r)) for r in answers} == {(302, "/signup/check-inbox")}
    assert [m["To"] for m in outbox.messages] == ["waiting@example.org"]


def test_sign_up_with_a_known_address_looks_the_same_and_tells_the_owner(client, db, outbox):
    create_user(email="owner@example.org", display_name="Original Owner")

    fresh = post_form(client, "/signup", signup_data())
    known = post_form(
        client, "/signup", signup_data(email="Owner@Example.org", display_name="Mallory")
    )

    assert (known.status_code, location(known)) == (fresh.status_code, location(fresh))
    assert users_with(db, "owner@example.org") == 1
    assert db.session.scalar(
        select(User.display_name).where(User.email == "owner@example.org")
    ) == ("Original Owner")
    [notice] = outbox.to("owner@example.org")
    assert notice["Subject"] == "You already have an account"
    assert "/password/forgot" in path_of_link(notice, "/password/forgot")


def test_mismatched_passwords_keep_what_was_typed(client, db):
    city = create_city(name="Durban", country="ZA", timezone="Africa/Johannesburg")
    data = signup_data(
        email="typo@example.org", confirm=PASSWORD + "!", city_id=str(city.id), locale="fr"
    )

    response = post_form(client, "/signup", data)

    assert response.status_code == 422
    page = response.data
    assert b"The passwords do not match." in page
    assert b'aria-invalid="true"' in page
    assert field_value(page, "email") == "typo@example.org"
    assert field_value(page, "display_name") == "Lindiwe Dube"
    assert selected_option(page, "timezone") == "Africa/Johannesburg"
    assert selected_option(page, "country") == "ZA"
    assert selected_option(page, "city_id") == str(city.id)
    assert selected_option(page, "locale") == "fr"
    assert not field_value(page, "password")
    assert not field_value(page, "confirm")
    assert PASSWORD.encode() not in page
    assert users_with(db, "typo@example.org") == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "a" * 250 + "@example.org"}, b"E-mail address"),
        ({"display_name": "N" * 121}, b"Display name"),
        ({"password": "p" * 129, "confirm": "p" * 129}, b"Password"),
        ({"password": "short", "confirm": "short"}, b"Password"),
        ({"email": "not-an-address"}, b"E-mail address"),
        ({"timezone": "Mars/Olympus_Mons"}, b"Time zone"),
        ({"country": "XX"}, b"Country"),
        ({"locale": "tlh"}, b"Preferred language"),
        ({"city_id": "987654"}, b"City or organisation"),
        ({"email": ""}, b"E-mail address"),
    ],
)
def test_sign_up_refuses_bad_input(client, db, outbox, fields, message):
    data = signup_data(**fields)

    response = post_form(client, "/signup", data)

    assert response.status_code == 422
    assert message in error_summary(response.data).encode()
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert outbox.messages == []


def test_sign_up_refuses_a_password_equal_to_the_email(client, db):
    data = signup_data(email="samesame@example.org")
    data["password"] = data["confirm"] = "samesame@example.org"
    response = post_form(client, "/signup", data)
    assert response.status_code == 422
    assert b"Do not use your e-mail address" in response.data
    assert users_with(db, "samesame@example.org") == 0


def test_sign_up_refusals_do_not_reveal_known_addresses(client, db):
    create_user(email="known@example.org")
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        data = signup_data(email=email, password=email.upper(), confirm=email.upper())
        response = post_form(client, "/signup", data)
        answers.append((response.status_code, error_summary(response.data)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a\x00@example.org", "password": "x"}),
        ("/signup", signup_data(display_name="Nul\x00Name")),
        ("/password/forgot", {"email": "a\x00@example.org"}),
    ],
)
def test_nul_characters_are_a_bad_request_not_a_crash(client, db, path, data):
    # PostgreSQL cannot store NUL in text: such input once reached the database and gave a 500.
    response = post_form(client, path, data)
    assert response.status_code == 400
    assert b"Bad request" in response.data
    assert client.get("/login", query_string={"next": "/\x00"}).status_code == 400


def test_sign_up_without_csrf_token_is_refused(client, db):
    client.get("/signup")  # a session exists, but the form comes without its token
    response = client.post("/signup", data=signup_data(email="nocsrf@example.org"))
    assert response.status_code == 400
    assert b"Your form expired" in response.data
    assert users_with(db, "nocsrf@example.org") == 0


def test_sign_up_with_a_wrong_csrf_token_is_refused(client, db):
    token = csrf_token(client, "/signup")
    other = client.application.test_client()
    other_token = csrf_token(other, "/signup")
    assert other_token != token
    for bad in (other_token, token[:-2] + "xx", "x"):
        response = client.post(
            "/signup", data={**signup_data(email="wrongcsrf@example.org"), "csrf_token": bad}
        )
        assert response.status_code == 400
    assert users_with(db, "wrongcsrf@example.org") == 0


def test_a_signed_in_user_is_sent_home_from_sign_up(client, db, login_as):
    login_as(create_user())
    response = client.get("/signup")
    assert (response.status_code, location(response)) == (302, "/")


# --- sign-in, sign-out, remember me --------------------------------------------------------------


def test_wrong_password_and_unknown_email_look_the_same(client, db):
    create_user(email="someone@example.org")
    wrong = login(client, "someone@example.org", "not the password")
    unknown = login(client, "no-one@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert error_summary(wrong.data) == error_summary(unknown.data)
    assert b"not the password" not in wrong.data  # the password is never echoed


def test_remember_me_sets_the_remember_cookie(client, db):
    create_user(email="remember@example.org")
    response = login(client, "remember@example.org", remember="y")
    assert response.status_code == 302
    cookie = client.get_cookie("capacity_remember")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.expires is not None and cookie.expires > utcnow() + timedelta(days=29)


def test_sign_in_without_remember_me_sets_no_remember_cookie(client, db):
    create_user(email="forget@example.org")
    assert login(client, "forget@example.org").status_code == 302
    assert client.get_cookie("capacity_remember") is None
    assert client.get("/profile").status_code == 200


def test_remember_cookie_alone_signs_in_until_the_password_changes(client, db, app):
    user = create_user(email="keep@example.org")
    login(client, "keep@example.org", remember="y")
    remember = client.get_cookie("capacity_remember").value

    browser = app.test_client()  # a new browser session with only the remember cookie
    browser.set_cookie("capacity_remember", remember)
    assert browser.get("/profile").status_code == 200

    services.change_password(user, PASSWORD, NEW_PASSWORD, now=utcnow())
    db.session.commit()
    browser = app.test_client()
    browser.set_cookie("capacity_remember", remember)
    assert browser.get("/profile").status_code == 302


def test_sign_in_refuses_an_overlong_password_without_hashing_it(client, db):
    create_user(email="long@example.org")
    response = login(client, "long@example.org", "x" * 10_000)
    assert response.status_code == 422


def test_deactivated_account_cannot_sign_in(client, db):
    create_user(email="blocked@example.org", active=False)
    wrong = login(client, "blocked@example.org", "not the password")
    right = login(client, "blocked@example.org")
    assert wrong.status_code == 401  # nothing revealed without the password
    assert right.status_code == 403
    assert b"deactivated" in right.data
    assert client.get("/profile").status_code == 302


def test_signed_in_user_is_signed_out_when_deactivated(client, db, login_as):
    admin = create_user(roles=["admin"])
    user = login_as(create_user())
    assert client.get("/profile").status_code == 200

    services.set_active(admin, user, False, now=utcnow())
    db.session.commit()

    response = client.get("/profile")
    assert response.status_code == 302
    assert location(response).startswith("/login")
    services.set_active(admin, user, True, now=utcnow())
    db.session.commit()
    assert client.get("/profile").status_code == 302  # the old session stays dead


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "https://evil.example/profile",
        "/\\evil.example",
        "\\\\evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "//[",
    ],
)
def test_sign_in_refuses_open_redirects(client, db, target):
    create_user(email="redirect@example.org")
    form = client.get("/login", query_string={"next": target})
    assert field_value(form.data, "next") in (None, "")

    response = client.post(
        "/login",
        data={
            "email": "redirect@example.org",
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf_token(client, "/login"),
        },
    )

    assert response.status_code == 302
    assert location(response) == "/"
    # Already signed in, the login page itself must not bounce elsewhere either.
    again = client.get("/login", query_string={"next": target})
    assert location(again) == "/"


def test_sign_in_follows_a_local_next(client, db):
    create_user(email="local@example.org")
    response = client.get("/profile")
    assert response.status_code == 302
    login_page = location(response)
    next_value = parse_qs(urlsplit(login_page).query)["next"][0]
    assert next_value == "/profile"
    form = client.get(login_page)
    assert field_value(form.data, "next") == "/profile"

    response = login(client, "local@example.org", next="/profile")

    assert location(response) == "/profile"


def test_login_is_rate_limited_per_email(client, db, app):
    create_user(email="target@example.org")
    assert app.config["LOGIN_EMAIL_RATE_LIMIT"].startswith("5 per minute")
    token = csrf_token(client, "/login")

    def attempt(email: str):
        return client.post(
            "/login", data={"email": email, "password": "guess guess", "csrf_token": token}
        )

    statuses = [attempt("target@example.org").status_code for _ in range(5)]
    blocked = attempt("TARGET@example.org")

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert b"Too many requests" in blocked.data
    assert int(blocked.headers["Retry-After"]) > 0
    assert attempt("other@example.org").status_code == 401  # another address is not blocked
    # The real password does not get through the limit either.
    response = client.post(
        "/login", data={"email": "target@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429


def test_login_is_rate_limited_per_client(client, db, app):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login",
            data={"email": f"guess{n}@example.org", "password": "guess guess", "csrf_token": token},
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses == [401] * limit + [429]


def test_sign_out_is_post_only(client, db, login_as):
    login_as(create_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/profile").status_code == 200

    response = post_form(client, "/logout", {}, form_path="/profile")

    assert (response.status_code, location(response)) == (302, "/")
    assert b"You have signed out" in client.get("/").data
    assert client.get("/profile").status_code == 302


def test_sign_out_forgets_the_remember_cookie(client, db):
    create_user(email="leaving@example.org")
    login(client, "leaving@example.org", remember="y")
    assert client.get_cookie("capacity_remember") is not None

    post_form(client, "/logout", {}, form_path="/profile")

    assert client.get_cookie("capacity_remember") is None
    assert client.get("/profile").status_code == 302


def test_sign_out_needs_the_csrf_token(client, db, login_as):
    login_as(create_user())
    assert client.post("/logout").status_code == 400
    assert client.get("/profile").status_code == 200


# --- forgotten password -------------------------------------------------------------------------


def test_forgot_and_reset_password(client, db, outbox):
    user = create_user(email="forgetful@example.org")

    response = post_form(client, "/password/forgot", {"email": "Forgetful@example.org"})

    assert response.status_code == 200
    assert b"If an account uses this address" in response.data
    message = outbox.last_to("forgetful@example.org")
    assert message["Subject"] == "Reset your password"
    reset_path = path_of_link(message, "/password/reset/")

    response = post_form(client, reset_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert location(response).startswith("/login?email=forgetful")
    assert outbox.last_to("forgetful@example.org")["Subject"] == "Your password was changed"
    assert login(client, "forgetful@example.org", PASSWORD).status_code == 401
    assert login(client, "forgetful@example.org", NEW_PASSWORD).status_code == 302
    entries = db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == "user.password_reset")
    ).all()
    assert [e.target_id for e in entries] == [user.id]

    # The link works once.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    reused = client.get(reset_path)
    assert reused.status_code == 400
    assert b"already been used" in reused.data
    token = csrf_token(client, "/password/forgot")
    response = client.post(
        reset_path,
        data={"password": "third password!", "confirm": "third password!", "csrf_token": token},
    )
    assert response.status_code == 400
    assert login(client, "forgetful@example.org", "third password!").status_code == 401


def test_forgot_password_looks_the_same_for_unknown_addresses(client, db, outbox):
    create_user(email="exists@example.org")
    known = post_form(client, "/password/forgot", {"email": "exists@example.org"})
    unknown = post_form(client, "/password/forgot", {"email": "ghost@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert [m["To"] for m in outbox.messages] == ["exists@example.org"]


def test_no_reset_link_for_a_deactivated_account(client, db, outbox):
    create_user(email="inactive@example.org", active=False)
    response = post_form(client, "/password/forgot", {"email": "inactive@example.org"})
    assert response.status_code == 200
    assert outbox.messages == []


def test_expired_reset_link(client, db, app):
    user = create_user()
    issued = utcnow() - app.config["PASSWORD_RESET_MAX_AGE"] - timedelta(minutes=1)
    token = services.make_token(
        user, services.PASSWORD_RESET, secret=app.config["SECRET_KEY"], now=issued
    )
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400
    assert b"expired" in response.data
    assert b'href="/password/forgot"' in response.data


def test_reset_with_mismatched_passwords(client, db, app):
    user = create_user(email="mismatch@example.org")
    token = services.make_token(
        user, services.PASSWORD_RESET, secret=app.config["SECRET_KEY"], now=utcnow()
    )
    path = f"/password/reset/{token}"
    response = post_form(client, path, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert response.status_code == 422
    assert b"The passwords do not match." in response.data
    assert client.get(path).status_code == 200  # the link still works
    assert login(client, "mismatch@example.org").status_code == 302


def test_forgot_password_is_rate_limited(client, db, app):
    limit = int(app.config["RESET_RATE_LIMIT"].split()[0])
    token = csrf_token(client, "/password/forgot")
    statuses = [
        client.post(
            "/password/forgot", data={"email": f"r{n}@example.org", "csrf_token": token}
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses == [200] * limit + [429]


# --- profile and password change --------------------------------------------------------------


def test_edit_profile(client, db, login_as):
    city = create_city(name="Tunis", country="TN", timezone="Africa/Tunis")
    user = login_as(create_user(display_name="Before"))
    page = client.get("/profile")
    assert page.status_code == 200
    assert field_value(page.data, "display_name") == "Before"

    response = post_form(
        client,
        "/profile",
        {
            "display_name": "Sami Ben Ali",
            "city_id": str(city.id),
            "country": "TN",
            "timezone": "Africa/Tunis",
            "locale": "ar",
        },
    )

    assert (response.status_code, location(response)) == (302, "/profile")
    db.session.refresh(user)
    assert (user.display_name, user.city_id, user.country, user.timezone, user.locale) == (
        "Sami Ben Ali",
        city.id,
        "TN",
        "Africa/Tunis",
        "ar",
    )
    page = client.get("/profile")
    assert "Sami Ben Ali" in page.data.decode()
    assert selected_option(page.data, "timezone") == "Africa/Tunis"
    assert b"Africa/Tunis" in page.data  # dates name the viewer's zone


@pytest.mark.parametrize(
    "fields",
    [
        {"timezone": "Moon/Tranquility"},
        {"display_name": "x" * 121},
        {"display_name": ""},
        {"locale": "xx"},
    ],
)
def test_edit_profile_refuses_bad_input(client, db, login_as, fields):
    user = login_as(create_user(display_name="Unchanged"))
    data = {"display_name": "New", "city_id": "", "country": "", "timezone": "UTC", "locale": "en"}
    data.update(fields)
    response = post_form(client, "/profile", data)
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.display_name == "Unchanged"


def test_profile_needs_sign_in(client, db):
    response = client.get("/profile")
    assert response.status_code == 302
    assert location(response) == "/login?next=%2Fprofile"


def test_change_password(client, db, app, outbox):
    user = create_user(email="changer@example.org")
    login(client, "changer@example.org")
    elsewhere = app.test_client()
    login(elsewhere, "changer@example.org")
    assert elsewhere.get("/profile").status_code == 200

    wrong = post_form(
        client,
        "/profile/password",
        {"current_password": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert b"Your current password is not correct." in wrong.data

    mismatch = post_form(
        client,
        "/profile/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": "no match here"},
    )
    assert mismatch.status_code == 422

    response = post_form(
        client,
        "/profile/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert (response.status_code, location(response)) == (302, "/profile")
    assert client.get("/profile").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/profile").status_code == 302  # every other one is signed out
    assert outbox.last_to("changer@example.org")["Subject"] == "Your password was changed"
    db.session.refresh(user)
    assert services.password_matches(user, NEW_PASSWORD)


# --- administration ------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/users", "/admin/audit", "/admin/cities", "/admin/cities/new"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert location(response).startswith("/login?next=")


@pytest.mark.parametrize("role", ["learner", "instructor", "coordinator"])
def test_admin_pages_are_forbidden_to_other_roles(client, db, login_as, role):
    login_as(create_user(roles=[role]))
    target = create_user()
    for path in [*ADMIN_PAGES, f"/admin/users/{target.id}"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"Not allowed" in response.data
    token = csrf_token(client, "/profile")
    response = client.post(
        f"/admin/users/{target.id}", data={"roles": ["admin"], "csrf_token": token}
    )
    assert response.status_code == 403
    response = client.post(
        f"/admin/users/{target.id}/active", data={"active": "0", "csrf_token": token}
    )
    assert response.status_code == 403
    db.session.refresh(target)
    assert target.roles == {"learner"} and target.is_active


def test_admin_pages_open_to_admins(client, db, login_as):
    login_as(create_user(roles=["admin"]))
    target = create_user()
    for path in [*ADMIN_PAGES, f"/admin/users/{target.id}"]:
        assert client.get(path).status_code == 200, path


def test_unknown_user_or_city_is_404(client, db, login_as):
    login_as(create_user(roles=["admin"]))
    assert client.get("/admin/users/987654").status_code == 404
    assert client.get("/admin/cities/987654").status_code == 404
    assert b"No such user." in client.get("/admin/users/987654").data


def test_admin_searches_users(client, db, login_as):
    login_as(create_user(roles=["admin"], display_name="Admin Person"))
    tag = unique("srch")
    create_user(display_name=f"Olu {tag}", email=f"olu.{tag}@example.org")
    create_user(display_name=f"Ife {tag}", roles=["instructor"])
    create_user(display_name="Unrelated Person")

    page = client.get("/admin/users", query_string={"q": tag}).data.decode()
    assert f"Olu {tag}" in page and f"Ife {tag}" in page
    assert "Unrelated Person" not in page
    assert "2 users found." in page

    page = client.get("/admin/users", query_string={"q": tag, "role": "instructor"}).data.decode()
    assert f"Ife {tag}" in page and f"Olu {tag}" not in page

    page = client.get("/admin/users", query_string={"q": f"olu.{tag}@"}).data.decode()
    assert f"Olu {tag}" in page and "1 user found." in page

    # Nonsense in the query string is ignored, not a crash.
    huge = client.get("/admin/users", query_string={"q": tag, "page": "9" * 30})
    assert huge.status_code == 200 and f"Olu {tag}" in huge.data.decode()
    assert (
        client.get("/admin/users", query_string={"role": "emperor", "page": "x"}).status_code == 200
    )
    assert client.get("/admin/users", query_string={"q": "x" * 500}).status_code == 200


def test_admin_user_list_pages(client, db, login_as):
    login_as(create_user(roles=["admin"]))
    tag = unique("many")
    for n in range(55):
        create_user(display_name=f"{tag} {n:02d}")
    first = client.get("/admin/users", query_string={"q": tag}).data.decode()
    second = client.get("/admin/users", query_string={"q": tag, "page": 2}).data.decode()
    assert f"{tag} 49" in first and f"{tag} 50" not in first
    assert f"{tag} 50" in second and f"{tag} 54" in second
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_admin_changes_roles_and_the_audit_log_shows_it(client, db, login_as):
    admin = login_as(create_user(roles=["admin"], display_name="Auditing Admin"))
    target = create_user(display_name="Role Target")
    city = create_city(name="Kumasi", country="GH", timezone="Africa/Accra")

    response = post_form(
        client,
        f"/admin/users/{target.id}",
        {"roles": ["instructor", "coordinator"], "city_id": str(city.id)},
    )

    assert (response.status_code, location(response)) == (302, f"/admin/users/{target.id}")
    db.session.refresh(target)
    assert target.roles == {"instructor", "coordinator"}
    assert target.city_id == city.id
    entry = db.session.scalars(
        select(AuditLogEntry).where(
            AuditLogEntry.action == "user.roles", AuditLogEntry.target_id == target.id
        )
    ).one()
    assert entry.actor_id == admin.id
    audit = client.get("/admin/audit").data.decode()
    assert "Roles changed" in audit and "City changed" in audit
    assert "Auditing Admin" in audit
    assert "added: Coordinator, Instructor" in audit
    assert "removed: Learner" in audit
    assert f"/admin/users/{target.id}" in audit
    detail = client.get(f"/admin/users/{target.id}").data.decode()
    assert "Roles changed" in detail


def test_admin_cannot_remove_their_own_admin_role(client, db, login_as):
    admin = login_as(create_user(roles=["admin"]))
    response = post_form(client, f"/admin/users/{admin.id}", {"roles": ["learner"], "city_id": ""})
    assert response.status_code == 422
    assert b"You cannot remove your own administrator role." in response.data
    db.session.refresh(admin)
    assert admin.roles == {"admin"}


@pytest.mark.parametrize("roles", [[], ["emperor"]])
def test_admin_role_form_refuses_no_or_unknown_roles(client, db, login_as, roles):
    login_as(create_user(roles=["admin"]))
    target = create_user()
    response = post_form(client, f"/admin/users/{target.id}", {"roles": roles, "city_id": ""})
    assert response.status_code == 422
    db.session.refresh(target)
    assert target.roles == {"learner"}


def test_admin_deactivates_and_reactivates(client, db, app, login_as):
    login_as(create_user(roles=["admin"]))
    target = create_user(email="switch@example.org")
    victim_browser = app.test_client()
    login(victim_browser, "switch@example.org")
    assert victim_browser.get("/profile").status_code == 200

    response = post_form(
        client,
        f"/admin/users/{target.id}/active",
        {"active": "0"},
        form_path=f"/admin/users/{target.id}",
    )

    assert response.status_code == 302
    db.session.refresh(target)
    assert not target.is_active
    assert victim_browser.get("/profile").status_code == 302
    assert login(victim_browser, "switch@example.org").status_code == 403
    page = client.get(f"/admin/users/{target.id}").data.decode()
    assert "Deactivated" in page and "Reactivate this account" in page

    post_form(
        client,
        f"/admin/users/{target.id}/active",
        {"active": "1"},
        form_path=f"/admin/users/{target.id}",
    )
    db.session.refresh(target)
    assert target.is_active
    assert login(victim_browser, "switch@example.org").status_code == 302
    actions = db.session.scalars(
        select(AuditLogEntry.action)
        .where(AuditLogEntry.target_id == target.id, AuditLogEntry.target_type == "user")
        .order_by(AuditLogEntry.id)
    ).all()
    assert actions[-2:] == ["user.deactivate", "user.activate"]


def test_admin_cannot_deactivate_themselves(client, db, login_as):
    admin = login_as(create_user(roles=["admin"]))
    response = post_form(
        client,
        f"/admin/users/{admin.id}/active",
        {"active": "0"},
        form_path=f"/admin/users/{admin.id}",
    )
    assert response.status_code == 302
    assert b"You cannot deactivate your own account." in client.get(location(response)).data
    db.session.refresh(admin)
    assert admin.is_active


def test_admin_creates_and_edits_cities(client, db, login_as):
    login_as(create_user(roles=["admin"]))
    data = {
        "name": "Montevideo",
        "kind": "city",
        "country": "UY",
        "region": "Montevideo Department",
        "timezone": "America/Montevideo",
    }

    response = post_form(client, "/admin/cities/new", data)

    assert (response.status_code, location(response)) == (302, "/admin/cities")
    city = db.session.scalars(select(City).where(City.name == "Montevideo")).one()
    assert (city.country, city.timezone, city.kind) == ("UY", "America/Montevideo", "city")
    assert "Montevideo" in client.get("/admin/cities").data.decode()

    duplicate = post_form(client, "/admin/cities/new", {**data, "name": "MONTEVIDEO"})
    assert duplicate.status_code == 422
    assert b"already has a city with that name" in duplicate.data

    other_country = post_form(
        client,
        "/admin/cities/new",
        {**data, "country": "AR", "timezone": "America/Argentina/Buenos_Aires"},
    )
    assert other_country.status_code == 302

    response = post_form(
        client, f"/admin/cities/{city.id}", {**data, "kind": "organisation", "region": "Centro"}
    )
    assert response.status_code == 302
    db.session.refresh(city)
    assert (city.kind, city.region) == ("organisation", "Centro")
    actions = db.session.scalars(
        select(AuditLogEntry.action).where(
            AuditLogEntry.target_type == "city", AuditLogEntry.target_id == city.id
        )
    ).all()
    assert sorted(actions) == ["city.create", "city.update"]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 121},
        {"country": "QQ"},
        {"timezone": "Nowhere/Land"},
        {"kind": "village"},
    ],
)
def test_admin_city_form_refuses_bad_input(client, db, login_as, fields):
    login_as(create_user(roles=["admin"]))
    data = {"name": "Valid", "kind": "city", "country": "UY", "region": "", "timezone": "UTC"}
    data.update(fields)
    response = post_form(client, "/admin/cities/new", data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(City.id))) == 0


# --- cookies, headers, weight --------------------------------------------------------------------


def set_cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie in {response.headers.getlist('Set-Cookie')}"
    return headers[-1]


def test_session_cookie_is_httponly_and_samesite_lax(client, db):
    create_user(email="cookie@example.org")
    response = login(client, "cookie@example.org", remember="y")
    for name in ("capacity_session", "capacity_remember"):
        header = set_cookie_header(response, name).lower()
        assert "; httponly" in header
        assert "; samesite=lax" in header
        assert "; secure" not in header  # only in production (see test_config)


def test_security_headers_on_every_kind_of_response(client, db):
    for response in (client.get("/signup"), client.get("/nope"), client.get("/healthz")):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Frame-Options"] == "DENY"
    assert client.get("/signup").headers["Cache-Control"] == "no-store"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


def test_pages_need_no_inline_script_or_style(client, db, login_as):
    """The CSP forbids inline code: a page that relied on it would break in browsers."""
    pages = ["/", "/login", "/signup", "/password/forgot", "/confirm", "/nope"]
    for path in pages:
        assert_no_inline_code(client, path)
    user = login_as(create_user(roles=["admin"]))
    for path in ["/", "/profile", "/profile/password", *ADMIN_PAGES, f"/admin/users/{user.id}"]:
        assert_no_inline_code(client, path)


def assert_no_inline_code(client, path: str) -> None:
    page = client.get(path).data.decode()
    assert not INLINE_SCRIPT.search(page), f"inline <script> on {path}"
    assert not INLINE_HANDLER.search(page), f"inline event handler on {path}"
    assert not INLINE_STYLE.search(page), f"inline style on {path}"


def page_weight(client, path: str) -> int:
    """Bytes of the page plus the stylesheets, scripts and icons it loads from this site."""
    response = client.get(path)
    assert response.status_code == 200
    page = response.data
    total = len(page)
    for asset in set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', page)):
        asset_response = client.get(asset.decode())
        assert asset_response.status_code == 200, asset
        total += len(asset_response.data)
        asset_response.close()
    return total


def test_sign_up_page_weighs_under_100_kb(client, db):
    assert page_weight(client, "/signup") < 100_000


def test_admin_users_page_with_60_users_weighs_under_100_kb(client, db, login_as):
    login_as(create_user(roles=["admin"]))
    city = create_city(name="Weighty City", country="IN", timezone="Asia/Kolkata")
    for _ in range(60):
        create_user(city=city, display_name=unique("A rather long display name "))
    assert page_weight(client, "/admin/users") < 100_000
    assert page_weight(client, "/profile") < 100_000
