"""One attempt to deliver one linkback (webmention, pingback or trackback), returning an Outcome:
remote faults, HTTP errors and network failures are values here, classified as delivered, final,
or worth retrying."""

from __future__ import annotations

import enum
import xmlrpc.client
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode, urljoin, urlsplit

from bs4 import BeautifulSoup
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from . import faults
from .discovery import Endpoints, endpoints_from
from .http import (
    AddressNotAllowed,
    AnswerBrokeOff,
    FetchError,
    FetchPolicy,
    FetchResult,
    FetchTimeout,
    HostNotFound,
    TooManyRedirects,
    URLNotAllowed,
    fetch,
)
from .xmlrpc_wire import MALFORMED, dumps_call, loads

RETRYABLE_HTTP = {408, 425, 429}
REASON_CHARS = 200  # of a refusing webmention endpoint's answer, shown to the author
TEXT_TYPES = ("text/plain", "application/json", "application/problem+json", "")


class Result(enum.StrEnum):
    SENT = "sent"
    ALREADY_REGISTERED = "already_registered"
    NO_ENDPOINT = "no_endpoint"
    NOT_SENT = "not_sent"  # nothing sent, none needed: the page already heard of the post another way
    FAILED = "failed"  # final: never retried
    TRANSIENT = "transient"  # worth another try later


@dataclass(frozen=True)
class Outcome:
    result: Result
    detail: str = ""
    endpoint: str | None = None
    http_status: int | None = None
    fault_code: int | None = None

    @property
    def is_delivered(self) -> bool:
        return self.result in (Result.SENT, Result.ALREADY_REGISTERED)


def _network_failure(error: FetchError, what: str, url: str) -> Outcome:
    """A failure before any answer, in plain words naming the host (never the socket's errno)."""
    if isinstance(error, AddressNotAllowed):
        return Outcome(Result.FAILED, f"Not sent: {what} is on a private or local network address.")
    if isinstance(error, URLNotAllowed):
        return Outcome(Result.FAILED, f"Not sent: {what} is not an http(s) address we may fetch ({error}).")
    if isinstance(error, TooManyRedirects):
        return Outcome(Result.FAILED, f"{what[0].upper()}{what[1:]} redirects too many times.")
    host = urlsplit(url).hostname or url
    which = "" if what == "the linked page" else f" ({what})"
    if isinstance(error, FetchTimeout):
        words = f"{host} did not answer in time{which}."
    elif isinstance(error, HostNotFound):
        words = f"The address of {host} could not be found{which}."
    elif isinstance(error, AnswerBrokeOff):
        words = f"The answer from {host} broke off{which}."
    else:
        words = f"Could not connect to {host}{which}."
    return Outcome(Result.TRANSIENT, words)


