"""The case folder: a content-addressed, read-only evidence store and its custody log (检材固定保全).

Layout of a case folder::

    case/
      evidence/ab/abcdef...   original bytes, named by SHA-256, read-only
      custody.jsonl           hash-chained custody log
      custody.head            count and hash of the last log entry
      artifacts/<sha256>/     figures and heatmaps written by detectors and reports
      .lock                   held while the store or the log is written

Concurrent runs on the same case serialise on the lock; the copy is written to a temporary file
and renamed into place, so an interrupted run never leaves a partial original.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from huiyan.intake.custody import CustodyLog, sha256_file


def default_case_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("huiyan", appauthor=False)) / "cases" / "default"


@dataclass
class Intake:
    original: Path  # as given
    stored: Path  # the read-only copy analysed
    sha256: str
    md5: str
    size: int
    new: bool  # False when the same bytes were already in the store


class Case:
    def __init__(self, root: Path | str | None = None, *, actor: str | None = None):
        self.root = Path(root) if root else default_case_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.evidence = self.root / "evidence"
        self.evidence.mkdir(exist_ok=True)
        self.log = CustodyLog(self.root / "custody.jsonl")
        self.actor = actor
        from filelock import FileLock

        self.lock = FileLock(str(self.root / ".lock"), timeout=600)

    def artifact_dir(self, sha256: str) -> Path:
        return self.root / "artifacts" / sha256

    def intake(self, path: Path) -> Intake:
        """Hash `path`, copy it once into the store (read-only) and log the intake."""
        sha, md5, size = sha256_file(path)
        rel = Path("evidence") / sha[:2] / sha
        dest = self.root / rel
        with self.lock:
            new = not dest.exists()
            if new:
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
                shutil.copyfile(path, tmp)
                if sha256_file(tmp)[0] != sha:
                    tmp.unlink(missing_ok=True)
                    raise OSError(f"{path}: the file changed while it was being copied into the store")
                os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
                os.replace(tmp, dest)
            self.log.append(
                "intake",
                actor=self.actor,
                sha256=sha,
                md5=md5,
                size=size,
                source=str(path),
                stored=str(rel),
                new_copy=new,
            )
        return Intake(original=path, stored=dest, sha256=sha, md5=md5, size=size, new=new)

    def record(self, action: str, **fields) -> dict:
        with self.lock:
            return self.log.append(action, actor=self.actor, **fields)

    def verify(self):
        """The custody log's problems, plus stored originals that no intake entry records (an
        evidence store whose log was deleted or replaced must not verify as intact)."""
        from huiyan.intake.custody import Problem

        problems = self.log.verify(self.root)
        if self.evidence.is_dir():
            recorded = set()
            if self.log.path.exists():
                for line in self.log.path.read_bytes().splitlines():
                    try:
                        e = json.loads(line)
                    except json.JSONDecodeError:  # already reported by the chain check
                        continue
                    if isinstance(e, dict) and e.get("action") == "intake":
                        recorded.add(e.get("stored"))
            for p in sorted(self.evidence.glob("*/*")):
                rel = p.relative_to(self.root).as_posix()
                if p.is_file() and ".tmp" not in p.name and rel not in recorded:
                    problems.append(Problem(None, f"stored original {rel} is not recorded in the custody log"))
        return problems
