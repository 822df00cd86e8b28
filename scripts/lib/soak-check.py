#!/usr/bin/env python3
"""Checks a catalog after scripts/soak-queue: nothing lost, nothing twice.

usage: soak-check.py [--database URL] [--renditions-listing FILE] DATA_DIR ORIGINS_TSV EXPECTED_JSONL JOB_COUNT
Reads DATA_DIR/catalog.sqlite, or with --database the PostgreSQL catalog
(through psql); the rendition files are under DATA_DIR, or, with
--renditions-listing, the objects a bucket store holds, one path per line.
A job's target is its `as`, else its origin (an uploaded object's URL).
ORIGINS_TSV maps each copy's file name to the sample it copies; EXPECTED_JSONL
is `assetpipe process --json samples/`, the outcome each sample should get.
Prints a summary; exits 1 and lists the problems if any check fails.
"""
import collections
import json
import os
import sqlite3
import subprocess
import sys

arguments = sys.argv[1:]
database = None
renditions_listing = None
while arguments[:1] in (["--database"], ["--renditions-listing"]):
    if arguments[0] == "--database":
        database = arguments[1]
    else:
        renditions_listing = arguments[1]
    arguments = arguments[2:]
data, origins_path, expected_path, job_count = arguments[0], arguments[1], arguments[2], int(arguments[3])
problems = []

expected = {}
for line in open(expected_path):
    record = json.loads(line)
    expected[record["path"]] = (record["status"], (record.get("error") or {}).get("reason"))
sample_of = dict(line.rstrip("\n").split("\t") for line in open(origins_path))



def text(value):
    """JSON columns come back as text from SQLite and as values from PostgreSQL."""
    return value if isinstance(value, str) or value is None else json.dumps(value)


def query(sql, columns):
    """Rows of `sql` as tuples of `columns`, from either database."""
    if database is None:
        return db.execute(sql).fetchall()
    output = subprocess.run(["psql", libpq_url(database), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c",
                             f"SELECT row_to_json(t) FROM ({sql}) t"], check=True, capture_output=True, text=True).stdout
    return [tuple(row[c] for c in columns) for row in map(json.loads, filter(None, output.splitlines()))]


if database is None:
    db = sqlite3.connect(f"file:{data}/catalog.sqlite?mode=ro", uri=True)
else:
    sys.path.insert(0, os.path.dirname(__file__))
    from pgurl import libpq_url

jobs = [(i, state, reason, text(payload), n) for i, state, reason, payload, n in
        query("SELECT id, state, error_reason, payload, attempts FROM job", ["id", "state", "error_reason", "payload", "attempts"])]
if len(jobs) != job_count:
    problems.append(f"{len(jobs)} jobs in the queue, {job_count} enqueued")
states = collections.Counter(state for _, state, _, _, _ in jobs)
attempts = collections.Counter(n for *_, n in jobs)

targets = {}
for job_id, state, reason, payload, _ in jobs:
    target = json.loads(payload).get("as") or json.loads(payload)["origin"]
    targets[target] = job_id
    want_status, want_reason = expected[sample_of[os.path.basename(target)]]
    if want_status == "processed" and state != "succeeded":
        problems.append(f"job {job_id} ({target}) is {state}/{reason}, expected succeeded")
    elif want_status == "errored" and (state, reason) != ("failed", want_reason):
        problems.append(f"job {job_id} ({target}) is {state}/{reason}, expected failed/{want_reason}")

assets = [row[:5] + (text(row[5]),) for row in
          query("SELECT id, path, version, status, error_reason, record FROM asset",
                ["id", "path", "version", "status", "error_reason", "record"])]
paths = collections.Counter(path for _, path, *_ in assets)
if set(paths) != set(targets):
    missing, extra = set(targets) - set(paths), set(paths) - set(targets)
    problems.append(f"assets do not match job targets: {len(missing)} missing {sorted(missing)[:5]}, "
                    f"{len(extra)} unexpected {sorted(extra)[:5]}")
for asset_id, path, version, status, reason, _ in assets:
    if version != 1:
        problems.append(f"asset {path} is at version {version}: a job ran its effect twice")
    want_status, want_reason = expected[sample_of[os.path.basename(path)]]
    if (status, reason) != (want_status, want_reason):
        problems.append(f"asset {path} is {status}/{reason}, expected {want_status}/{want_reason}")

events = collections.Counter((asset_id, action) for asset_id, action in
                             query("SELECT asset_id, action FROM asset_event", ["asset_id", "action"]))
for (asset_id, action), count in events.items():
    if count != 1 or action != "created":
        problems.append(f"asset {asset_id} has {count} '{action}' events; expected one 'created'")

listed = {}
for asset_id, path, _, _, _, record in assets:
    for rendition in json.loads(record).get("renditions") or []:
        listed[rendition["path"]] = asset_id
on_disk = set()
if renditions_listing:
    on_disk = set(filter(None, (line.strip() for line in open(renditions_listing))))
for root, _, files in os.walk(os.path.join(data, "renditions")) if not renditions_listing else []:
    for name in files:
        on_disk.add(os.path.relpath(os.path.join(root, name), data))
orphans, missing_files = on_disk - set(listed), set(listed) - on_disk
if orphans:
    problems.append(f"{len(orphans)} rendition files without their asset, e.g. {sorted(orphans)[:3]}")
if missing_files:
    problems.append(f"{len(missing_files)} renditions listed but missing, e.g. {sorted(missing_files)[:3]}")

print(f"jobs: {dict(states)}; attempts per job: {dict(sorted(attempts.items()))}")
print(f"assets: {len(assets)} for {len(targets)} targets; events: {sum(events.values())}; "
      f"rendition files: {len(on_disk)} on disk, {len(listed)} listed")
if problems:
    print(f"FAILED: {len(problems)} problems")
    for problem in problems[:50]:
        print("  " + problem)
    sys.exit(1)
print("OK: every job has its one effect; nothing lost, nothing twice")
