//! `SmallBytes`: an immutable byte string kept inline when short.
//!
//! Keys and sorted-set members are mostly short. Inline, such a string shares the allocation of
//! whatever holds it (a hashtable node, a tree item) instead of costing a heap block of its own
//! (at least 32 bytes with glibc's malloc for a 10-byte string). 24 bytes either way: the inline
//! form fills the room that a boxed slice and the enum's tag need anyway.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

/// Strings up to this long are stored inline.
pub const INLINE_BYTES_MAX: usize = 22;

#[derive(Clone)]
pub enum SmallBytes {
    Inline {
        len: u8,
        bytes: [u8; INLINE_BYTES_MAX],
    },
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<SmallBytes>() == 24);

impl SmallBytes {
    pub fn new(bytes: &[u8]) -> SmallBytes {
        if bytes.len() <= INLINE_BYTES_MAX {
            let mut inline = [0; INLINE_BYTES_MAX];
            inline[..bytes.len()].copy_from_slice(bytes);
            SmallBytes::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            SmallBytes::Heap(bytes.into())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, bytes } => &bytes[..*len as usize],
            SmallBytes::Heap(bytes) => bytes,
        }
    }

    pub fn into_boxed(self) -> Box<[u8]> {
        match self {
            SmallBytes::Inline { len, bytes } => bytes[..len as usize].into(),
            SmallBytes::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(bytes: &[u8]) -> SmallBytes {
        SmallBytes::new(bytes)
    }
}

impl Deref for SmallBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// `TinyBytes` keeps strings up to this long inline.
pub const TINY_INLINE_BYTES_MAX: usize = 14;

/// An immutable byte string in 16 bytes: inline up to 14 bytes, otherwise behind a thin pointer
/// (a box holding the boxed slice, two blocks). For the values of big hashes, which are mostly
/// short: a node with a `SmallBytes` field and a `TinyBytes` value is 48 bytes instead of 56.
#[derive(Clone)]
pub enum TinyBytes {
    Inline {
        len: u8,
        bytes: [u8; TINY_INLINE_BYTES_MAX],
    },
    Heap(Box<Box<[u8]>>),
}

const _: () = assert!(std::mem::size_of::<TinyBytes>() == 16);

impl TinyBytes {
    pub fn new(bytes: &[u8]) -> TinyBytes {
        if bytes.len() <= TINY_INLINE_BYTES_MAX {
            let mut inline = [0; TINY_INLINE_BYTES_MAX];
            inline[..bytes.len()].copy_from_slice(bytes);
            TinyBytes::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            TinyBytes::Heap(Box::new(bytes.into()))
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            TinyBytes::Inline { len, bytes } => &bytes[..*len as usize],
            TinyBytes::Heap(bytes) => bytes,
        }
    }
}

impl Deref for TinyBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for TinyBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for TinyBytes {}

impl fmt::Debug for TinyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_round_trip() {
        for len in [0, 1, 14, 15, INLINE_BYTES_MAX, INLINE_BYTES_MAX + 1, 1000] {
            let bytes: Vec<u8> = (0..len).map(|index| index as u8).collect();
            let small = SmallBytes::new(&bytes);
            assert_eq!(small.as_bytes(), &bytes[..]);
            assert_eq!(
                matches!(small, SmallBytes::Inline { .. }),
                len <= INLINE_BYTES_MAX
            );
            assert_eq!(&*small.clone().into_boxed(), &bytes[..]);
            let tiny = TinyBytes::new(&bytes);
            assert_eq!(tiny.as_bytes(), &bytes[..]);
            assert_eq!(
                matches!(tiny, TinyBytes::Inline { .. }),
                len <= TINY_INLINE_BYTES_MAX
            );
        }
        assert!(SmallBytes::new(b"a") < SmallBytes::new(b"ab"));
    }
}
