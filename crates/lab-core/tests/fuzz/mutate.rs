//! Byte mutations of a corpus file, the kinds a mutation-based fuzzer (libFuzzer, AFL) applies:
//! bit flips, boundary numbers, cuts, insertions, copies from other files and dictionary tokens.
//! Positions are taken modulo the length, so that every mutation applies to any input and
//! shrinks towards the start.

use proptest::collection::vec;
use proptest::prelude::*;

/// Mutations per case at most: a few already reach most states a single file's variants can.
pub const MAX_MUTATIONS: usize = 6;

#[derive(Clone, Debug)]
pub enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        value: u8,
    },
    /// A boundary value written over the bytes at `at`, in 1, 2, 4 or 8 bytes, either byte order:
    /// what sizes, counts and offsets in binary headers get wrong.
    Boundary {
        at: usize,
        which: usize,
        width: usize,
        big_endian: bool,
    },
    Truncate {
        at: usize,
    },
    Remove {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    /// A copy of `len` bytes from `from` inserted at `to` (repeated chunks, segments, rows).
    Duplicate {
        from: usize,
        len: usize,
        to: usize,
    },
    /// Bytes of another corpus file inserted at `to`.
    Splice {
        seed: usize,
        from: usize,
        len: usize,
        to: usize,
    },
    /// A dictionary token inserted at `at`, or written over the bytes there.
    Token {
        at: usize,
        which: usize,
        overwrite: bool,
    },
    /// The run of ASCII digits at or after `at` replaced by a boundary number in decimal: what
    /// sizes and counts in text formats (JSON, CSV) get wrong.
    Number {
        at: usize,
        which: usize,
    },
}

const BOUNDARIES: [u64; 17] = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    16_384,
    16_385,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    u64::MAX / 2,
    u64::MAX,
];

const NUMBERS: [&str; 18] = [
    "0",
    "1",
    "-1",
    "2",
    "3",
    "255",
    "256",
    "65536",
    "16385",
    "2147483648",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "1e999",
    "0.5",
    "-0",
];

/// Any mutation, for a corpus of `seeds` files and a dictionary of `tokens` entries.
pub fn mutation(seeds: usize, tokens: usize) -> BoxedStrategy<Mutation> {
    let at = any::<usize>;
    prop_oneof![
        (at(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (at(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        (
            at(),
            0..BOUNDARIES.len(),
            prop_oneof![Just(1), Just(2), Just(4), Just(8)],
            any::<bool>()
        )
            .prop_map(|(at, which, width, big_endian)| Mutation::Boundary {
                at,
                which,
                width,
                big_endian
            }),
        at().prop_map(|at| Mutation::Truncate { at }),
        (at(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        (at(), vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (at(), 1usize..256, at()).prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        (0..seeds, at(), 1usize..512, at()).prop_map(|(seed, from, len, to)| Mutation::Splice {
            seed,
            from,
            len,
            to
        }),
        (at(), 0..tokens, any::<bool>()).prop_map(|(at, which, overwrite)| Mutation::Token {
            at,
            which,
            overwrite
        }),
        (at(), 0..NUMBERS.len()).prop_map(|(at, which)| Mutation::Number { at, which }),
    ]
    .boxed()
}

/// Applies one mutation; `corpus` is what [`Mutation::Splice`] copies from.
pub fn apply(bytes: &mut Vec<u8>, mutation: &Mutation, corpus: &[Vec<u8>], dictionary: &[&[u8]]) {
    let len = bytes.len();
    // An insertion point (0..=len) and an existing byte (0..len).
    let point = |at: usize| at % (len + 1);
    let byte = |at: usize| (len > 0).then(|| at % len);
    match mutation {
        Mutation::FlipBit { at, bit } => {
            if let Some(i) = byte(*at) {
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::SetByte { at, value } => {
            if let Some(i) = byte(*at) {
                bytes[i] = *value;
            }
        }
        Mutation::Boundary {
            at,
            which,
            width,
            big_endian,
        } => {
            let value = BOUNDARIES[*which];
            let encoded = if *big_endian {
                value.to_be_bytes()[8 - width..].to_vec()
            } else {
                value.to_le_bytes()[..*width].to_vec()
            };
            overwrite(bytes, point(*at), &encoded);
        }
        Mutation::Truncate { at } => bytes.truncate(point(*at)),
        Mutation::Remove { at, len: count } => {
            let start = point(*at);
            bytes.drain(start..(start + count).min(len));
        }
        Mutation::Insert { at, bytes: new } => {
            let at = point(*at);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Duplicate {
            from,
            len: count,
            to,
        } => {
            let from = point(*from);
            let chunk = bytes[from..(from + count).min(len)].to_vec();
            let to = point(*to);
            bytes.splice(to..to, chunk);
        }
        Mutation::Splice {
            seed,
            from,
            len: count,
            to,
        } => {
            let other = &corpus[*seed];
            let from = from % (other.len() + 1);
            let chunk = &other[from..(from + count).min(other.len())];
            let to = point(*to);
            bytes.splice(to..to, chunk.iter().copied());
        }
        Mutation::Token {
            at,
            which,
            overwrite: over,
        } => {
            let token = dictionary[*which];
            let at = point(*at);
            if *over {
                overwrite(bytes, at, token);
            } else {
                bytes.splice(at..at, token.iter().copied());
            }
        }
        Mutation::Number { at, which } => {
            let start = point(*at);
            let Some(first) = bytes[start..].iter().position(u8::is_ascii_digit) else {
                return;
            };
            let first = start + first;
            let end = bytes[first..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(len, |n| first + n);
            bytes.splice(first..end, NUMBERS[*which].bytes());
        }
    }
}

/// Writes `new` over the bytes from `at`, growing the input where it runs past the end.
fn overwrite(bytes: &mut Vec<u8>, at: usize, new: &[u8]) {
    let end = (at + new.len()).min(bytes.len());
    bytes.splice(at..end, new.iter().copied());
}
