"""Sending the outbox by SMTP, when ``[mail]`` names a server; otherwise messages wait in the outbox."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from preservation.catalogue import Database
from preservation.catalogue.requests import mark_sent, outbox
from preservation.config import Settings
from preservation.errors import MailError
from preservation.identifiers import timestamp

TIMEOUT = 30.0


def send_outbox(settings: Settings, database: Database) -> int:
    """Send every unsent message through the configured SMTP server; return how many were sent."""
    if not settings.mail_smtp_host:
        raise MailError("no SMTP server is configured", hint="Set [mail] smtp_host and sender in preserve.toml.")
    with database.session() as session:
        waiting = outbox(session, unsent_only=True)
    if not waiting:
        return 0
    sent = 0
    try:
        with _connect(settings) as server:
            for message_id, to, subject, body, _created, _sent in waiting:
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = settings.mail_sender, to, subject
                message.set_content(body)
                server.send_message(message)
                with database.session() as session:  # one by one: a failure later never sends one twice
                    mark_sent(session, message_id, timestamp())
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{settings.mail_smtp_host}:{settings.mail_smtp_port}: {exc}",
                        hint=f"{sent} of {len(waiting)} message(s) sent; the rest stay in the outbox.") from None
    return sent


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
