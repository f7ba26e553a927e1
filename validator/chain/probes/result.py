"""What one probe found: its status, a line for the table, its own runs and time, and its findings (the probes'
report entries, validator.chain.probes.session makes them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from validator.findings import Finding


@dataclass
class ProbeResult:
    name: str
    status: str = "passed"  # passed | failed | warning | skipped | cancelled
    message: str = ""
    seconds: float = 0.0
    runs: int = 0  # task runs of its own
    findings: list[Finding] = field(default_factory=list)

    def settle(self) -> None:
        if any(f.is_error for f in self.findings):
            self.status = "failed"
        elif self.findings and self.status == "passed":
            self.status = "warning"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "runs": self.runs,
            "findings": [f.to_dict() for f in self.findings],
        }
