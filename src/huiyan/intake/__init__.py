"""Evidence intake (检材固定保全): hashing, the read-only store and the custody log."""

from huiyan.intake.custody import CustodyLog, sha256_file
from huiyan.intake.store import Case, Intake

__all__ = ["Case", "CustodyLog", "Intake", "sha256_file"]
