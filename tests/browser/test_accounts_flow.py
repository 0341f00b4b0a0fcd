"""Accounts in a real browser: sign-up to sign-out, errors, 320 px, keyboard, administration.

Every page visited is scanned with axe-core (WCAG 2.1 A/AA; serious and critical issues fail).
"""

from __future__ import annotations

import itertools

from playwright.sync_api import expect

from tests.browser.helpers import (
    PASSWORD,
    PHONE,
    assert_no_horizontal_scroll,
    check_a11y,
    sign_in,
)

_numbers = itertools.count(1)


def unique_email(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}@browser.example.org"


def test_sign_up_confirm_sign_in_edit_profile_sign_out(page, live_server, capture_screen):
    email = unique_email("nadia")
    page.goto("/")
    check_a11y(page)
    page.get_by_role("banner").get_by_role("link", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    # app.js pre-selects the browser's own zone (the context runs in Europe/Paris).
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    check_a11y(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Display name").fill("Nadia Flow")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("City or organisation").select_option(label="Riverton (GH)")
    page.get_by_label("Country").select_option("GH")
    page.get_by_label("Time zone").select_option("Africa/Accra")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(live_server("/signup/check-inbox"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    check_a11y(page)
    capture_screen(page, "check-inbox")

    link = live_server.link_in_last_email(email, "/confirm/")
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("your e-mail address is confirmed")
    expect(page.get_by_label("E-mail address")).to_have_value(email)
    check_a11y(page)

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text("Welcome back, Nadia Flow.")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "capacity_remember" in cookies
    check_a11y(page)

    page.get_by_role("banner").get_by_role("link", name="Nadia Flow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_role("main")).to_contain_text(email)
    expect(page.get_by_label("Display name")).to_have_value("Nadia Flow")
    city = page.get_by_label("City or organisation")
    expect(city.locator("option:checked")).to_have_text("Riverton (GH)")
    expect(page.get_by_label("Time zone")).to_have_value("Africa/Accra")
    check_a11y(page)

    page.get_by_label("Time zone").select_option("Asia/Seoul")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Your profile has been saved.")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Seoul")
    expect(page.get_by_role("contentinfo")).to_contain_text("Times are shown in Asia/Seoul.")
    check_a11y(page)

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    assert "capacity_remember" not in {cookie["name"] for cookie in page.context.cookies()}
    check_a11y(page)


def test_sign_up_errors_are_summarised_and_keep_what_was_typed(page, capture_screen):
    email = unique_email("typo")
    page.goto("/signup")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Display name").fill("Tomás Typo")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD + " but different")
    page.get_by_role("button", name="Create account").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check the form")
    expect(summary).to_contain_text("Repeat the password: The passwords do not match.")
    # app.js moves focus to the summary, so a screen reader announces it at once.
    expect(summary).to_be_focused()
    confirm = page.get_by_label("Repeat the password")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_have_accessible_description("The passwords do not match.")
    expect(page.get_by_label("E-mail address")).to_have_value(email)
    expect(page.get_by_label("Display name")).to_have_value("Tomás Typo")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    check_a11y(page)
    capture_screen(page, "signup-errors")

    # The summary's link takes the keyboard to the field to fix.
    summary.get_by_role("link").first.click()
    expect(confirm).to_be_focused()


def test_pages_fit_a_320px_screen(new_page, live_server, capture_screen):
    # test_pages scans these pages with the menu closed; here axe sees the menu open.
    page = new_page(**PHONE)
    for path, name in [("/", "home"), ("/login", "login"), ("/signup", "signup")]:
        page.goto(path)
        assert_no_horizontal_scroll(page)
        _assert_menu_usable(page)
        check_a11y(page)
        capture_screen(page, f"{name}-menu-open")

    # The navigation works at this width: the menu's links take you where they say.
    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(page, live_server.learner_email)
    for path, name in [("/", "home-signed-in"), ("/profile", "profile")]:
        page.goto(path)
        assert_no_horizontal_scroll(page)
        _assert_menu_usable(page)
        check_a11y(page)
        capture_screen(page, f"{name}-menu-open")
    page.get_by_role("banner").get_by_role("link", name="Kofi Learner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")


def _assert_menu_usable(page) -> None:
    """The header folds behind a Menu button that opens, closes, and shows usable links."""
    banner = page.get_by_role("banner")
    toggle = banner.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(banner.get_by_role("navigation", name="Main")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    width = page.viewport_size["width"]
    controls = banner.locator("a, button")
    assert controls.count() >= 4
    for control in controls.all():
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box is not None
        label = control.inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{label!r} is cut off"
        assert box["height"] >= 24 and box["width"] >= 24, f"{label!r} is too small to tap"
    assert_no_horizontal_scroll(page)
    # Escape closes the menu and gives focus back to its button.
    banner.get_by_role("navigation", name="Main").get_by_role("link").first.focus()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    toggle.click()


def test_keyboard_skip_link_and_sign_in(page, live_server):
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is hidden"
    _assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # From the main landmark, Tab walks the form in order; Enter submits it.
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    _assert_focus_visible(page)
    page.keyboard.type(live_server.learner_email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    remember = page.get_by_label("Keep me signed in on this device")
    expect(remember).to_be_focused()
    page.keyboard.press("Space")
    expect(remember).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    _assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Welcome back, Kofi Learner.")


def _assert_focus_visible(page) -> None:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"
    )
    assert style["outline"] != "none" and style["width"] >= 2, f"no visible focus: {style}"


def test_without_javascript_the_320px_header_still_works(new_page):
    page = new_page(**PHONE, java_script_enabled=False)
    page.goto("/")
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("button", name="Menu")).to_be_hidden()
    expect(banner.get_by_role("navigation", name="Main")).to_be_visible()
    assert_no_horizontal_scroll(page)
    banner.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_admin_searches_changes_roles_deactivates_and_reads_audit_log(
    page, new_page, live_server, capture_screen
):
    target_email = unique_email("grace")
    live_server.create_user(email=target_email, display_name="Grace Target")
    sign_in(page, live_server.admin_email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    check_a11y(page)
    search = page.get_by_role("search")
    search.get_by_label("Name or e-mail").fill("Grace Target")
    search.get_by_label("Role").select_option("learner")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 user found.")).to_be_visible()
    expect(page.get_by_label("Name or e-mail")).to_have_value("Grace Target")
    check_a11y(page)
    capture_screen(page, "admin-users")

    page.get_by_role("table").get_by_role("link", name="Grace Target").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Target")
    check_a11y(page)
    roles = page.get_by_role("group", name="Roles")
    expect(roles.get_by_label("Learner")).to_be_checked()
    roles.get_by_label("Instructor").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Changes to Grace Target saved.")
    expect(roles.get_by_label("Instructor")).to_be_checked()
    check_a11y(page)

    page.get_by_role("button", name="Deactivate this account").click()
    expect(page.get_by_role("status")).to_have_text(
        "Grace Target has been deactivated and signed out."
    )
    expect(page.get_by_role("definition").filter(has_text="Deactivated")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate this account")).to_be_visible()
    history = page.get_by_role("region", name="Audit log")
    expect(history).to_contain_text("Roles changed")
    expect(history).to_contain_text("Account deactivated")
    check_a11y(page)
    capture_screen(page, "admin-user")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    rows = page.get_by_role("row").filter(has_text="Ama Admin")
    expect(rows.filter(has_text="Account deactivated").first).to_be_visible()
    expect(rows.filter(has_text="Roles changed").first).to_contain_text("added: Instructor")
    check_a11y(page)
    capture_screen(page, "admin-audit")

    # The deactivated account can no longer sign in.
    other = new_page()
    other.goto("/login")
    other.get_by_label("E-mail address").fill(target_email)
    other.get_by_label("Password", exact=True).fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("alert")).to_be_visible()
    expect(other.get_by_role("heading", level=1)).to_have_text("Sign in")
