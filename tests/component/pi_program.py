"""A stand-in program for the emulated Pi's boot tests: reports what it was started with.

``python -m tests.component.pi_program MODE [ARG]``: ``report`` prints argv, cwd, one
environment variable and whether the volatile SD card is SQLite's default VFS, then exits 0;
``exit N`` exits with status N; ``raise`` dies of an uncaught exception; ``burn S``
spends S seconds of CPU; ``sleep`` waits to be killed.
"""

import json
import os
import sys
import time


def main() -> int:
    mode = sys.argv[1]
    if mode == "report":
        import apsw

        print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "pid": os.getpid(),
                          "marker": os.environ.get("PI_PROGRAM_MARKER"),
                          "vfs": apsw.vfs_names()[0] if apsw.vfs_names() else ""}))
        return 0
    if mode == "exit":
        return int(sys.argv[2])
    if mode == "burn":
        end = time.process_time() + float(sys.argv[2])
        while time.process_time() < end:
            pass
        return 0
    if mode == "raise":
        raise RuntimeError("the program fell over")
    print(os.getpid(), flush=True)
    time.sleep(120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
