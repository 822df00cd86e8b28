#!/usr/bin/env python3
"""The HTTP fuzzer of scripts/fuzz-serve: COUNT generated and mutated requests
against a running `assetpipe serve` on 127.0.0.1, over every route of its
openapi.json.

usage: fuzz-serve.py --port P --pid PID --openapi FILE --catalog SQLITE --root DIR
                     --token T [--count N] [--seed S] [--threads N]

Request i is made from random.Random(SEED, i) alone, so a failure replays with
the same seed (`--only i`). Render queries use the real parameter names with
valid, boundary and hostile values; bodies are valid job and edit bodies,
mutated (types swapped, keys dropped or added, numbers at Int.max, deep
nesting, truncation, random bytes); headers and methods are odd on purpose.

Fails (exit 1) on any 5xx but 503 `busy` (the render gate), on a well-formed
request that gets no answer, on an error body that is not
{"error": {"code", "message"}}, and when the process is gone. Python 3
standard library only.
"""
import argparse
import collections
import http.client
import json
import os
import random
import socket
import sqlite3
import sys
import threading
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--pid", type=int, required=True)
parser.add_argument("--openapi", required=True)
parser.add_argument("--catalog", required=True)
parser.add_argument("--root", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--count", type=int, default=10000)
parser.add_argument("--seed", type=int, default=12)
parser.add_argument("--threads", type=int, default=4)
parser.add_argument("--only", type=int, help="send request number ONLY alone and print it")
parser.add_argument("--slow-ms", type=float, default=5000,
                    help="answers later than this are listed as slow (the server's render wait + timeout + 1 s)")
options = parser.parse_args()

document = json.load(open(options.openapi))
render_parameters = {p["name"]: p.get("schema", {}) for p in document["paths"]["/v1/assets/{id}/render"]["get"]["parameters"]
                     if p["in"] == "query"}
routes = [(method.upper(), path) for path, operations in document["paths"].items() for method in operations]

catalog = sqlite3.connect(f"file:{options.catalog}?mode=ro", uri=True)
assets = [(row[0], row[1], row[2], row[3]) for row in catalog.execute("SELECT id, path, kind, status FROM asset")]
images = [a[0] for a in assets if a[2] == "image" and a[3] == "processed"] or ["none"]
asset_ids = [a[0] for a in assets] or ["none"]
asset_paths = [a[1] for a in assets] or ["/none"]
rendition_names = sorted({r["name"] for (record,) in catalog.execute("SELECT record FROM asset")
                          for r in (json.loads(record).get("renditions") or [])}) or ["thumb"]
catalog.close()
origins = [os.path.join(options.root, name) for name in sorted(os.listdir(options.root))]
job_ids = []  # filled in as jobs are queued
job_lock = threading.Lock()

INT_MAX, INT_MIN = 9223372036854775807, -9223372036854775808
HOSTILE_STRINGS = [
    "", " ", "0", "-1", "1e309", "NaN", "inf", "-inf", "0x10", "1_000", "٣", "\uff10\uff10\uff10", "\uff41\uff42\uff43",
    str(INT_MAX), str(INT_MIN), str(INT_MAX) + "0", "9" * 400, "1.7976931348623157e308", "4.9e-324", "-0", "+5", "5 ",
    "%00", "\x00", "a\x00b", "\r\n", "\n", "\t", "../../../etc/passwd", "/etc/shadow", "..%2f..%2f", "%ZZ", "%", "%%",
    "<span font=\"sans 200\">x</span>", "<b>", "&amp;", "'\"`", "${jndi:ldap://x}", "$(id)", "😀" * 3, "e\u0301" * 50,
    "\u202e", "\ufeff", "\ud7ff", "A" * 501, "A" * 5000, "#fff", "#ffffffff", "fff", "ffffffff", "ffffff00", "#",
    "1,2,3,4", "0,0,1,1", f"{INT_MAX},0,1,1", f"0,0,{INT_MAX},{INT_MAX}", "1,1,1", "1,1,1,1,1", "-1,0,1,1", ",,,",
    "contain", "cover", "fill", "pad", "attention", "entropy", "hv", "webp", "avif", "png", "jpeg", "JPEG", "top-left",
]


def pick_value(rng, name, schema):
    """A value for render parameter `name`: valid from its schema, at its
    bounds, just past them, or hostile."""
    roll = rng.random()
    kind = schema.get("type")
    if roll < 0.55:
        if "enum" in schema:
            return str(rng.choice(schema["enum"]))
        if kind == "integer":
            low, high = schema.get("minimum", 0), schema.get("maximum", 1000)
            # Mostly small, so that most renders are cheap enough to run.
            return str(rng.choice([rng.randint(low, min(high, low + 600)), low, high, rng.randint(low, high)]))
        if kind == "number":
            low, high = schema.get("minimum", 0), schema.get("maximum", 10)
            return repr(round(rng.uniform(low, high), rng.choice([0, 1, 3, 6])))
        if name in ("bg", "txt-color"):
            return "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.choice([3, 4, 6, 8])))
        if name == "rect":
            return ",".join(str(rng.randint(0, 1600)) for _ in range(2)) + "," + ",".join(str(rng.randint(1, 1600)) for _ in range(2))
        if name == "mark":
            return rng.choice(images + asset_ids)
        if name == "txt-font":
            return rng.choice(["sans", "serif bold", "DejaVu Sans, italic", "monospace 12", "x" * 100])
        if name == "txt":
            return " ".join(rng.choice(["hello", "wörld", "日本", "😀", "<i>", "&", "\n"]) for _ in range(rng.randint(1, 12)))
        return rng.choice(HOSTILE_STRINGS)
    if roll < 0.75 and kind in ("integer", "number"):
        low, high = schema.get("minimum", 0), schema.get("maximum", 100)
        return str(rng.choice([low - 1, high + 1, 0, -1, INT_MAX, INT_MIN, high * 1000, low - 0.5, high + 0.001]))
    return rng.choice(HOSTILE_STRINGS)


def render_query(rng):
    names = list(render_parameters)
    pairs = []
    for _ in range(rng.choice([0, 1, 2, 3, 3, 4, 5, 8])):
        name = rng.choice(names)
        pairs.append((name, pick_value(rng, name, render_parameters[name])))
    if rng.random() < 0.1:
        pairs.append((rng.choice(["width", "W", "w ", "txt_size", "", "=", "s[]", "\uff57"]), "1"))
    if rng.random() < 0.05 and pairs:
        pairs.append(pairs[0])  # a duplicate
    if rng.random() < 0.1:
        pairs.append(("s", rng.choice(["0" * 64, "\uff10" * 64, "g" * 64, "", "0" * 63, "0" * 65])))
    if not pairs and rng.random() < 0.5:
        return ""
    return "&".join(encode(rng, name) + ("" if rng.random() < 0.03 else "=" + encode(rng, value)) for name, value in pairs)


def encode(rng, text):
    """Percent-encoded as a browser would, or raw where that still makes a
    request line: some bytes sent as written, some double-encoded."""
    roll = rng.random()
    if roll < 0.8:
        return urllib.parse.quote(text, safe=",#" if rng.random() < 0.5 else "")
    if roll < 0.9:
        return urllib.parse.quote(urllib.parse.quote(text, safe=""), safe="")
    return "".join(c if c.isascii() and c.isprintable() and c not in " #?&" else urllib.parse.quote(c) for c in text)


def asset_id(rng):
    roll = rng.random()
    if roll < 0.75:
        return rng.choice(images if rng.random() < 0.7 else asset_ids)
    return rng.choice(["none", "..", "%2e%2e", "..%2F..%2Fcatalog.sqlite", "%00", "x" * 300, "%F0%9F%98%80",
                       asset_ids[0].upper(), asset_ids[0] + "%00", asset_ids[0][:-1], "00000000-0000-0000-0000-000000000000",
                       urllib.parse.quote(asset_paths[0], safe=""), "%uff10", "%"])


def job_body(rng):
    kind = rng.choice(["process", "refresh", "delete", "edit", "process", "refresh", "unknown", "PROCESS", ""])
    body = {"kind": kind}
    if kind.lower() == "process" or rng.random() < 0.2:
        body["origin"] = rng.choice(origins + ["/etc/shadow", "/etc/passwd", "relative.jpg", "", "/", options.root,
                                               options.root + "/../../etc/shadow", "/proc/self/environ", "/dev/zero",
                                               "/dev/stdin", options.root + "/photo.jpg\u0000.txt"])
    if kind in ("refresh", "edit") or rng.random() < 0.2:
        body["asset_id"] = rng.choice(asset_ids + ["none", ""])
    if kind == "delete":
        # Deletes only of what does not exist, so the fuzzed catalog stays.
        body["asset_id"] = rng.choice(["none", "", "00000000-0000-0000-0000-000000000000", "../x"])
    if rng.random() < 0.3:
        body["as"] = rng.choice(["fuzz/a.jpg", "", "../../x", "/abs", "a" * 2000, "\u0000"])
    if rng.random() < 0.3:
        body["on_conflict"] = rng.choice(["reject", "version", "rename", "overwrite", "", 1])
    if rng.random() < 0.4:
        body["priority"] = rng.choice([0, 10, -1000, 1000, 1001, -1001, INT_MAX, INT_MIN, 1.5, "1", None, True])
    if rng.random() < 0.4:
        body["max_attempts"] = rng.choice([1, 5, 50, 0, 51, -1, INT_MAX, INT_MIN, 2.0, "5", None])
    return body


def edit_body(rng):
    ops = {}
    names = list(render_parameters)
    for _ in range(rng.choice([0, 1, 2, 3, 4, 6])):
        name = rng.choice(names)
        value = pick_value(rng, name, render_parameters[name])
        if rng.random() < 0.5:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        ops[name] = value
    body = {"ops": ops}
    if rng.random() < 0.3:
        body["save_as"] = rng.choice(["fuzz/edit.jpg", "", "../../x", "/etc/x", "a" * 3000])
    if rng.random() < 0.2:
        body["on_conflict"] = rng.choice(["reject", "version", "rename", "x"])
    if rng.random() < 0.3:
        body["priority"] = rng.choice([0, 10, 1000, 1001, INT_MAX, -INT_MAX, None, "x"])
    return body


def mutate(rng, value, depth=0):
    """A JSON value changed at random: types swapped, keys dropped or added,
    numbers at the edges, nesting deepened."""
    roll = rng.random()
    if isinstance(value, dict) and value and roll < 0.5:
        copy = dict(value)
        key = rng.choice(list(copy))
        action = rng.random()
        if action < 0.3:
            del copy[key]
        elif action < 0.7:
            copy[key] = mutate(rng, copy[key], depth + 1)
        else:
            copy[rng.choice(["kind", "ops", "extra", "", "\u0000", "origin", "asset_id"])] = mutate(rng, None, depth + 1)
        return copy
    if roll < 0.7:
        return rng.choice([None, True, False, 0, -1, INT_MAX, INT_MAX + 1, INT_MIN - 1, 1e308, -1e308, 0.1, "", "x" * 10,
                           [], {}, [value], {"a": value}, "\ud800" if depth > 5 else "\uffff", 2 ** 64, 10 ** 30])
    return value


def nested(depth):
    return "[" * depth + "]" * depth


def body_bytes(rng, body):
    roll = rng.random()
    if roll < 0.55:
        return json.dumps(body)
    if roll < 0.75:
        return json.dumps(mutate(rng, body))
    if roll < 0.82:
        text = json.dumps(body)
        return text[: rng.randint(0, len(text))]
    if roll < 0.86:
        return nested(rng.choice([10, 100, 1000, 10000]))
    if roll < 0.9:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
    if roll < 0.92:
        return '{"kind": "refresh", "asset_id": "' + "a" * (1 << 20) + '"}'  # over 1 MiB
    if roll < 0.95:
        return json.dumps(body).replace('"', "'")
    return rng.choice(["", "null", "[]", "0", '"x"', "{}", '{"kind": null}', '{"ops": []}', '{"ops": {"w": {}}}',
                       '{"kind": "process", "origin": "/etc/shadow", "kind": "refresh"}', "\ufeff{}", "{\"a\":1e99999}"])


def headers_for(rng, method, has_body):
    headers = {}
    roll = rng.random()
    if roll < 0.8:
        headers["Authorization"] = f"Bearer {options.token}"
    elif roll < 0.9:
        headers["Authorization"] = rng.choice(["Bearer", "Bearer ", "bearer " + options.token, "Basic eDp4",
                                               "Bearer " + options.token + "x", "Bearer " + "x" * 5000,
                                               "Bearer " + options.token[:-1]])
    if has_body:
        roll = rng.random()
        if roll < 0.8:
            headers["Content-Type"] = rng.choice(["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"])
        elif roll < 0.95:
            headers["Content-Type"] = rng.choice(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                                  "application/jsonx", "", "application/json;", ";", "*/*"])
    if rng.random() < 0.08:
        headers["Origin"] = rng.choice(["http://evil.example", "null", f"http://127.0.0.1:{options.port}", "file://",
                                        "http://localhost", "%%%"])
    if rng.random() < 0.08:
        headers["If-None-Match"] = rng.choice(['"x"', "*", '"' + "a" * 40 + '"', "W/\"x\", *", ""])
    if rng.random() < 0.05:
        headers["Accept"] = rng.choice(["*/*", "image/avif", "text/html", ""])
    if rng.random() < 0.05:
        headers["Range"] = rng.choice(["bytes=0-10", "bytes=-1", "bytes=99999999-"])
    if rng.random() < 0.03:
        headers["X-Forwarded-For"] = "127.0.0.1, evil"
    if rng.random() < 0.02:
        headers["X-Junk"] = "x" * rng.choice([100, 8000])
    return headers


