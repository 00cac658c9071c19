#!/usr/bin/env python3
"""Generate the compact MITRE ATT&CK Enterprise catalog embedded in soc-core.

Reads the extracted catalog files (enterprise-techniques.json, groups.json, tactics.json)
from a source directory and writes the trimmed files soc-core compiles in with
`include_str!`:

    crates/core/data/attack/techniques.json   every attack-pattern, revoked and deprecated included
    crates/core/data/attack/groups.json       active intrusion-sets (not revoked, not deprecated)
    crates/core/data/attack/tactics.json      the 14 tactics in matrix order
    crates/core/data/attack/README.md         version, source, counts, attribution

Usage:
    python3 scripts/gen-attack-catalog.py [SOURCE_DIR]

SOURCE_DIR defaults to `<repo>/../shared/data/attack`. Output is deterministic: running it twice
on the same input gives byte-identical files. Standard library only.
"""

import json
import re
import sys
from pathlib import Path

ATTACK_VERSION = "18.1"
CTI_COMMIT = "421deacb77191b38bdd1bf63268954e93da91365"
CTI_DATE = "2025-11-13"

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "crates" / "core" / "data" / "attack"
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "attack"

TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
GROUP_ID = re.compile(r"^G\d{4}$")
TACTIC_ID = re.compile(r"^TA\d{4}$")


def fail(msg):
    print(f"gen-attack-catalog: error: {msg}", file=sys.stderr)
    sys.exit(1)


def load(src, name):
    path = src / name
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"cannot read {path}: {e}")
    if not isinstance(data, list):
        fail(f"{path}: expected a JSON array")
    return data


def technique_key(tid):
    """Sort key: T1059 < T1059.001 < T1059.002 < T1060."""
    base, _, sub = tid[1:].partition(".")
    return (int(base), int(sub) if sub else -1)


def build_techniques(raw):
    out = []
    for t in raw:
        tid = t["id"]
        if not TECHNIQUE_ID.match(tid):
            fail(f"unexpected technique id {tid!r}")
        out.append(
            {
                "id": tid,
                "name": t["name"],
                "tactics": list(t.get("tactics") or []),
                "parent": t.get("parent"),
                "deprecated": bool(t.get("deprecated")),
                "revoked": bool(t.get("revoked")),
                "revoked_by": t.get("revoked_by"),
            }
        )
    out.sort(key=lambda t: technique_key(t["id"]))
    ids = [t["id"] for t in out]
    if len(ids) != len(set(ids)):
        fail("duplicate technique ids")
    known = set(ids)
    for t in out:
        for ref in ("parent", "revoked_by"):
            if t[ref] is not None and t[ref] not in known:
                fail(f"{t['id']}: {ref} {t[ref]!r} is not a known technique")
        if t["revoked"] and t["revoked_by"] is None:
            fail(f"{t['id']}: revoked without revoked_by")
    return out


def build_groups(raw, techniques):
    by_id = {t["id"]: t for t in techniques}
    out = []
    for g in raw:
        if g.get("revoked") or g.get("deprecated"):
            continue
        gid = g["id"]
        if not GROUP_ID.match(gid):
            fail(f"unexpected group id {gid!r}")
        techs = sorted(set(g.get("techniques") or []), key=technique_key)
        for tid in techs:
            if tid not in by_id:
                fail(f"{gid}: unknown technique {tid}")
        aliases = [a for a in (g.get("aliases") or []) if a != g["name"]]
        out.append({"id": gid, "name": g["name"], "aliases": aliases, "techniques": techs})
    out.sort(key=lambda g: int(g["id"][1:]))
    return out


def build_tactics(raw):
    out = []
    for t in raw:
        if t.get("revoked") or t.get("deprecated"):
            continue
        if not TACTIC_ID.match(t["id"]):
            fail(f"unexpected tactic id {t['id']!r}")
        out.append(
            {
                "id": t["id"],
                "name": t["name"],
                "shortname": t["shortname"],
                "matrix_order": int(t["matrix_order"]),
            }
        )
    out.sort(key=lambda t: (t["matrix_order"], t["id"]))
    return out


def dump_lines(path, items):
    """A JSON array with one compact object per line."""
    lines = [json.dumps(i, ensure_ascii=False, separators=(",", ":")) for i in items]
    text = "[\n" + ",\n".join(lines) + "\n]\n"
    path.write_text(text, encoding="utf-8")


