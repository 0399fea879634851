"""XML-RPC on the wire: the standard library's marshalling, parsed through defusedxml's expat
parser so that entity expansion (billion laughs) and external entities are refused."""

from __future__ import annotations

import xmlrpc.client
from xml.parsers.expat import ExpatError

from defusedxml.common import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser

# Everything a malformed or hostile document raises (Fault is separate: it is a valid answer). Besides
# parse errors: LookupError for an unknown encoding declared, or a <struct> member or <fault> without
# its parts (IndexError in the unmarshaller); ArithmeticError for a <bigdecimal> that is no number.
MALFORMED = (
    ExpatError, xmlrpc.client.ResponseError, DefusedXmlException, ValueError, TypeError, LookupError, ArithmeticError,
)


def loads(data: bytes) -> tuple[tuple, str | None]:
    """Like xmlrpc.client.loads, defused (no DTDs at all). Raises xmlrpc.client.Fault for a fault
    response and one of MALFORMED for anything that is not well-formed XML-RPC."""
    unmarshaller = xmlrpc.client.Unmarshaller(use_datetime=False, use_builtin_types=False)
    parser = DefusedExpatParser(unmarshaller, forbid_dtd=True)
    parser.feed(data)
    parser.close()
    return unmarshaller.close(), unmarshaller.getmethodname()


def dumps_call(method: str, params: tuple) -> bytes:
    return xmlrpc.client.dumps(params, method, encoding="utf-8").encode("utf-8")
