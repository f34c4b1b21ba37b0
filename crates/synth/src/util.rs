//! Small random helpers over the crate's one RNG type.

use rand::Rng as _;

pub(crate) type Rng = rand_chacha::ChaCha8Rng;

/// A uniformly chosen element of a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// True with probability `p` (clamped to 0..=1).
pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// Uniform float in `[lo, hi)`.
pub(crate) fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Uniform integer in `[lo, hi]`.
pub(crate) fn between(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo..=hi)
}

/// One of `items`, chosen with the given relative weights (weights ≤ 0 are never chosen unless
/// all are).
pub(crate) fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w.max(0.0)).sum();
    if total <= 0.0 {
        return items[0].0;
    }
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        let w = w.max(0.0);
        if x < w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A roughly normal sample (sum of uniforms), mean `mean`, standard deviation `sd`.
pub(crate) fn normal(rng: &mut Rng, mean: f64, sd: f64) -> f64 {
    let s: f64 = (0..6).map(|_| rng.random::<f64>()).sum::<f64>() - 3.0;
    mean + sd * s * std::f64::consts::SQRT_2
}

/// A stable 64-bit mix (splitmix64), used to derive per-case streams and output choices.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection of `0..10^8` (so counters give distinct, random-looking 8-digit numbers).
pub(crate) fn perm8(n: u64, salt: u64) -> u64 {
    const M: u64 = 100_000_000;
    // 48_271_193 is coprime to 10^8 (odd, not a multiple of 5).
    (n % M * 48_271_193 + salt % M) % M
}

/// A second bijection of `0..10^8`, uncorrelated with [`perm8`] (for identifiers that sit next
/// to numbers made with `perm8`).
pub(crate) fn perm8b(n: u64, salt: u64) -> u64 {
    const M: u64 = 100_000_000;
    // 73_939_133 is coprime to 10^8.
    (n % M * 73_939_133 + salt % M) % M
}
