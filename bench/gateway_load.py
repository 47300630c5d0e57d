"""Load on the CTI gateway through its front door, and the figures it sustains.

For each call rate in turn, starts a real `cicada gateway` sized for it
(Kamailio in front of as many SIP workers as the concurrent calls need),
logs in enough agents whose phones are one SIPp UAS answering at once with
RTP echo, and drives it with SIPp customers (also echoing RTP). Each call waits in the queue, is
offered, answered, bridged and held for --hold seconds. For each rate it
prints the calls placed and failed, the peak of concurrently bridged calls,
the setup latency (INVITE to 200 OK) p50/p99, the CPU used and the memory
(proportional set size of the gateway, its workers and Kamailio) per
concurrent call: in all, and above the idle gateway; and what went wrong:
the callers' rejections by status, SIP workers lost (and why), the longest
stall of the gateway's loop, the machine's load average (other work on the
machine shows there). It stops at the first rate with a failed call.

    .venv/bin/python bench/gateway_load.py                     # 10..60 calls/s, 4.5 s calls
    .venv/bin/python bench/gateway_load.py --rates 50 --seconds 30 --hold 4.5
    .venv/bin/python bench/gateway_load.py --rates 20 --repeat 4        # one rate, four runs
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from cti_gateway.client import CtiError, GatewayUnreachable  # noqa: E402
from gateway_harness import RunningGateway  # noqa: E402
from sipp_tools import Sipp  # noqa: E402

console = Console(width=190)


def process_tree(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / 100.0


def process_kind(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    if b"cti_gateway.sip.worker" in command:
        return "workers"
    if command and command[0].endswith(b"kamailio"):
        return "kamailio"
    return "gateway"


def cpu_by_kind(pids: list[int]) -> dict[str, float]:
    kinds: dict[str, list[int]] = {}
    for pid in pids:
        kinds.setdefault(process_kind(pid), []).append(pid)
    return {kind: cpu_seconds(members) for kind, members in kinds.items()}


def rtt_milliseconds(workdir: Path) -> list[float]:
    values = []
    for path in workdir.glob("*_rtt.csv"):
        with path.open() as handle:
            for row in csv.reader(handle, delimiter=";"):
                if len(row) >= 2:
                    try:
                        values.append(float(row[1]))
                    except ValueError:
                        continue
    return values


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(args) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="cicada-load-"))
    results = []
    for rate in args.rates:
        for attempt in range(1, args.repeat + 1):
            name = f"rate-{rate:g}" + (f"-run{attempt}" if args.repeat > 1 else "")
            results.append(run_rate(workdir / name, rate, args))
            print_results(results)
        if any(r["failed"] or r["unanswered"] for r in results if r["rate"] == rate):
            break
    failed_rates = {r["rate"] for r in results if r["failed"] or r["unanswered"]}
    good = [r for r in results if r["rate"] not in failed_rates]
    best = max(good, key=lambda r: r["rate"]) if good else None
    if best:
        console.print(f"highest rate with no failed call: {best['rate']:g} calls/s; peak "
                      f"{best['peak']} bridged calls; setup p50 {best['p50']:.1f} ms, "
                      f"p99 {best['p99']:.1f} ms; {best['kib_per_call']:.0f} KiB per concurrent call "
                      f"(all processes, {best['added_kib_per_call']:.0f} KiB above idle)")
    else:
        console.print("[red]calls failed at every rate tried[/red]")
    return 0 if best else 1


def run_rate(workdir: Path, rate: float, args) -> dict:
    """One rate against a gateway sized for it, as a site sizes its gateway for its peak."""
    capacity = args.calls or int(rate * args.hold * 1.1) + 10
    agents = {f"a{i:03d}": {"billing": 5} for i in range(capacity + 10)}
    console.print(f"[bold]{rate:g} calls/s[/bold]: a gateway for {capacity} concurrent calls "
                  f"(lines_per_call {args.lines_per_call}), {len(agents)} agents, in {workdir}")
    gateway = RunningGateway(workdir / "gateway", agents=agents,
                             queues=[{"name": "billing", "numbers": ["4001"], "skills": {"billing": 1},
                                      "service_level": 20}],
                             concurrent_calls=capacity, lines_per_call=args.lines_per_call,
                             ring_timeout=10, wrap_up_seconds=0, stats_interval=5)
    started = time.monotonic()
    gateway.start(timeout=600)
    console.print(f"{gateway.banner} (started in {time.monotonic() - started:.0f} s)")
    workers = len(gateway.status().workers)
    phones = Sipp("agent", keys={"answer_ms": 0}, extra_args=["-rtp_echo"], trace_messages=False,
                  workdir=workdir / "phones", lifetime=24 * 3600).start()
    try:
        log_in(gateway, agents, phones.port)
        time.sleep(2)  # let the logins settle
        result = one_rate(gateway, workdir, rate, args)
    finally:
        phones.stop()
        gateway.stop()
    return {**result, **troubles(gateway.log_path.read_text(errors="replace")), "workers": workers}


def troubles(gateway_log: str) -> dict:
    """What the gateway logged going wrong: workers lost and why, its loop's longest stall."""
    lost = re.findall(r"SIP worker (w\d+) \(pid \d+\) lost: (.*?); restarting", gateway_log)
    stalls = [float(s) for s in re.findall(r"the gateway's loop stalled for ([\d.]+) s", gateway_log)]
    return {"workers_lost": len(lost), "lost_why": [f"{name}: {why}" for name, why in lost],
            "longest_stall": max(stalls, default=0.0)}


