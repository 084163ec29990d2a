"""Mozilla's HTTP Observatory scoring, computed from one response's headers and cookies.

The Observatory starts every site at 100 and adds or takes away points per test;
bonuses count only while the score before them is at least 90. A+ is 100 or more.
These are the modifiers of its published scoring table for the tests a response can
answer on its own (the redirection test needs the plain-HTTP answer, passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookies import SimpleCookie

PRIVATE_REFERRER = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
UNSAFE_REFERRER = {"origin", "origin-when-cross-origin", "no-referrer-when-downgrade", "unsafe-url"}
SIX_MONTHS = 15_768_000
SESSION_COOKIE_HINTS = ("session", "sid", "sess")


@dataclass
class Score:
    results: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, test: str, result: str, modifier: int) -> None:
        self.results[test] = (result, modifier)

    @property
    def total(self) -> int:
        penalties = sum(m for _, m in self.results.values() if m < 0)
        bonuses = sum(m for _, m in self.results.values() if m > 0)
        base = 100 + penalties
        return base + bonuses if base >= 90 else base

    @property
    def grade(self) -> str:
        for floor, grade in (
            (100, "A+"),
            (90, "A"),
            (85, "A-"),
            (80, "B+"),
            (70, "B"),
            (65, "B-"),
            (60, "C+"),
            (50, "C"),
            (45, "C-"),
            (40, "D+"),
            (30, "D"),
            (25, "D-"),
        ):
            if self.total >= floor:
                return grade
        return "F"


def parse_csp(header: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy.setdefault(words[0].lower(), words[1:])
    return policy


def _csp(score: Score, header: str | None) -> dict[str, list[str]]:
    if not header:
        score.add("content-security-policy", "csp-not-implemented", -25)
        return {}
    policy = parse_csp(header)
    default = policy.get("default-src")
    scripts = policy.get("script-src", default) or []
    styles = policy.get("style-src", default) or []
    objects = policy.get("object-src", default)
    has_nonce_or_hash = any(v.startswith(("'nonce-", "'sha")) for v in scripts)
    unsafe_script = (
        ("'unsafe-inline'" in scripts and not has_nonce_or_hash)
        or "'unsafe-eval'" in scripts
        or any(v in ("*", "http:", "https:", "data:") for v in scripts)
        or default is None
        and "script-src" not in policy
    )
    if unsafe_script or objects is None:
        score.add("content-security-policy", "csp-implemented-with-unsafe-inline", -20)
    elif "'unsafe-inline'" in styles:
        score.add(
            "content-security-policy", "csp-implemented-with-unsafe-inline-in-style-src-only", -5
        )
    elif default == ["'none'"]:
        score.add("content-security-policy", "csp-implemented-with-no-unsafe-default-src-none", 10)
    else:
        score.add("content-security-policy", "csp-implemented-with-no-unsafe", 0)
    return policy


def _cookies(score: Score, set_cookie_headers: list[str]) -> None:
    cookies = []
    for header in set_cookie_headers:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            cookies.append((name, morsel))
    if not cookies:
        score.add("cookies", "cookies-not-found", 0)
        return
    for name, morsel in cookies:
        is_session = any(hint in name.lower() for hint in SESSION_COOKIE_HINTS)
        if is_session and not morsel["secure"]:
            score.add("cookies", "cookies-session-without-secure-flag", -40)
            return
        if is_session and not morsel["httponly"]:
            score.add("cookies", "cookies-session-without-httponly-flag", -30)
            return
        if not morsel["secure"]:
            score.add("cookies", "cookies-without-secure-flag", -20)
            return
    if all(morsel["samesite"].lower() in ("lax", "strict") for _, morsel in cookies):
        score.add("cookies", "cookies-secure-with-httponly-sessions-and-samesite", 5)
    else:
        score.add("cookies", "cookies-secure-with-httponly-sessions", 0)


def score_response(
    headers: dict[str, str], set_cookie_headers: list[str], http_redirects_to_https: bool
) -> Score:
    """``headers`` with lower-case names; the Set-Cookie lines separately."""
    score = Score()
    policy = _csp(score, headers.get("content-security-policy"))
    _cookies(score, set_cookie_headers)

    referrer = {v.strip() for v in headers.get("referrer-policy", "").lower().split(",") if v}
    if not referrer:
        score.add("referrer-policy", "referrer-policy-not-implemented", 0)
    elif referrer & UNSAFE_REFERRER:
        score.add("referrer-policy", "referrer-policy-unsafe", -5)
    elif referrer <= PRIVATE_REFERRER:
        score.add("referrer-policy", "referrer-policy-private", 5)

    hsts = headers.get("strict-transport-security", "")
    max_age = next(
        (int(p.split("=")[1]) for p in hsts.split(";") if p.strip().startswith("max-age=")),
        None,
    )
    if max_age is None:
        score.add("strict-transport-security", "hsts-not-implemented", -20)
    elif max_age < SIX_MONTHS:
        score.add("strict-transport-security", "hsts-implemented-max-age-less-than-six-months", -10)
    else:
        # The preload bonus needs the domain on the browsers' list, which a test cannot see.
        score.add("strict-transport-security", "hsts-implemented-max-age-at-least-six-months", 0)

    if http_redirects_to_https:
        score.add("redirection", "redirection-to-https", 0)
    else:
        score.add("redirection", "redirection-missing", -20)

    if headers.get("x-content-type-options", "").lower() == "nosniff":
        score.add("x-content-type-options", "x-content-type-options-nosniff", 0)
    else:
        score.add("x-content-type-options", "x-content-type-options-not-implemented", -5)

    ancestors = policy.get("frame-ancestors")
    if ancestors in (["'none'"], ["'self'"]):
        score.add("x-frame-options", "x-frame-options-implemented-via-csp", 5)
    elif headers.get("x-frame-options", "").upper() in ("DENY", "SAMEORIGIN"):
        score.add("x-frame-options", "x-frame-options-sameorigin-or-deny", 0)
    else:
        score.add("x-frame-options", "x-frame-options-not-implemented", -20)
    return score
