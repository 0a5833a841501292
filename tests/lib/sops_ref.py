"""sops_ref.py: a second implementation of the SOPS file format (sops 3, age keys), for tests only.

It shares no code with berth: Python's cryptography package for AES-256-GCM, hashlib for the MAC, and
Debian's age tool for the data key's envelope. It writes documents as the sops tool lays them out and
reads them back with the MAC checked, so berth's reader is tested on files berth did not write, and
berth's writer on a reader that is not berth's."""
import base64
import datetime
import decimal
import hashlib
import json
import os
import re
import subprocess

import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAC_ONLY_INIT = bytes.fromhex("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69")


class Comment(str):
    """A comment line of a dotenv or INI file (sops encrypts those too, outside the MAC)."""


def go_bytes(v):
    """The bytes sops's MAC takes for a value (sops.ToBytes)."""
    if isinstance(v, bool):
        return b"True" if v else b"False"
    if isinstance(v, int):
        return str(v).encode()
    if isinstance(v, float):
        s = format(decimal.Decimal(repr(v)), "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return s.encode()
    if isinstance(v, bytes):
        return v
    return str(v).encode()


def _type_of(v):
    if isinstance(v, Comment):
        return "comment"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    return "str"


def encrypt_value(key, v, aad):
    plain = go_bytes(v)
    if plain == b"":
        return ""
    iv = os.urandom(32)
    out = AESGCM(key).encrypt(iv, plain, aad.encode())
    b = lambda x: base64.b64encode(x).decode()
    return f"ENC[AES256_GCM,data:{b(out[:-16])},iv:{b(iv)},tag:{b(out[-16:])},type:{_type_of(v)}]"


ENC_RE = re.compile(r"^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$")


def decrypt_value(key, text, aad):
    if text == "":
        return ""
    m = ENC_RE.match(text)
    if not m:
        raise ValueError(f"not an encrypted value: {text[:30]}")
    data, iv, tag = (base64.b64decode(x) for x in m.group(1, 2, 3))
    plain = AESGCM(key).decrypt(iv, data + tag, aad.encode())
    t = m.group(4)
    if t == "int":
        return int(plain)
    if t == "float":
        return float(plain)
    if t == "bool":
        return plain in (b"True", b"true", b"1", b"t", b"T", b"TRUE")
    if t == "comment":
        return Comment(plain.decode())
    if t == "bytes":
        return plain
    return plain.decode("utf-8", "surrogateescape")


class Rules:
    def __init__(self, meta):
        self.enc_re = meta.get("encrypted_regex")
        self.unenc_re = meta.get("unencrypted_regex")
        self.enc_suffix = meta.get("encrypted_suffix")
        self.unenc_suffix = meta.get("unencrypted_suffix")
        if not any([self.enc_re, self.unenc_re, self.enc_suffix, self.unenc_suffix]):
            self.unenc_suffix = "_unencrypted"
        self.mac_only = meta.get("mac_only_encrypted") in (True, "true")

    def new_mac(self):
        mac = hashlib.sha512()
        if self.mac_only:
            mac.update(MAC_ONLY_INIT)
        return mac

    def encrypted(self, path):
        enc = True
        if self.unenc_suffix and any(p.endswith(self.unenc_suffix) for p in path):
            enc = False
        if self.enc_suffix:
            enc = any(p.endswith(self.enc_suffix) for p in path)
        if self.unenc_re and any(re.search(self.unenc_re, p) for p in path):
            enc = False
        if self.enc_re:
            enc = any(re.search(self.enc_re, p) for p in path)
        return enc


def walk(tree, rules, leaf, path=()):
    """sops's walk: mappings (lists of (key, value)) extend the path, sequences do not, None is skipped."""
    if isinstance(tree, Seq):
        return Seq(walk(v, rules, leaf, path) for v in tree)
    if isinstance(tree, list):
        out = []
        for k, v in tree:
            if isinstance(k, Comment):
                out.append((Comment(leaf(k, path, True)), None))
            else:
                out.append((k, walk(v, rules, leaf, path + (k,))))
        return out
    if tree is None:
        return None
    return leaf(tree, path, False)


class Seq(list):
    """A YAML or JSON sequence (a plain list is a mapping's items here)."""


def from_py(v):
    if isinstance(v, dict):
        return [(k, from_py(x)) for k, x in v.items()]
    if isinstance(v, list):
        return Seq(from_py(x) for x in v)
    return v


def to_py(v):
    if isinstance(v, Seq):
        return [to_py(x) for x in v]
    if isinstance(v, list):
        return {k: to_py(x) for k, x in v if not isinstance(k, Comment)}
    return v


# ---- the formats ----

def load(fmt, text):
    """A document (plain or encrypted) to (tree, metadata or None)."""
    if fmt in ("yaml", "json", "binary"):
        doc = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
        meta = doc.pop("sops", None)
        return from_py(doc), meta
    items, meta = [], {}
    if fmt == "dotenv":
        for line in text.split("\n"):
            if not line:
                continue
            if line.startswith("#"):
                items.append((Comment(line[1:]), None))
                continue
            k, v = line.split("=", 1)
            if k.startswith("sops_"):
                meta[k[5:]] = v.replace("\\n", "\n")
            else:
                items.append((k, v.replace("\\n", "\n")))
        return items, unflatten(meta) if meta else None
    sections, cur = [("DEFAULT", [])], None
    cur = sections[0][1]
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line[0] in ";#":
            cur.append((Comment(line.lstrip(";# ")), None))
        elif line.startswith("["):
            cur = []
            sections.append((line[1:-1].strip(), cur))
        else:
            k, v = line.split("=", 1)
            cur.append((k.strip(), v.strip()))
    rest = [(n, s) for n, s in sections if n != "sops"]
    flat = {k: v.replace("\\n", "\n") for n, s in sections if n == "sops" for k, v in s if not isinstance(k, Comment)}
    return rest, unflatten(flat) if flat else None


def unflatten(flat):
    out = {}
    for key, v in flat.items():
        parts = re.split(r"__(map|list)_", key)
        steps = [parts[0]] + [int(x) if kind == "list" else x for kind, x in zip(parts[1::2], parts[2::2])]
        cur = out
        for i, s in enumerate(steps):
            last = i == len(steps) - 1
            nxt = None if last else ([] if isinstance(steps[i + 1], int) else {})
            if isinstance(s, int):
                while len(cur) <= s:
                    cur.append(None)
                if last:
                    cur[s] = v
                elif cur[s] is None:
                    cur[s] = nxt
                cur = cur[s] if not last else cur
            else:
                if last:
                    cur[s] = v
                else:
                    cur = cur.setdefault(s, nxt)
    return out


def flatten(meta, prefix=""):
    out = []
    items = meta.items() if isinstance(meta, dict) else enumerate(meta)
    for k, v in items:
        key = (f"{prefix}__list_{k}" if isinstance(meta, list) else (f"{prefix}__map_{k}" if prefix else k))
        if isinstance(v, (dict, list)):
            out += flatten(v, key)
        else:
            out.append((key, v))
    return out


def dump(fmt, tree, meta):
    if fmt in ("yaml", "json", "binary"):
        doc = to_py(tree)
        if meta is not None:
            doc["sops"] = meta
        if fmt == "yaml":
            return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1 << 20)
        return json.dumps(doc, indent=4) + "\n"
    if fmt == "dotenv":
        lines = []
        for k, v in tree:
            lines.append(f"#{k}" if isinstance(k, Comment) else f"{k}={str(v).replace(chr(10), chr(92) + 'n')}")
        for k, v in flatten(meta or {}):
            lines.append(f"sops_{k}={str(v).replace(chr(10), chr(92) + 'n')}")
        return "\n".join(lines) + "\n"
    out = []
    for name, items in tree + ([("sops", [(k, v) for k, v in flatten(meta)])] if meta else []):
        if name != "DEFAULT":
            out.append(f"[{name}]")
        for k, v in items:
            if isinstance(k, Comment):
                out.append(f"; {k}")
            else:
                s = "true" if v is True else "false" if v is False else str(v)
                out.append(f"{k} = {s.replace(chr(10), chr(92) + 'n')}")
        out.append("")
    return "\n".join(out)


