//! The two deterministic name makers of ARM templates, `uniqueString()` and
//! `guid()`, computed exactly so that a name built from known inputs is known.
//!
//! Both join their arguments with `-` first. `guid()` is an RFC 4122 name-based
//! (version 5, SHA-1) UUID in the namespace ARM uses,
//! `11fb06fb-712d-4ddd-98c7-e71bbd588830` (the `uuid` crate does the UUID
//! work). `uniqueString()` is 13 lowercase base-32 characters of a 64-bit
//! MurmurHash variant (two 32-bit lanes over 8-byte blocks of the UTF-8
//! bytes, seed 0), which no crate provides.
//!
//! Not here: when they are called, with which arguments (`string.rs`).

/// The namespace of every ARM `guid()`.
const GUID_NAMESPACE: uuid::Uuid = uuid::uuid!("11fb06fb-712d-4ddd-98c7-e71bbd588830");

pub fn guid(parts: &[String]) -> String {
    uuid::Uuid::new_v5(&GUID_NAMESPACE, parts.join("-").as_bytes()).to_string()
}

pub fn unique_string(parts: &[String]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let hash = murmur64(parts.join("-").as_bytes());
    // 13 five-bit groups from the top: 65 bits, the last one padded with zero.
    (0..13)
        .map(|i| {
            let shift = 59i32 - 5 * i;
            let group = if shift >= 0 {
                hash >> shift
            } else {
                hash << -shift
            };
            char::from(ALPHABET[(group & 31) as usize])
        })
        .collect()
}

const C1: u32 = 0xab0e_9789;
const C2: u32 = 0x239b_961b;
const C3: u32 = 0x85eb_ca6b;
const C4: u32 = 0xc2b2_ae35;

fn lane_one(k: u32) -> u32 {
    k.wrapping_mul(C2).rotate_left(15).wrapping_mul(C1)
}

fn lane_two(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(17).wrapping_mul(C2)
}

/// Little-endian word from up to four bytes (a short tail is zero-filled).
fn word(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .enumerate()
        .fold(0, |w, (i, b)| w | (u32::from(*b) << (8 * i)))
}

fn mix(mut h: u32) -> u32 {
    h = (h ^ (h >> 16)).wrapping_mul(C3);
    h = (h ^ (h >> 13)).wrapping_mul(C4);
    h ^ (h >> 16)
}

fn murmur64(data: &[u8]) -> u64 {
    let (mut h1, mut h2) = (0u32, 0u32);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        h1 = (h1 ^ lane_one(word(&block[..4])))
            .rotate_left(19)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x561c_cd1b);
        h2 = (h2 ^ lane_two(word(&block[4..])))
            .rotate_left(13)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x0bca_a747);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        h1 ^= lane_one(word(tail));
        if tail.len() > 4 {
            h2 ^= lane_two(word(&tail[4..]));
        }
    }
    // The length is mixed in as a 32-bit value, as the original does.
    let length = data.len() as u32;
    let r0 = h2 ^ length;
    let r1 = (h1 ^ length).wrapping_add(r0);
    let r2 = r0.wrapping_add(r1);
    let (a, b) = (mix(r1), mix(r2));
    let low = a.wrapping_add(b);
    let high = b.wrapping_add(low);
    (u64::from(high) << 32) | u64::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn unique_string_matches_values_azure_returned() {
        // `test` as Microsoft's own expression library (Azure.Deployments.Expression)
        // evaluates it; the rest checked against Bicep, covering every tail length.
        assert_eq!(unique_string(&strings(&["test"])), "rbgf3xv4ufgzg");
        assert_eq!(unique_string(&strings(&["abc"])), "cgtzqvhu4i23s");
        assert_eq!(
            unique_string(&strings(&["hello", "world"])),
            "a7wkljktk6wne"
        );
        assert_eq!(
            unique_string(&strings(&["foo", "bar", "baz"])),
            "xzi4ioaxtmth4"
        );
        assert_eq!(
            unique_string(&strings(&[
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg"
            ])),
            "bmg7c6xu4tw46"
        );
    }

    #[test]
    fn guid_is_the_name_based_uuid_of_the_joined_arguments() {
        // uuid5(11fb06fb-…, "a-b-c"), computed independently with Python's uuid module.
        assert_eq!(
            guid(&strings(&["a", "b", "c"])),
            "a98fa280-e03f-5afa-8d8e-92d0a9c201e8"
        );
        assert_eq!(
            guid(&strings(&["/subscriptions/x/resourceGroups/rg-postgres"])),
            "58b8426d-c1e5-5fdd-a9d5-f575ec73a721"
        );
    }
}
