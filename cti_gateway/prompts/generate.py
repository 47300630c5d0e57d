"""Make the shipped prompt files: ``python -m cti_gateway.prompts.generate``.

Run it after changing a text below, then commit the WAV files; the gateway
itself never needs the tools used here. Needs espeak-ng (speech) and sox
(resampling to 8 kHz), and pypinyin to check the Mandarin spellings.

Each piece is spoken on its own, resampled to 8 kHz mono 16-bit, trimmed of
leading and trailing silence and brought to the same active speech level, so
that pieces played in a row sound like one voice at one loudness.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
import tempfile
import wave
from array import array
from pathlib import Path

from cti_gateway.prompts import LANGUAGES, PROMPTS_DIR, SAMPLE_RATE, vocabulary

TARGET_LEVEL_DBFS = -20.0  # active speech level, as telephone prompts are usually set
PEAK_LIMIT_DBFS = -1.0
PAUSE_SECONDS = 0.4  # between the position sentence and the waiting-time sentence
EDGE_THRESHOLD_DB = -40.0  # below the file's peak counts as silence at the edges
EDGE_MARGIN_SECONDS = 0.010
FADE_SECONDS = 0.005
LEVEL_FRAME_SECONDS = 0.020
LEVEL_GATE_DB = 30.0  # frames this far under the loudest are pauses, not speech

VOICES = {"en": ("en-us", 150), "zh": ("cmn-latn-pinyin", 170)}  # espeak-ng voice, words a minute

ENGLISH = {
    "welcome": "Thank you for calling. All our agents are busy; please hold.",
    "closing": "All our agents are busy. Please call again later. Goodbye.",
    "goodbye": "Sorry, this call must end now. Please call again in a few minutes. Goodbye.",
    "position_intro": "You are caller number,",
    "more_than": "more than,",
    "wait_intro": "Your expected waiting time is,",
    "about": "about,",
    "minute": "minute.",
    "minutes": "minutes.",
    "less_than_a_minute": "less than a minute.",
    "more_than_an_hour": "more than an hour.",
    **{word: word for word in (
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen "
        "twenty thirty forty fifty sixty seventy eighty ninety").split()},
}

# The characters say what is meant; espeak-ng speaks the pinyin, because its
# character dictionary lacks many common characters (您, 三, 分 ...) and reads
# their romanisation as English. Tones are written as spoken (一 and 不 sandhi,
# third-tone pairs).
CHINESE = {
    "welcome": ("感谢您的来电。目前所有客服人员都在忙，请稍候。",
                "gan3 xie4 nin2 de5 lai2 dian4. mu4 qian2 suo2 you3 ke4 fu2 ren2 yuan2 dou1 zai4 mang2,"
                " qing3 shao1 hou4."),
    "closing": ("目前所有客服人员都在忙，请稍后再拨。再见。",
                "mu4 qian2 suo2 you3 ke4 fu2 ren2 yuan2 dou1 zai4 mang2, qing3 shao1 hou4 zai4 bo1."
                " zai4 jian4."),
    "goodbye": ("很抱歉，本次通话必须结束。请过几分钟再拨。再见。",
                "hen3 bao4 qian4, ben3 ci4 tong1 hua4 bi4 xu1 jie2 shu4. qing3 guo4 ji3 fen1 zhong1 zai4 bo1."
                " zai4 jian4."),
    "position_intro": ("您现在排在第", "nin2 xian4 zai4 pai2 zai4 di4,"),
    "position_measure": ("位", "wei4."),
    "after": ("之后", "zhi1 hou4."),
    "wait_intro": ("预计等待时间", "yu4 ji4 deng3 dai4 shi2 jian1,"),
    "about": ("大约", "da4 yue1,"),
    "minutes": ("分钟", "fen1 zhong1."),
    "less_than_a_minute": ("不到一分钟", "bu2 dao4 yi4 fen1 zhong1."),
    "more_than_an_hour": ("超过一小时", "chao1 guo4 yi4 xiao3 shi2."),
    "yi": ("一", "yi1"), "er": ("二", "er4"), "san": ("三", "san1"), "si": ("四", "si4"),
    "wu": ("五", "wu3"), "liu": ("六", "liu4"), "qi": ("七", "qi1"), "ba": ("八", "ba1"),
    "jiu": ("九", "jiu3"), "shi": ("十", "shi2"), "liang": ("两", "liang3"),
}


def spoken_texts(language: str) -> dict[str, str]:
    """What espeak-ng is given for each piece (the pause is made, not spoken)."""
    if language == "en":
        return dict(ENGLISH)
    return {name: pinyin for name, (_characters, pinyin) in CHINESE.items()}


def check_texts() -> None:
    """Every file the announcements use has a text, and the pinyin fits its characters."""
    from pypinyin import lazy_pinyin

    for language in LANGUAGES:
        wanted = set(vocabulary(language)) - {"pause"}
        if wanted != set(spoken_texts(language)):
            raise SystemExit(f"{language}: texts do not match the vocabulary: "
                             f"{sorted(wanted ^ set(spoken_texts(language)))}")
    for name, (characters, pinyin) in CHINESE.items():
        expected = [s for s in lazy_pinyin(characters) if s.isalpha()]
        if re.sub(r"[^a-z ]", "", pinyin).split() != expected:
            raise SystemExit(f"zh/{name}: pinyin {pinyin!r} does not spell {characters} ({expected})")


# --- audio -----------------------------------------------------------------------


def synthesize(text: str, language: str, workdir: Path) -> list[int]:
    voice, speed = VOICES[language]
    spoken, resampled = workdir / "spoken.wav", workdir / "8k.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(spoken), text], check=True)
    # -D: no dither, so the same text gives the same file; the gain leaves
    # headroom for the resampler's overshoot (the level is set afterwards).
    subprocess.run(["sox", "-D", str(spoken), "-c", "1", "-b", "16", str(resampled),
                    "gain", "-6", "rate", str(SAMPLE_RATE)], check=True)
    return read_samples(resampled)


def read_samples(path: Path) -> list[int]:
    with wave.open(str(path), "rb") as wav:
        if wav.getparams()[:3] != (1, 2, SAMPLE_RATE):
            raise ValueError(f"{path}: not {SAMPLE_RATE} Hz mono 16-bit")
        samples = array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tolist()


def write_samples(path: Path, samples: list[int]) -> None:
    data = array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(data.tobytes())


def sound_edges(samples: list[int]) -> tuple[int, int]:
    """Index of the first and one past the last sample louder than the edge threshold."""
    threshold = max(abs(s) for s in samples) * 10 ** (EDGE_THRESHOLD_DB / 20)
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    return loud[0], loud[-1] + 1


def trim(samples: list[int]) -> list[float]:
    """Cut the silence at both ends, keeping a short margin, and fade the cuts."""
    first, end = sound_edges(samples)
    margin = round(EDGE_MARGIN_SECONDS * SAMPLE_RATE)
    kept = [float(s) for s in samples[max(0, first - margin):end + margin]]
    fade = round(FADE_SECONDS * SAMPLE_RATE)
    for i in range(fade):
        kept[i] *= i / fade
        kept[-1 - i] *= i / fade
    return kept


def speech_level_dbfs(samples: list[float]) -> float:
    """Mean power of the speech frames (pauses left out), in dB under full scale."""
    size = round(LEVEL_FRAME_SECONDS * SAMPLE_RATE)
    powers = [math.fsum(s * s for s in samples[i:i + size]) / size
              for i in range(0, len(samples) - size + 1, size)]
    gate = max(powers) * 10 ** (-LEVEL_GATE_DB / 10)
    speech = [p for p in powers if p >= gate]
    return 10 * math.log10(math.fsum(speech) / len(speech) / 32767 ** 2)


def normalise(samples: list[float]) -> list[int]:
    gain = 10 ** ((TARGET_LEVEL_DBFS - speech_level_dbfs(samples)) / 20)
    peak = max(abs(s) for s in samples) * gain
    if peak > 32767 * 10 ** (PEAK_LIMIT_DBFS / 20):
        raise ValueError(f"peak would reach {20 * math.log10(peak / 32767):.1f} dBFS at the target level")
    return [round(s * gain) for s in samples]


def make_piece(text: str, language: str, path: Path, workdir: Path) -> None:
    write_samples(path, normalise(trim(synthesize(text, language, workdir))))


def make_pause(path: Path) -> None:
    write_samples(path, [0] * round(PAUSE_SECONDS * SAMPLE_RATE))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROMPTS_DIR, help="where the language folders go")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="make only this piece (repeatable); the others stay as they are")
    args = parser.parse_args(argv)
    check_texts()
    with tempfile.TemporaryDirectory() as workdir:
        for language in LANGUAGES:
            folder = args.out / language
            folder.mkdir(parents=True, exist_ok=True)
            remove_unused(folder, language)
            make_pause(folder / "pause.wav")
            for name, text in spoken_texts(language).items():
                if not args.only or name in args.only:
                    make_piece(text, language, folder / f"{name}.wav", Path(workdir))
            size = sum(path.stat().st_size for path in folder.glob("*.wav"))
            print(f"{language}: {len(vocabulary(language))} files, {size // 1024} KiB in {folder}")


def remove_unused(folder: Path, language: str) -> None:
    """A piece no announcement names any more is dropped, not shipped."""
    for path in folder.glob("*.wav"):
        if path.stem not in vocabulary(language):
            path.unlink()


if __name__ == "__main__":
    main()
