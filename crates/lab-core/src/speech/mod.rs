//! Article 2.3, speech recognition: sound as a picture, and a small network that learns words
//! from it. The log-mel spectrogram of 16 kHz audio, streamed frame by frame (the same code for a
//! microphone's blocks and a whole recording) and the recordings read from WAV ([`audio`]); an
//! energy detector of voice activity ([`activity`]); a small 2-D convolutional network on one
//! second of log-mel frames, trained live on the visitor's recordings ([`keyword`]).

pub mod activity;
pub mod audio;
pub mod keyword;