def attribution(src):
    """The 'Terms of use / attribution' section of the source README, verbatim."""
    readme = src / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {readme}: {e}")
    marker = "## Terms of use / attribution"
    start = text.find(marker)
    if start < 0:
        fail(f"{readme}: no '{marker}' section")
    body = text[start + len(marker) :]
    end = body.find("\n## ")
    if end >= 0:
        body = body[:end]
    body = body.strip()
    for needed in ("© 2025 The MITRE Corporation", "hereby grants you a non-exclusive"):
        if needed not in body:
            fail(f"{readme}: attribution section lacks {needed!r}")
    return body


def write_readme(path, techniques, groups, tactics, terms):
    active = [t for t in techniques if not t["revoked"] and not t["deprecated"]]
    n_tech = sum(1 for t in active if t["parent"] is None)
    n_sub = len(active) - n_tech
    n_revoked = sum(1 for t in techniques if t["revoked"])
    n_deprecated = sum(1 for t in techniques if t["deprecated"] and not t["revoked"])
    n_links = sum(len(g["techniques"]) for g in groups)
    text = f"""# MITRE ATT&CK Enterprise catalog (v{ATTACK_VERSION})

Generated by `scripts/gen-attack-catalog.py`; do not edit by hand. `soc-core` embeds these
files with `include_str!` (see `crates/core/src/attack/`).

Source: ATT&CK Enterprise v{ATTACK_VERSION}, GitHub `mitre/cti` commit
`{CTI_COMMIT}` ("ATT&CK v{ATTACK_VERSION} Enterprise", {CTI_DATE}),
via the extracted files in `../shared/data/attack/`.

| file | content |
|---|---|
| `techniques.json` | {len(techniques)} attack-patterns (revoked and deprecated included): `id`, `name`, `tactics` (kill-chain phase shortnames), `parent`, `deprecated`, `revoked`, `revoked_by` |
| `groups.json` | {len(groups)} active groups (not revoked, not deprecated): `id`, `name`, `aliases`, `techniques` (direct `uses` of active techniques) |
| `tactics.json` | {len(tactics)} tactics in matrix order: `id`, `name`, `shortname`, `matrix_order` |

Counts: {len(techniques)} technique objects = {n_tech} active techniques + {n_sub} active sub-techniques
+ {n_revoked} revoked + {n_deprecated} deprecated; {len(groups)} active groups with {n_links} group→technique links;
{len(tactics)} tactics.

Each file is a JSON array with one compact object per line, sorted by id (tactics by matrix order).

## Regenerate

```sh
python3 scripts/gen-attack-catalog.py            # reads <repo>/../shared/data/attack
python3 scripts/gen-attack-catalog.py SOURCE_DIR # or another directory with the same files
cargo test -p soc-core attack
```

When moving to a new ATT&CK release, also update `ATTACK_VERSION` in the script and
`VERSION` in `crates/core/src/attack/mod.rs`, and the counts asserted by the tests.

## Terms of use / attribution

{terms}
"""
    path.write_text(text, encoding="utf-8")


def main(argv):
    if len(argv) > 2:
        fail("usage: gen-attack-catalog.py [SOURCE_DIR]")
    src = Path(argv[1]) if len(argv) == 2 else DEFAULT_SOURCE
    if not src.is_dir():
        fail(f"source directory {src} does not exist")

    techniques = build_techniques(load(src, "enterprise-techniques.json"))
    groups = build_groups(load(src, "groups.json"), techniques)
    tactics = build_tactics(load(src, "tactics.json"))
    shortnames = {t["shortname"] for t in tactics}
    for t in techniques:
        for s in t["tactics"]:
            if s not in shortnames:
                fail(f"{t['id']}: unknown tactic {s!r}")
    terms = attribution(src)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    dump_lines(OUT_DIR / "techniques.json", techniques)
    dump_lines(OUT_DIR / "groups.json", groups)
    dump_lines(OUT_DIR / "tactics.json", tactics)
    write_readme(OUT_DIR / "README.md", techniques, groups, tactics, terms)
    print(
        f"wrote {len(techniques)} techniques, {len(groups)} groups, "
        f"{len(tactics)} tactics to {OUT_DIR.relative_to(REPO_ROOT)}"
    )


if __name__ == "__main__":
    main(sys.argv)
