"""The hash-chained custody log (监管链): one JSON object per line, append-only.

Each entry carries `prev`, the SHA-256 of the previous entry's line (64 zeros for the first),
so editing, deleting or reordering any entry breaks the chain at the next one. The SHA-256 and
count of the last entry are also kept in `custody.head`, so that removing or editing the final
entry is caught too. Writers hold the case lock (see `huiyan.intake.store.Case`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huiyan import __version__

GENESIS = "0" * 64


def default_actor() -> str:
    actor = os.environ.get("HUIYAN_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:
        return f"uid:{os.getuid()}"


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass
class Problem:
    seq: int | None
    message: str


class CustodyLog:
    def __init__(self, path: Path):
        self.path = path
        self.head_path = path.with_suffix(".head")

    def _tail(self) -> tuple[int, str]:
        """(next sequence number, hash of last entry) from the log itself."""
        if not self.path.exists():
            return 0, GENESIS
        last = None
        n = 0
        with open(self.path, "rb") as fh:
            for line in fh:
                if line.strip():
                    last = line
                    n += 1
        return n, (_line_hash(last) if last else GENESIS)

    def append(self, action: str, *, actor: str | None = None, **fields: Any) -> dict[str, Any]:
        """Append one entry. The caller holds the case lock."""
        seq, prev = self._tail()
        entry = {
            "seq": seq,
            "time": datetime.now(UTC).isoformat(timespec="microseconds"),
            "actor": actor or default_actor(),
            "tool": f"huiyan {__version__}",
            "action": action,
            **fields,
            "prev": prev,
        }
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
        with open(self.path, "ab") as fh:
            fh.write(line + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp = self.head_path.with_suffix(".head.tmp")
        tmp.write_text(json.dumps({"count": seq + 1, "last": _line_hash(line)}))
        os.replace(tmp, self.head_path)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_bytes().splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def verify(self, store_root: Path | None = None) -> list[Problem]:
        """Check the chain, the head record and (with `store_root`) every stored original.

        Returns the problems found, first broken entry first; an empty list means intact.
        """
        problems: list[Problem] = []
        if not self.path.exists():
            if self.head_path.exists():
                problems.append(Problem(None, "custody log is missing but its head record exists"))
            return problems
        prev = GENESIS
        count = 0
        stored: dict[str, str] = {}
        for lineno, line in enumerate(self.path.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                problems.append(Problem(count, f"line {lineno} is not valid JSON"))
                prev = _line_hash(line)
                count += 1
                continue
            if e.get("prev") != prev:
                problems.append(
                    Problem(
                        e.get("seq", count),
                        f"entry {e.get('seq', count)} (line {lineno}) does not follow the previous entry: "
                        "an entry before it was edited, removed or moved",
                    )
                )
            if e.get("seq") != count:
                problems.append(
                    Problem(e.get("seq"), f"line {lineno} has sequence number {e.get('seq')}, expected {count}")
                )
            if e.get("action") == "intake" and e.get("stored"):
                stored[e["stored"]] = e.get("sha256", "")
            prev = _line_hash(line)
            count += 1
        if self.head_path.exists():
            try:
                head = json.loads(self.head_path.read_text())
            except json.JSONDecodeError:
                head = {}
            if head.get("count") != count or head.get("last") != prev:
                problems.append(
                    Problem(
                        count - 1,
                        f"the log ends at entry {count - 1} but its head record names entry "
                        f"{head.get('count', 0) - 1}: the last entries were edited or removed",
                    )
                )
        elif count:
            problems.append(Problem(None, "custody head record is missing"))
        if store_root is not None:
            for rel, sha in stored.items():
                p = store_root / rel
                if not p.exists():
                    problems.append(Problem(None, f"stored original {rel} is missing"))
                    continue
                if sha256_file(p)[0] != sha:
                    problems.append(Problem(None, f"stored original {rel} no longer matches its SHA-256"))
        problems.sort(key=lambda p: (p.seq is None, p.seq if p.seq is not None else 0))
        return problems


def sha256_file(path: Path, chunk: int = 1 << 20) -> tuple[str, str, int]:
    """(SHA-256, MD5, size) of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    m = hashlib.md5(usedforsecurity=False)
    n = 0
    with open(path, "rb") as fh:
        while True:
            b = fh.read(chunk)
            if not b:
                break
            h.update(b)
            m.update(b)
            n += len(b)
    return h.hexdigest(), m.hexdigest(), n
