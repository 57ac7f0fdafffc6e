"""The registry's outgoing e-mail: through the SMTP server the settings name, or, where none is
named (a demonstration or a test machine), into an outbox folder as ``.eml`` files for the
operator to pass on.

Used by the daily reminders (:mod:`spinefx.registry.reminders`) and the invitations
(:mod:`spinefx.registry.invitations`). A message is written to the outbox whole or not at all
(a temporary file renamed into place), so a half-written message is never found there.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

__all__ = ["Mailer", "SmtpServer", "connect", "message"]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "spinefx registry <registry@localhost>"
    starttls: bool = False


@contextmanager
def connect(server: SmtpServer) -> Iterator[smtplib.SMTP]:
    """One connection to ``server``: TLS first when asked, then the login when it has one."""
    with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
        if server.starttls:
            smtp.starttls()
        if server.user:
            smtp.login(server.user, server.password or "")
        yield smtp


def message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message with its own Message-ID."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Message-ID"] = make_msgid(domain="spinefx.invalid")
    mail.set_content(body)
    return mail


@dataclass(frozen=True)
class Mailer:
    """Where the registry's messages go: ``server`` when there is one, else ``outbox``."""

    server: SmtpServer | None
    outbox: Path
    sender: str = "spinefx registry <registry@localhost>"

    @property
    def by_smtp(self) -> bool:
        return self.server is not None

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one message (:class:`OSError` or :class:`smtplib.SMTPException` if it fails)."""
        if self.server is not None:
            with connect(self.server) as smtp:
                smtp.send_message(message(self.server.sender, to, subject, body))
            return
        self.outbox.mkdir(mode=0o700, parents=True, exist_ok=True)  # links in it are secrets
        data = bytes(message(self.sender, to, subject, body))
        handle, temporary = tempfile.mkstemp(dir=self.outbox, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            os.replace(temporary, self.outbox / f"{stamp}-{secrets.token_hex(4)}.eml")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
