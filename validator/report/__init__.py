"""Findings and chain runs for people and tools; html.py renders a run as one self-contained page.

Until validator/report.py is split into this package, its names are loaded from that file here."""

import importlib.util as _util
from pathlib import Path as _Path

_spec = _util.spec_from_file_location("validator._report_text", _Path(__file__).parent.parent / "report.py")
_module = _util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
