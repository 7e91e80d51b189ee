"""PASS/FAIL bookkeeping shared by the Python test drivers."""
import sys


class Checks:
    """Counts checks and prints one PASS/FAIL line per check."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return ok