def _status_words(status: int) -> str:
    """"404 Not Found", or the bare number for a status without a standard name."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _http_failure(answer: FetchResult, what: str, endpoint: str | None = None) -> Outcome:
    """An error status in plain words, with the remote blog's own message when it sent one (an
    endpoint's answer; a page's error body is its design, not a message to us)."""
    result = Result.TRANSIENT if answer.status >= 500 or answer.status in RETRYABLE_HTTP else Result.FAILED
    detail = f"{what} answered {_status_words(answer.status)}."
    reason = _plain_reason(answer) if endpoint is not None else ""
    if reason and reason.lower() not in detail.lower():
        detail = f"{detail[:-1]}: “{reason}”"
    return Outcome(result, detail, endpoint=endpoint, http_status=answer.status)


def discover_target(target: str, policy: FetchPolicy) -> Endpoints | Outcome:
    """The target's endpoints, or an Outcome saying why they could not be read (a page that
    answers 404 is missing, not a page without endpoints)."""
    try:
        page = fetch(target, policy=policy)
    except FetchError as error:
        return _network_failure(error, "the linked page", target)
    if not page.ok:
        return _http_failure(page, "The page")
    return endpoints_from(page, target)


def send_webmention(endpoint: str, source: str, target: str, policy: FetchPolicy) -> Outcome:
    """POST source and target to the endpoint as a form (WM-7) and classify the answer: any 2xx is
    delivered, 5xx/408/429 and network failures are worth retrying, any other status is final.

    The endpoint URL is used as discovered: its query string stays in the URL and never moves into
    the body (WM-5, webmention.rocks test 21)."""
    body = urlencode({"source": source, "target": target}).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        answer = fetch(endpoint, policy=policy, method="POST", data=body, headers=headers)
    except FetchError as error:
        return _with_endpoint(_network_failure(error, "the webmention endpoint", endpoint), endpoint)
    if answer.ok:
        location = answer.headers.get("Location", "").strip()
        if answer.status == 201 and location:
            detail = f"Webmention accepted; the receiver's status page is {urljoin(answer.url, location)}"
        elif answer.status == 202:
            detail = "Webmention accepted; the receiver will check it later."
        else:
            detail = "Webmention accepted."
        return Outcome(Result.SENT, detail, endpoint=endpoint, http_status=answer.status)
    return _http_failure(answer, "The webmention endpoint", endpoint)


def _plain_reason(answer: FetchResult) -> str:
    """The start of an error answer as one line of plain text ("" for images and the like)."""
    if answer.content_type in ("text/html", "application/xhtml+xml"):
        text = BeautifulSoup(answer.body, "html.parser").get_text(" ")
    elif answer.content_type in TEXT_TYPES:
        text = answer.text
    else:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def send_pingback(endpoint: str, source: str, target: str, policy: FetchPolicy) -> Outcome:
    """Call pingback.ping(source, target) on the endpoint and classify the answer (PB-10..12)."""
    body = dumps_call("pingback.ping", (source, target))
    try:
        answer = fetch(
            endpoint, policy=policy, method="POST", data=body, headers={"Content-Type": "text/xml"}
        )
    except FetchError as error:
        return _with_endpoint(_network_failure(error, "the pingback server", endpoint), endpoint)
    if answer.status != 200:
        return _http_failure(answer, "The pingback server", endpoint)
    try:
        loads(answer.body)
    except xmlrpc.client.Fault as fault:
        return _fault_outcome(fault.faultCode, str(fault.faultString), endpoint)
    except MALFORMED:
        return Outcome(
            Result.FAILED, "The pingback server's answer is not XML-RPC.", endpoint=endpoint, http_status=200
        )
    return Outcome(Result.SENT, "Pingback accepted.", endpoint=endpoint, http_status=200)


def _fault_outcome(code, message: str, endpoint: str) -> Outcome:
    code = code if isinstance(code, int) else faults.GENERIC
    words = faults.describe_fault(code, message)
    if code == faults.ALREADY_REGISTERED:
        return Outcome(Result.ALREADY_REGISTERED, words, endpoint=endpoint, fault_code=code)
    result = Result.TRANSIENT if code in faults.TRANSIENT_FAULTS else Result.FAILED
    return Outcome(result, words, endpoint=endpoint, fault_code=code)


def _with_endpoint(outcome: Outcome, endpoint: str) -> Outcome:
    return Outcome(outcome.result, outcome.detail, endpoint, outcome.http_status, outcome.fault_code)


def send_trackback(
    ping_url: str, *, url: str, title: str, excerpt: str, blog_name: str, policy: FetchPolicy
) -> Outcome:
    """POST a TrackBack ping (TB-2/TB-3) in UTF-8 and read the <error> answer (TB-4/TB-5)."""
    body = urlencode({"url": url, "title": title, "excerpt": excerpt, "blog_name": blog_name}, encoding="utf-8")
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    try:
        answer = fetch(ping_url, policy=policy, method="POST", data=body.encode("ascii"), headers=headers)
    except FetchError as error:
        return _with_endpoint(_network_failure(error, "the trackback URL", ping_url), ping_url)
    if answer.status >= 500 or answer.status in RETRYABLE_HTTP:
        return _http_failure(answer, "The trackback URL", ping_url)
    try:
        root = ElementTree.fromstring(answer.body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        root = None
    error = (root.findtext("error") or "").strip() if root is not None and root.tag == "response" else ""
    if not error:  # not a TrackBack response: judge by the HTTP status, else say what came back
        if answer.status >= 400:
            return _http_failure(answer, "The trackback URL", ping_url)
        what = f"HTTP {answer.status}, {answer.content_type or 'no content type'}"
        return Outcome(
            Result.FAILED, f"The answer is not a TrackBack response ({what}).", endpoint=ping_url,
            http_status=answer.status,
        )
    if error == "0":  # TB-5: judge by <error>, not by the status code
        return Outcome(Result.SENT, "Trackback accepted.", endpoint=ping_url, http_status=answer.status)
    message = " ".join((root.findtext("message") or "").split())[:300]
    return Outcome(
        Result.FAILED,
        f"The blog refused the trackback: “{message}”" if message else "The blog refused the trackback.",
        endpoint=ping_url,
        http_status=answer.status,
    )
