//! Writes the corpus files made from the site's assets (`cargo xtask setup` puts them in
//! `www/`): the sample photos shrunk and re-encoded (a few kB each: a small input is a fast
//! case, and mutations land in its structure rather than in pixel data) with pixel-format,
//! orientation, shape and damaged variants; the manifests with their long lists cut; a few rows
//! of modlamp's CSV; a tiny MovieLens asset; 60 ms of the speech recordings in each WAV format.
//! The text inputs (sentences, sequences) are written by hand beside them.
//!
//! Run by hand after changing what the seeds should hold:
//! `cargo test -p lab-core --test fuzz -- --ignored write_seed_corpus`.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat};
use lab_core::recommend::data::{Movie, MovieLens, Rating};
use lab_core::text::asset::TextManifest;
use lab_core::vision::asset::Manifest;
use serde_json::Value;

use crate::harness::corpus_dir;
use crate::photo_files::{RGB8, RGB16, RGBA8, RGBA16, encode, jpeg_with_orientation, png_claiming};

fn www(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../www")
        .join(path)
}

fn read(path: &str) -> Vec<u8> {
    let path = www(path);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{} (run `cargo xtask setup`): {e}", path.display()))
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
    println!("{target}/{name}: {} bytes", bytes.len());
}

fn sample(name: &str, longer_side: u32) -> DynamicImage {
    let photo = image::load_from_memory(&read(&format!("assets/samples/{name}"))).unwrap();
    photo.thumbnail(longer_side, longer_side)
}

fn photos() {
    let png = |image: DynamicImage| encode(image, ImageFormat::Png);
    let jpeg =
        |image: DynamicImage| encode(DynamicImage::ImageRgb8(image.to_rgb8()), ImageFormat::Jpeg);
    let astronaut = png(sample("astronaut.png", 48));
    write("photo", "astronaut.png", &astronaut);
    // The manifests' targets preprocess this one too (fuzz/manifests.rs).
    write("photo", "chelsea.png", &png(sample("chelsea.png", 40)));
    write("photo", "coffee.jpg", &jpeg(sample("coffee.png", 64)));
    let rocket = jpeg(sample("rocket.jpg", 48));
    write("photo", "rocket.jpg", &rocket);
    write(
        "photo",
        "coffee-grey.png",
        &png(DynamicImage::ImageLuma8(
            sample("coffee.png", 40).to_luma8(),
        )),
    );
    write(
        "photo",
        "astronaut-rgba16.png",
        &png(DynamicImage::ImageRgba16(
            sample("astronaut.png", 24).to_rgba16(),
        )),
    );
    write(
        "photo",
        "chelsea-exif6.jpg",
        &jpeg_with_orientation(&sample("chelsea.png", 40).to_rgb8(), 6),
    );
    // Shapes no camera makes, within the limits: a 2048×1 strip and its transpose.
    let strip = sample("coffee.png", 64).resize_exact(2048, 1, FilterType::Triangle);
    write("photo", "strip-wide.png", &png(strip.clone()));
    write("photo", "strip-tall.png", &png(strip.rotate90()));
    // Decompression bombs' headers at each depth the decoder budgets differently.
    for (kind, name) in [
        (RGB8, "rgb8"),
        (RGBA8, "rgba8"),
        (RGB16, "rgb16"),
        (RGBA16, "rgba16"),
    ] {
        let file = format!("header-13000x13000-{name}.png");
        write("photo", &file, &png_claiming(13_000, 13_000, kind));
    }
    write(
        "photo",
        "astronaut-truncated.png",
        &astronaut[..astronaut.len() / 2],
    );
    write(
        "photo",
        "rocket-truncated.jpg",
        &rocket[..rocket.len() * 2 / 3],
    );
    let mut flipped = rocket.clone();
    for i in (flipped.len() / 2..flipped.len() - 2).step_by(97) {
        flipped[i] ^= 0x10;
    }
    write("photo", "rocket-flipped.jpg", &flipped);
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    text.into_bytes()
}

