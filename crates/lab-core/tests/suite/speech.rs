//! The speech demo's analyser and keyword network on the sample recordings (`cargo xtask setup`
//! unpacks them into www/assets/speech/): log-mel frames against librosa's, streaming against
//! whole, the voice detector, WAV refusals, and two voices told apart after live-style training.

use lab_core::asset::sha256_hex;
use lab_core::backend::BackendKind;
use lab_core::optim::OptimizerKind;
use lab_core::speech::activity::VoiceActivity;
use lab_core::speech::audio::{self, Frame, LogMel, RECORDINGS};
use lab_core::speech::keyword::{self, Clip, KeywordSpec, KeywordTrainer};

use crate::common::device;
use crate::common::logmel_reference::{self, LOUD_TOLERANCE_DB, QUIET_TOLERANCE_DB};

/// Held-out accuracy of the keyword network telling the two recordings apart.
const SEPARATION_BAR: f32 = 0.9;

fn recording(file: &str) -> &'static [u8] {
    logmel_reference::RECORDINGS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, bytes)| *bytes)
        .expect("a sample recording")
}

fn frames_of(file: &str) -> Vec<Frame> {
    LogMel::frames(&audio::read_wav(recording(file)).expect("a 16 kHz mono WAV"))
}

#[test]
fn served_recordings_are_the_pinned_bytes() {
    for r in &RECORDINGS {
        let bytes = recording(r.file);
        assert_eq!(bytes.len() as u64, r.size, "{}", r.file);
        assert_eq!(sha256_hex(bytes), r.sha256, "{}", r.file);
    }
}

#[test]
fn log_mel_frames_match_librosa() {
    for (file, wav) in logmel_reference::RECORDINGS {
        let difference = logmel_reference::compare(file, wav);
        println!("{file}: {difference:?}");
        assert_eq!(difference.frames, difference.expected_frames, "{file}");
        assert!(
            difference.loud <= LOUD_TOLERANCE_DB,
            "{file}: {difference:?}"
        );
        assert!(
            difference.quiet <= QUIET_TOLERANCE_DB,
            "{file}: {difference:?}"
        );
    }
}

#[test]
fn streamed_blocks_give_the_frames_of_the_whole() {
    let samples = audio::read_wav(recording("arctic_a0007.wav")).unwrap();
    let whole = LogMel::frames(&samples);
    // Web Audio delivers 128-sample blocks; odd sizes test the carry-over between pushes.
    for block in [128, 333, 4_000] {
        let mut stream = LogMel::new();
        let streamed: Vec<Frame> = samples.chunks(block).flat_map(|c| stream.push(c)).collect();
        assert_eq!(streamed, whole, "blocks of {block}");
    }
}

#[test]
fn voice_activity_marks_speech_not_silence() {
    let mut detector = VoiceActivity::default();
    let silence = LogMel::frames(&vec![0.0; 16_000]);
    assert!(
        silence.iter().all(|f| !detector.update(f)),
        "digital silence is not voice"
    );
    // JFK's excerpt has speech with pauses between phrases: both kinds of frame appear.
    let mut detector = VoiceActivity::default();
    let frames = frames_of("jfk.wav");
    let voiced = frames.iter().filter(|f| detector.update(f)).count();
    let share = voiced as f32 / frames.len() as f32;
    println!("jfk.wav: {voiced} of {} frames voiced", frames.len());
    assert!((0.3..0.95).contains(&share), "voiced share {share}");
}

#[test]
fn bad_wavs_are_refused_with_a_reason() {
    assert!(
        audio::read_wav(b"RIFF....not a wav")
            .unwrap_err()
            .contains("not a WAV")
    );
    let stereo = wav(2, 16_000, &[0; 64]);
    assert!(
        audio::read_wav(&stereo)
            .unwrap_err()
            .contains("2 channel(s) at 16000 Hz")
    );
    let wrong_rate = wav(1, 44_100, &[0; 64]);
    assert!(
        audio::read_wav(&wrong_rate)
            .unwrap_err()
            .contains("44100 Hz")
    );
    let mut truncated = wav(1, 16_000, &[1_000; 64]);
    truncated.truncate(truncated.len() - 3);
    assert!(audio::read_wav(&truncated).is_err());
    let fine = audio::read_wav(&wav(1, 16_000, &[16_384, -32_768])).unwrap();
    assert_eq!(fine, vec![0.5, -1.0]);
}

fn wav(channels: u16, rate: u32, samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for &s in samples {
        writer.write_sample(s).unwrap();
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

/// One-second examples every quarter second of a recording: the first 70% of its frames for
/// training, the rest held out (no example straddles the boundary).
fn clips(frames: &[Frame], label: usize) -> (Vec<Clip>, Vec<Clip>) {
    let boundary = frames.len() * 7 / 10;
    (
        keyword::examples(&frames[..boundary], 25, label),
        keyword::examples(&frames[boundary..], 25, label),
    )
}

#[test]
fn keyword_network_tells_the_two_recordings_apart() {
    let (mut train, mut test) = clips(&frames_of("arctic_a0007.wav"), 0);
    let (jfk_train, jfk_test) = clips(&frames_of("jfk.wav"), 1);
    train.extend(jfk_train);
    test.extend(jfk_test);
    let device = device(BackendKind::Flex);
    for kind in [OptimizerKind::Adam, OptimizerKind::Momentum] {
        let spec = KeywordSpec::for_optimizer(kind);
        let mut trainer = KeywordTrainer::new(&spec, train.clone(), 2, &device);
        let before = pollster::block_on(trainer.evaluate()).unwrap();
        while trainer.epochs() < 60.0 {
            trainer.step();
        }
        let after = pollster::block_on(trainer.evaluate()).unwrap();
        let (held_out_loss, held_out) =
            pollster::block_on(keyword::score(trainer.model(), &test, &device)).unwrap();
        println!(
            "{kind:?}: {} train / {} held-out examples; {} steps; train loss {:.3} → {:.3}; held-out accuracy {held_out:.3} (loss {held_out_loss:.3})",
            train.len(),
            test.len(),
            trainer.steps(),
            before.loss,
            after.loss
        );
        assert!(
            after.loss < before.loss * 0.5,
            "{kind:?}: training loss falls"
        );
        assert!(
            held_out >= SEPARATION_BAR,
            "{kind:?}: held-out accuracy {held_out}"
        );
        let live = pollster::block_on(keyword::classify(trainer.model(), &test[0].frames, &device))
            .unwrap();
        assert_eq!(live.len(), 2);
        assert!((live.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}

/// burn-ndarray's 2-D convolutions are slow (see the bench), so it only has to learn: a few
/// steps on a small batch lower the loss.
#[test]
fn keyword_network_trains_on_ndarray() {
    let (train, _) = clips(&frames_of("arctic_a0007.wav"), 0);
    let (jfk_train, _) = clips(&frames_of("jfk.wav"), 1);
    let examples: Vec<Clip> = train
        .into_iter()
        .take(4)
        .chain(jfk_train.into_iter().take(4))
        .collect();
    let device = device(BackendKind::NdArray);
    let spec = KeywordSpec::for_optimizer(OptimizerKind::Adam);
    let mut trainer = KeywordTrainer::new(&spec, examples, 2, &device);
    let before = pollster::block_on(trainer.evaluate()).unwrap();
    for _ in 0..8 {
        trainer.step();
    }
    let after = pollster::block_on(trainer.evaluate()).unwrap();
    println!(
        "ndarray: loss {:.3} → {:.3} in 8 steps",
        before.loss, after.loss
    );
    assert!(after.loss < before.loss, "ndarray: {before:?} → {after:?}");
}
