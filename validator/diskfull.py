"""A full disk (ENOSPC, or a quota: EDQUOT) met anywhere while medcube runs, said as such: which file could not be
written and what to do, instead of a traceback. The run has already cleaned up on the way out (every container,
build and local task is stopped in `finally` blocks); the CLI's entry point prints this and exits 2, as for any other
problem of the machine medcube runs on that the user has to fix. This module only words it.
"""

from __future__ import annotations

import errno

from validator.textsafe import printable

CODES = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in CODES


def message(error: OSError) -> str:
    where = f" writing {error.filename}" if error.filename else ""
    what = "the disk quota is used up" if error.errno == errno.EDQUOT else "no space left on the device"
    return printable(f"error: {what}{where} ({error.strerror})\n"
                     "  hint: free space where the run folder (--run-dir), the reports and the cache "
                     "(MEDCUBE_CACHE_DIR) are, then run again; the run's containers and tasks were stopped")
