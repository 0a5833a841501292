#!/usr/bin/env python3
"""config.py: times `berth config` against `docker-compose config` (1.29.2) on the same files, side by
side in one run: a 10-service file and a generated 500-service file. Prints medians, the ratio and
berth's peak RSS. A benchmark, not a test: it asserts nothing about speed."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
RUNS_BERTH = int(os.environ.get("RUNS_BERTH", "30"))
RUNS_PEER = int(os.environ.get("RUNS_PEER", "7"))


def compose_file(n):
    lines = ["services:"]
    for i in range(n):
        dep = f"\n    depends_on:\n      - svc{i - 1}" if i else ""
        lines.append(f"""  svc{i}:
    image: "registry.local/app${{SUFFIX:-}}:{i}"
    command: ["serve", "--port", "{8000 + i}"]
    environment:
      - INDEX={i}
      - MODE=${{MODE:-prod}}
    ports:
      - "127.0.0.1:{20000 + i}:{8000 + i}"
    volumes:
      - data{i % 10}:/data
      - ./conf/svc{i}.conf:/etc/app.conf:ro
    labels:
      team: "t{i % 7}"
    restart: unless-stopped{dep}""")
    lines.append("volumes:")
    for k in range(10):
        lines.append(f"  data{k}: {{}}")
    return "\n".join(lines) + "\n"


def measure(cmd, cwd):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed in {cwd}: {err}")
    return elapsed, ru.ru_maxrss  # seconds, KiB


def bench(label, cmd, cwd, runs):
    measure(cmd, cwd)  # warm the page cache
    samples = [measure(cmd, cwd) for _ in range(runs)]
    times = [s[0] for s in samples]
    return statistics.median(times), max(s[1] for s in samples)


def main():
    peer = shutil.which("docker-compose")
    if not peer:
        raise SystemExit("docker-compose (Debian package docker-compose) is needed as the peer")
    version = subprocess.run([peer, "version", "--short"], capture_output=True, text=True).stdout.strip()
    print(f"berth config vs docker-compose {version} config; medians of {RUNS_BERTH} and {RUNS_PEER} runs")
    print(f"{'file':<14}{'berth':>12}{'compose':>12}{'ratio':>9}{'berth RSS':>12}")
    for n in (10, 500):
        d = tempfile.mkdtemp(prefix=f"berth-bench-{n}-")
        os.makedirs(os.path.join(d, "conf"))
        for i in range(n):
            open(os.path.join(d, "conf", f"svc{i}.conf"), "w").write(f"port={8000 + i}\n")
        open(os.path.join(d, "compose.yaml"), "w").write(compose_file(n))
        b, rss = bench("berth", [BERTH, "config", "-p", "bench"], d, RUNS_BERTH)
        c, _ = bench("compose", [peer, "-p", "bench", "-f", "compose.yaml", "config"], d, RUNS_PEER)
        print(f"{str(n) + ' services':<14}{b * 1000:>10.1f}ms{c * 1000:>10.1f}ms{c / b:>8.1f}x{rss / 1024:>9.1f} MiB")
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
