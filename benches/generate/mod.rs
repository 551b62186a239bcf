//! Seeded generators of benchmark inputs: `cargo metadata` graphs, policies, crates.io dumps.
//!
//! Takes a size and a seed and gives the same bytes every time, so a benchmark can be
//! rerun on another machine and compared. Nothing here is used by the audit itself, so it
//! is not part of the library: benches and tests include it with `#[path]`.

pub mod dump;
pub mod graph;
pub mod policy;

/// A small, fast, seeded pseudo-random generator (SplitMix64): deterministic on every
/// platform, with no dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent / 100`.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Words that crate names, orgs and domains are made of.
pub(crate) const WORDS: &[&str] = &[
    "serde", "tokio", "async", "http", "rand", "log", "win", "wasm", "proc", "syn", "quote",
    "hyper", "tower", "futures", "regex", "bytes", "mio", "sys", "ring", "tls", "zstd", "cc",
    "image", "json", "yaml", "toml", "url", "time", "chrono", "uuid", "hash", "crypto", "sql",
    "db", "cache", "net", "io", "fs", "path", "term", "color", "cli", "arg", "parse", "lex", "fmt",
    "trace", "metric", "span", "grpc", "proto", "codec", "zip", "tar", "flate", "simd", "atomic",
    "sync", "lock", "pool", "arena", "alloc", "vec", "map", "set", "tree", "graph", "text", "str",
    "unicode", "font", "gfx", "gpu", "audio", "video", "mqtt", "redis", "kafka",
];

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn seeded_and_deterministic() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(7);
        assert_eq!(a, (0..4).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert_ne!(a[0], Rng::new(8).next_u64());
    }
}
