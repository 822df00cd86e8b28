#!/usr/bin/env python3
"""The HTTP half of scripts/attack-serve: hostile requests against a running
`assetpipe serve` on 127.0.0.1, one phase per server configuration.

usage: attack-serve.py PHASE --port P --pid PID --bin ASSETPIPE --work DIR --data DIR
                       --asset ID --asset-path PATH [--token T] [--keys K] [--root DIR]
                       [--vanished ID] [--render-timeout S] [--repo DIR]

PHASE is `token` (an API token, --origin-root, workers), `signing` (signing
keys and a token) or `open` (neither token nor --insecure). Prints one line per
check, `ok|FAIL  what  (status, ms)`; scripts/attack-serve counts them. Python
3 standard library only; `vips` (libvips-tools) measures the text overlay.
"""
import argparse
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("phase", choices=["token", "signing", "open", "slow"])
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--pid", type=int, required=True)
parser.add_argument("--bin", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--repo", default=os.getcwd())
parser.add_argument("--asset", required=True)
parser.add_argument("--asset-path", required=True)
parser.add_argument("--vanished")
parser.add_argument("--token")
parser.add_argument("--keys")
parser.add_argument("--root")
parser.add_argument("--render-timeout", type=float, default=2)
options = parser.parse_args()

PORT, ASSET = options.port, options.asset
# Every body the server sent that a client must not learn server paths from:
# errors and job records. Checked at the end of the phase.
watched_bodies = []


class Answer:
    def __init__(self, status, headers, body, ms):
        self.status, self.headers, self.body, self.ms = status, headers, body, ms

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def code(self):
        document = self.json()
        return ((document or {}).get("error") or {}).get("code") if isinstance(document, dict) else None


def request(method, target, headers=None, body=None, host=None, timeout=60):
    """One request with exactly the target and headers given (no
    normalisation: `%00`, odd hosts and raw bytes go out as written)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{PORT}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        data = body.encode() if isinstance(body, str) else body
        if data is not None:
            connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        payload = response.read()
        answer = Answer(response.status, dict(response.getheaders()), payload, (time.monotonic() - started) * 1000)
    except (OSError, http.client.HTTPException) as error:
        answer = Answer(0, {}, str(error).encode(), (time.monotonic() - started) * 1000)
    finally:
        connection.close()
    if answer.status >= 400 or target.startswith("/v1/jobs"):
        watched_bodies.append((f"{method} {target[:80]}", answer.body))
    return answer


def report(passed, what, status, ms, note=""):
    mark = "ok" if passed else "FAIL"
    print(f"{mark:<4}  {what}  ({status}, {ms:.0f} ms){'  ' + note if note else ''}", flush=True)
    return passed


def check(what, answer, statuses, within_ms=1000, codes=None, note=""):
    """Passes when the status is one of `statuses`, within `within_ms`, and
    (when given) the error code is one of `codes`."""
    statuses = statuses if isinstance(statuses, (list, tuple, set)) else [statuses]
    passed = answer.status in statuses and answer.ms <= within_ms
    if codes is not None and answer.code() not in codes:
        passed = False
    if not passed and not note:
        note = f"wanted {'/'.join(map(str, statuses))}{' ' + '/'.join(codes) if codes else ''} within {within_ms} ms; " \
               f"got {answer.body[:160]!r}"
    return report(passed, what, answer.status, answer.ms, note)


def alive(what="process alive"):
    return check(f"{what}: GET /healthz", request("GET", "/healthz"), 200)


def q(text):
    return urllib.parse.quote(text, safe="")


def cpu_seconds():
    fields = open(f"/proc/{options.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bearer():
    return {"Authorization": f"Bearer {options.token}"}


JSON = {"Content-Type": "application/json"}
render = f"/v1/assets/{ASSET}/render"
fullwidth_zero = "\uff10"


def signed(path):
    """`path` signed by `assetpipe sign` under the phase's keys."""
    environment = dict(os.environ, ASSETPIPE_SIGNING_KEYS=options.keys)
    return subprocess.run([options.bin, "sign", path], env=environment, check=True,
                          capture_output=True, text=True).stdout.strip()


def wait_for_job(job_id, headers, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        document = request("GET", f"/v1/jobs/{job_id}", headers).json() or {}
        if document.get("state") in ("succeeded", "failed", "dead", "cancelled"):
            return document
        time.sleep(0.2)
    return {}


def text_change_height(with_text, without_text):
    """Height in pixels of the box where two renders differ, by libvips."""
    a, b = os.path.join(options.work, "text-a.png"), os.path.join(options.work, "text-b.png")
    open(a, "wb").write(with_text)
    open(b, "wb").write(without_text)
    diff, absolute = os.path.join(options.work, "text-diff.v"), os.path.join(options.work, "text-abs.v")
    subprocess.run(["vips", "subtract", a, b, diff], check=True)
    subprocess.run(["vips", "abs", diff, absolute], check=True)
    box = subprocess.run(["vips", "find_trim", absolute, "--threshold", "30", "--background", "0"],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(box[2]), int(box[3])


# MARK: - checks that hold in every phase: traps on lookalike hex digits

def lookalike_colours():
    for name in ("bg", "txt-color"):
        extra = "&txt=hello" if name == "txt-color" else ""
        answer = request("GET", f"{render}?w=100{extra}&{name}={q(fullwidth_zero * 3)}")
        check(f"{name}=３ fullwidth digits → 400 invalid_value", answer, 400, codes=["invalid_value"])
        alive(f"after {name}=fullwidth")


# MARK: - phase `token`: a token, --origin-root, a worker in the process

def phase_token():
    token = bearer()
    root = options.root
    lookalike_colours()

    answer = request("GET", f"{render}?rect=9223372036854775807,0,1,1")
    check("render rect=9223372036854775807,0,1,1 → 400", answer, 400, codes=["invalid_value"])
    for ops, what in (({"rect": "9223372036854775807,0,1,1"}, "rect=Int.max,0,1,1"),
                      ({"rect": "1,9223372036854775807,9223372036854775807,1"}, "rect=1,Int.max,Int.max,1"),
                      ({"w": 9223372036854775807}, "w=Int.max"),
                      ({"w": 1e308, "dpr": 4}, "w=1e308")):
        answer = request("POST", f"/v1/assets/{ASSET}/edits", {**JSON, **token}, json.dumps({"ops": ops}))
        check(f"saved edit {what} (with token) → 400", answer, 400)
    alive("after the overflowing crops")

    # Costs: refused before a slot is taken, in milliseconds.
    answer = request("GET", f"{render}?blur=100&dpr=2&w=2000&h=2000&fit=fill")
    check("blur=100&dpr=2&w=2000&h=2000&fit=fill → 422 too_costly within 1 s", answer, 422, codes=["too_costly"])
    words = " ".join(f"word{i}" for i in range(30))
    answer = request("GET", f"{render}?txt={q(words)}&txt-size=512&dpr=4")
    check("30 words at txt-size=512&dpr=4 → 422 too_costly", answer, 422, codes=["too_costly"])
    markup = '<span font="sans 200">HUGE</span>'
    plain = request("GET", f"{render}?w=800&fm=png")
    marked = request("GET", f"{render}?w=800&fm=png&txt={q(markup)}")
    if marked.status == 200 and plain.status == 200:
        width, height = text_change_height(marked.body, plain.body)
        # 32 px text (the default size): one line, well under 80 px; as Pango
        # markup it would be 200 pt, some 250 px.
        report(0 < height <= 80 and width > 0, f"txt={markup} renders as plain 32 px text (changed box {width}x{height} px)",
               marked.status, marked.ms)
    else:
        check(f"txt={markup} → 200", marked, 200)

    if os.environ.get("ATTACK_PENDING") == "1":
        pending_checks()

    # The origin roots: nothing outside them, nothing but regular files.
    for origin, what in (("/etc/shadow", "/etc/shadow"), (f"{root}/../../../../etc/shadow", "ROOT/../../etc/shadow"),
                         (f"{root}/shadow-link", "a symlink in the root to /etc/shadow")):
        body = json.dumps({"kind": "process", "origin": origin})
        check(f"POST /v1/jobs origin {what} (with token) → 403", request("POST", "/v1/jobs", {**JSON, **token}, body), 403,
              codes=["origin_not_allowed"])
    body = json.dumps({"kind": "process", "origin": "/etc/shadow"})
    check("POST /v1/jobs origin /etc/shadow (no token) → 401", request("POST", "/v1/jobs", JSON, body), [401, 403])
    check("POST /v1/jobs origin /etc/shadow (wrong token) → 401",
          request("POST", "/v1/jobs", {**JSON, "Authorization": "Bearer x" + options.token}, body), [401, 403])
    fifo = request("POST", "/v1/jobs", {**JSON, **token}, json.dumps({"kind": "process", "origin": f"{root}/fifo"}))
    check("POST /v1/jobs origin a FIFO in the root → 422 not_regular_file", fifo, 422, codes=["not_regular_file"])
    check("POST text/plain (with token) → 415",
          request("POST", "/v1/jobs", {"Content-Type": "text/plain", **token}, json.dumps({"kind": "refresh", "asset_id": ASSET})),
          415)
    check("POST form-encoded (with token) → 415",
          request("POST", "/v1/jobs", {"Content-Type": "application/x-www-form-urlencoded", **token}, "kind=refresh"), 415)
    check("POST with Origin: http://evil.example (with token) → 403 cross_origin",
          request("POST", "/v1/jobs", {**JSON, **token, "Origin": "http://evil.example"},
                  json.dumps({"kind": "refresh", "asset_id": ASSET})), 403, codes=["cross_origin"])
    check("GET with Host: evil.example → 403 host_not_allowed", request("GET", f"/v1/assets/{ASSET}", host="evil.example"), 403,
          codes=["host_not_allowed"])
    check("POST with Host: evil.example (with token) → 403",
          request("POST", "/v1/jobs", {**JSON, **token}, json.dumps({"kind": "refresh", "asset_id": ASSET}), host="evil.example:80"),
          403)

    # Deletion without the token, then the asset is still there (the worker would have run it).
    check("unauthenticated delete job → 401",
          request("POST", "/v1/jobs", JSON, json.dumps({"kind": "delete", "asset_id": ASSET})), [401, 403])
    time.sleep(1.0)
    check("the asset is still there after it", request("GET", f"/v1/assets/{ASSET}"), 200)

    for field in ("max_attempts", "priority"):
        for value in ("9223372036854775807", "-9223372036854775808", "1e300", "0x10"):
            answer = request("POST", "/v1/jobs", {**JSON, **token},
                             '{"kind": "refresh", "asset_id": "%s", "%s": %s}' % (ASSET, field, value))
            check(f"{field} {value} → 400", answer, 400)
    answer = request("GET", f"/v1/assets?path={q(options.asset_path)}%00.png")
    check("GET /v1/assets?path=PATH%00.png → 400 (not PATH's record)", answer, 400, codes=["invalid_value"])
    check("GET /v1/assets?path=PATH → 200 (the same path without the NUL)",
          request("GET", f"/v1/assets?path={q(options.asset_path)}"), 200)

    # A photo in the root is catalogued by the worker; /etc/shadow never is.
    photo = request("POST", "/v1/jobs", {**JSON, **token}, json.dumps({"kind": "process", "origin": f"{root}/photo.jpg"}))
    check("POST /v1/jobs origin ROOT/photo.jpg (with token) → 202", photo, 202)
    job = wait_for_job((photo.json() or {}).get("id", "none"), {})
    report(job.get("state") == "succeeded", "the worker in serve processed it", job.get("state"), 0,
           "" if job.get("state") == "succeeded" else f"job: {job}")
    check("its job record shows the origin relative to the root",
          request("GET", f"/v1/jobs/{(photo.json() or {}).get('id', 'none')}"), 200)
    if "photo.jpg" in str(job.get("payload")) and root not in json.dumps(job):
        report(True, "the job record holds no server path", 200, 0)
    else:
        report(False, "the job record holds no server path", 200, 0, json.dumps(job)[:200])
    check("GET /v1/assets?path=/etc/shadow → 404", request("GET", "/v1/assets?path=/etc/shadow"), 404)
    check(f"GET /v1/assets?path=ROOT/shadow-link → 404", request("GET", f"/v1/assets?path={q(root + '/shadow-link')}"), 404)
    shadow_not_catalogued()

    if options.vanished:
        # The original is gone: the error names the asset, not where it was.
        answer = request("GET", f"/v1/assets/{options.vanished}/render?w=1500&fm=jpeg")
        check("render of an asset whose original vanished → 422, no path", answer, 422)


def phase_slow():
    """--max-render-work raised far past the default, so the cost estimate
    lets through renders that take many times --render-timeout on any
    machine: the time limit is then the only line, as it is for whatever
    the estimate misses. Each must be answered 503 `busy` at the limit, its
    CPU freed. The blurs are stopped by libvips's kill flag; WebP and AVIF
    encoders (which it cannot stop) start only when they fit the time left."""
    for what, parameters in (
            ("a blur far slower than --render-timeout", "w=7000&h=5000&fit=fill&blur=60&fm=png"),
            ("a blur under a pixelation", "w=7000&h=5000&fit=fill&blur=60&px=50&fm=png"),
            ("a smart crop of a slow blur", "w=7000&h=4000&fit=cover&gravity=attention&blur=60&fm=png"),
            ("a 35 MP AVIF", "w=7000&h=5000&fit=fill&fm=avif"),
            ("a WebP of a slow blur", "w=7000&h=5000&fit=fill&blur=60&fm=webp")):
        stopped_at_the_limit(what, parameters, required=True)


def stopped_at_the_limit(what, parameters, required=False):
    """503 `busy` within --render-timeout + 1 s, and the server's CPU flat
    from 1 s after the answer. False (nothing reported) when the render
    finished in time, unless `required`."""
    limit_ms = options.render_timeout * 1000 + 1000
    before = cpu_seconds()
    answer = request("GET", f"{render}?{parameters}", timeout=300)
    answered = cpu_seconds()
    if answer.status == 200 and answer.ms < options.render_timeout * 1000 and not required:
        print(f"      ({parameters}: 200 in {answer.ms:.0f} ms, under the time limit; trying a slower one)")
        return False
    if answer.status == 422 and not required:
        # The cost estimate refuses it up front, which is also a safe answer.
        print(f"      ({parameters}: 422, over the cost limit; trying another)")
        return False
    check(f"{what} ({parameters}) → 503 busy within {limit_ms / 1000:.0f} s", answer, 503, within_ms=limit_ms, codes=["busy"])
    report("Retry-After" in answer.headers or "retry-after" in answer.headers, "  it carries Retry-After", answer.status, 0)
    time.sleep(1.0)
    one = cpu_seconds()
    time.sleep(1.0)
    two = cpu_seconds()
    report(two - one <= 0.05, f"  server CPU stops rising within 1 s of the answer (render used {answered - before:.2f} s; "
           f"+{one - answered:.2f} s in the 1st s after the answer, +{two - one:.2f} s in the 2nd)", answer.status, answer.ms)
    return True


def pending_checks():
    """Open bugs found by the HTTP fuzzer (ATTACK_PENDING=1): they fail
    until fixed, so they stay out of `make test` until then. None open."""


def shadow_not_catalogued():
    """Neither the size nor the SHA-256 of /etc/shadow is anywhere in the catalog."""
    try:
        digest = hashlib.sha256(open("/etc/shadow", "rb").read()).hexdigest()
    except OSError:
        report(True, "/etc/shadow's SHA-256 is not in the catalog (unreadable to this user; so to the server too)", "-", 0)
        return
    found = []
    for name in os.listdir(options.data):
        if name.startswith("catalog.sqlite"):
            if digest.encode() in open(os.path.join(options.data, name), "rb").read():
                found.append(name)
    report(not found, "/etc/shadow's SHA-256 appears nowhere in the catalog (nor its -wal)", "-", 0,
           f"found in {found}" if found else "")


# MARK: - phase `signing`: signing keys and a token

def phase_signing():
    token = bearer()
    zeros = request("GET", f"{render}?w=100&s={q(fullwidth_zero * 64)}")
    check("s = 64 fullwidth zeros → 403 bad_signature", zeros, 403, codes=["bad_signature"])
    for name in ("s-ascii-length-64", "s-mixed"):
        text = ("0" * 62 + "\uff41") if name == "s-mixed" else ("ｇ" * 64)
        check(f"s = {name} lookalike hex → 403", request("GET", f"{render}?w=100&s={q(text)}"), 403)
    alive("after lookalike signatures")
    lookalike_colours()
    check("unsigned render → 403 signature_required", request("GET", f"{render}?w=100"), 403, codes=["signature_required"])
    check("signed render (assetpipe sign) → 200", request("GET", signed(f"{render}?w=100")), 200)
    check("signed render rect=9223372036854775807,0,1,1 → 400",
          request("GET", signed(f"{render}?rect=9223372036854775807,0,1,1")), 400, codes=["invalid_value"])
    other = subprocess.run([options.bin, "sign", f"{render}?w=100"], env=dict(os.environ, ASSETPIPE_SIGNING_KEYS="not-the-key"),
                           check=True, capture_output=True, text=True).stdout.strip()
    check("render signed with another key → 403", request("GET", other), 403, codes=["bad_signature"])

    queued = request("POST", "/v1/jobs", {**JSON, **token}, json.dumps({"kind": "refresh", "asset_id": ASSET}))
    check("POST /v1/jobs refresh (with token) → 202", queued, 202)
    job = (queued.json() or {}).get("id", "none")
    for path in (f"/v1/assets/{ASSET}", f"/v1/assets/{ASSET}/renditions/preview", f"/v1/jobs/{job}",
                 f"/v1/assets?path={q(options.asset_path)}"):
        shown = path.replace(ASSET, "ID").replace(job, "JOB").replace(q(options.asset_path), "PATH")
        check(f"{shown} without s or token → 403", request("GET", path), 403, codes=["signature_required"])
        check(f"{shown} with a wrong s → 403", request("GET", path + ("&" if "?" in path else "?") + "s=" + "0" * 64), 403,
              codes=["bad_signature"])
        check(f"{shown} with the token → 200", request("GET", path, token), 200)
        check(f"{shown} signed by assetpipe sign → 200", request("GET", signed(path)), 200)
    # A signature of one record does not open another.
    record = signed(f"/v1/assets/{ASSET}")
    check("a record's signature on its rendition → 403",
          request("GET", record.replace(f"/v1/assets/{ASSET}", f"/v1/assets/{ASSET}/renditions/preview")), 403)


# MARK: - phase `open`: no token and no --insecure: no writes at all

def phase_open():
    root = options.root
    for body, what in (({"kind": "process", "origin": "/etc/shadow"}, "process /etc/shadow"),
                       ({"kind": "process", "origin": f"{root}/photo.jpg"}, "process ROOT/photo.jpg"),
                       ({"kind": "delete", "asset_id": ASSET}, "delete"),
                       ({"kind": "refresh", "asset_id": ASSET}, "refresh")):
        check(f"POST /v1/jobs {what} without a token configured → 403 writes_disabled",
              request("POST", "/v1/jobs", JSON, json.dumps(body)), 403, codes=["writes_disabled"])
    check("POST /v1/assets/ID/edits without a token configured → 403",
          request("POST", f"/v1/assets/{ASSET}/edits", JSON, json.dumps({"ops": {"w": 100}})), 403)
    time.sleep(1.0)
    check("the asset is still there", request("GET", f"/v1/assets/{ASSET}"), 200)
    check("GET /v1/assets?path=/etc/shadow → 404", request("GET", "/v1/assets?path=/etc/shadow"), 404)
    shadow_not_catalogued()


{"token": phase_token, "signing": phase_signing, "open": phase_open, "slow": phase_slow}[options.phase]()

# No server path in what a client was told: errors and job records.
secrets = [p for p in {options.work, os.path.realpath(options.work), options.data, os.path.realpath(options.data),
                       options.repo, options.root or options.work} if p and len(p) > 1]
leaks = [(what, body[:200]) for what, body in watched_bodies if any(p.encode() in body for p in secrets)]
report(not leaks, f"no server path (temp dir, data dir, repo) in {len(watched_bodies)} error and job bodies", "-", 0,
       f"leaked by {leaks[:3]}" if leaks else "")
alive("at the end of the phase")
