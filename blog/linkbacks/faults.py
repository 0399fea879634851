"""Pingback fault codes, named after the spec (LINKBACKS.md PB-12), and what each means in plain
words for an author reading their post's delivery status.

Exceptions raised by our own pingback server (issue "Incoming linkbacks") derive from
PingbackFault; a fault received from a remote server is a value in a delivery outcome."""

from __future__ import annotations

GENERIC = 0
SOURCE_NOT_FOUND = 16
SOURCE_LACKS_LINK = 17
TARGET_NOT_FOUND = 32
TARGET_CANNOT_BE_USED = 33
ALREADY_REGISTERED = 48
ACCESS_DENIED = 49
UPSTREAM_ERROR = 50
# generic XML-RPC interoperability codes
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

TRANSIENT_FAULTS = {UPSTREAM_ERROR}

PLAIN_WORDS = {
    GENERIC: "The blog refused the pingback without saying why (fault 0; WordPress answers every refusal so).",
    SOURCE_NOT_FOUND: "The blog could not fetch our post to check it (fault 16: source not found).",
    SOURCE_LACKS_LINK: "The blog did not find a link to its page in our post (fault 17).",
    TARGET_NOT_FOUND: "The linked page does not exist on that blog (fault 32).",
    TARGET_CANNOT_BE_USED: "The linked page does not accept pingbacks (fault 33).",
    ALREADY_REGISTERED: "The blog already had this pingback (fault 48).",
    ACCESS_DENIED: "The blog denied access (fault 49).",
    UPSTREAM_ERROR: "The blog could not reach an upstream server (fault 50).",
    METHOD_NOT_FOUND: "The endpoint does not offer pingback.ping (fault -32601).",
    INVALID_PARAMS: "The endpoint rejected the call's parameters (fault -32602).",
    PARSE_ERROR: "The endpoint could not parse our call (fault -32700).",
}


def describe_fault(code: int, message: str) -> str:
    """The fault in words for the author, with the remote message when it adds something."""
    words = PLAIN_WORDS.get(code, f"The blog answered with fault {code}.")
    message = " ".join((message or "").split())[:300]
    if message and message.lower() not in words.lower():
        words += f" It said: “{message}”"
    return words


class PingbackFault(Exception):
    """A fault our pingback server answers with."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
