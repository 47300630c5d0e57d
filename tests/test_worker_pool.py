"""The SIP worker pool's decisions, on a fake clock and fake processes: each
worker's own RTP ports, an exited worker replaced at once, a silent one
killed only for silence that counts against it."""

from __future__ import annotations

import logging
import signal

import pytest
import zmq

from bus import sipworker as msg
from cti_gateway.sip.pool import START_TIMEOUT, PoolError, WorkerPool, rtp_slices
from sipp_tools import free_udp_port


class FakeProcess:
    pids = iter(range(1000, 100000))

    def __init__(self, command, **_options):
        self.command = command
        self.pid = next(self.pids)
        self.returncode = None
        self.killed = False

    def poll(self):
        return self.returncode

    def kill(self):
        self.killed = True
        self.returncode = -signal.SIGKILL

    def wait(self, timeout=None):
        return self.returncode


class ReportSocket:
    """The workers' socket, as the pool sees it: whether reports wait unread."""

    def __init__(self):
        self.waiting = False

    def get(self, option):
        assert option == zmq.EVENTS
        return zmq.POLLIN if self.waiting else 0


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Machine:
    """The pool with two workers, and the time their main threads waited for a CPU."""

    def __init__(self, silence_timeout=15.0, rtp_ports=(10000, 19999)):
        self.clock = Clock()
        self.cpu_waits: dict[int, float] = {}
        self.lost: list[tuple[str, str]] = []
        self.pool = WorkerPool(
            host="127.0.0.1", ports=[free_udp_port(), free_udp_port()], control_address="tcp://127.0.0.1:1", trusted=[],
            lines_per_call=2, on_report=lambda w, r: None,
            on_lost=lambda w, reason: self.lost.append((w.name, reason)), on_up=lambda w: None,
            rtp_ports=rtp_ports, lines_per_worker=4, silence_timeout=silence_timeout,
            clock=self.clock, cpu_wait=lambda pid: self.cpu_waits.get(pid, 0.0), popen=FakeProcess)
        self.pool.spawn_all()
        self.reports = self.pool.socket = ReportSocket()
        for name in self.pool.workers:
            self.hello(name)
        self.pool.supervise()  # the gateway's loop begins

    def worker(self, name):
        return self.pool.workers[name]

    def hello(self, name):
        worker = self.worker(name)
        self.pool.handle_report(name.encode(), msg.Hello(worker=name, pid=worker.pid, lines=4,
                                                         sip_address=worker.address))

    def heartbeat(self, name):
        self.pool.handle_report(name.encode(), msg.Heartbeat(worker=name, legs=0))

    def passes(self, seconds, every=0.5, beating=("w2",)):
        """Supervision passes for `seconds`, the workers in `beating` reporting each second."""
        for step in range(round(seconds / every)):
            self.clock.now += every
            if step % round(1 / every) == 0:
                for name in beating:
                    self.heartbeat(name)
            self.pool.supervise()


def test_each_worker_has_its_own_rtp_ports_and_keeps_them_when_restarted():
    machine = Machine()
    w1, w2 = machine.worker("w1"), machine.worker("w2")
    assert (w1.rtp_ports, w2.rtp_ports) == ((10000, 14999), (15000, 19999))
    assert "--rtp-ports" in w1.process.command
    assert w1.process.command[w1.process.command.index("--rtp-ports") + 1] == "10000-14999"
    first_process = w1.process
    first_process.returncode = 1
    machine.passes(1.0)
    assert w1.process is not first_process and w1.state == "starting"
    assert w1.process.command[w1.process.command.index("--rtp-ports") + 1] == "10000-14999"


def test_rtp_slices_are_disjoint_even_and_inside_the_range():
    slices = rtp_slices((10001, 19999), workers=79, lines=4)
    assert len(slices) == 79
    for first, last in slices:
        assert first % 2 == 0 and last % 2 == 1 and 10001 <= first < last <= 19999
        assert last - first + 1 >= 4 * 2 * 2
    assert all(a[1] < b[0] for a, b in zip(slices, slices[1:]))


def test_rtp_ports_too_few_for_the_workers_say_how_many_are_needed():
    with pytest.raises(PoolError, match=r"rtp_ports 10000-10099 give each of the 55 SIP workers 0 ports; "
                                        r"each needs 16 .* at least 880 ports"):
        rtp_slices((10000, 10099), workers=55, lines=4)


def test_a_worker_that_exits_is_found_at_the_next_pass_and_restarted(caplog):
    machine = Machine()
    w1 = machine.worker("w1")
    old_pid = w1.pid
    w1.process.returncode = -signal.SIGSEGV
    with caplog.at_level(logging.ERROR):
        machine.pool.supervise()
    assert machine.lost == [("w1", "the process was killed by SIGSEGV")]
    assert "SIP worker w1 (pid %d) lost: the process was killed by SIGSEGV; restarting in 0.5 s" % old_pid \
        in caplog.text
    machine.passes(0.5)
    assert w1.state == "starting" and w1.pid != old_pid and w1.restarts == 1


def test_a_silent_worker_is_killed_after_its_silence_timeout(caplog):
    machine = Machine(silence_timeout=15.0)
    w1, w2 = machine.worker("w1"), machine.worker("w2")
    process = w1.process
    machine.passes(15.0)
    assert machine.lost == [] and w1.state == "up"
    with caplog.at_level(logging.ERROR):
        machine.passes(1.0)
    assert process.killed and w1.state == "down"
    name, reason = machine.lost[0]
    assert name == "w1" and reason.startswith("it sent nothing for 16.0 s, of which 16.0 s count against it")
    assert "(limit 15 s;" in caplog.text
    assert w2.state == "up"  # it kept reporting


