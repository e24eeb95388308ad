//! The CIDR functions of ARM templates: `parseCidr`, `cidrSubnet` and
//! `cidrHost`, for IPv4 and IPv6, as Microsoft Learn documents them. Bicep
//! templates lay out their subnets with them, so the rules that judge address
//! ranges need them known. Input Azure would refuse is unknown here. The
//! parsing and address arithmetic are `crate::cidr`'s; this file only maps
//! them onto ARM's functions and values.

use crate::cidr::Range;
use crate::model::{Node, Object, Value};

use super::Answer;

fn string(s: String) -> Node {
    Node::new(Value::String(s.into()), None)
}

/// `{ network, netmask, broadcast (IPv4 only), firstUsable, lastUsable, cidr }`.
pub fn parse_cidr(text: &str) -> Value {
    let Some(range) = Range::parse(text) else {
        return Value::Unknown;
    };
    let mut object = Object::new();
    object.insert("network", string(range.address(range.network)));
    object.insert("netmask", string(range.address(range.mask())));
    if range.bits == 32 {
        if range.host_bits() < 2 {
            // A /31 or /32 has no broadcast and no usable hosts in the sense
            // the documentation describes; not guessed.
            return Value::Unknown;
        }
        object.insert("broadcast", string(range.address(range.last())));
        object.insert("firstUsable", string(range.address(range.network + 1)));
        object.insert("lastUsable", string(range.address(range.last() - 1)));
    } else {
        object.insert("firstUsable", string(range.address(range.network)));
        object.insert("lastUsable", string(range.address(range.last())));
    }
    object.insert(
        "cidr",
        Node::new(Value::Number(f64::from(range.prefix)), None),
    );
    Value::Object(object)
}

/// The `index`th subnet of `text` with prefix length `new_prefix`.
pub fn cidr_subnet(text: &str, new_prefix: f64, index: f64) -> Value {
    let Some(range) = Range::parse(text) else {
        return Value::Unknown;
    };
    if new_prefix.fract() != 0.0 || index.fract() != 0.0 || index < 0.0 {
        return Value::Unknown;
    }
    range
        .subnet(new_prefix as u32, index as u128)
        .map_or(Value::Unknown, |subnet| Value::string(subnet.to_string()))
}

/// The `index`th usable host address of `text` (index 0 is the network
/// address plus one).
pub fn cidr_host(text: &str, index: f64) -> Value {
    let Some(range) = Range::parse(text) else {
        return Value::Unknown;
    };
    if index.fract() != 0.0 || index < 0.0 {
        return Value::Unknown;
    }
    let host = range
        .network
        .saturating_add(1)
        .saturating_add(index as u128);
    let last_usable = if range.bits == 32 {
        range.last().saturating_sub(1)
    } else {
        range.last()
    };
    if host > last_usable {
        return Value::Unknown;
    }
    Value::String(range.address(host).into())
}

/// The CIDR functions.
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    use Value as V;
    Some(match (name, args.as_slice()) {
        ("parsecidr", [V::String(s)]) => parse_cidr(s),
        ("cidrsubnet", [V::String(s), V::Number(prefix), V::Number(index)]) => {
            cidr_subnet(s, *prefix, *index)
        }
        ("cidrhost", [V::String(s), V::Number(index)]) => cidr_host(s, *index),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value) -> String {
        match v {
            Value::String(s) => s.into_string(),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn field(v: &Value, key: &str) -> Value {
        match v {
            Value::Object(o) => o.get(key).map_or(Value::Unknown, |n| n.value.clone()),
            _ => Value::Unknown,
        }
    }

    // Expected values: Microsoft Learn, "CIDR functions for ARM templates".
    #[test]
    fn parse_cidr_as_documented() {
        let v4 = parse_cidr("10.144.0.0/20");
        for (key, expected) in [
            ("network", "10.144.0.0"),
            ("netmask", "255.255.240.0"),
            ("broadcast", "10.144.15.255"),
            ("firstUsable", "10.144.0.1"),
            ("lastUsable", "10.144.15.254"),
        ] {
            assert_eq!(field(&v4, key), Value::String(expected.into()), "{key}");
        }
        assert_eq!(field(&v4, "cidr"), Value::Number(20.0));
        let v6 = parse_cidr("fdad:3236:5555::/48");
        for (key, expected) in [
            ("network", "fdad:3236:5555::"),
            ("netmask", "ffff:ffff:ffff::"),
            ("firstUsable", "fdad:3236:5555::"),
            ("lastUsable", "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff"),
        ] {
            assert_eq!(field(&v6, key), Value::String(expected.into()), "{key}");
        }
        assert_eq!(field(&v6, "broadcast"), Value::Unknown);
        assert_eq!(field(&v6, "cidr"), Value::Number(48.0));
        assert_eq!(parse_cidr("10.0.0.0/33"), Value::Unknown);
        assert_eq!(parse_cidr("not a range"), Value::Unknown);
    }

    #[test]
    fn cidr_subnet_as_documented() {
        let v4: Vec<String> = (0..5)
            .map(|i| text(cidr_subnet("10.144.0.0/20", 24.0, f64::from(i))))
            .collect();
        assert_eq!(
            v4,
            [
                "10.144.0.0/24",
                "10.144.1.0/24",
                "10.144.2.0/24",
                "10.144.3.0/24",
                "10.144.4.0/24"
            ]
        );
        let v6: Vec<String> = (0..5)
            .map(|i| text(cidr_subnet("fdad:3236:5555::/48", 52.0, f64::from(i))))
            .collect();
        assert_eq!(
            v6,
            [
                "fdad:3236:5555::/52",
                "fdad:3236:5555:1000::/52",
                "fdad:3236:5555:2000::/52",
                "fdad:3236:5555:3000::/52",
                "fdad:3236:5555:4000::/52"
            ]
        );
        // Past the last subnet, or a wider prefix: Azure refuses it.
        assert_eq!(cidr_subnet("10.144.0.0/20", 24.0, 16.0), Value::Unknown);
        assert_eq!(cidr_subnet("10.144.0.0/20", 16.0, 0.0), Value::Unknown);
    }

    #[test]
    fn cidr_host_as_documented() {
        let v4: Vec<String> = (0..5)
            .map(|i| text(cidr_host("10.144.3.0/24", f64::from(i))))
            .collect();
        assert_eq!(
            v4,
            [
                "10.144.3.1",
                "10.144.3.2",
                "10.144.3.3",
                "10.144.3.4",
                "10.144.3.5"
            ]
        );
        let v6: Vec<String> = (0..5)
            .map(|i| text(cidr_host("fdad:3236:5555:3000::/52", f64::from(i))))
            .collect();
        assert_eq!(
            v6,
            [
                "fdad:3236:5555:3000::1",
                "fdad:3236:5555:3000::2",
                "fdad:3236:5555:3000::3",
                "fdad:3236:5555:3000::4",
                "fdad:3236:5555:3000::5"
            ]
        );
        // 192.168.1.254 is the last usable host of a /24.
        assert_eq!(
            cidr_host("192.168.1.0/24", 253.0),
            Value::String("192.168.1.254".into())
        );
        assert_eq!(cidr_host("192.168.1.0/24", 254.0), Value::Unknown);
    }
}
