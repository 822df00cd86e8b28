#!/usr/bin/env python3
"""Turns an assetpipe database URL into one psql (libpq) accepts.

usage: pgurl.py URL   prints the libpq URL

assetpipe's URL takes `search_path=SCHEMA` and `pool_size=N`, which libpq
refuses; the schema becomes `options=-csearch_path=SCHEMA`, the pool size is
dropped, `host=/socket/dir` is kept.
"""
import sys
import urllib.parse


def libpq_url(url):
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    kept = {}
    if "host" in query:
        kept["host"] = query["host"]
    if query.get("search_path"):
        kept["options"] = "-csearch_path=" + query["search_path"]
    return urllib.parse.urlunsplit(("postgresql", parts.netloc, parts.path, urllib.parse.urlencode(kept), ""))


if __name__ == "__main__":
    print(libpq_url(sys.argv[1]))
