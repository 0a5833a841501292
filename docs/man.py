#!/usr/bin/env python3
"""man.py: a manual page from a page of docs/, so that the two cannot disagree.

    man.py PAGE.md NAME SECTION VERSION OUTPUT

The page's first line, "# name: what it is", becomes the NAME section, what follows it DESCRIPTION; its
level-2 headings become the page's sections (in capitals, as manual pages have them); pandoc writes the rest. Links to other pages
of docs/ keep their text and lose their target, which is a file a manual page reader does not have;
tables become lists.
"""
import re
import subprocess
import sys

src, name, section, version, out = sys.argv[1:]
text = open(src, encoding="utf-8").read()
first, _, body = text.partition("\n")
m = re.match(r"# ([^:]+): (.+)", first)
if not m:
    sys.exit(f"{src}:1:1: the first line must be '# name: what it is'")
summary = m.group(2).replace("`", "")
body = re.sub(r"\[([^\]]+)\]\((?!https?:)[^)]+\)", r"\1", body)


def table_as_list(m):
    """A table of two columns as a list of its rows: a terminal's width cannot fit a table's long cells,
    and troff warns at every line it cannot fill."""
    rows = [r.strip().strip("|").split(" | ") for r in m.group(0).strip().split("\n")]
    return "\n".join(f"- {r[0].strip()}: {' | '.join(r[1:]).strip()}" for r in rows[2:]) + "\n"


body = re.sub(r"^\|.*\|\n\|[-| ]+\|\n(?:\|.*\|\n)+", table_as_list, body, flags=re.M)
if not body.lstrip().startswith("## "):
    body = "## Description\n" + body
body = re.sub(r"^## (.+)$", lambda h: "## " + h.group(1).upper(), body, flags=re.M)
roff = subprocess.run(
    ["pandoc", "--from=gfm", "--to=man", "--standalone", "--shift-heading-level-by=-1",
     "--metadata", f"title={name}", "--metadata", f"section={section}",
     "--metadata", "header=berth manual", "--metadata", f"footer=berth {version}",
     "--metadata", "date="],
    input=body, capture_output=True, text=True, check=True).stdout
head, th, rest = roff.partition("\n.TH ")
line, _, rest = rest.partition("\n")
name_section = ".SH NAME\n" + name + " \\- " + summary.replace("\\", "\\e").replace("-", "\\-") + "\n"
with open(out, "w", encoding="utf-8") as f:
    f.write(head + th + line + "\n" + name_section + rest)
