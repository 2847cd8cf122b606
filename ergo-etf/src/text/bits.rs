//! Building the bits of a binary literal (`<<1, 2:3, "é"/utf8, 1.5/float>>`) segment by
//! segment.
//!
//! This module owns bit-level packing only; the parser gives it values and type specifiers.

use bytes::Bytes;
use num_bigint::{BigInt, Sign};
use num_traits::{One, Zero};

use crate::{BitBinary, Term};

/// The largest binary literal the parser builds, in bits (16 MiB).
pub const MAX_BINARY_LITERAL_BITS: u64 = 1 << 27;

/// The byte order of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endianness {
    /// Most significant first (the default).
    Big,
    /// Least significant first.
    Little,
}

/// Bits appended one segment at a time; unused low bits of the last byte stay zero.
#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    bit_len: u64,
}

/// Why a segment could not be appended.
pub(crate) enum BitsError {
    /// The total would exceed [`MAX_BINARY_LITERAL_BITS`].
    TooLarge,
    /// The segment is not valid (the message says why).
    Invalid(String),
}

impl BitWriter {
    /// Appends `bit_count` bits of `data` (big-endian bytes), starting `skip` bits into it.
    fn push_raw(&mut self, data: &[u8], skip: u64, bit_count: u64) -> Result<(), BitsError> {
        if self.bit_len + bit_count > MAX_BINARY_LITERAL_BITS {
            return Err(BitsError::TooLarge);
        }
        if self.bit_len % 8 == 0 && skip % 8 == 0 && bit_count % 8 == 0 {
            let start = (skip / 8) as usize;
            let end = start + (bit_count / 8) as usize;
            self.bytes
                .extend_from_slice(data.get(start..end).unwrap_or(&[]));
            self.bit_len += bit_count;
            return Ok(());
        }
        for i in skip..skip + bit_count {
            let byte = data.get((i / 8) as usize).copied().unwrap_or(0);
            let bit = (byte >> (7 - (i % 8))) & 1;
            if self.bit_len % 8 == 0 {
                self.bytes.push(0);
            }
            if bit == 1 {
                if let Some(last) = self.bytes.last_mut() {
                    *last |= 1 << (7 - (self.bit_len % 8));
                }
            }
            self.bit_len += 1;
        }
        Ok(())
    }

    /// Appends an integer in `bit_count` bits, two's complement, truncated as Erlang does.
    pub(crate) fn push_integer(
        &mut self,
        value: &BigInt,
        bit_count: u64,
        order: Endianness,
    ) -> Result<(), BitsError> {
        if self.bit_len + bit_count > MAX_BINARY_LITERAL_BITS {
            return Err(BitsError::TooLarge);
        }
        if bit_count == 0 {
            return Ok(());
        }
        let modulus = BigInt::one() << bit_count;
        let mut reduced = value % &modulus;
        if reduced.sign() == Sign::Minus {
            reduced += &modulus;
        }
        let byte_count = bit_count.div_ceil(8) as usize;
        let (_, magnitude) = reduced.to_bytes_be();
        let mut data = vec![0u8; byte_count];
        if !reduced.is_zero() {
            let offset = byte_count.saturating_sub(magnitude.len());
            for (slot, byte) in data.iter_mut().skip(offset).zip(magnitude.iter()) {
                *slot = *byte;
            }
        }
        if order == Endianness::Little {
            if bit_count % 8 != 0 {
                return Err(BitsError::Invalid(
                    "little-endian integers must be a whole number of bytes".into(),
                ));
            }
            data.reverse();
        }
        let skip = byte_count as u64 * 8 - bit_count;
        self.push_raw(&data, skip, bit_count)
    }

    /// Appends a float of 16, 32 or 64 bits.
    pub(crate) fn push_float(
        &mut self,
        value: f64,
        bit_count: u64,
        order: Endianness,
    ) -> Result<(), BitsError> {
        let mut data = match bit_count {
            64 => value.to_be_bytes().to_vec(),
            32 => {
                let narrow = value as f32;
                if narrow.is_infinite() && value.is_finite() {
                    return Err(BitsError::Invalid("float does not fit in 32 bits".into()));
                }
                narrow.to_be_bytes().to_vec()
            }
            16 => return Err(BitsError::Invalid("16-bit floats are not supported".into())),
            _ => {
                return Err(BitsError::Invalid(format!(
                    "a float segment must be 16, 32 or 64 bits, not {bit_count}"
                )))
            }
        };
        if order == Endianness::Little {
            data.reverse();
        }
        self.push_raw(&data, 0, bit_count)
    }

    /// Appends a codepoint in UTF-8, UTF-16 or UTF-32 (`unit_bits` 8, 16 or 32).
    pub(crate) fn push_utf(
        &mut self,
        code: &BigInt,
        unit_bits: u32,
        order: Endianness,
    ) -> Result<(), BitsError> {
        let c = u32::try_from(code)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| BitsError::Invalid(format!("{code} is not a Unicode codepoint")))?;
        let mut data: Vec<u8> = Vec::new();
        match unit_bits {
            8 => {
                let mut buf = [0u8; 4];
                data.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            16 => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf).iter() {
                    match order {
                        Endianness::Big => data.extend_from_slice(&unit.to_be_bytes()),
                        Endianness::Little => data.extend_from_slice(&unit.to_le_bytes()),
                    }
                }
            }
            _ => match order {
                Endianness::Big => data.extend_from_slice(&u32::from(c).to_be_bytes()),
                Endianness::Little => data.extend_from_slice(&u32::from(c).to_le_bytes()),
            },
        }
        self.push_raw(&data, 0, data.len() as u64 * 8)
    }

    /// The finished binary: `Term::Binary` when the bits fill whole bytes, `Term::BitBinary`
    /// otherwise.
    pub(crate) fn finish(self) -> Term {
        let rest = (self.bit_len % 8) as u8;
        if rest == 0 {
            Term::Binary(Bytes::from(self.bytes))
        } else {
            Term::BitBinary(BitBinary {
                bytes: Bytes::from(self.bytes),
                bits_in_last: rest,
            })
        }
    }
}
