#!/usr/bin/python3
"""test-sops-interop.py: berth's SOPS files against implementations that are not berth's.

- Files that a second implementation wrote (tests/lib/sops_ref.py: Python's cryptography, hashlib and
  Debian's age tool) in every format, with several recipients, encrypted_regex and mac_only_encrypted:
  `berth secrets decrypt` gives back every value.
- Files that `berth secrets encrypt` wrote: the npm package sops-age (a JavaScript SOPS reader) and
  sops_ref.py (which checks the MAC too) read every value back.
- .sops.yaml creation_rules pick the recipients and the rule; a tampered file, a reordered one and the
  wrong key are refused with a message that names the file and never shows a key or a value."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sops_ref  # noqa: E402
import yaml  # noqa: E402
from tap import check, done  # noqa: E402

BERTH = os.environ["BERTH"]
NODE_MODULES = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
SECRET = "tr0ub4dor&3-distinctive"


def keygen(d, name):
    path = os.path.join(d, name)
    subprocess.run(["age-keygen", "-o", path], check=True, capture_output=True)
    text = open(path).read()
    pub = [line.split(": ")[1] for line in text.splitlines() if line.startswith("# public key: ")][0]
    return path, pub


def berth(*args, key=None, cwd=None, stdin=None):
    env = {"PATH": os.environ["PATH"], "HOME": cwd or "/nonexistent"}
    if key:
        env["SOPS_AGE_KEY_FILE"] = key
    return subprocess.run([BERTH, *args], env=env, cwd=cwd, capture_output=True, input=stdin)


def sops_age(path, fmt, key_file):
    key = [line for line in open(key_file).read().splitlines() if line.startswith("AGE-SECRET-KEY-")][0]
    script = ("import {decryptSops} from %s; import {readFileSync} from 'node:fs';"
              "const out = await decryptSops(readFileSync(process.argv[1], 'utf8'), {secretKey: process.argv[2],"
              " fileType: process.argv[3]}); console.log(JSON.stringify(out));"
              % json.dumps(os.path.join(NODE_MODULES, "sops-age", "dist", "index.js")))
    p = subprocess.run(["node", "--input-type=module", "-e", script, path, key, fmt], capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else p.stderr


PLAIN = {
    "yaml": f"db:\n  password: {SECRET}\n  port: 5432\n  ratio: 1.5\n  tls: true\n  user_unencrypted: app\n"
            "hosts:\n- a.example\n- 2\n",
    "json": json.dumps({"token": SECRET, "n": 3, "nested": {"list": [1, "x", False]}}),
    "dotenv": f"DB_PASSWORD={SECRET}\nMULTI=line1\\nline2\n# a note\nTOKEN=x=y\n",
    "ini": f"top = 1\n\n[db]\npassword = {SECRET}\nuser = me\n",
    "binary": SECRET.encode() + b"\x00\x01\xff binary\n",
}
EXT = {"yaml": "yaml", "json": "json", "dotenv": "env", "ini": "ini", "binary": "bin"}


def parsed(fmt, text):
    """What a reader of that format gets: values compared, not layout."""
    if fmt == "yaml":
        return yaml.safe_load(text)
    if fmt == "json":
        return json.loads(text)
    tree, _ = sops_ref.load(fmt, text)
    return sops_ref.to_py(tree)


def main():
    d = tempfile.mkdtemp(prefix="berth-sops-")
    k1, r1 = keygen(d, "k1.txt")
    k2, r2 = keygen(d, "k2.txt")
    k3, _ = keygen(d, "k3.txt")

    # ---- files another implementation wrote ----
    for fmt, plain in PLAIN.items():
        path = os.path.join(d, f"ref.{EXT[fmt]}")
        text = sops_ref.encrypt(fmt, plain if fmt == "binary" else plain, [r1, r2])
        open(path, "w").write(text)
        for key in (k1, k2):
            p = berth("secrets", "decrypt", path, key=key)
            if fmt == "binary":
                ok = p.returncode == 0 and p.stdout == plain
            else:
                ok = p.returncode == 0 and parsed(fmt, p.stdout.decode()) == parsed(fmt, plain)
            check(f"berth decrypts a {fmt} file that sops_ref wrote, with {os.path.basename(key)}", ok,
                  p.stderr.decode() or p.stdout[:300])
    rules = [("encrypted_regex", "^(password|token)$"), ("unencrypted_regex", "^user"),
             ("encrypted_suffix", "_secret"), ("mac_only_encrypted", True)]
    plain = f"user: app\npassword: {SECRET}\napi_secret: s2\nport: 80\n"
    for name, value in rules:
        path = os.path.join(d, f"rule-{name}.yaml")
        extra = {name: value}
        if name == "mac_only_encrypted":
            extra["encrypted_regex"] = "^password$"
        open(path, "w").write(sops_ref.encrypt("yaml", plain, [r1], **extra))
        p = berth("secrets", "decrypt", path, key=k1)
        check(f"berth decrypts a file written with {name}", p.returncode == 0 and yaml.safe_load(p.stdout) ==
              yaml.safe_load(plain), p.stderr.decode())

    # ---- files berth wrote ----
    for fmt, plain in PLAIN.items():
        src = os.path.join(d, f"plain.{EXT[fmt]}")
        open(src, "wb").write(plain if fmt == "binary" else plain.encode())
        p = berth("secrets", "encrypt", "--age", f"{r1},{r2}", src)
        check(f"berth encrypts a {fmt} file", p.returncode == 0, p.stderr.decode())
        text = p.stdout.decode()
        check(f"the encrypted {fmt} file holds no plain value", SECRET not in text and "secret\n" not in text)
        enc = os.path.join(d, f"enc.{EXT[fmt]}")
        open(enc, "w").write(text)
        if fmt != "binary":
            try:
                got = sops_ref.decrypt(fmt, text, k2)
                ok = got == parsed(fmt, plain)
            except Exception as e:  # noqa: BLE001
                got, ok = repr(e), False
            check(f"sops_ref reads berth's {fmt} file, MAC checked", ok, got)
        if fmt in ("yaml", "json", "dotenv"):
            got = sops_age(enc, {"dotenv": "env"}.get(fmt, fmt), k1)
            check(f"sops-age reads berth's {fmt} file", got == parsed(fmt, plain), got)
        p = berth("secrets", "decrypt", enc, key=k2)
        back = p.stdout if fmt == "binary" else p.stdout.decode()
        check(f"berth reads its own {fmt} file back unchanged", p.returncode == 0 and
              (back == plain if fmt == "binary" else parsed(fmt, back) == parsed(fmt, plain)), p.stderr.decode())

    # ---- .sops.yaml creation_rules ----
    repo = os.path.join(d, "repo")
    os.makedirs(os.path.join(repo, "stacks", "db"))
    open(os.path.join(repo, ".sops.yaml"), "w").write(
        f"creation_rules:\n  - path_regex: ^other/\n    age: {r2}\n"
        f"  - path_regex: stacks/.*\\.yaml$\n    encrypted_regex: ^(password)$\n    age: >-\n      {r1},\n      {r2}\n")
    target = os.path.join(repo, "stacks", "db", "secrets.yaml")
    open(target, "w").write(f"user: app\npassword: {SECRET}\n")
    p = berth("secrets", "encrypt", "-i", "stacks/db/secrets.yaml", cwd=repo)
    text = open(target).read()
    check("encrypt -i follows the matching creation rule of .sops.yaml", p.returncode == 0 and
          "user: app" in text and SECRET not in text and "encrypted_regex" in text and r1 in text and r2 in text,
          p.stderr.decode() + text[:300])
    try:
        ok = sops_ref.decrypt("yaml", text, k2) == {"user": "app", "password": SECRET}
    except Exception as e:  # noqa: BLE001
        ok = repr(e)
    check("the file follows the rule and its MAC verifies", ok is True, ok)
    open(os.path.join(repo, "x.json"), "w").write("{}")
    p = berth("secrets", "encrypt", "x.json", cwd=repo)
    check("a file no rule matches is refused, naming .sops.yaml", p.returncode == 1 and
          b".sops.yaml: no creation rule matches" in p.stderr, p.stderr.decode())

    # ---- berth secrets edit ----
    ed = os.path.join(d, "edit.yaml")
    open(ed, "w").write(f"user: app\npassword: {SECRET}\ntoken: keep-me\n")
    os.chmod(ed, 0o640)
    berth("secrets", "encrypt", "-i", "--age", f"{r1},{r2}", ed)
    before = open(ed).read()
    log = os.path.join(d, "editor.log")
    editor = os.path.join(d, "editor.sh")
    open(editor, "w").write(f"#!/bin/sh\nstat -f -c %T \"$1\" >{log}; stat -c %a \"$1\" >>{log}; echo \"$1\" >>{log}\n"
                            "sed -i 's/^password: .*/password: changed-pw/' \"$1\"\n")
    os.chmod(editor, 0o755)
    env = {"PATH": os.environ["PATH"], "HOME": d, "SOPS_AGE_KEY_FILE": k1, "EDITOR": editor}
    p = subprocess.run([BERTH, "secrets", "edit", ed], env=env, capture_output=True)
    after = open(ed).read()
    fs, mode, tmp = open(log).read().split("\n")[:3]
    check("secrets edit opens the plain text on tmpfs, 0600", p.returncode == 0 and fs == "tmpfs" and mode == "600",
          p.stderr.decode() + fs + mode)
    check("and removes it afterwards", not os.path.exists(tmp) and not os.path.exists(os.path.dirname(tmp)), tmp)
    line = lambda text, key: [x for x in text.splitlines() if x.startswith(key)]
    check("an unchanged value keeps its ciphertext, a changed one does not",
          line(before, "token:") == line(after, "token:") and line(before, "password:") != line(after, "password:"))
    check("the data key and recipients are kept", [x for x in before.splitlines() if x.startswith("        ")] ==
          [x for x in after.splitlines() if x.startswith("        ")])
    try:
        got = sops_ref.decrypt("yaml", after, k2)
    except Exception as e:  # noqa: BLE001
        got = repr(e)
    check("the edited file holds the new value, its MAC right", got == {"user": "app", "password": "changed-pw",
                                                                     "token": "keep-me"}, got)
    check("and keeps the file's mode", oct(os.stat(ed).st_mode & 0o777) == "0o640", oct(os.stat(ed).st_mode))
    p = subprocess.run([BERTH, "secrets", "edit", ed], env={**env, "EDITOR": "false"}, capture_output=True)
    check("an editor that fails leaves the file as it was", p.returncode == 1 and open(ed).read() == after,
          p.stderr.decode())

    # ---- refusals ----
    enc = os.path.join(d, "enc.yaml")
    text = open(enc).read()
    p = berth("secrets", "decrypt", enc, key=k3)
    err = p.stderr.decode()
    check("the wrong key is refused, the message lists the file's recipients", p.returncode == 1 and
          r1 in err and r2 in err and "enc.yaml" in err, err)
    check("no key and no value shows in the message", "AGE-SECRET-KEY" not in err and SECRET not in err, err)
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.strip().startswith("port:"))
    j = next(n for n, line in enumerate(lines) if line.strip().startswith("ratio:"))
    lines[i], lines[j] = lines[j], lines[i]
    bad = os.path.join(d, "reordered.yaml")
    open(bad, "w").write("\n".join(lines) + "\n")
    p = berth("secrets", "decrypt", bad, key=k1)
    check("a reordered file is refused: MAC mismatch", p.returncode == 1 and b"MAC mismatch" in p.stderr and
          p.stdout == b"", p.stderr.decode())
    tampered = text.replace("password: ENC[AES256_GCM,data:", "password: ENC[AES256_GCM,data:AA", 1)
    open(bad, "w").write(tampered)
    p = berth("secrets", "decrypt", bad, key=k1)
    check("a changed value is refused, naming its path, and nothing is printed", p.returncode == 1 and
          b"db.password" in p.stderr and p.stdout == b"", p.stderr.decode())
    open(bad, "w").write(f"a: {SECRET}\n")
    p = berth("secrets", "decrypt", bad, key=k1)
    check("a plain file is no SOPS document", p.returncode == 1 and b"no SOPS document" in p.stderr,
          p.stderr.decode())
    return done()


if __name__ == "__main__":
    sys.exit(main())
