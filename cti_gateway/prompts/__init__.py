"""What a caller hears while waiting in a queue: spoken prompts and music on hold.

Each announcement is a list of WAV files to be played in a row (a pjsua2
playlist). The spoken pieces ship with the package, one folder per language,
8 kHz mono 16-bit PCM, made by ``python -m cti_gateway.prompts.generate``.
The music on hold is synthesised at first use into a cache directory.

Plain Python on purpose: the gateway checks its queues' languages and music
files at start-up, before any SIP worker exists.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import tempfile
import wave
from array import array
from functools import lru_cache
from pathlib import Path

import platformdirs

LANGUAGES = ("en", "zh")
PROMPTS_DIR = Path(__file__).parent
SAMPLE_RATE = 8000
MAX_SPOKEN_POSITION = 99
MAX_SPOKEN_MINUTES = 60


class PromptError(Exception):
    """A prompt or music file cannot be played; the message says which and why."""


# --- the spoken announcements -------------------------------------------------


class _English:
    ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen")
    TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    PHRASES = ("welcome", "closing", "goodbye", "pause", "position_intro", "more_than", "wait_intro",
               "about", "minute", "minutes", "less_than_a_minute", "more_than_an_hour")
    VOCABULARY = PHRASES + ONES + TENS

    def number(self, n: int) -> list[str]:
        if n < 20:
            return [self.ONES[n - 1]]
        tens, ones = divmod(n, 10)
        return [self.TENS[tens - 2]] + ([self.ONES[ones - 1]] if ones else [])

    def position(self, position: int) -> list[str]:
        """"You are caller number twenty-three", or "... more than ninety-nine"."""
        if position > MAX_SPOKEN_POSITION:
            return ["position_intro", "more_than", *self.number(MAX_SPOKEN_POSITION)]
        return ["position_intro", *self.number(position)]

    def minutes(self, minutes: int) -> list[str]:
        return ["about", *self.number(minutes), "minute" if minutes == 1 else "minutes"]


class _Chinese:
    DIGITS = ("yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")
    PHRASES = ("welcome", "closing", "goodbye", "pause", "position_intro", "position_measure", "after",
               "wait_intro", "about", "minutes", "less_than_a_minute", "more_than_an_hour",
               "shi", "liang")
    VOCABULARY = PHRASES + DIGITS

    def number(self, n: int) -> list[str]:
        """二十三 is 二 十 三; 十 alone is ten and 十三 thirteen (no leading 一)."""
        tens, ones = divmod(n, 10)
        words = [self.DIGITS[tens - 1]] if tens > 1 else []
        words += ["shi"] if tens else []
        words += [self.DIGITS[ones - 1]] if ones else []
        return words

    def position(self, position: int) -> list[str]:
        """您现在排在第二十三位, or 您现在排在第九十九位之后."""
        if position > MAX_SPOKEN_POSITION:
            return ["position_intro", *self.number(MAX_SPOKEN_POSITION), "position_measure", "after"]
        return ["position_intro", *self.number(position), "position_measure"]

    def minutes(self, minutes: int) -> list[str]:
        """大约两分钟: a count of two before a measure word is 两, not 二."""
        count = ["liang"] if minutes == 2 else self.number(minutes)
        return ["about", *count, "minutes"]


_SPEECH = {"en": _English(), "zh": _Chinese()}


def _speech(language: str) -> _English | _Chinese:
    try:
        return _SPEECH[language]
    except (KeyError, TypeError):
        raise PromptError(
            f"no prompts for language {language!r}; languages: {', '.join(LANGUAGES)}") from None


def _paths(language: str, names: list[str]) -> list[Path]:
    return [PROMPTS_DIR / language / f"{name}.wav" for name in names]


def vocabulary(language: str) -> tuple[str, ...]:
    """The names of every file the announcements of `language` may use."""
    return _speech(language).VOCABULARY


def welcome(language: str) -> list[Path]:
    """Played once when a caller enters a queue."""
    _speech(language)
    return _paths(language, ["welcome"])


def closing_announcement(language: str) -> list[Path]:
    """Played before hanging up on a caller that no queue can take."""
    _speech(language)
    return _paths(language, ["closing"])


def goodbye_announcement(language: str) -> list[Path]:
    """Played before hanging up on every caller when the gateway stops."""
    _speech(language)
    return _paths(language, ["goodbye"])


def spoken_wait_minutes(expected_wait_seconds: float) -> int:
    """Whole minutes to announce: 0 means less than a minute, above 60 more than an hour.

    Rounded to the nearest minute (half up), so 90 s is "about two minutes".
    """
    if not expected_wait_seconds >= 0:  # also refuses NaN
        raise ValueError(f"expected wait must be a number of seconds >= 0, not {expected_wait_seconds!r}")
    if expected_wait_seconds < 60:
        return 0
    if expected_wait_seconds == math.inf:
        return MAX_SPOKEN_MINUTES + 1
    return math.floor(expected_wait_seconds / 60 + 0.5)


def position_announcement(language: str, position: int,
                          expected_wait_seconds: float | None) -> list[Path]:
    """"You are caller number 3. Your expected waiting time is about 4 minutes."

    Without a known wait only the position is said.
    """
    speech = _speech(language)
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise ValueError(f"queue position must be an integer >= 1, not {position!r}")
    names = speech.position(position)
    if expected_wait_seconds is not None:
        names += ["pause", "wait_intro", *_wait_words(speech, spoken_wait_minutes(expected_wait_seconds))]
    return _paths(language, names)


def _wait_words(speech: _English | _Chinese, minutes: int) -> list[str]:
    if minutes < 1:
        return ["less_than_a_minute"]
    if minutes > MAX_SPOKEN_MINUTES:
        return ["more_than_an_hour"]
    return speech.minutes(minutes)


def check(language: str) -> None:
    """Refuse a language whose prompt files are missing or unplayable."""
    paths = _paths(language, list(_speech(language).VOCABULARY))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise PromptError(f"{len(missing)} prompt file(s) missing for language {language!r}: "
                          + ", ".join(missing))
    for path in paths:
        validate_wav(path)


# --- checking a WAV file before pjsua2 gets it ---------------------------------

_FORMAT_NAMES = {1: "PCM", 2: "MS ADPCM", 3: "32/64-bit float", 6: "A-law", 7: "µ-law",
                 0x11: "IMA ADPCM", 0x31: "GSM 6.10", 0x55: "MP3", 0xFFFE: "WAVE_FORMAT_EXTENSIBLE"}
_PCM, _ALAW, _ULAW = 1, 6, 7


def validate_wav(path: str | os.PathLike) -> None:
    """Raise PromptError unless the SIP workers can play `path`.

    pjsua2's WAV player takes 16-bit PCM (or 8-bit G.711 A-law/µ-law), mono or
    stereo, at any sample rate; anything else fails only when a caller is
    waiting, so the gateway checks a queue's own music file at start-up.
    """
    path = Path(path)
    if not path.exists():
        raise PromptError(f"{path}: no such file")
    if not path.is_file():
        raise PromptError(f"{path} is not a file")
    with path.open("rb") as file:
        header = file.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:] != b"WAVE":
            raise PromptError(f"{path} is not a WAV file")
        fmt, data_size = _read_chunks(file, path)
    _check_format(path, *struct.unpack("<HHIIHH", fmt[:16]))
    if data_size == 0:
        raise PromptError(f"{path} holds no audio")


def _read_chunks(file, path: Path) -> tuple[bytes, int]:
    """The fmt chunk's body and the data chunk's size."""
    fmt = None
    while True:
        chunk_header = file.read(8)
        if len(chunk_header) < 8:
            missing = "fmt" if fmt is None else "data"
            raise PromptError(f"{path} is not a complete WAV file (no {missing} chunk)")
        chunk_id, size = struct.unpack("<4sI", chunk_header)
        if chunk_id == b"data":
            if fmt is None:
                raise PromptError(f"{path} is not a complete WAV file (data before fmt chunk)")
            return fmt, size
        if chunk_id == b"fmt ":
            fmt = file.read(size)
            if len(fmt) < 16:
                raise PromptError(f"{path} is not a complete WAV file (short fmt chunk)")
            file.seek(size % 2, os.SEEK_CUR)
        else:
            file.seek(size + size % 2, os.SEEK_CUR)


def _check_format(path: Path, tag: int, channels: int, rate: int, _byte_rate: int,
                  block_align: int, bits: int) -> None:
    wanted = "16-bit PCM (or G.711 A-law/µ-law), mono or stereo"
    if tag not in (_PCM, _ALAW, _ULAW):
        name = _FORMAT_NAMES.get(tag, f"format {tag:#06x}")
        raise PromptError(f"{path} is {name} audio; the SIP workers play {wanted}")
    expected_bits = 16 if tag == _PCM else 8
    if bits != expected_bits:
        raise PromptError(f"{path} is {bits}-bit {_FORMAT_NAMES[tag]}; the SIP workers play {wanted}")
    if channels not in (1, 2):
        raise PromptError(f"{path} has {channels} channels; the SIP workers play {wanted}")
    if rate == 0 or block_align != channels * bits // 8:
        raise PromptError(f"{path} has an inconsistent WAV header (rate {rate}, block align {block_align})")


# --- music on hold ---------------------------------------------------------------

# Bump the version when the music changes, so caches are refreshed.
MUSIC_FILE_NAME = "music_on_hold-v1.wav"
MUSIC_SECONDS = 30
_MUSIC_FRAMES = MUSIC_SECONDS * SAMPLE_RATE
_MUSIC_RMS_DBFS = -22.0  # a little under the announcements' -20 dBFS speech level

# One bar each, 3.75 s at 64 beats a minute: a bass note (MIDI number), then the pad.
_CHORDS = (
    (48, (60, 64, 67, 71)),  # Cmaj7
    (45, (57, 60, 64, 67)),  # Am7
    (41, (57, 60, 64, 65)),  # Fmaj7
    (43, (55, 59, 62, 64)),  # G6
    (40, (55, 59, 62, 64)),  # Em7
    (45, (57, 60, 64, 67)),  # Am7
    (50, (62, 65, 69, 72)),  # Dm7
    (43, (55, 60, 62, 65)),  # G7sus4, leading back to the first bar
)
_ARPEGGIO = (0, 1, 2, 3, 2, 1, 2, 3)  # pad notes an octave up, one per eighth note
_TABLE_SIZE = 4096


def music_on_hold(cache_dir: str | os.PathLike | None = None) -> Path:
    """The music-on-hold loop, made at first use (and again if the file is damaged)."""
    directory = Path(cache_dir) if cache_dir is not None else Path(platformdirs.user_cache_dir("cicada"))
    path = directory / MUSIC_FILE_NAME
    if not _is_complete_music(path):
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, render_music())
    return path


def _is_complete_music(path: Path) -> bool:
    try:
        if path.stat().st_size != 44 + 2 * _MUSIC_FRAMES:
            return False
        with wave.open(str(path), "rb") as wav:
            return wav.getparams()[:4] == (1, 2, SAMPLE_RATE, _MUSIC_FRAMES)
    except (OSError, EOFError, wave.Error):
        return False


def _write_atomically(path: Path, samples: array) -> None:
    """Several SIP workers may start at once: none may see a half-written file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file, wave.open(file, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(_little_endian(samples))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _little_endian(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def render_music() -> array:
    """Soft chords over a bass note, with a gentle arpeggio; 30 s that loop seamlessly."""
    mix = [0.0] * _MUSIC_FRAMES
    bar = _MUSIC_FRAMES // len(_CHORDS)
    eighth = bar // len(_ARPEGGIO)
    for index, (bass, pad) in enumerate(_CHORDS):
        start = index * bar
        _add_note(mix, start, bass, _BASS, bar, attack=0.05, release=0.8, gain=0.30)
        for note in pad:
            _add_note(mix, start, note, _PAD, bar, attack=0.6, release=1.2, gain=0.14)
        for step, which in enumerate(_ARPEGGIO):
            _add_note(mix, start + step * eighth, pad[which] + 12, _BELL, 0, attack=0.008,
                      release=1.0, gain=0.09)
    return _scaled_to_rms(mix, _MUSIC_RMS_DBFS)


def _add_note(mix: list[float], start: int, midi_note: int, harmonics: tuple[float, ...],
              hold_frames: int, attack: float, release: float, gain: float) -> None:
    """Add one note; what runs past the end wraps to the start, so the loop has no seam."""
    frequency = 440.0 * 2 ** ((midi_note - 69) / 12)
    table = _wavetable(_below_nyquist(harmonics, frequency))
    step = frequency * _TABLE_SIZE / SAMPLE_RATE
    envelope = _envelope(hold_frames, round(attack * SAMPLE_RATE), round(release * SAMPLE_RATE))
    frames = len(mix)
    phase = 0.0
    for offset, level in enumerate(envelope):
        mix[(start + offset) % frames] += gain * level * table[int(phase) % _TABLE_SIZE]
        phase += step


@lru_cache(maxsize=None)
def _envelope(hold_frames: int, attack_frames: int, release_frames: int) -> tuple[float, ...]:
    """Raised-cosine attack, a slow fade while held, then a raised-cosine release.

    A note with no hold (a bell) decays exponentially over its release instead.
    """
    if hold_frames == 0:
        decay = math.exp(-5.0 / release_frames)
        return tuple(min(1.0, i / attack_frames) * decay ** i for i in range(release_frames))
    fade = math.exp(-0.4 / hold_frames)
    held = [(0.5 - 0.5 * math.cos(math.pi * min(i, attack_frames) / attack_frames)) * fade ** i
            for i in range(hold_frames)]
    end = held[-1]
    tail = [end * (0.5 + 0.5 * math.cos(math.pi * i / release_frames)) for i in range(release_frames)]
    return tuple(held + tail)


def _below_nyquist(harmonics: tuple[float, ...], frequency: float) -> tuple[float, ...]:
    """Partials above half the sample rate would fold back as off-key tones."""
    return harmonics[:int(0.95 * SAMPLE_RATE / 2 / frequency)]


@lru_cache(maxsize=None)
def _wavetable(harmonics: tuple[float, ...]) -> list[float]:
    return [sum(amplitude * math.sin(2 * math.pi * (k + 1) * i / _TABLE_SIZE)
                for k, amplitude in enumerate(harmonics))
            for i in range(_TABLE_SIZE)]


# Few, falling harmonics keep the timbres soft; the bass's upper partials make it
# audible on telephones, which cut below about 300 Hz.
_PAD = (1.0, 0.25, 0.08)
_BASS = (1.0, 0.5, 0.2)
_BELL = (1.0, 0.0, 0.15, 0.0, 0.05)


def _scaled_to_rms(mix: list[float], rms_dbfs: float) -> array:
    rms = math.sqrt(math.fsum(s * s for s in mix) / len(mix))
    scale = 32767 * 10 ** (rms_dbfs / 20) / rms
    return array("h", (max(-32767, min(32767, round(s * scale))) for s in mix))
