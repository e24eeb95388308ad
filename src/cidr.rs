//! IP address ranges in CIDR notation (`10.0.0.0/16`, `fd00::/48`): parsing
//! and the address arithmetic the template and rule languages need (masks,
//! first and last address, the `n`th subnet). Shared by the ARM and Terraform
//! CIDR functions and the rule language's `ipv4`, `prefix_length`,
//! `address_count` and `cidr_contains`.
//!
//! It imports nothing but std and knows no language: what each language
//! calls its functions, how it numbers hosts, and what it answers for input
//! it refuses stay with its callers. It does not trim input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parsed range: the masked network as a number, its prefix length, and
/// the address width (32 for IPv4, 128 for IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub network: u128,
    pub prefix: u32,
    pub bits: u32,
}

impl Range {
    /// `address/prefix`, IPv4 or IPv6; `None` when either part does not
    /// parse or the prefix is longer than the address.
    pub fn parse(text: &str) -> Option<Range> {
        let (address, prefix) = text.split_once('/')?;
        let prefix: u32 = prefix.parse().ok()?;
        let (value, bits) = match address.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        Range::new(value, prefix, bits)
    }

    /// As [`Range::parse`], for IPv4 ranges only.
    pub fn parse_ipv4(text: &str) -> Option<Range> {
        Range::parse(text).filter(|r| r.bits == 32)
    }

    /// The range of `prefix` bits around `address`, an address `bits` wide;
    /// `None` when the prefix is longer than the address.
    pub fn new(address: u128, prefix: u32, bits: u32) -> Option<Range> {
        if prefix > bits {
            return None;
        }
        let range = Range {
            network: 0,
            prefix,
            bits,
        };
        Some(Range {
            network: address & range.mask(),
            ..range
        })
    }

    /// The netmask as a number.
    pub fn mask(&self) -> u128 {
        let all = if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        };
        let host = self.host_bits();
        if host == 128 {
            0
        } else {
            (all >> host) << host
        }
    }

    /// The bits after the prefix.
    pub fn host_bits(&self) -> u32 {
        self.bits - self.prefix
    }

    /// The last address of the range.
    pub fn last(&self) -> u128 {
        let host = self.host_bits();
        let span = if host == 128 {
            u128::MAX
        } else {
            (1u128 << host) - 1
        };
        self.network | span
    }

    /// The `index`th subnet with prefix length `new_prefix`; `None` when the
    /// prefix is shorter than this range's or longer than the address, or
    /// the range has fewer subnets.
    pub fn subnet(&self, new_prefix: u32, index: u128) -> Option<Range> {
        if new_prefix < self.prefix || new_prefix > self.bits {
            return None;
        }
        let count_bits = new_prefix - self.prefix;
        if count_bits < 128 && index >= (1u128 << count_bits) {
            return None;
        }
        let shift = self.bits - new_prefix;
        let offset = if shift >= 128 { 0 } else { index << shift };
        Some(Range {
            network: self.network + offset,
            prefix: new_prefix,
            bits: self.bits,
        })
    }

    /// `value`, an address of this range's width, written out.
    pub fn address(&self, value: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(value as u32).to_string()
        } else {
            Ipv6Addr::from(value).to_string()
        }
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address(self.network), self.prefix)
    }
}

/// A dotted-quad IPv4 address as a number.
pub fn ipv4(text: &str) -> Option<u32> {
    text.parse::<Ipv4Addr>().ok().map(u32::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_families_and_masks_the_network() {
        let v4 = Range::parse("10.144.3.7/20").expect("a range");
        assert_eq!((v4.prefix, v4.bits), (20, 32));
        assert_eq!(v4.address(v4.network), "10.144.0.0");
        assert_eq!(v4.address(v4.mask()), "255.255.240.0");
        assert_eq!(v4.address(v4.last()), "10.144.15.255");
        let v6 = Range::parse("fdad:3236:5555::1/48").expect("a range");
        assert_eq!(v6.to_string(), "fdad:3236:5555::/48");
        assert_eq!(Range::parse_ipv4("fdad:3236:5555::/48"), None);
        assert_eq!(Range::parse("10.0.0.0/33"), None);
        assert_eq!(Range::parse("10.0.0.0"), None);
        assert_eq!(Range::parse(" 10.0.0.0/8"), None);
        let all = Range::parse("0.0.0.0/0").expect("a range");
        assert_eq!((all.mask(), all.last()), (0, u128::from(u32::MAX)));
        let all6 = Range::parse("::/0").expect("a range");
        assert_eq!((all6.mask(), all6.last()), (0, u128::MAX));
    }

    #[test]
    fn subnets_by_index() {
        let range = Range::parse("10.144.0.0/20").expect("a range");
        let fourth = range.subnet(24, 4).map(|r| r.to_string());
        assert_eq!(fourth.as_deref(), Some("10.144.4.0/24"));
        assert_eq!(range.subnet(24, 16), None);
        assert_eq!(range.subnet(16, 0), None);
        assert_eq!(range.subnet(33, 0), None);
        assert_eq!(ipv4("10.0.0.1"), Some(0x0a00_0001));
        assert_eq!(ipv4("10.0.0.1/8"), None);
    }
}
