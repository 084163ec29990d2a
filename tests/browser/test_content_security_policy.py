"""The Content-Security-Policy as Chromium enforces it: what an attacker could inject
into a page (an inline script, an inline style, a script or image from elsewhere)
is refused, and the refusal is what every other journey's watcher would catch."""

import pytest

from tests.browser.conftest import watch_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECTED = """
() => {
  const script = document.createElement("script");
  script.textContent = "window.injected = true";
  document.body.appendChild(script);
  document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="color: red">x</p>');
  const remote = document.createElement("script");
  remote.src = "https://scripts.example.org/x.js";
  document.body.appendChild(remote);
  const image = document.createElement("img");
  image.src = "https://images.example.org/x.png";
  image.alt = "";
  document.body.appendChild(image);
}
"""


def test_the_browser_refuses_what_the_policy_does_not_allow(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    refused = watch_policy(page)
    page.goto(f"{live_server.url}/accounts/login/")
    # The portal's own scripts ran: GOV.UK Frontend marked the body.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")

    page.evaluate(INJECTED)
    page.wait_for_timeout(500)

    assert page.evaluate("window.injected === undefined")
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )
    joined = "\n".join(refused)
    assert "script-src" in joined
    assert "style-src" in joined
    assert "img-src" in joined
    context.close()
