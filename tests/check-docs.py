#!/usr/bin/env python3
"""check-docs.py BERTH DOCS_DIR BERTH_API API_MAIN_C: the user's guide says what the binaries do, and
nothing they do not.

Every verb that `berth --help` lists has a synopsis in docs/ (a line of a code block that starts with
"berth VERB", with its indented continuation lines), and every option that `berth VERB --help` prints
is in one of that verb's synopses, by its long or its short name; every option a synopsis names is
one `--help` prints. `-h, --help` is every verb's and is left out. berth-api's options, as its
getopt table in API_MAIN_C has them, are each in its --help and in its synopsis in docs/berth-api.md,
which names no other. TAP output.
"""
import glob
import re
import subprocess
import sys

berth, docs, berth_api, api_main = sys.argv[1:]


def help_of(*args):
    return subprocess.run([berth, *args, "--help"], capture_output=True, text=True, check=True).stdout


verbs = re.findall(r"^  ([a-z]+) ", help_of().split("commands:")[1], re.M)

# Each verb's options as the table prints them: a set of names per option (short and long).
options = {}
for v in verbs:
    opts = []
    for line in help_of(v).splitlines():
        m = re.match(r"^  (?:(-[A-Za-z]), )?\s*(--[a-z][a-z-]*)?", line)
        if m and (m.group(1) or m.group(2)) and re.match(r"^  (-[A-Za-z],|    --)", line):
            names = {n for n in m.groups() if n}
            if "--help" not in names:
                opts.append(names)
    options[v] = opts

# The synopses: lines of code blocks that start "berth VERB", and the indented lines after them.
synopses = {v: [] for v in verbs}
for page in sorted(glob.glob(f"{docs}/*.md")):
    fence = False
    current = None
    for n, line in enumerate(open(page, encoding="utf-8"), 1):
        if line.startswith("```"):
            fence = not fence
            current = None
            continue
        if not fence:
            continue
        line = line.split(" #")[0]  # a comment after the command
        m = re.match(r"^berth ([a-z]+)\b(.*)", line)
        if m and m.group(1) in synopses:
            current = (page, n, m.group(1))
            synopses[current[2]].append([page, n, m.group(2)])
        elif current and line.startswith(" ") and line.strip().startswith(("[", "-")):
            synopses[current[2]][-1][2] += " " + line.strip()
        else:
            current = None

n = 0
failed = 0


def result(ok, what, detail=""):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + f" {n} - {what}")
    if not ok:
        failed += 1
        print(f"#   {detail}")


for v in verbs:
    lines = synopses[v]
    result(bool(lines), f"berth {v} has a synopsis in docs/", "no code line starts with 'berth " + v + "'")
    if not lines:
        continue
    text = " ".join(l[2] for l in lines)
    named = set(re.findall(r"(?<![\w-])(--?[A-Za-z][a-z-]*)", text))
    missing = [sorted(o)[-1] for o in options[v] if not (o & named)]
    result(not missing, f"every option of berth {v} --help is in its synopsis",
           f"missing: {' '.join(missing)} (in {lines[0][0]}:{lines[0][1]})")
    known = set().union(*options[v]) if options[v] else set()
    extra = sorted(named - known)
    result(not extra, f"every option a synopsis of berth {v} names exists",
           f"not an option of berth {v}: {' '.join(extra)} (in {lines[0][0]}:{lines[0][1]})")
# berth-api: its getopt table against its --help and its synopsis.
table = {"--" + o for o in re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', open(api_main).read())}
table |= {"--version"}
table -= {"--help"}
api_help = subprocess.run([berth_api, "--help"], capture_output=True, text=True).stdout
helped = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", api_help))
helped |= {"--host"} if re.search(r"\[-H DOCKER_HOST\]", api_help) else set()
result(table <= helped, "every option of berth-api is in its --help", f"missing: {sorted(table - helped)}")
page = open(f"{docs}/berth-api.md", encoding="utf-8").read()
synopsis = page.split("## Synopsis", 1)[1].split("```")[1] if "## Synopsis" in page else ""
named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)",
                       "\n".join(l.split(" #")[0] for l in synopsis.splitlines())))
named |= {"--host"} if "-H DOCKER_HOST" in synopsis else set()
result(table <= named, "every option of berth-api is in its synopsis in docs/berth-api.md",
       f"missing: {sorted(table - named)}")
result(named <= table, "every option that synopsis names exists", f"not an option: {sorted(named - table)}")
print(f"1..{n}")
sys.exit(1 if failed else 0)
