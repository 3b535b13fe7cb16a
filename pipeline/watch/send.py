"""Sending one notice message: JSON posted to a webhook, or a plain e-mail through an SMTP
server (STDNEWS_SMTP_HOST) or the local MTA (/usr/sbin/sendmail); each tried ATTEMPTS times
with a growing pause, a failure said in one line (DeliveryFailed)."""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pipeline import __version__

ATTEMPTS = 3
FIRST_PAUSE = 1.0  # seconds before the second attempt; doubled before each next one
TIMEOUT = 10.0  # seconds for one attempt to connect and be answered
SENDMAIL = "/usr/sbin/sendmail"
USER_AGENT = f"standards-news/{__version__} (watch notifier)"


class DeliveryFailed(Exception):
    """A message that did not reach its receiver after every attempt; one line."""


def with_retries(attempt: Callable[[], None], pause: float = FIRST_PAUSE) -> None:
    """attempt() until it succeeds, at most ATTEMPTS times; DeliveryFailed with the last
    error."""
    for number in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except (OSError, smtplib.SMTPException, subprocess.SubprocessError) as error:
            last = one_line(error)
        if number < ATTEMPTS:
            time.sleep(pause)
            pause *= 2
    raise DeliveryFailed(f"{last} (after {ATTEMPTS} attempts)")


def one_line(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return " ".join(str(error).split()) or type(error).__name__


def post_json(url: str, payload: dict) -> None:
    """One POST of payload as JSON; an answer other than 2xx raises (HTTPError)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        if not 200 <= answer.status < 300:
            raise OSError(f"HTTP {answer.status} {answer.reason}")


def mail_from() -> str:
    return os.environ.get("STDNEWS_MAIL_FROM") or f"standards-news@{socket.getfqdn()}"


def email(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from()
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=mail_from().rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def send_email(message: EmailMessage) -> None:
    """One delivery: to STDNEWS_SMTP_HOST (STDNEWS_SMTP_PORT, default 25; STARTTLS when the
    server offers it and STDNEWS_SMTP_USER logs in), else through the local MTA."""
    host = os.environ.get("STDNEWS_SMTP_HOST")
    if host:
        port = int(os.environ.get("STDNEWS_SMTP_PORT") or 25)
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
            log_in(smtp)
            smtp.send_message(message)
        return
    if not shutil.which(SENDMAIL):
        raise OSError(f"no mail transport: set STDNEWS_SMTP_HOST, or install an MTA ({SENDMAIL})")
    subprocess.run(
        [SENDMAIL, "-t", "-oi"], input=message.as_bytes(), check=True, timeout=TIMEOUT * 3
    )


def log_in(smtp: smtplib.SMTP) -> None:
    user = os.environ.get("STDNEWS_SMTP_USER")
    if not user:
        return
    smtp.ehlo()
    if smtp.has_extn("starttls"):
        smtp.starttls()
        smtp.ehlo()
    smtp.login(user, os.environ.get("STDNEWS_SMTP_PASSWORD", ""))
