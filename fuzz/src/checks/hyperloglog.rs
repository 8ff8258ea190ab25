//! HyperLogLog strings from arbitrary bytes. The input gives a sparse body (or a dense one,
//! filled from it) after a valid header, and a `hll-sparse-max-bytes`: counting, merging,
//! decoding and converting it never panic. When its runs cover every register, the input then
//! drives raises and adds against a model of one byte per register: each reports a change
//! exactly when the model's register rose, the registers read back as the model's (in whatever
//! encoding it has become), and the count agrees with the model's registers. A body whose last
//! `XZERO` lacks its second byte reads that byte as 0 (as Redis reads the string's NUL), so
//! its runs may cover every register, but a change there drops a byte as Redis's does: such a
//! body only has to take changes without a panic.
use ferrodis_core::store::hyperloglog::{self as hll, Encoding, REGISTERS};

use super::input::Input;

const STEPS_MAX: usize = 64;
/// Sparse bodies the input writes directly; longer ones come from raises.
const BODY_BYTES_MAX: usize = 256;

/// Whether a sparse body's last opcode is an `XZERO` whose second byte is missing.
fn ends_in_a_cut_xzero(body: &[u8]) -> bool {
    let mut position = 0;
    while position < body.len() {
        position += if body[position] >> 6 == 0b01 { 2 } else { 1 };
    }
    position > body.len()
}

pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let mut bytes = hll::new_sparse()[..hll::HEADER_BYTES].to_vec();
    let dense = input.below(8) == 0;
    let sparse_bytes_max = match input.below(4) {
        0 => usize::from(input.u16()),
        1 => usize::from(input.u8()),
        _ => 3000,
    };
    if dense {
        bytes[4] = 0;
        let fill = input.bytes(BODY_BYTES_MAX);
        bytes.extend(
            (0..hll::DENSE_BYTES - hll::HEADER_BYTES)
                .map(|index| fill.get(index % fill.len().max(1)).copied().unwrap_or(0)),
        );
    } else {
        bytes.extend_from_slice(input.bytes(BODY_BYTES_MAX));
    }
    assert!(hll::encoding(&bytes).is_some(), "a valid header");
    let counted = hll::count(&bytes);
    let registers = hll::registers(&bytes);
    let _ = hll::decode_sparse(&bytes);
    assert_eq!(
        counted.is_ok(),
        registers.is_ok(),
        "both see the same corruption"
    );
    let mut converted = bytes.clone();
    if hll::to_dense(&mut converted).is_ok() {
        assert_eq!(hll::encoding(&converted), Some(Encoding::Dense));
        assert_eq!(hll::registers(&converted).ok(), registers.clone().ok());
    }
    let whole = dense || !ends_in_a_cut_xzero(&bytes[hll::HEADER_BYTES..]);
    let (Ok(mut model), true) = (registers, whole) else {
        // A broken one: changes must fail or succeed without a panic.
        for _ in 0..4 {
            let index = usize::from(input.u16()) % REGISTERS;
            let _ = hll::raise(
                &mut bytes,
                index,
                input.below(52) as u8 + 1,
                sparse_bytes_max,
            );
        }
        return;
    };
    for step in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        let (index, value) = if input.bool() {
            hll::register_of(input.bytes(8))
        } else {
            let index = usize::from(input.u16()) % REGISTERS;
            (index, input.below(51) as u8 + 1)
        };
        let changed = hll::raise(&mut bytes, index, value, sparse_bytes_max)
            .expect("runs that cover every register stay valid");
        assert_eq!(changed, model[index] < value, "step {step}");
        model[index] = model[index].max(value);
        // Reading every register costs a walk of 16384: every 8th step and at the end (a
        // broken string stays broken).
        if step % 8 == 7 {
            let now = hll::registers(&bytes).expect("still valid");
            assert!(
                now[..] == model[..],
                "step {step}: registers differ from the model"
            );
        }
    }
    let now = hll::registers(&bytes).expect("still valid");
    assert!(
        now[..] == model[..],
        "registers differ from the model at the end"
    );
    let by_registers = hll::count_registers(&model);
    assert_eq!(hll::count(&bytes), Ok(by_registers));
}
