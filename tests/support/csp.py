"""Content-Security-Policy violations as a browser reports them: collected from every page and
frame of a Playwright browser context, across navigations, so a test can say that a policy
refused nothing its page needs."""

from __future__ import annotations

from typing import Any

# Runs before any script of each document (and is itself exempt from the page's policy).
REPORT = """
document.addEventListener("securitypolicyviolation", (event) => {
  const what = event.blockedURI || "inline code";
  window.__cspViolation(`${event.effectiveDirective} refused ${what} on ${event.documentURI}`);
}, true);
"""


def csp_violations(context: Any) -> list[str]:
    """A list that fills with every violation reported in the context from now on, and with
    the browser's own console line for each (which names the policy that refused it)."""
    found: list[str] = []
    context.expose_function("__cspViolation", lambda text: found.append(text))
    context.add_init_script(REPORT)
    context.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found
