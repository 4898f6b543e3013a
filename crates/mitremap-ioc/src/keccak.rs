//! Keccak-f[1600] with the two paddings this crate needs: SHA3-256 (Tor onion v3 checksum) and
//! the original Keccak-256 (Monero address checksum). Small, constant-time per block, no deps.

const RC: [u64; 24] = [
    0x0000000000000001,
    0x0000000000008082,
    0x800000000000808a,
    0x8000000080008000,
    0x000000000000808b,
    0x0000000080000001,
    0x8000000080008081,
    0x8000000000008009,
    0x000000000000008a,
    0x0000000000000088,
    0x0000000080008009,
    0x000000008000000a,
    0x000000008000808b,
    0x800000000000008b,
    0x8000000000008089,
    0x8000000000008003,
    0x8000000000008002,
    0x8000000000000080,
    0x000000000000800a,
    0x800000008000000a,
    0x8000000080008081,
    0x8000000000008080,
    0x0000000080000001,
    0x8000000080008008,
];
const RHO: [u32; 24] = [
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
];
const PI: [usize; 24] = [
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
];

fn keccak_f(a: &mut [u64; 25]) {
    for rc in RC {
        let mut c = [0u64; 5];
        for x in 0..5 {
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for x in 0..5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                a[y * 5 + x] ^= d;
            }
        }
        let mut last = a[1];
        for i in 0..24 {
            let j = PI[i];
            let tmp = a[j];
            a[j] = last.rotate_left(RHO[i]);
            last = tmp;
        }
        for y in 0..5 {
            let row = [
                a[y * 5],
                a[y * 5 + 1],
                a[y * 5 + 2],
                a[y * 5 + 3],
                a[y * 5 + 4],
            ];
            for x in 0..5 {
                a[y * 5 + x] = row[x] ^ (!row[(x + 1) % 5] & row[(x + 2) % 5]);
            }
        }
        a[0] ^= rc;
    }
}

fn sponge256(data: &[u8], pad: u8) -> [u8; 32] {
    const RATE: usize = 136;
    let mut st = [0u64; 25];
    let mut block = [0u8; RATE];
    let mut chunks = data.chunks_exact(RATE);
    let absorb = |st: &mut [u64; 25], block: &[u8]| {
        for (i, lane) in block.chunks_exact(8).enumerate() {
            st[i] ^= u64::from_le_bytes(lane.try_into().unwrap());
        }
        keccak_f(st);
    };
    for c in &mut chunks {
        absorb(&mut st, c);
    }
    let rem = chunks.remainder();
    block[..rem.len()].copy_from_slice(rem);
    block[rem.len()] ^= pad;
    block[RATE - 1] ^= 0x80;
    absorb(&mut st, &block);
    let mut out = [0u8; 32];
    for (i, o) in out.chunks_exact_mut(8).enumerate() {
        o.copy_from_slice(&st[i].to_le_bytes());
    }
    out
}

pub(crate) fn sha3_256(data: &[u8]) -> [u8; 32] {
    sponge256(data, 0x06)
}

pub(crate) fn keccak256(data: &[u8]) -> [u8; 32] {
    sponge256(data, 0x01)
}

/// Tor v3 onion service name (the 56 base32 characters before `.onion`): version 3 and checksum.
pub(crate) fn is_onion_v3(label: &str) -> bool {
    let b = label.as_bytes();
    if b.len() != 56 {
        return false;
    }
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut raw = Vec::with_capacity(35);
    for &c in b {
        let v = match c.to_ascii_lowercase() {
            c @ b'a'..=b'z' => c - b'a',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return false,
        };
        bits = (bits << 5) | u64::from(v);
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            raw.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    if raw.len() != 35 || raw[34] != 3 {
        return false;
    }
    let mut msg = Vec::with_capacity(48);
    msg.extend_from_slice(b".onion checksum");
    msg.extend_from_slice(&raw[..32]);
    msg.push(3);
    let h = sha3_256(&msg);
    h[..2] == raw[32..34]
}

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/// Monero base58: 8-byte blocks as 11 characters; a short last block uses this many characters.
const XMR_BLOCK: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];

fn xmr_b58_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() * 8 / 11 + 8);
    for chunk in b.chunks(11) {
        let nbytes = XMR_BLOCK.iter().position(|&n| n == chunk.len())?;
        let mut v: u128 = 0;
        for &c in chunk {
            let d = B58.iter().position(|&x| x == c)? as u128;
            v = v * 58 + d;
        }
        if nbytes < 8 && v >> (8 * nbytes) != 0 {
            return None;
        }
        if v > u128::from(u64::MAX) {
            return None;
        }
        let bytes = (v as u64).to_be_bytes();
        out.extend_from_slice(&bytes[8 - nbytes..]);
    }
    Some(out)
}

/// Monero address (standard 95 chars / integrated 106 chars; mainnet, stagenet and testnet
/// prefixes): Monero-base58 decoded, Keccak-256 checksum verified.
pub(crate) fn is_xmr_address(s: &str) -> bool {
    if !(s.len() == 95 || s.len() == 106) {
        return false;
    }
    if !matches!(
        s.as_bytes()[0],
        b'4' | b'8' | b'5' | b'7' | b'9' | b'A' | b'B'
    ) {
        return false;
    }
    let Some(raw) = xmr_b58_decode(s) else {
        return false;
    };
    if raw.len() < 5 {
        return false;
    }
    let (data, sum) = raw.split_at(raw.len() - 4);
    keccak256(data)[..4] == *sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn vectors() {
        assert_eq!(
            hex(&sha3_256(b"")),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        );
        assert_eq!(
            hex(&keccak256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            hex(&sha3_256(b"abc")),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        );
        // multi-block input (200 bytes > rate 136)
        let long = vec![0xa3u8; 200];
        assert_eq!(
            hex(&sha3_256(&long)),
            "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787"
        );
    }

    #[test]
    fn onion_and_monero() {
        assert!(is_onion_v3(
            "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid"
        ));
        assert!(is_onion_v3(
            "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad"
        ));
        assert!(!is_onion_v3(
            "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczae"
        ));
        assert!(is_xmr_address(
            "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
        ));
        assert!(!is_xmr_address(
            "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3B"
        ));
    }
}
