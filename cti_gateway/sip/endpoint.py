"""One pjsua2 endpoint per process, set up the way every Cicada SIP program
needs it: polled by its creating thread, no sound device, G.711 only, and
pjsip's own log sent to Python's logging."""

from __future__ import annotations

import ctypes
import logging
import os
import re

import pjsua2 as pj

log = logging.getLogger("cicada.sip")


class PjsipLog(pj.LogWriter):
    """pjsip's warnings and errors into this process's log (any thread)."""

    def write(self, entry):
        text = entry.msg.strip()
        if not text:
            return
        if _PORT_SKIPPED.search(text):  # pjsua tries the next pair: only the last failure matters
            log.info("pjsip: %s; trying the next port", text)
            return
        log.log(logging.ERROR if entry.level <= 1 else logging.WARNING, "pjsip: %s", text)


# An RTP or RTCP port of a call's range taken, by a call still up when the range came round.
_PORT_SKIPPED = re.compile(r"^RTC?P socket bind\(\) at \S+ error: Address already in use")


def _library() -> ctypes.CDLL:
    return ctypes.CDLL(pj._pjsua2.__file__)


def quiet_pjlib() -> None:
    """pjlib logs its start-up chatter to stdout before libInit applies our
    settings; silence it from the start."""
    _library().pj_log_set_level(0)


def max_calls() -> int:
    """The calls this pjsua2 build holds: the PyPI wheel silently clamps
    maxCalls to 4, other builds allow more."""
    return int(_library().pjsua_call_get_max_count())


def calls_in_use() -> int:
    """The call slots pjsua holds right now, calls being refused or ending included."""
    return int(_library().pjsua_call_get_count())


class SipEndpoint:
    """The process's endpoint, its UDP transport and an account without
    registration for `user@host:port`."""

    def __init__(self, host: str, port: int, *, user: str, requested_calls: int = 1024,
                 user_agent: str = "Cicada", rtp_ports: tuple[int, int] | None = None):
        quiet_pjlib()
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.maxCalls = requested_calls
        config.uaConfig.userAgent = user_agent
        config.medConfig.noVad = True  # keep RTP flowing: NATs and far ends' timers want it
        config.medConfig.clockRate = 8000  # G.711 and the prompts: no resampling
        config.medConfig.sndClockRate = 8000
        config.medConfig.ecTailLen = 0
        config.medConfig.maxMediaPorts = max(254, 2 * requested_calls + 32)
        self.log_writer = PjsipLog()
        config.logConfig.writer = self.log_writer
        config.logConfig.decor = 0
        config.logConfig.level = 2
        config.logConfig.consoleLevel = 2
        self.endpoint.libInit(config)
        self.lines = max_calls()
        transport = pj.TransportConfig()
        transport.boundAddress = host
        transport.port = port
        self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        _prefer_g711(self.endpoint)
        self.host, self.port = host, port
        self.account_config = pj.AccountConfig()
        self.account_config.idUri = f"sip:{user}@{host}:{port}"
        media = self.account_config.mediaConfig.transportConfig
        media.boundAddress = host
        confine_rtp(media, *(rtp_ports or ANY_RTP_PORTS))

    def socket_fd(self) -> int | None:
        """The file descriptor of the SIP transport's UDP socket, so that a program can wait on
        it together with its other inputs; None where /proc cannot tell (then poll instead)."""
        return udp_socket_fd(self.port)

    def poll(self, milliseconds: int) -> None:
        self.endpoint.libHandleEvents(milliseconds)

    def destroy(self) -> None:
        """Call after dropping every Call, player and account object."""
        import gc

        gc.collect()
        self.endpoint.libDestroy()


# Where a program given no RTP ports of its own takes them (a softphone, a test caller).
ANY_RTP_PORTS = (10000, 59999)


def confine_rtp(media: pj.TransportConfig, first: int, last: int) -> None:
    """Every call's RTP and RTCP ports within first..last (first even, last odd).

    pjsua takes the first call's RTP port at a random even offset below `portRange` from
    `port`, each next call's two above, wraps back to `port` past `port + portRange`, and
    skips ports it cannot bind (up to 100 tries); RTCP is one above RTP. So `portRange`
    stops two short of the last port. The random start keeps a restarted worker off the
    ports its predecessor's far ends may still be sending to."""
    media.port = first
    media.portRange = last - first - 1
    media.randomizePort = True


def udp_socket_fd(port: int) -> int | None:
    """This process's file descriptor of the UDP socket bound to `port` (Linux /proc)."""
    inodes = set()
    wanted = f":{port:04X}"
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[1].endswith(wanted):
                inodes.add(fields[9])
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return int(fd)
    return None


def _prefer_g711(endpoint: pj.Endpoint) -> None:
    """Offer and accept only G.711: what trunks and phones all speak, and
    what the conference bridge mixes without transcoding."""
    for codec in endpoint.codecEnum2():
        wanted = {"PCMA/8000/1": 255, "PCMU/8000/1": 254}.get(codec.codecId, 0)
        endpoint.codecSetPriority(codec.codecId, wanted)


def answer(call: pj.Call, code: int, reason: str = "") -> None:
    param = pj.CallOpParam(True)
    param.statusCode = code
    if reason:
        param.reason = reason
    call.answer(param)


def hangup(call: pj.Call, code: int = 0, reason: str = "") -> None:
    param = pj.CallOpParam(True)
    if code:
        param.statusCode = code
        param.reason = reason
    call.hangup(param)


def call_param(headers: dict[str, str] | None = None, from_uri: str | None = None) -> pj.CallOpParam:
    param = pj.CallOpParam(True)
    for name, value in (headers or {}).items():
        header = pj.SipHeader()
        header.hName, header.hValue = name, value
        param.txOption.headers.append(header)
    if from_uri:
        param.txOption.localUri = from_uri
    return param


def active_audio(call: pj.Call) -> pj.AudioMedia | None:
    info = call.getInfo()
    for index, media in enumerate(info.media):
        if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status in (
                pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
            return call.getAudioMedia(index)
    return None
