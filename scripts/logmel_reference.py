"""librosa's log-mel frames of the speech demo's sample recordings: the reference that
lab-core's streaming analyser (crates/lab-core/src/speech/audio.rs) is checked against, natively
(tests/suite/speech.rs) and in Chromium (tests/browser.rs).

Run from the repository root after `cargo xtask setup` has unpacked the recordings:
    python3 -m venv .cache/speech-venv && .cache/speech-venv/bin/pip install librosa==0.11.0
    .cache/speech-venv/bin/python scripts/logmel_reference.py
It writes crates/lab-core/tests/fixtures/logmel_reference.json: every 8th frame of each
recording (40 bands, dB) and the frame count.
"""

import json

import librosa
import numpy as np

RECORDINGS = ["arctic_a0007.wav", "jfk.wav"]
EVERY = 8


def log_mel(samples):
    power = librosa.feature.melspectrogram(
        y=samples,
        sr=16000,
        n_fft=512,
        hop_length=160,
        window="hann",
        center=False,
        power=2.0,
        n_mels=40,
        fmin=20.0,
        fmax=8000.0,
        htk=False,
        norm="slaney",
    )
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None).T


def main():
    out = {"librosa": librosa.__version__, "every": EVERY, "recordings": {}}
    for name in RECORDINGS:
        samples, rate = librosa.load(f"www/assets/speech/{name}", sr=None, mono=True)
        assert rate == 16000, rate
        frames = log_mel(samples.astype(np.float32))
        out["recordings"][name] = {
            "frames": int(frames.shape[0]),
            "sampled": [[round(float(v), 4) for v in row] for row in frames[::EVERY]],
        }
    with open("crates/lab-core/tests/fixtures/logmel_reference.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
