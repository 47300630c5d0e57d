"""Spoken prompts and music on hold: what the announcements name, and that it plays."""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import pytest

from cti_gateway import prompts
from cti_gateway.prompts import (
    LANGUAGES,
    PromptError,
    check,
    closing_announcement,
    music_on_hold,
    position_announcement,
    validate_wav,
    vocabulary,
    welcome,
)
from cti_gateway.prompts.generate import (
    TARGET_LEVEL_DBFS,
    check_texts,
    read_samples,
    sound_edges,
    speech_level_dbfs,
)


def names(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        assert wav.getparams()[:3] == (1, 2, 8000), f"{path} is not 8 kHz mono 16-bit"
        return wav.getnframes() / wav.getframerate()


def every_announcement(language: str) -> list[list[Path]]:
    positions = [position_announcement(language, n, wait)
                 for n in (1, 2, 10, 23, 99, 100)
                 for wait in (None, 0, 59, 60, 150, 3600, 7200)]
    return [welcome(language), closing_announcement(language), *positions]


# --- the shipped files --------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_file_an_announcement_names_is_a_short_8khz_mono_wav(language):
    for announcement in every_announcement(language):
        for path in announcement:
            assert path.is_file(), path
            assert 0.15 <= duration(path) <= 8, path
            validate_wav(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_check_accepts_the_shipped_languages(language):
    check(language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_pieces_are_trimmed_and_equally_loud(language):
    for name in vocabulary(language):
        if name == "pause":
            continue
        samples = read_samples(prompts.PROMPTS_DIR / language / f"{name}.wav")
        first, end = sound_edges(samples)
        assert first <= 0.015 * 8000 and len(samples) - end <= 0.015 * 8000, f"{name}: silence at the edges"
        assert speech_level_dbfs(samples) == pytest.approx(TARGET_LEVEL_DBFS, abs=0.5), name
        assert max(abs(s) for s in samples) < 32767, f"{name}: clipped"


def test_every_piece_has_a_text_and_the_pinyin_fits_the_characters():
    check_texts()


def test_the_api_does_not_load_pjsua2():
    code = "import sys, cti_gateway.prompts; print('pjsua2' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_shipped_files_stay_small():
    total = sum(path.stat().st_size for path in prompts.PROMPTS_DIR.glob("*/*.wav"))
    assert total < 1.5 * 1024 * 1024


# --- what the announcements say -----------------------------------------------


@pytest.mark.parametrize("position, words", [
    (1, ["one"]), (13, ["thirteen"]), (20, ["twenty"]), (23, ["twenty", "three"]),
    (99, ["ninety", "nine"]), (100, ["more_than", "ninety", "nine"]),
    (5000, ["more_than", "ninety", "nine"]),
])
def test_english_position(position, words):
    assert names(position_announcement("en", position, None)) == ["position_intro", *words]


@pytest.mark.parametrize("position, words", [
    (1, ["yi"]), (2, ["er"]), (10, ["shi"]), (13, ["shi", "san"]), (20, ["er", "shi"]),
    (23, ["er", "shi", "san"]), (99, ["jiu", "shi", "jiu"]),
])
def test_chinese_position(position, words):
    assert names(position_announcement("zh", position, None)) == ["position_intro", *words, "position_measure"]


def test_chinese_position_above_99_is_after_the_99th():
    assert names(position_announcement("zh", 100, None)) == [
        "position_intro", "jiu", "shi", "jiu", "position_measure", "after"]


@pytest.mark.parametrize("seconds, words", [
    (0, ["less_than_a_minute"]), (59.9, ["less_than_a_minute"]),
    (60, ["about", "one", "minute"]), (89, ["about", "one", "minute"]),
    (90, ["about", "two", "minutes"]), (240, ["about", "four", "minutes"]),
    (23 * 60, ["about", "twenty", "three", "minutes"]), (3600, ["about", "sixty", "minutes"]),
    (3630, ["more_than_an_hour"]), (10 * 3600, ["more_than_an_hour"]),
    (math.inf, ["more_than_an_hour"]),
])
def test_english_wait(seconds, words):
    assert names(position_announcement("en", 3, seconds)) == [
        "position_intro", "three", "pause", "wait_intro", *words]


@pytest.mark.parametrize("minutes, words", [
    (1, ["yi"]), (2, ["liang"]), (10, ["shi"]), (12, ["shi", "er"]), (20, ["er", "shi"]),
    (22, ["er", "shi", "er"]), (60, ["liu", "shi"]),
])
def test_chinese_wait_uses_liang_only_for_two_minutes(minutes, words):
    spoken = names(position_announcement("zh", 1, minutes * 60))
    assert spoken[spoken.index("wait_intro") + 1:] == ["about", *words, "minutes"]


@pytest.mark.parametrize("seconds, words", [(30, ["less_than_a_minute"]), (4000, ["more_than_an_hour"])])
def test_chinese_short_and_long_waits(seconds, words):
    spoken = names(position_announcement("zh", 1, seconds))
    assert spoken[spoken.index("wait_intro") + 1:] == words


def test_welcome_and_closing():
    for language in LANGUAGES:
        assert names(welcome(language)) == ["welcome"]
        assert names(closing_announcement(language)) == ["closing"]


@pytest.mark.parametrize("position, wait", [(0, None), (-1, None), (1.5, None), (True, None),
                                            (1, -1), (1, math.nan)])
def test_nonsense_positions_and_waits_are_refused(position, wait):
    with pytest.raises(ValueError):
        position_announcement("en", position, wait)


@pytest.mark.parametrize("call", [welcome, closing_announcement, check,
                                  lambda language: position_announcement(language, 1, None)])
def test_unknown_language_lists_the_languages(call):
    with pytest.raises(PromptError, match="'fr'.*en, zh"):
        call("fr")


def test_check_names_the_missing_files(tmp_path, monkeypatch):
    shutil.copytree(prompts.PROMPTS_DIR / "zh", tmp_path / "zh")
    (tmp_path / "zh" / "liang.wav").unlink()
    (tmp_path / "zh" / "after.wav").unlink()
    monkeypatch.setattr(prompts, "PROMPTS_DIR", tmp_path)
    with pytest.raises(PromptError, match="2 prompt file.*zh") as error:
        check("zh")
    assert "liang.wav" in str(error.value) and "after.wav" in str(error.value)


# --- music on hold ----------------------------------------------------------


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    return music_on_hold(tmp_path_factory.mktemp("cache"))


def test_music_is_a_quiet_30_second_loop(music):
    assert duration(music) == 30
    validate_wav(music)
    samples = read_samples(music)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    assert -26 < 20 * math.log10(rms / 32767) < -18
    assert max(abs(s) for s in samples) < 0.5 * 32767
    # A seamless loop: the end runs into the start like any two neighbouring samples.
    steps = [abs(b - a) for a, b in zip(samples, samples[1:])]
    assert abs(samples[0] - samples[-1]) <= max(steps)


def test_music_is_not_a_test_tone(music):
    samples = read_samples(music)
    second = 8000
    loudness = [math.sqrt(sum(s * s for s in samples[i:i + second]) / second)
                for i in range(0, len(samples), second)]
    assert max(loudness) / min(loudness) > 1.2, "the level should move with the chords"
    assert len(set(samples[:second])) > 1000


def test_music_is_made_once_and_deterministic(music, tmp_path):
    again = music_on_hold(tmp_path)
    assert again.read_bytes() == music.read_bytes()
    modified = music.stat().st_mtime_ns
    assert music_on_hold(music.parent) == music and music.stat().st_mtime_ns == modified


def test_truncated_music_is_made_again(music, tmp_path):
    path = music_on_hold(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert music_on_hold(tmp_path).read_bytes() == whole
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_music_goes_to_the_user_cache_by_default(tmp_path, monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("the cache directory is redirected through XDG_CACHE_HOME only on Linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert music_on_hold() == tmp_path / "cicada" / prompts.MUSIC_FILE_NAME


# --- a queue's own music file ------------------------------------------------------


def wav_bytes(tag: int, channels: int, bits: int, data: bytes = b"\0\0" * 80) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, 8000, 8000 * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("content, message", [
    (b"ID3\x04 an mp3 file", "not a WAV file"),
    (b"", "not a WAV file"),
    (wav_bytes(1, 1, 16)[:30], "not a complete WAV file"),
    (wav_bytes(1, 1, 8), "8-bit PCM"),
    (wav_bytes(1, 1, 24), "24-bit PCM"),
    (wav_bytes(3, 1, 32), "float"),
    (wav_bytes(0x55, 1, 0), "MP3"),
    (wav_bytes(0xFFFE, 1, 16), "WAVE_FORMAT_EXTENSIBLE"),
    (wav_bytes(1, 6, 16), "6 channels"),
    (wav_bytes(1, 1, 16, data=b""), "no audio"),
])
def test_unplayable_music_files_are_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "music.wav"
    path.write_bytes(content)
    with pytest.raises(PromptError, match=message) as error:
        validate_wav(path)
    assert str(path) in str(error.value)


def test_missing_music_file_is_refused(tmp_path):
    with pytest.raises(PromptError, match="no such file"):
        validate_wav(tmp_path / "nothing.wav")
    with pytest.raises(PromptError, match="not a file"):
        validate_wav(tmp_path)


@pytest.mark.parametrize("tag, channels, bits", [(1, 1, 16), (1, 2, 16), (6, 1, 8), (7, 1, 8)])
def test_playable_music_files_are_accepted(tmp_path, tag, channels, bits):
    path = tmp_path / "music.wav"
    path.write_bytes(wav_bytes(tag, channels, bits))
    validate_wav(path)


# --- really played by pjsua2 -------------------------------------------------------

# pjsua2 allows one Endpoint per process, and must not run in the test process.
PLAYER = textwrap.dedent("""
    import gc, json, sys, time
    import pjsua2 as pj

    announcements, music = json.loads(sys.argv[1]), sys.argv[2]
    endpoint = pj.Endpoint()
    endpoint.libCreate()
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.logConfig.consoleLevel = 1
    endpoint.libInit(config)
    endpoint.audDevManager().setNullDev()
    endpoint.libStart()
    speaker = endpoint.audDevManager().getPlaybackDevMedia()

    class Player(pj.AudioMediaPlayer):
        ended = None
        def onEof2(self):
            self.ended = time.monotonic()

    def poll(seconds, until=lambda: False):
        deadline = time.monotonic() + seconds
        while not until() and time.monotonic() < deadline:
            endpoint.libHandleEvents(10)

    played = []
    for files in announcements:
        playlist = Player()
        playlist.createPlaylist(files, "announcement", pj.PJMEDIA_FILE_NO_LOOP)
        playlist.startTransmit(speaker)
        start = time.monotonic()
        poll(30, until=lambda: playlist.ended is not None)
        played.append(None if playlist.ended is None else playlist.ended - start)
        del playlist

    looping = Player()
    looping.createPlayer(music, 0)
    looping.startTransmit(speaker)
    poll(0.5)
    music_position = looping.getPos()
    del looping

    gc.collect()
    endpoint.libDestroy()
    print(json.dumps({"played": played, "music_position": music_position}))
""")


@pytest.mark.slow
def test_pjsua2_plays_the_announcements_and_the_music(music):
    announcements = [position_announcement("en", 23, 150), position_announcement("zh", 42, 120)]
    result = subprocess.run(
        [sys.executable, "-c", PLAYER, json.dumps([[str(p) for p in a] for a in announcements]), str(music)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for seconds, announcement in zip(report["played"], announcements):
        expected = sum(duration(path) for path in announcement)
        assert seconds is not None, "the playlist never ended"
        # The player reads ahead a little, so the end is seen slightly early.
        assert expected - 0.6 < seconds < expected + 0.6
    assert report["music_position"] > 0
