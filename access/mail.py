"""Sending the outbox by SMTP, when ``[mail]`` names a server; otherwise messages wait in the outbox."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses

from catalogue import Database
from catalogue.requests_outbox import mark_failed, mark_sent, outbox
from preservation.config import Settings
from preservation.errors import MailError
from preservation.identifiers import timestamp

TIMEOUT = 30.0


# Refusals of one message (its recipient, its content): that message is set aside and the rest still go.
# Anything else (the server unreachable, the sign-in refused, the connection lost) stops the run.
MESSAGE_REFUSALS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPNotSupportedError,
)


def send_outbox(settings: Settings, database: Database) -> SendReport:
    """Send every unsent message through the configured SMTP server, one by one: a message the server or the
    mail library refuses is set aside with the reason (`preserve outbox --failed`) and the others still go."""
    if not settings.mail_smtp_host:
        raise MailError("no SMTP server is configured", hint="Set [mail] smtp_host and sender in preserve.toml.")
    with database.session() as session:
        waiting = outbox(session, unsent_only=True, failed=False)
    report = SendReport()
    if not waiting:
        return report
    try:
        with _connect(settings) as server:
            for message_id, to, subject, body, *_ in waiting:
                try:
                    server.send_message(_message(settings.mail_sender, to, subject, body))
                except (ValueError, *MESSAGE_REFUSALS) as exc:
                    with database.session() as session:
                        mark_failed(session, message_id, _reason(exc), timestamp())
                    report.failed.append((message_id, _reason(exc)))
                    continue
                with database.session() as session:  # one by one: a failure later never sends one twice
                    mark_sent(session, message_id, timestamp())
                report.sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"{settings.mail_smtp_host}:{settings.mail_smtp_port}: {exc}",
            hint=f"{report.sent} of {len(waiting)} message(s) sent; the rest stay in the outbox.",
        ) from None
    return report


@dataclass
class SendReport:
    """What a send did: messages sent, and those set aside with why."""

    sent: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """The message as sent; ValueError (the message is set aside) for a header the mail library would read as more
    than it says: a line break, an RFC 2047 encoded word ('=?…?=', which some Python versions decode into line
    breaks and further headers), or a To that is not one plain address."""
    for name, value in (("To", to), ("Subject", subject)):
        if "=?" in value:
            raise ValueError(f"the {name} header holds an encoded word ('=?'): {value[:80]!r}")
    if not (to.isascii() and to.isprintable()) or len(getaddresses([to])) != 1 or getaddresses([to])[0][1] != to:
        raise ValueError(f"the To address is not one plain address: {to[:80]!r}")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message


def _reason(exc: Exception) -> str:
    """A refusal in words, on one line."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port = settings.mail_smtp_host, settings.mail_smtp_port
    if settings.mail_security == "tls":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=TIMEOUT)
        if settings.mail_security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if settings.mail_username:
        server.login(settings.mail_username, settings.mail_password)
    return server