fn manifests() {
    // The converted classifier's, with 5 of its 1000 classes.
    let mut vision: Value =
        serde_json::from_slice(&read("assets/models/efficientnet-lite0/manifest.json")).unwrap();
    for labels in ["en", "zh"] {
        if let Some(list) = vision["labels"][labels].as_array_mut() {
            list.truncate(5);
        }
    }
    vision["num_classes"] = 5.into();
    let vision = pretty(&vision);
    Manifest::from_json(&vision).expect("the cut manifest is valid");
    write("vision_manifest", "efficientnet-lite0.json", &vision);
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifest_example.json");
    write(
        "vision_manifest",
        "resnet18-example.json",
        &std::fs::read(example).unwrap(),
    );

    write(
        "text_manifest",
        "lab-bert-zh.json",
        &read("text-models/lab-bert-zh/manifest.json"),
    );
    // multilingual-e5's, cut to the first 24 tokens of its vocabulary and their source ids (the
    // two must agree).
    let mut e5: Value =
        serde_json::from_slice(&read("text-models/e5-small/manifest.json")).unwrap();
    let ids: Vec<&str> = e5["source_ids"]
        .as_str()
        .unwrap()
        .split(' ')
        .take(24)
        .collect();
    let (count, joined) = (ids.len(), ids.join(" "));
    e5["source_ids"] = joined.into();
    e5["config"]["vocab_size"] = count.into();
    let e5 = pretty(&e5);
    TextManifest::from_json(&e5).expect("the cut manifest is valid");
    write("text_manifest", "e5-small.json", &e5);
}

fn readers() {
    // The first 12 peptides of each class of the transmembrane set, with the count the header
    // declares made to match.
    let csv = String::from_utf8(read("assets/peptides/AMPvsTMset.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines
        .clone()
        .filter(|l| l.ends_with(",0"))
        .take(12)
        .chain(lines.filter(|l| l.ends_with(",1")).take(12))
        .collect();
    let (_, rest) = header.split_once(',').unwrap();
    let mut cut = format!("{},{rest}\n", rows.len());
    for row in rows {
        cut += row;
        cut.push('\n');
    }
    write("peptide_csv", "AMPvsTMset-24.csv", cut.as_bytes());

    let movielens = MovieLens {
        movies: [
            "Toy Story (1995)",
            "Heat (1995)",
            "千与千寻 (2001)",
            "\"Quoted\", the Movie (2020)",
        ]
        .iter()
        .zip([0b101, 0b1, 0, 1 << 18])
        .map(|(title, genres)| Movie {
            title: title.to_string(),
            genres,
        })
        .collect(),
        users: vec![
            vec![
                Rating {
                    movie: 0,
                    stars: 4.5,
                },
                Rating {
                    movie: 2,
                    stars: 0.5,
                },
            ],
            vec![],
            vec![
                Rating {
                    movie: 3,
                    stars: 5.0,
                },
                Rating {
                    movie: 1,
                    stars: 3.0,
                },
                Rating {
                    movie: 0,
                    stars: 2.5,
                },
            ],
        ],
    };
    write(
        "movielens",
        "tiny.safetensors",
        &movielens.to_asset().unwrap(),
    );

    // 60 ms from the middle of the recording, in the format read and in ones refused.
    let recording = read("assets/speech/arctic_a0007.wav");
    let samples: Vec<i16> = hound::WavReader::new(recording.as_slice())
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect();
    let middle = &samples[samples.len() / 2..][..960];
    let wav = |channels: u16, rate: u32, float: bool| {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: if float { 32 } else { 16 },
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut out = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
        for &s in middle {
            for _ in 0..channels {
                if float {
                    writer.write_sample(f32::from(s) / 32_768.0).unwrap();
                } else {
                    writer.write_sample(s).unwrap();
                }
            }
        }
        writer.finalize().unwrap();
        out.into_inner()
    };
    write("wav", "arctic-16bit.wav", &wav(1, 16_000, false));
    write("wav", "arctic-float.wav", &wav(1, 16_000, true));
    write("wav", "arctic-stereo.wav", &wav(2, 16_000, false));
    write("wav", "arctic-8khz.wav", &wav(1, 8_000, false));
}

#[test]
#[ignore = "writes tests/fuzz-corpus/ from www/'s assets; run by hand (see the module's docs)"]
fn write_seed_corpus() {
    photos();
    manifests();
    readers();
}
