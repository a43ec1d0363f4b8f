"""Pytest plugin: a real SMTP server (aiosmtpd) on a free local port that keeps what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    # Recipient address -> the SMTP reply that refuses it.
    refused: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MailServer:
    """The server of one test: stop() and start() simulate an outage on the same address."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self._handler = _Handler()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[Received]:
        return self._handler.messages

    def refuse(self, address: str, reply: str = "550 5.1.1 Mailbox unavailable") -> None:
        self._handler.refused[address] = reply

    def accept_all(self) -> None:
        self._handler.refused.clear()

    def start(self) -> None:
        if self._controller is None:
            # A new controller each time: a stopped one does not start again cleanly.
            self._controller = Controller(self._handler, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
