"""What the operating system refuses, met anywhere while medcube runs, said as such instead of a traceback: a full
disk (ENOSPC, or a quota: EDQUOT) and a path longer than the system takes (ENAMETOOLONG: a path the user typed, or
one a file names). The run has already cleaned up on the way out (every container, build and local task is stopped
in `finally` blocks); the CLI prints this and exits 2, as for any other problem the user has to fix. This module
only words it.
"""

from __future__ import annotations

import errno

from validator.textsafe import printable

CODES = (errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG)


def is_refused(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in CODES


def message(error: OSError) -> str:
    name = str(error.filename) if error.filename else ""
    if error.errno == errno.ENAMETOOLONG:
        shown = name if len(name) <= 120 else name[:100] + "..." + name[-17:]
        return printable(f"error: a path longer than the system takes ({len(name.encode('utf-8', 'replace'))} "
                         f"bytes): {shown}\n  hint: use a shorter path (at most 4095 bytes, 255 a name)")
    where = f" writing {name}" if name else ""
    what = "the disk quota is used up" if error.errno == errno.EDQUOT else "no space left on the device"
    return printable(f"error: {what}{where} ({error.strerror})\n"
                     "  hint: free space where the run folder (--run-dir), the reports and the cache "
                     "(MEDCUBE_CACHE_DIR) are, then run again; the run's containers and tasks were stopped")