# ---- whole documents ----

def age_encrypt(recipient, data):
    return subprocess.run(["age", "-a", "-r", recipient], input=data, capture_output=True, check=True).stdout.decode()


def age_decrypt(identity_file, armored):
    p = subprocess.run(["age", "-d", "-i", identity_file], input=armored.encode(), capture_output=True)
    return p.stdout if p.returncode == 0 else None


def encrypt(fmt, plain, recipients, **rules_meta):
    """plain: text (bytes for binary). Returns the document's text."""
    key = os.urandom(32)
    if fmt == "binary":
        tree, _ = [("data", plain.decode("utf-8", "surrogateescape"))], None
    else:
        tree, _ = load(fmt, plain)
    meta = {k: v for k, v in rules_meta.items() if v}
    rules = Rules(meta)
    mac = rules.new_mac()

    def leaf(v, path, comment):
        enc = rules.encrypted(path)
        if not comment and (not rules.mac_only or enc):
            mac.update(go_bytes(v) if not (fmt == "binary" and path == ("data",)) else plain)
        if not enc:
            return v
        if fmt == "binary":
            return encrypt_value(key, plain, ":".join(path) + ":")
        return encrypt_value(key, Comment(v) if comment else v, ":".join(path) + ":")

    tree = walk(tree, rules, leaf)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta_out = {"age": [{"recipient": r, "enc": age_encrypt(r, key)} for r in recipients], "lastmodified": when,
                "mac": encrypt_value(key, mac.hexdigest().upper(), when)}
    meta_out.update(meta)
    if "unencrypted_suffix" not in meta and not any(meta.get(k) for k in ("encrypted_regex", "unencrypted_regex",
                                                                            "encrypted_suffix")):
        meta_out["unencrypted_suffix"] = "_unencrypted"
    meta_out["version"] = "3.8.1"
    return dump("json" if fmt == "binary" else fmt, tree, meta_out)


def decrypt(fmt, text, identity_file):
    """The plain tree (Python values), with the MAC checked; raises on any failure."""
    tree, meta = load(fmt, text)
    if meta is None:
        raise ValueError("no sops metadata")
    key = None
    for entry in meta.get("age", []):
        key = age_decrypt(identity_file, entry["enc"])
        if key:
            break
    if not key:
        raise ValueError("no key opens the file")
    rules = Rules(meta)
    mac = rules.new_mac()

    def leaf(v, path, comment):
        enc = rules.encrypted(path)
        if enc:
            try:
                v = decrypt_value(key, v, ":".join(path) + ":")
            except Exception:
                if comment:
                    return v
                raise
        if not comment and (not rules.mac_only or enc):
            mac.update(go_bytes(v))
        return v

    plain = walk(tree, rules, leaf)
    when = meta["lastmodified"]
    stored = decrypt_value(key, meta["mac"], when)
    if stored != mac.hexdigest().upper():
        raise ValueError("MAC mismatch")
    return to_py(plain)
