"""PASS/FAIL bookkeeping and process helpers shared by the Python test drivers."""
import os
import signal
import subprocess
import sys


def run_group(cmd, timeout, preexec_fn=None):
    """Runs cmd in a session of its own: (returncode, or None when it ran past timeout
    and the whole session was killed, stdout, stderr)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         errors="replace", start_new_session=True, preexec_fn=preexec_fn)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return None, out, err


def run_logged(cmd, timeout, **kw):
    """Prints and runs cmd; (returncode, stdout, stderr); a timeout reads as rc None."""
    print("$ " + " ".join(cmd), flush=True)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        return None, out if isinstance(out, str) else out.decode(errors="replace"), \
            f"timed out after {timeout} s"
    except OSError as e:
        return 127, "", str(e)


def describe(rc, err):
    """"exit N: <first error line>" (or "signal N: ..."); err itself for a timeout."""
    if rc is None:
        return err
    first = next((l for l in err.splitlines() if "error" in l.lower()), None)
    first = first or next((l for l in err.splitlines() if l.strip()), "")
    why = f"signal {-rc}" if rc < 0 else f"exit {rc}"
    return f"{why}: {first.strip()[:300]}"


def leftovers(out_dir):
    """Every file under out_dir, relative and sorted."""
    found = []
    for root, _, files in os.walk(out_dir):
        found += [os.path.relpath(os.path.join(root, f), out_dir) for f in files]
    return sorted(found)


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