def rejections(events_log: Path) -> str:
    """The callers' failures by SIP status, e.g. '486 x2, 503 x6'."""
    counts = collections.Counter(re.findall(r"event=rejected status=(\d+)", events_log.read_text())
                                 if events_log.exists() else [])
    return ", ".join(f"{status} x{count}" for status, count in sorted(counts.items()))


def log_in(gateway: RunningGateway, agents: dict, phone_port: int) -> None:
    """Every agent logged in and Ready. The gateway's login guard lets one address log in
    30 agents at once, then 2 a second: wait as it says."""
    for name in agents:
        while True:
            try:
                gateway.desktop(name, f"sip:{name}@127.0.0.1:{phone_port}")
                break
            except CtiError as exc:
                if exc.code not in ("rate_limited", "busy"):
                    raise
                time.sleep(0.5)


def one_rate(gateway: RunningGateway, workdir: Path, rate: float, args) -> dict:
    total = int(rate * args.seconds)
    load_before = os.getloadavg()[0]
    tree = process_tree(gateway.process.pid)
    idle_pss = pss_kib(tree)
    cpu_before, wall_before = cpu_by_kind(tree), time.monotonic()
    customers = Sipp("customer", remote=gateway.sip_address, service="4001", rate=rate,
                     calls=total, limit=int(rate * args.hold * 2) + 20,
                     keys={"hold_ms": int(args.hold * 1000)}, trace_messages=args.trace,
                     extra_args=["-rtp_echo", "-trace_rtt", "-rtt_freq", "1"],
                     workdir=workdir / f"customers-{rate:g}").start()
    peak, peak_pss = 0, idle_pss
    deadline = time.monotonic() + args.seconds + args.hold + 60
    customer_cpu, unanswered = 0.0, 0
    while customers.running() and time.monotonic() < deadline:
        customer_cpu = max(customer_cpu, cpu_seconds([customers.process.pid]))
        try:
            status = gateway.status()
        except GatewayUnreachable:
            unanswered += 1  # overloaded: its commands wait behind the calls' work
            continue
        busy = sum(1 for a in status.agents if a.mode == "busy")
        if busy > peak:
            peak = busy
            peak_pss = max(peak_pss, pss_kib(process_tree(gateway.process.pid)))
        time.sleep(1.0)
    result = customers.wait(max(1.0, deadline - time.monotonic()))  # calls still up then failed
    wall = time.monotonic() - wall_before
    cpu_after = cpu_by_kind(process_tree(gateway.process.pid))
    cpu = {kind: (cpu_after.get(kind, 0.0) - cpu_before.get(kind, 0.0)) / wall
           for kind in ("gateway", "workers", "kamailio")}
    cpu["SIPp customers"] = customer_cpu / wall
    rtts = rtt_milliseconds(customers.workdir)
    failed = result.failed + max(0, total - result.successful - result.failed)
    errors = "" if result.ok else result.describe()[-800:]
    if unanswered:
        errors += f"\nthe gateway left {unanswered} status request(s) unanswered for 10 s"
    load = (load_before, os.getloadavg()[0])
    return {"rate": rate, "placed": total, "ok": result.successful, "failed": failed, "load": load,
            "rejected": rejections(customers.workdir / "events.log"),
            "peak": peak, "p50": percentile(rtts, 0.5), "p99": percentile(rtts, 0.99),
            "cpu": sum(v for k, v in cpu.items() if k != "SIPp customers"), "cpu_by_kind": cpu,
            "kib_per_call": peak_pss / peak if peak else float("nan"),
            "added_kib_per_call": (peak_pss - idle_pss) / peak if peak else float("nan"),
            "pss_mib": peak_pss / 1024, "errors": errors, "unanswered": unanswered}


def print_results(results: list[dict]) -> None:
    table = Table(title="CTI gateway under load")
    for column in ("calls/s", "placed", "ok", "failed", "rejected", "peak bridged", "setup p50 ms",
                   "setup p99 ms", "CPU cores", "PSS MiB", "KiB per call", "workers", "lost",
                   "longest stall s", "load avg"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(f"{r['rate']:g}", str(r["placed"]), str(r["ok"]), str(r["failed"]),
                      r["rejected"], str(r["peak"]), f"{r['p50']:.1f}", f"{r['p99']:.1f}",
                      f"{r['cpu']:.2f}", f"{r['pss_mib']:.0f}", f"{r['kib_per_call']:.0f}",
                      str(r["workers"]), str(r["workers_lost"]), f"{r['longest_stall']:.1f}",
                      "%.1f-%.1f" % r["load"])
    console.print(table)
    for why in results[-1]["lost_why"]:
        console.print(f"SIP worker lost: {why}")
    last = results[-1]["cpu_by_kind"]
    console.print("CPU cores at the last rate: " + ", ".join(f"{k} {v:.2f}" for k, v in last.items()))
    if results[-1]["errors"]:
        console.print(results[-1]["errors"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="10,20,30,40,50,60",
                        help="call rates to try in turn, calls per second (default 10,20,...,60)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each rate (default 1)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of calls per rate")
    parser.add_argument("--hold", type=float, default=4.5, help="seconds each call stays bridged")
    parser.add_argument("--calls", type=int, default=0,
                        help="concurrent calls each gateway is sized for (default: 110%% of the "
                             "rate's peak, plus 10)")
    parser.add_argument("--trace", action="store_true",
                        help="keep every SIP message of the customers (messages.log), to study a failure")
    parser.add_argument("--lines-per-call", type=int, default=2,
                        help="lines reserved per call in a worker (2: no consult line)")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
