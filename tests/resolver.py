"""A name resolver for crawls under test (``-s TWISTED_DNS_RESOLVER=tests.resolver.Recording``):
it writes every host name the crawl looks up to the file named by ``$WIRECRAWL_TEST_DNS_LOG``
and resolves only IP addresses. A crawl that goes through its proxy looks up no name (the
proxy's address is one), so a name in the log is a connection the crawl tried to make around
its proxy; and no lookup ever leaves the machine."""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

LOG_VARIABLE = "WIRECRAWL_TEST_DNS_LOG"
SETTING = ("-s", "TWISTED_DNS_RESOLVER=tests.resolver.Recording")


@implementer(IResolverSimple)
class Recording(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802
        log = os.environ.get(LOG_VARIABLE)
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(name + "\n")
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return defer.fail(DNSLookupError(f"a test crawl looks up no name ({name})"))
        return defer.succeed(name)


def names_looked_up(log: str | os.PathLike[str]) -> list[str]:
    """The host names (not addresses) in a log the resolver wrote, in order."""
    try:
        with open(log, encoding="utf-8") as lines:
            names = lines.read().split()
    except FileNotFoundError:
        return []
    return [name for name in names if not _is_address(name)]


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