def host_for(rng):
    roll = rng.random()
    if roll < 0.9:
        return f"127.0.0.1:{options.port}"
    return rng.choice(["localhost", "LOCALHOST:1", "[::1]:80", "evil.example", "", "127.0.0.1.nip.io", "localhost.",
                       "127.0.0.1:" + "9" * 20, "[::1", "a b"])


def make_request(index):
    """Request number `index`: (method, target, headers, body, host, well_formed)."""
    rng = random.Random(options.seed * 1_000_003 + index)
    method, path = rng.choice(routes + [("GET", "/v1/assets/{id}/render")] * 6)
    if rng.random() < 0.05:
        method = rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "GET", "POST"])
    target = path.replace("{id}", asset_id(rng) if not path.startswith("/v1/jobs") else
                          rng.choice((job_ids[-50:] or ["none"]) + ["none", "%00", "..", "x" * 200]))
    target = target.replace("{name}", rng.choice(rendition_names + ["..", "%2e%2e%2fcatalog.sqlite", "thumb%00", "THUMB", "x"]))
    body = None
    if path == "/v1/assets/{id}/render":
        query = render_query(rng)
        target += "?" + query if query or rng.random() < 0.1 else ""
    elif path == "/v1/assets":
        value = rng.choice(asset_paths + HOSTILE_STRINGS)
        target += rng.choice(["?path=" + encode(rng, value), "?path=" + encode(rng, value) + "%00x", "", "?path",
                              "?path=" + encode(rng, value) + "&path=x", "?PATH=" + encode(rng, value)])
    elif rng.random() < 0.1:
        target += "?" + render_query(rng)
    if method == "POST" or (method in ("PUT", "PATCH") and rng.random() < 0.5):
        body = body_bytes(rng, edit_body(rng) if path.endswith("/edits") else job_body(rng))
    if rng.random() < 0.03:
        target = rng.choice(["/", "/v1", "/v1/", "/v1/assets/", "//v1/assets", "/v1/assets/%2F", "/v1/./assets",
                             "/v1/assets/" + asset_id(rng) + "/", "/v1/assets/" + asset_id(rng) + "/renditions/",
                             "/metrics?x=" + "%" * 10, "/healthz?" + "a=1&" * 500, "/" + "a/" * 300, "*"])
    if rng.random() < 0.01:
        return ("RAW", target, {}, raw_request(rng, target), None, False)
    return (method, target, headers_for(rng, method, body is not None), body, host_for(rng), True)


