//! Bitcoin address validation: Base58Check (P2PKH / P2SH) and Bech32 / Bech32m (BIP-173 / BIP-350).

use sha2::{Digest, Sha256};

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn b58_decode(s: &str) -> Option<Vec<u8>> {
    let mut map = [255u8; 128];
    for (i, &c) in B58.iter().enumerate() {
        map[c as usize] = i as u8;
    }
    let mut out: Vec<u8> = Vec::with_capacity(32);
    for &c in s.as_bytes() {
        let v = *map.get(c as usize)?;
        if v == 255 {
            return None;
        }
        let mut carry = v as u32;
        for byte in out.iter_mut().rev() {
            carry += (*byte as u32) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let mut v = vec![0u8; zeros];
    v.extend(out);
    Some(v)
}

/// A legacy address: Base58Check, 25 bytes, version 0x00 (P2PKH) or 0x05 (P2SH).
pub fn is_base58_address(s: &str) -> bool {
    if !(26..=35).contains(&s.len()) || !matches!(s.as_bytes()[0], b'1' | b'3') {
        return false;
    }
    let Some(raw) = b58_decode(s) else {
        return false;
    };
    if raw.len() != 25 || !matches!(raw[0], 0x00 | 0x05) {
        return false;
    }
    let h = Sha256::digest(Sha256::digest(&raw[..21]));
    h[..4] == raw[21..]
}

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_CONST: u32 = 1;
const BECH32M_CONST: u32 = 0x2bc8_30a3;

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for &v in values {
        let b = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v as u32;
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn convert_bits(data: &[u8], from: u32, to: u32) -> Option<Vec<u8>> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mut out = Vec::new();
    let maxv = (1 << to) - 1;
    for &v in data {
        acc = (acc << from) | v as u32;
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

/// A SegWit address (`bc1...`): Bech32 for witness v0, Bech32m for v1..16, with program length checks.
pub fn is_bech32_address(s: &str) -> bool {
    if !(14..=74).contains(&s.len()) {
        return false;
    }
    let has_lower = s.bytes().any(|c| c.is_ascii_lowercase());
    let has_upper = s.bytes().any(|c| c.is_ascii_uppercase());
    if has_lower && has_upper {
        return false;
    }
    let l = s.to_ascii_lowercase();
    let Some(rest) = l.strip_prefix("bc1") else {
        return false;
    };
    let mut data = Vec::with_capacity(rest.len());
    for c in rest.bytes() {
        let Some(p) = CHARSET.iter().position(|&x| x == c) else {
            return false;
        };
        data.push(p as u8);
    }
    if data.len() < 7 {
        return false;
    }
    let mut values = vec![3u8, 3, 0, 2, 3]; // hrp_expand("bc")
    values.extend_from_slice(&data);
    let c = polymod(&values);
    let ver = data[0];
    let ok_const = match ver {
        0 => c == BECH32_CONST,
        1..=16 => c == BECH32M_CONST,
        _ => false,
    };
    if !ok_const {
        return false;
    }
    let Some(prog) = convert_bits(&data[1..data.len() - 6], 5, 8) else {
        return false;
    };
    if !(2..=40).contains(&prog.len()) {
        return false;
    }
    !(ver == 0 && prog.len() != 20 && prog.len() != 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_vectors() {
        assert!(is_base58_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(is_base58_address("3Cwgr2g7vsi1bXDUkpEnVoRLA9w4FZfC69"));
        assert!(is_base58_address("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!is_base58_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
        assert!(!is_base58_address("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz"));
    }

    #[test]
    fn bech32_vectors() {
        // BIP-173 / BIP-350 valid mainnet vectors
        assert!(is_bech32_address(
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"
        ));
        assert!(is_bech32_address(
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        ));
        assert!(is_bech32_address(
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
        ));
        // invalid: bech32 checksum on v1, bad checksum, mixed case
        assert!(!is_bech32_address(
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"
        ));
        assert!(!is_bech32_address(
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"
        ));
        assert!(!is_bech32_address(
            "bc1QW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        ));
    }
}
