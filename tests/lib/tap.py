"""tap.py: TAP output for the Python integration tests, and the small things they all need."""
import socket
import sys

_n = 0
_failed = 0


def check(what, ok, detail=""):
    """One check: "ok N - what", or "not ok N - what" with the detail's first lines as comments."""
    global _n, _failed
    _n += 1
    _failed += 0 if ok else 1
    print(f"{'ok' if ok else 'not ok'} {_n} - {what}")
    if not ok and detail:
        for line in str(detail).splitlines()[:20]:
            print(f"# {line}")
    sys.stdout.flush()


def done():
    """Prints the plan; the exit status for sys.exit."""
    print(f"1..{_n}")
    return 1 if _failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
