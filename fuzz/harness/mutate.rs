//! A small seeded mutator for the stable CI pass: no coverage feedback (that needs libFuzzer's
//! nightly instrumentation), but deterministic, so a failure in CI replays locally with the same
//! seed, and the structure-aware generators in [`super::gen`] give it depth anyway.

/// xorshift64*: tiny, seedable, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that matter to the decoders' grammars: JSON structure, escapes, edge numbers, URL
/// query syntax, prompt tags.
const TOKENS: &[&[u8]] = &[
    b"{", b"}", b"[", b"]", b",", b":", b"\"", b"\\", b"\\u0000", b"\\ud800", b"null", b"true", b"-", b"1e999",
    b"18446744073709551616", b"-9223372036854775809", b"0.000000000000000000001", b"&", b"=", b"%", b"%00", b"%ff",
    b"+", b"{{", b"}}", b"@@@langfusePrompt:", b"|", b"\xff\xfe", b"\xe6\x97\xa5", b"\xf0\x9f\xa6\x80", b"\x00",
];

/// One to four random edits of `input`, sometimes splicing in part of `other`.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(i..i, token.iter().copied());
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(16)).min(len);
                out.drain(start..end);
            }
            4 if len > 0 => {
                // Duplicate a run: repeated structure (nested arrays, repeated fields).
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                let run = out[start..end].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, run);
            }
            5 if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(256)).min(other.len());
                let at = rng.below(len + 1);
                out.splice(at..at, other[start..end].iter().copied());
            }
            6 if len > 0 => out.truncate(rng.below(len)),
            7 => {
                let at = rng.below(len + 1);
                let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            _ => {
                // Digits grown into a huge number, or a byte run repeated.
                let at = rng.below(len + 1);
                out.splice(at..at, std::iter::repeat_n(b'9', 1 + rng.below(400)));
            }
        }
    }
    out
}

/// Random bytes, for the generators (which read them as choices).
pub fn random(rng: &mut Rng, max: usize) -> Vec<u8> {
    (0..rng.below(max + 1)).map(|_| rng.next() as u8).collect()
}
