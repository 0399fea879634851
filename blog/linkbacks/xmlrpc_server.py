"""Our XML-RPC endpoint's dispatch: exactly pingback.ping, pingback.extensions.getPingbacks and
system.listMethods (no system.multicall, the amplification vector), on the standard library's
dispatcher, with requests parsed through defusedxml and every failure a proper fault."""

from __future__ import annotations

import inspect
import logging
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCDispatcher

from . import faults
from .faults import PingbackFault
from .receiving import Caller, accept_pingback, pingbacks_of
from .xmlrpc_wire import MALFORMED, loads

log = logging.getLogger(__name__)


class PingbackDispatcher(SimpleXMLRPCDispatcher):
    """The three methods for one call, bound to the caller; faults as the spec's codes."""

    def __init__(self, caller: Caller):
        super().__init__(allow_none=False, encoding="utf-8", use_builtin_types=False)
        self.register_function(lambda source, target: accept_pingback(source, target, caller), "pingback.ping")
        self.register_function(lambda url: pingbacks_of(url, caller.base_url), "pingback.extensions.getPingbacks")
        self.register_function(lambda: sorted(self.funcs), "system.listMethods")

    def _marshaled_dispatch(self, data, dispatch_method=None, path=None) -> bytes:
        try:
            params, method = loads(data)
        except xmlrpc.client.Fault:
            return _fault(faults.INVALID_REQUEST, "A fault is not a method call.")
        except MALFORMED:
            return _fault(faults.PARSE_ERROR, "Parse error: the request is not well-formed XML-RPC.")
        if not method or method not in self.funcs:
            return _fault(faults.METHOD_NOT_FOUND, f"Server error: requested method {method!r} does not exist.")
        try:
            inspect.signature(self.funcs[method]).bind(*params)
        except TypeError:
            return _fault(faults.INVALID_PARAMS, f"Wrong number of parameters for {method}.")
        try:
            result = self._dispatch(method, params)
        except PingbackFault as fault:
            return _fault(fault.code, fault.message)
        except Exception:
            log.exception("XML-RPC method %s failed", method)
            return _fault(faults.INTERNAL_ERROR, "Internal error.")
        return xmlrpc.client.dumps((result,), methodresponse=True, encoding="utf-8").encode("utf-8")


def _fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True, encoding="utf-8").encode()


def handle_xmlrpc(body: bytes, caller: Caller) -> bytes:
    """The XML-RPC answer (a value or a fault) to one request body."""
    return PingbackDispatcher(caller)._marshaled_dispatch(body)


def too_large_answer(limit: int) -> bytes:
    return _fault(faults.INVALID_REQUEST, f"The request is larger than {limit} bytes.")
