#!/usr/bin/python3
"""check-functions.py: no function in reconciler/ or api/ runs over 120 lines, so each can be read whole
and does one job (the house style's limit; split the steps into functions named for them). Prints TAP:
one check, naming each function over the limit with its file, line and length."""
import glob
import os
import re
import sys

LIMIT = 120
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
long = []
for path in sorted(glob.glob("reconciler/**/*.c", recursive=True) + glob.glob("api/**/*.c", recursive=True)):
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        # A definition starts at column 0 (clang-format puts it there) and its body's "{" on a line of
        # its own after the signature, which may wrap.
        if re.match(r"^[A-Za-z_][\w \*]*\b(\w+)\(", lines[i]) and not lines[i].endswith(";"):
            name = re.match(r"^[A-Za-z_][\w \*]*\b(\w+)\(", lines[i]).group(1)
            k = i
            while k < len(lines) and not lines[k].endswith(")") and not lines[k].endswith(";") and k - i < 10:
                k += 1
            if k + 1 < len(lines) and lines[k + 1] == "{":
                end = k + 1
                while end < len(lines) and lines[end] != "}":
                    end += 1
                n = end - i + 1
                if n > LIMIT:
                    long.append(f"{path}:{i + 1}: {name} has {n} lines")
                i = end
        i += 1
print("1..1")
if long:
    print(f"not ok 1 - {len(long)} function(s) over {LIMIT} lines")
    for l in long:
        print("#   " + l)
    sys.exit(1)
print(f"ok 1 - no function over {LIMIT} lines")
