"""What the hub may repeat back: URLs without their password, client text made short and
printable.

Every message, log line and error that shows a broker URL or echoes what a client sent goes
through here, so a secret or a terminal escape sequence has one place to be stopped.
"""

from __future__ import annotations

__all__ = ["ECHO_LIMIT", "printable", "redact_url"]

# Longest echo of client text in results and logs.
ECHO_LIMIT = 40


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, however malformed the URL is.

    Parsing is deliberately simple, so a URL that a parser would refuse (a bad port, a
    stray character, no scheme, a `/` or `@` inside the password) is still redacted: the
    credentials are everything before the last `@`, and the password everything after the
    first `:` in them.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        # `user:password` with the host forgotten reads as a host with a port: a port that
        # is not a number may be a password.
        host, colon, port = rest.partition(":")
        if colon and not port.split("/", 1)[0].isdigit():
            return printable(f"{scheme}{sep}{host}:***", 200)
        return printable(url, 200)
    userinfo, _, host = rest.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    credentials = f"{user}:***" if colon else user
    return printable(f"{scheme}{sep}{credentials}@{host}", 200)


def printable(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` as a short, printable, quoted-safe form: control characters escaped, at most
    `limit` characters (an ellipsis marks a cut)."""
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return shown if len(shown) <= limit else shown[: max(1, limit - 1)] + "…"
