"""Every accounts page at a phone's and a desktop's width: accessible, and no sideways scroll.

With ``CAPTURE_SCREENS=1`` each page is saved to ``test-artifacts/screens/<name>-<width>.png``
for a person to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import DESKTOP, PHONE, assert_no_horizontal_scroll, check_a11y, sign_in

VISITOR_PAGES = [
    ("/", "home"),
    ("/login", "login"),
    ("/signup", "signup"),
    ("/signup/check-inbox", "check-inbox"),
    ("/confirm", "resend-confirmation"),
    ("/confirm/not-a-token", "token-invalid"),
    ("/password/forgot", "forgot-password"),
    ("/password/reset/not-a-token", "reset-token-invalid"),
    ("/no-such-page", "not-found"),
]
ADMIN_PAGES = [
    ("/", "home-admin"),
    ("/profile", "profile"),
    ("/profile/password", "change-password"),
    ("/admin/users", "admin-users"),
    ("/admin/audit", "admin-audit"),
    ("/admin/cities", "admin-cities"),
    ("/admin/cities/new", "admin-city-new"),
]


def test_pages_are_light_and_load_nothing_from_elsewhere(page, live_server):
    """No CDN, no web fonts, no trackers: a slow municipal connection gets a light page."""
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request))
    for path in ("/", "/signup"):
        page.goto(path)
    outside = [r.url for r in loaded if not r.url.startswith(live_server.url)]
    assert not outside, f"requests to other sites: {outside}"
    assert not [r.url for r in loaded if r.resource_type == "font"], "web fonts loaded"
    assets: dict[str, int] = {}
    for request in loaded:
        if request.resource_type in ("stylesheet", "script"):
            size = request.sizes()["responseBodySize"]  # 0 when served from the cache
            assets[request.url] = max(assets.get(request.url, 0), size)
    weight = sum(assets.values())
    assert 0 < weight < 30_000, f"CSS and JavaScript weigh {weight} bytes: {sorted(assets)}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320px", "1280px"])
def test_every_page_is_accessible_and_fits(new_page, live_server, capture_screen, viewport):
    page = new_page(**viewport)

    def visit(path: str, name: str) -> None:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_scroll(page)
        check_a11y(page)
        capture_screen(page, name)

    for path, name in VISITOR_PAGES:
        visit(path, name)

    # Pages with errors on them: a form sent empty, a wrong password.
    page.goto("/signup")
    page.get_by_role("button", name="Create account").click()
    # The summary lists the problems in the order the page shows the fields.
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        [
            "E-mail address: This field is required.",
            "Display name: This field is required.",
            "Password: This field is required.",
            "Repeat the password: This field is required.",
        ]
    )
    assert_no_horizontal_scroll(page)
    check_a11y(page)
    capture_screen(page, "signup-empty")
    page.goto("/login")
    page.get_by_label("E-mail address").fill(live_server.learner_email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("is not correct")
    check_a11y(page)
    capture_screen(page, "login-failed")

    sign_in(page, live_server.admin_email)
    for path, name in ADMIN_PAGES:
        visit(path, name)
    page.goto("/admin/users")
    page.get_by_role("table").get_by_role("link", name="Kofi Learner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kofi Learner")
    assert_no_horizontal_scroll(page)
    check_a11y(page)
    capture_screen(page, "admin-user")
    page.goto("/admin/cities")
    page.get_by_role("table").get_by_role("link", name="Riverton").click()
    expect(page.get_by_label("Name")).to_have_value("Riverton")
    check_a11y(page)
    capture_screen(page, "admin-city")