def raw_request(rng, target):
    """Malformed HTTP/1.1 (the server may answer 400 or close)."""
    return rng.choice([
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
        f"GET {target} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
        f"GET {target}\r\n\r\n",
        "GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
        "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        "GET / HTTP/1.1\r\n" + "X: " + "y" * 100000 + "\r\n\r\n",
        "\x00\x01\x02\x03\r\n\r\n",
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"H{i}: v\r\n" for i in range(2000)) + "\r\n",
    ]).encode("utf-8", "surrogatepass")


def send(spec, timeout=30):
    method, target, headers, body, host, _ = spec
    started = time.monotonic()
    if method == "RAW":
        try:
            with socket.create_connection(("127.0.0.1", options.port), timeout=5) as connection:
                connection.sendall(body)
                connection.shutdown(socket.SHUT_WR)
                data = connection.recv(200)
            status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        except (OSError, ValueError, IndexError):
            status = 0
        return status, b"", {}, time.monotonic() - started
    connection = http.client.HTTPConnection("127.0.0.1", options.port, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        for name, value in headers.items():
            connection.putheader(name, value.encode("utf-8", "surrogatepass"))
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        if data is not None:
            connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        payload = response.read()
        return response.status, payload, dict((k.lower(), v) for k, v in response.getheaders()), time.monotonic() - started
    except (OSError, http.client.HTTPException, UnicodeError) as error:
        # The server may stop reading an over-large body and answer 413 at once.
        return 0, str(error).encode(), {}, time.monotonic() - started
    finally:
        connection.close()


def describe(spec):
    method, target, headers, body, host, _ = spec
    shown = body[:200] if isinstance(body, (str, bytes)) else body
    return f"{method} {target[:300]!r} host={host!r} headers={ {k: v[:80] for k, v in headers.items()} } body={shown!r}"


statuses = collections.Counter()
classes = collections.Counter()
failures = []
slow = []
slowest = [0.0, ""]
lock = threading.Lock()


def judge(index, spec, status, payload, headers, elapsed):
    problem = None
    well_formed = spec[5]
    if status >= 500:
        code = None
        try:
            code = json.loads(payload)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            pass
        if not (status == 503 and code == "busy"):
            problem = f"{status} {payload[:200]!r}"
    elif status == 0 and well_formed:
        over_large = isinstance(spec[3], str) and len(spec[3]) > (1 << 20)
        if not over_large:
            problem = f"no answer: {payload[:200]!r}"
    elif status >= 400 and headers.get("content-type", "").startswith("application/json") and spec[0] != "HEAD":
        try:
            error = json.loads(payload)["error"]
            if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
                raise KeyError
        except (ValueError, KeyError, TypeError, AttributeError):
            problem = f"{status} error body not {{\"error\": {{code, message}}}}: {payload[:200]!r}"
    with lock:
        statuses[status] += 1
        classes["no answer" if status == 0 else f"{status // 100}xx"] += 1
        if elapsed > slowest[0]:
            slowest[0], slowest[1] = elapsed, f"{spec[0]} {spec[1][:120]} → {status}"
        if problem:
            failures.append((index, problem, describe(spec)))
        if elapsed * 1000 > options.slow_ms and spec[0] != "RAW":
            slow.append((elapsed, index, status, describe(spec)))
        if status == 202 and spec[1].startswith("/v1/jobs"):
            try:
                with job_lock:
                    job_ids.append(json.loads(payload)["id"])
            except (ValueError, KeyError, TypeError):
                pass


def alive():
    try:
        os.kill(options.pid, 0)
    except OSError:
        return False
    status, _, _, _ = send(("GET", "/healthz", {}, None, f"127.0.0.1:{options.port}", True), timeout=10)
    return status == 200


if options.only is not None:
    spec = make_request(options.only)
    print(describe(spec))
    status, payload, headers, elapsed = send(spec)
    print(status, payload[:500], f"{elapsed * 1000:.0f} ms")
    sys.exit(0)

started = time.monotonic()
next_index = [0]
dead = threading.Event()


def worker():
    while not dead.is_set():
        with lock:
            index = next_index[0]
            if index >= options.count:
                return
            next_index[0] += 1
        spec = make_request(index)
        status, payload, headers, elapsed = send(spec)
        judge(index, spec, status, payload, headers, elapsed)
        if status == 0 and index % 50 == 0 and not alive():
            dead.set()


threads = [threading.Thread(target=worker) for _ in range(options.threads)]
for thread in threads:
    thread.start()
last_report = time.monotonic()
while any(thread.is_alive() for thread in threads):
    time.sleep(0.5)
    if time.monotonic() - last_report > 15:
        last_report = time.monotonic()
        print(f"  ... {next_index[0]} of {options.count} sent", file=sys.stderr, flush=True)
for thread in threads:
    thread.join()
elapsed = time.monotonic() - started
still_alive = alive()

sent = sum(statuses.values())
print(f"fuzz-serve: {sent} requests (seed {options.seed}, {options.threads} threads) in {elapsed:.1f} s, "
      f"{sent / max(elapsed, 0.001):.0f}/s; slowest {slowest[0] * 1000:.0f} ms ({slowest[1]})")
print("  by class:  " + ", ".join(f"{name} {count}" for name, count in sorted(classes.items())))
print("  by status: " + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items())))
for index, problem, what in failures[:20]:
    print(f"  FAIL #{index}: {problem}\n        {what}")
if len(failures) > 20:
    print(f"  ... and {len(failures) - 20} more failures")
# Not failures (the acceptance is about statuses), but a bound the server promises.
print(f"  answers later than {options.slow_ms / 1000:.0f} s (render wait + timeout + 1 s): {len(slow)}")
for elapsed_s, index, status, what in sorted(slow, reverse=True)[:5]:
    print(f"    SLOW #{index}: {status} after {elapsed_s:.1f} s: {what[:260]}")
print(f"  process {'alive (/healthz 200)' if still_alive else 'DEAD or not answering'}")
sys.exit(0 if still_alive and not failures and sent == options.count else 1)
