"""What browser tests share: the axe-core check, the 320-px check, signing in."""

from __future__ import annotations

from importlib import resources

import pytest
from playwright.sync_api import expect

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 320, "height": 640}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}

_AXE_SOURCE: list[str] = []


def axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(
            resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")
        )
    return _AXE_SOURCE[0]


def check_a11y(page) -> None:
    """Run axe-core on the page; fail listing every serious or critical WCAG 2.1 A/AA issue.

    The script goes in through the DevTools protocol (``page.evaluate``), which the page's
    Content-Security-Policy does not govern, so the policy stays exactly as users get it.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    problems = [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]
    if problems:
        lines = [f"axe found {len(problems)} serious/critical problem(s) on {page.url}:"]
        for violation in problems:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
            for node in violation["nodes"][:10]:
                lines.append(f"    at {node['target']}: {node.get('failureSummary', '')!s}")
        pytest.fail("\n".join(lines), pytrace=False)


def assert_no_horizontal_scroll(page) -> None:
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(
            """width => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 0.5)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                     + (el.className && typeof el.className === 'string'
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))""",
            width,
        )
        pytest.fail(
            f"{page.url} scrolls sideways at {width}px (content is {scroll_width}px wide); "
            f"too wide: {wide}",
            pytrace=False,
        )


def sign_in(page, email: str, password: str = PASSWORD, *, remember: bool = False) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    if remember:
        page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")
