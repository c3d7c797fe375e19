//! Equality of secrets without a timing side channel.

use subtle::ConstantTimeEq;

/// Whether `a == b`, taking time that depends only on the lengths, never on where the first
/// difference is; use it for signatures, codes and tokens an attacker could probe byte by byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}
