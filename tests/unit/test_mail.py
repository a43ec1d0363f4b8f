"""PORTAL_SMTP_URL parsing, start-up checks, and failures turned into one short reason."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from portal.config import ConfigError, Settings
from portal.mail import MailError, SmtpServer, SmtpUrlError, parse_smtp_url, send
from tests.mailkit import MailServer


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525, "plain")),
        ("smtp://relay.internal", SmtpServer("relay.internal", 25, "plain")),
        ("SMTP://relay.internal/", SmtpServer("relay.internal", 25, "plain")),
        (
            "smtp+starttls://portal%40force.example:p%40ss%3Aw%2Fd@mail.example",
            SmtpServer("mail.example", 587, "starttls", "portal@force.example", "p@ss:w/d"),
        ),
        (
            "smtps://user:secret@mail.example:2465",
            SmtpServer("mail.example", 2465, "tls", "user", "secret"),
        ),
        ("smtps://user@mail.example", SmtpServer("mail.example", 465, "tls", "user", "")),
        ("smtp://user:pw@localhost:1025", SmtpServer("localhost", 1025, "plain", "user", "pw")),
        ("smtp://[::1]:2525", SmtpServer("::1", 2525, "plain")),
    ],
)
def test_urls_are_parsed(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "must start with smtp://"),
        ("mail.example:25", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://mail.example:port", "invalid host or port"),
        ("smtp://mail.example:99999", "invalid host or port"),
        ("smtp://mail.example:0", "invalid port"),
        ("smtp://mail.example/inbox", "takes no path or query"),
        ("smtp://mail.example?tls=1", "takes no path or query"),
        ("smtp://:secret@mail.example", "password but no user name"),
        ("smtp://user:secret@mail.example", "password unencrypted"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(SmtpUrlError, match=message):
        parse_smtp_url(url)


def test_the_password_is_never_in_the_repr() -> None:
    server = parse_smtp_url("smtps://user:hunter2hunter2@mail.example")
    assert "hunter2" not in repr(server)


def test_settings_read_and_check_mail() -> None:
    settings = Settings.from_env(
        {
            "PORTAL_SMTP_URL": "smtp+starttls://mail.example",
            "PORTAL_MAIL_FROM": "Tips <tips@recognise.example>",
        }
    )
    assert settings.smtp_url == "smtp+starttls://mail.example"
    assert settings.mail_from == "Tips <tips@recognise.example>"
    assert Settings.from_env({}).mail_from == "Recognise <no-reply@localhost>"


def test_a_malformed_smtp_url_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="PORTAL_SMTP_URL") as caught:
        Settings.from_env({"PORTAL_SMTP_URL": "smtp://user:topsecret@mail.example"})
    assert "topsecret" not in str(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("value", ["nobody", "Recognise", "a@b\nBcc: x@y"])
def test_a_malformed_sender_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigError, match="PORTAL_MAIL_FROM"):
        Settings.from_env({"PORTAL_MAIL_FROM": value})


def _message(to: str = "identify@police.example") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Recognise <no-reply@localhost>"
    message["To"] = to
    message["Subject"] = "Tip TIP-AAAA-BBBB"
    message.set_content("The tipster's words.")
    return message


def test_without_a_url_nothing_is_sent() -> None:
    with pytest.raises(MailError, match=r"^Email is not set up: PORTAL_SMTP_URL is empty$"):
        send(None, _message(), envelope_from="no-reply@localhost")


def test_a_message_is_handed_over(smtp_server: MailServer) -> None:
    send(smtp_server.url, _message(), envelope_from="no-reply@localhost")
    assert [m.rcpt_tos for m in smtp_server.messages] == [["identify@police.example"]]
    assert smtp_server.messages[0].mail_from == "no-reply@localhost"


def test_a_closed_port_is_connection_refused(smtp_server: MailServer) -> None:
    smtp_server.stop()
    with pytest.raises(MailError) as caught:
        send(smtp_server.url, _message(), envelope_from="no-reply@localhost")
    assert caught.value.reason == f"connection refused by 127.0.0.1:{smtp_server.port}"
    assert caught.value.__cause__ is None


def test_a_refused_recipient_gives_the_servers_reply(smtp_server: MailServer) -> None:
    smtp_server.refuse("identify@police.example", "550 5.7.1 Relaying denied")
    with pytest.raises(MailError, match=r"^recipient refused: 550 5\.7\.1 Relaying denied$"):
        send(smtp_server.url, _message(), envelope_from="no-reply@localhost")


def test_required_starttls_is_never_skipped(smtp_server: MailServer) -> None:
    url = f"smtp+starttls://127.0.0.1:{smtp_server.port}"
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send(url, _message(), envelope_from="no-reply@localhost")
    assert smtp_server.messages == []


def test_no_answer_is_a_timeout() -> None:
    import socket

    # A socket that listens but never accepts: the SMTP greeting never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(MailError, match=rf"^no answer from 127\.0\.0\.1:{port} within 0\.5 s$"):
            send(f"smtp://127.0.0.1:{port}", _message(), envelope_from="x@y", timeout=0.5)
