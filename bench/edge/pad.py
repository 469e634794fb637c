#!/usr/bin/env python3
"""Brings the seeded store's product pages to about TARGET bytes, for bench/edge.sh.

    pad.py APP_URL API_KEY TARGET_BYTES COUNT PATHS_OUT

The seeded product pages are 5-10 KB; the issue's benchmark wants ~20 KB
pages. This lengthens each product's description through the admin JSON API
(PATCH /api/v1/admin/products/{id}), the way a merchant would, keeping the
seeded text and appending paragraphs drawn from the words of the store's own
seeded descriptions (deterministically, seeded by the product id), so the
pages compress about as well as real product copy rather than like a repeated
string. The description is rendered twice on the page (the visible text and
the JSON-LD), so a first pass adds half of the missing bytes and a second
pass corrects what is still off by more than 1%.

Writes the COUNT product paths (/products/SLUG), one a line, to PATHS_OUT and
prints the identity page sizes (min/median/max) on stdout.
"""
import http.client
import json
import random
import re
import sys
import urllib.parse

MAX_DESCRIPTION = 20000  # catalog.MaxDescriptionLen

app, key, target, count, paths_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
u = urllib.parse.urlsplit(app)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def call(method, path, body=None, auth=False):
    headers = {}
    if auth:
        headers["Authorization"] = "Bearer " + key
    if body is not None:
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit(f"pad: {method} {path}: {r.status} {data[:300]!r}")
    return data


def page_size(slug):
    return len(call("GET", "/products/" + slug))


# The products, oldest first, so a run picks the same ones every time.
products, page = [], 1
while True:
    d = json.loads(call("GET", f"/api/v1/admin/products?per_page=100&page={page}", auth=True))
    products += [(p["id"], p["slug"]) for p in d["items"] if p.get("status", "active") == "active"]
    if page >= d["pages"]:
        break
    page += 1
products.sort()
if len(products) < count:
    sys.exit(f"pad: the store has {len(products)} active products, {count} wanted")
products = products[:count]

desc = {pid: json.loads(call("GET", "/api/v1/products/" + slug))["description"] for pid, slug in products}
vocab = sorted({w for t in desc.values() for w in re.findall(r"[a-z]+", t.lower()) if len(w) > 1})
if len(vocab) < 50:
    sys.exit(f"pad: only {len(vocab)} distinct words in the seeded descriptions")


def filler(pid, n):
    """About n characters of sentences from the store's vocabulary."""
    r = random.Random(pid)
    out, size = [], 0
    while size < n:
        words = [r.choice(vocab) for _ in range(r.randint(8, 18))]
        s = " ".join(words).capitalize() + "."
        out.append(s)
        size += len(s) + 1
    text = " ".join(out)
    return text[: max(n, 0)].rstrip()


def set_description(pid, text):
    call("PATCH", f"/api/v1/admin/products/{pid}", {"description": text[:MAX_DESCRIPTION]}, auth=True)


added = {}
for pid, slug in products:
    size = page_size(slug)
    added[pid] = max((target - size) // 2, 0)
    if added[pid]:
        set_description(pid, desc[pid] + " " + filler(pid, added[pid]))
sizes = {}
for pid, slug in products:
    size = page_size(slug)
    if abs(size - target) > target // 100 and added[pid]:
        added[pid] = max(added[pid] + (target - size) // 2, 0)
        set_description(pid, desc[pid] + " " + filler(pid, added[pid]))
        size = page_size(slug)
    sizes[pid] = size

with open(paths_out, "w") as f:
    for pid, slug in products:
        f.write("/products/" + slug + "\n")
s = sorted(sizes.values())
print(f"min {s[0]}, median {s[len(s) // 2]}, max {s[-1]}")
