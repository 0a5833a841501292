#!/usr/bin/env python3
"""embed.py: the web page's files as one C table, so berth-api serves them with nothing beside it.

Each entry has the file's name, its content type, its bytes and an ETag made from a digest of them:
browsers revalidate with If-None-Match and get 304 until the content changes."""
import hashlib
import os
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}

dst, files = sys.argv[1], sys.argv[2:]
with open(dst, "w") as out:
    out.write("/* generated from api/web by embed.py */\n#include \"web.h\"\n\n")
    names = []
    for i, path in enumerate(sorted(files, key=os.path.basename)):
        data = open(path, "rb").read()
        name = os.path.basename(path)
        ext = os.path.splitext(name)[1]
        if ext not in TYPES:
            sys.exit(f"embed.py: {name}: no content type for {ext!r}")
        out.write(f"static const unsigned char f{i}[] = {{\n")
        for k in range(0, len(data), 16):
            out.write(" " + "".join("0x%02x," % b for b in data[k:k + 16]) + "\n")
        out.write("0x00};\n")
        names.append((name, TYPES[ext], i, len(data), hashlib.sha256(data).hexdigest()[:20]))
    out.write("\nconst WebAsset web_assets[] = {\n")
    for name, ctype, i, n, etag in names:
        out.write(f'        {{ "{name}", "{ctype}", f{i}, {n}, "\\"{etag}\\"" }},\n')
    out.write("};\nconst size_t web_n_assets = %d;\n" % len(names))
