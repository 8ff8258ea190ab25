//! The run's trace hash: every byte in and out, every output and every timeout folds into it,
//! so that two runs of one seed can be compared step by step.

#[derive(Debug, Clone)]
pub struct Trace {
    hash: u64,
    /// The hash after each step, kept only when checking determinism.
    pub steps: Option<Vec<u64>>,
}

const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Trace {
    pub fn new(record_steps: bool) -> Trace {
        Trace {
            hash: 0xcbf2_9ce4_8422_2325,
            steps: record_steps.then(Vec::new),
        }
    }

    pub fn u64(&mut self, value: u64) {
        self.hash = (self.hash ^ value).wrapping_mul(PRIME).rotate_left(29);
    }

    /// Eight bytes at a time: cheap enough for megabyte values.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.u64(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.u64(u64::from_le_bytes(tail));
    }

    pub fn end_step(&mut self) {
        let hash = self.hash;
        if let Some(steps) = &mut self.steps {
            steps.push(hash);
        }
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }
}
