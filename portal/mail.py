"""Sending email over SMTP as PORTAL_SMTP_URL describes, with failures in one short sentence."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

DEFAULT_TIMEOUT = 20.0
MAX_REASON = 500
# The scheme says how the connection is protected; nothing is guessed or silently downgraded.
#   smtp://           plain SMTP, never TLS: for a relay on this host or a trusted local network
#   smtp+starttls://  STARTTLS required (the submission port, 587), certificate checked
#   smtps://          TLS from the first byte (465), certificate checked
SECURITY_BY_SCHEME = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}
DEFAULT_PORTS = {"plain": 25, "starttls": 587, "tls": 465}


class MailError(Exception):
    """The message was not accepted; the text is short, names no content and can be shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason[:MAX_REASON])

    @property
    def reason(self) -> str:
        return str(self.args[0])


class SmtpUrlError(ValueError):
    """PORTAL_SMTP_URL cannot be understood; the message says what is wrong with it."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand messages over."""

    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        # Never the password, whatever prints this object.
        return f"SmtpServer({self.security} {self.where}, user={self.username!r})"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_smtp_url(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> SmtpServer:
    """`smtp://`, `smtp+starttls://` or `smtps://`, with optional `user:password@` and port.

    The user name and password are percent-decoded (write `@` as `%40`). Raises SmtpUrlError.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SmtpUrlError("PORTAL_SMTP_URL has an invalid host or port") from exc
    security = SECURITY_BY_SCHEME.get(parts.scheme.lower())
    if security is None:
        raise SmtpUrlError(
            "PORTAL_SMTP_URL must start with smtp:// (plain, for a local relay), "
            "smtp+starttls:// or smtps://"
        )
    host = parts.hostname
    if not host:
        raise SmtpUrlError("PORTAL_SMTP_URL names no host, as in smtp+starttls://mail.example:587")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpUrlError("PORTAL_SMTP_URL takes no path or query: smtp://[user:pass@]host[:port]")
    if port == 0:
        raise SmtpUrlError("PORTAL_SMTP_URL has an invalid port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise SmtpUrlError("PORTAL_SMTP_URL has a password but no user name")
    if username and security == "plain" and not _is_loopback(host):
        raise SmtpUrlError(
            "PORTAL_SMTP_URL would send the mail password unencrypted: use smtp+starttls:// or "
            "smtps://, or smtp:// without a user name for a relay that needs none"
        )
    return SmtpServer(
        host=host,
        port=port or DEFAULT_PORTS[security],
        security=security,
        username=username,
        password=(password or "") if username else None,
        timeout=timeout,
    )


def check_address(value: str, what: str) -> str:
    """The bare address of `value` ("Name <a@b>" or "a@b"); SmtpUrlError naming `what` if odd."""
    if any(ch in value for ch in "\r\n"):
        raise SmtpUrlError(f"{what} must be on one line")
    _name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if not local or not domain or " " in address:
        raise SmtpUrlError(
            f"{what} must be an email address, as in Recognise <no-reply@example.org>"
        )
    return address


def address_domain(value: str) -> str:
    """The domain of an address, for Message-IDs (so they never need this host's name)."""
    return parseaddr(value)[1].rpartition("@")[2] or "localhost"


def _server_reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"[:200]


def _reason(server: SmtpServer, error: BaseException) -> str:
    """One short sentence for what went wrong: what the server said, never what was sent."""
    where = server.where
    if isinstance(error, smtplib.SMTPServerDisconnected) and error.__context__ is not None:
        # smtplib reports a read that timed out (or was reset) as a disconnection.
        error = error.__context__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = [_server_reply(code, text) for code, text in error.recipients.values()]
        return f"recipient refused: {'; '.join(replies)}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"sender refused: {_server_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"sign-in refused by {where}: {_server_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"{where} does not offer {'STARTTLS' if server.security == 'starttls' else 'that'}"
    if isinstance(error, smtplib.SMTPDataError):
        return f"message refused by {where}: {_server_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPConnectError):
        return f"{where} refused the connection: {_server_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} answered {_server_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection"
    if isinstance(error, smtplib.SMTPException):
        return f"mail error with {where}: {type(error).__name__}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the certificate of {where} is not trusted: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed with {where}: {error.reason or type(error).__name__}"
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {where}"
    if isinstance(error, TimeoutError):
        return f"no answer from {where} within {server.timeout:g} s"
    if isinstance(error, socket.gaierror):
        return f"cannot find the mail server {server.host}"
    if isinstance(error, OSError):
        return f"cannot reach {where}: {error.strerror or type(error).__name__}"
    return f"mail error with {where}: {type(error).__name__}"


def _connect(server: SmtpServer) -> smtplib.SMTP:
    if server.security == "tls":
        return smtplib.SMTP_SSL(
            server.host,
            server.port,
            timeout=server.timeout,
            context=ssl.create_default_context(),
        )
    smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    if server.security == "starttls":
        try:
            smtp.ehlo()
            # Raises SMTPNotSupportedError when not offered: required means no fallback to plain.
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
    return smtp


def send(
    smtp_url: str | None,
    message: EmailMessage,
    *,
    envelope_from: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Hand `message` to the server; raises MailError with a short reason if it is not taken.

    `envelope_from` is the bare address bounces go to; the recipients are the message's To.
    """
    if not smtp_url:
        raise MailError("Email is not set up: PORTAL_SMTP_URL is empty")
    try:
        server = parse_smtp_url(smtp_url, timeout=timeout)
    except SmtpUrlError as exc:
        raise MailError(str(exc)) from None
    try:
        with _connect(server) as smtp:
            if server.username:
                smtp.login(server.username, server.password or "")
            refused = smtp.send_message(message, from_addr=envelope_from)
    except (smtplib.SMTPException, OSError) as exc:
        # `from None`: the chained exception can quote the conversation, which quotes content.
        raise MailError(_reason(server, exc)) from None
    if refused:
        # Only some recipients were refused: for one agency address, that is a failure.
        replies = [_server_reply(code, text) for code, text in refused.values()]
        raise MailError(f"recipient refused: {'; '.join(replies)}")
