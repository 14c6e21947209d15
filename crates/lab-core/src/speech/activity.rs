//! Where someone is speaking: an energy detector against the noise floor, taken as the quietest
//! frame of the last moments (minimum statistics: speech has gaps between words and syllables,
//! so the minimum over a second and a half finds the room's level). The optional
//! alternative, the Silero voice-activity network through burn's ONNX import, is not built
//! (README: what was chosen and why).

use std::collections::VecDeque;

use super::audio::Frame;

/// How far above the noise floor a frame must be to count as voice (dB).
const ABOVE_FLOOR_DB: f32 = 12.0;
/// Quieter frames are never voice, whatever the floor (dB relative to full scale).
const QUIETEST_VOICE_DB: f32 = -55.0;
/// Frames the floor is the minimum of: 1.5 s.
const FLOOR_FRAMES: usize = 150;
/// Digital silence (a muted input, a recording's zero padding) counts as this loud for the floor,
/// or the floor would sit at -100 dB and every sound would be voice.
const LOWEST_FLOOR_DB: f32 = -70.0;

/// Follows the noise floor of a stream of frames and marks the ones well above it.
#[derive(Clone, Debug, Default)]
pub struct VoiceActivity {
    recent: VecDeque<f32>,
}

impl VoiceActivity {
    /// Whether `frame` is voice.
    pub fn update(&mut self, frame: &Frame) -> bool {
        if self.recent.len() == FLOOR_FRAMES {
            self.recent.pop_front();
        }
        self.recent.push_back(frame.energy_db.max(LOWEST_FLOOR_DB));
        let floor = self.recent.iter().copied().fold(f32::INFINITY, f32::min);
        frame.energy_db > floor + ABOVE_FLOOR_DB && frame.energy_db > QUIETEST_VOICE_DB
    }
}
