"""measure.py: what the benchmarks share: a command's wall time and its peak RSS, and a running process's
resident memory."""
import subprocess
import tempfile
import time


def run(cmd, cwd, env):
    """Runs cmd; returns its time and its peak RSS in KiB, which GNU time reads for the command alone
    (a rusage taken here would count this Python process, forked before the exec)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
        dt = time.perf_counter() - t
        if p.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.decode(errors='replace')[-800:]}")
        return dt, int(rss.read().split()[-1])


def rss_mb(pid):
    """The resident memory of a running process in MiB (0 once it is gone)."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
