"""The security headers every answer carries (docs/web.md, "Security headers")."""

from __future__ import annotations

# Sent with every answer (pages, errors, static files); docs/web.md "Security headers".
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # script files of this app only: no inline script, no eval, no other host
        "style-src 'self'",  # style sheets of this app only: no style attribute, no <style>
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",  # htmx asks this app only
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",  # no other page frames ours (clickjacking)
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",  # a file is what its Content-Type says, never sniffed as script
    # Another site learns nothing of our addresses (order numbers); this app's own pages keep the
    # Referer, which CSRF checks over HTTPS require.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
