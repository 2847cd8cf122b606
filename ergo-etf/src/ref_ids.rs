//! The id words of a reference, held inline: a reference is built, cloned and dropped on every
//! call and monitor, and its 1 to 5 words need no heap allocation.
//!
//! This module owns only that container and the 1..=5 invariant; what the words mean (OTP's
//! layout of a reference number) belongs to whoever makes references.

use std::fmt;
use std::ops::Deref;

/// The most id words a reference has (OTP 25 emits 3; pid-references and aliases up to 5).
pub const MAX_REF_IDS: usize = 5;

/// The 1 to [`MAX_REF_IDS`] id words of a [`crate::Reference`], least significant first, as on
/// the wire. Reads as a `&[u32]` (it derefs to one); unused words are kept zero so that equality
/// and hashing look at the used words only.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefIds {
    words: [u32; MAX_REF_IDS],
    len: u8,
}

impl RefIds {
    /// The ids `words`, or `None` when there are none or more than [`MAX_REF_IDS`].
    pub fn new(words: &[u32]) -> Option<RefIds> {
        (1..=MAX_REF_IDS)
            .contains(&words.len())
            .then(|| RefIds::filled(words))
    }

    /// `words` (1 to 5, checked by the caller) with the unused words zero.
    fn filled(words: &[u32]) -> RefIds {
        let mut ids = RefIds {
            words: [0; MAX_REF_IDS],
            len: words.len() as u8,
        };
        ids.words[..words.len()].copy_from_slice(words);
        ids
    }

    /// From words whose first `len` (1..=5) are used and the rest zero, as the decoder has
    /// them (its caller checked `len`).
    #[inline]
    pub(crate) fn from_parts(words: [u32; MAX_REF_IDS], len: u8) -> RefIds {
        debug_assert!((1..=MAX_REF_IDS as u8).contains(&len));
        RefIds { words, len }
    }

    /// The words, least significant first.
    #[inline]
    pub fn as_slice(&self) -> &[u32] {
        &self.words[..usize::from(self.len)]
    }
}

impl Deref for RefIds {
    type Target = [u32];

    #[inline]
    fn deref(&self) -> &[u32] {
        self.as_slice()
    }
}

/// From an array of 1 to 5 words (checked when compiling).
impl<const N: usize> From<[u32; N]> for RefIds {
    fn from(words: [u32; N]) -> RefIds {
        const {
            assert!(
                N >= 1 && N <= MAX_REF_IDS,
                "a reference has 1 to 5 id words"
            )
        };
        RefIds::filled(&words)
    }
}

impl fmt::Debug for RefIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_one_to_five_words_and_compares_by_them() {
        assert_eq!(RefIds::new(&[]), None);
        assert_eq!(RefIds::new(&[1, 2, 3, 4, 5, 6]), None);
        let three = RefIds::new(&[1, 2, 3]).expect("three words");
        assert_eq!(&*three, &[1, 2, 3]);
        assert_eq!(three, RefIds::from([1, 2, 3]));
        assert_ne!(three, RefIds::from([1, 2, 3, 0]));
        assert_eq!(format!("{three:?}"), "[1, 2, 3]");
        assert_eq!(RefIds::from([9, 8, 7, 6, 5]).len(), 5);
    }

    #[test]
    fn inline_ids_do_not_make_terms_larger() {
        // A reference is node (16) + creation (4) + ids (21), as large as with a `Vec`.
        assert!(std::mem::size_of::<crate::Reference>() <= 48);
        assert!(std::mem::size_of::<crate::Term>() <= 56);
    }
}