def test_a_report_read_after_the_first_pass_over_the_limit_saves_the_worker():
    machine = Machine(silence_timeout=15.0)
    w1 = machine.worker("w1")
    machine.passes(15.5)
    assert w1.over_limit and w1.state == "up"
    machine.heartbeat("w1")  # it was waiting unread: the gateway's loop reads it before the next pass
    machine.passes(1.0)
    assert machine.lost == [] and w1.state == "up" and not w1.over_limit


def test_no_worker_is_judged_silent_while_reports_wait_unread(caplog):
    machine = Machine(silence_timeout=15.0)
    w1 = machine.worker("w1")
    machine.reports.waiting = True  # the gateway's loop is behind reading its workers' reports
    machine.passes(30.0)
    assert machine.lost == [] and w1.silent_for > 15.0
    machine.heartbeat("w1")  # it was among them
    machine.reports.waiting = False
    with caplog.at_level(logging.WARNING):
        machine.passes(1.0)
    assert machine.lost == [] and w1.state == "up"
    assert "read its workers' reports late for 30.0 s; no worker was judged silent" in caplog.text
    machine.reports.waiting = True
    machine.passes(20.0)
    assert machine.lost == []
    machine.reports.waiting = False  # caught up, and nothing of w1 among them
    machine.passes(0.5)
    assert [name for name, _ in machine.lost] == ["w1"]


def test_time_the_gateway_itself_stalled_is_not_the_workers_silence(caplog):
    machine = Machine(silence_timeout=15.0)
    w1 = machine.worker("w1")
    machine.passes(5.0, beating=("w1", "w2"))
    machine.clock.now += 40.0  # the gateway's loop stalled: no pass, no report read
    with caplog.at_level(logging.WARNING):
        machine.pool.supervise()
    assert "the gateway's loop stalled for 40.0 s" in caplog.text
    machine.heartbeat("w1")
    machine.heartbeat("w2")
    machine.passes(5.0, beating=("w1", "w2"))
    assert machine.lost == [] and w1.state == "up"


def test_time_a_worker_waited_for_a_cpu_is_not_its_silence():
    machine = Machine(silence_timeout=15.0)
    w1 = machine.worker("w1")
    for _ in range(60):  # 30 s, of which its main thread waited 0.4 s of every 0.5 s for a CPU
        machine.cpu_waits[w1.pid] = machine.cpu_waits.get(w1.pid, 0.0) + 0.4
        machine.passes(0.5)
    assert machine.lost == [] and w1.state == "up"
    # Its first 2 s of silence count whole (its CPU wait is read from then on), then 0.1 s a pass.
    assert w1.silent_for == pytest.approx(2.0 + 56 * 0.1)
    for _ in range(20):  # then its loop hangs without waiting for a CPU: 7.4 s more count fully
        machine.passes(0.5)
    assert [name for name, _ in machine.lost] == ["w1"]
    assert "it sent nothing for 38.0 s, of which 15.6 s count" in machine.lost[0][1]


def test_the_cpu_wait_of_workers_heard_from_lately_is_not_read():
    machine = Machine()
    machine.cpu_wait_reads = 0
    machine.pool.cpu_wait = lambda pid: setattr(machine, "cpu_wait_reads", machine.cpu_wait_reads + 1)
    machine.passes(10.0, beating=("w1", "w2"))
    assert machine.cpu_wait_reads == 0


def test_a_worker_that_does_not_say_hello_is_killed_after_the_start_timeout():
    machine = Machine()
    w1 = machine.worker("w1")
    w1.process.returncode = 1
    machine.passes(1.0)  # replaced, and silent from then on
    assert w1.state == "starting"
    machine.passes(START_TIMEOUT + 1.0)
    name, reason = machine.lost[-1]
    assert name == "w1" and reason.startswith("it sent no hello for")


def test_pjsua2s_capacity_is_probed_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    from cti_gateway.sip import pool

    probes = []
    monkeypatch.setattr(pool, "probe_lines", lambda python: probes.append(python) or 4)
    assert pool.cached_probe_lines(tmp_path) == 4
    assert pool.cached_probe_lines(tmp_path) == 4
    assert len(probes) == 1


def test_pjsua2s_capacity_is_probed_again_for_another_build_or_a_damaged_cache(tmp_path, monkeypatch):
    from cti_gateway.sip import pool

    probes = []
    monkeypatch.setattr(pool, "probe_lines", lambda python: probes.append(python) or 4)
    pool.cached_probe_lines(tmp_path)
    monkeypatch.setattr(pool, "_pjsua2_build_key", lambda python: "another build")
    pool.cached_probe_lines(tmp_path)
    (tmp_path / pool.LINES_CACHE_NAME).write_text("{not json")
    pool.cached_probe_lines(tmp_path)
    assert len(probes) == 3
    pool.cached_probe_lines(tmp_path)
    assert len(probes) == 3


def test_the_real_pjsua2_capacity_probe_agrees_with_its_cache(tmp_path):
    from cti_gateway.sip import pool

    first = pool.cached_probe_lines(tmp_path)
    assert first == pool.probe_lines() and first >= 1
    assert pool.cached_probe_lines(tmp_path) == first
    assert (tmp_path / pool.LINES_CACHE_NAME).exists()
