//! Expected values taken from Redis 7.0.15 running the same scripts.

use proptest::prelude::*;

use crate::script::libs::test_support::{eval, lua};

/// A script's string result in hex, or its error.
fn hex_of(lua: &mlua::Lua, expression: &str) -> String {
    let script = format!(
        "local s = {expression} \
         return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))"
    );
    eval(lua, &script)
}

#[test]
fn pack_matches_redis() {
    let cases = [
        ("struct.pack('<i', 1)", "01000000"),
        ("struct.pack('>i', 1)", "00000001"),
        ("struct.pack('i', -1)", "ffffffff"),
        ("struct.pack('b', 200)", "c8"),
        ("struct.pack('B', -1)", "ff"),
        ("struct.pack('h', 70000)", "7011"),
        ("struct.pack('l', 1)", "0100000000000000"),
        ("struct.pack('T', 1)", "0100000000000000"),
        ("struct.pack('i3', 0x123456)", "563412"),
        (
            "struct.pack('i17', 1)",
            "0100000000000000000000000000000000",
        ),
        ("struct.pack('i0', 1)", ""),
        ("struct.pack('f', 1.5)", "0000c03f"),
        ("struct.pack('d', 1.5)", "000000000000f83f"),
        ("struct.pack('s', 'ab')", "616200"),
        ("struct.pack('s', 'a\\0b')", "61006200"),
        ("struct.pack('s', 1)", "3100"),
        ("struct.pack('c', 'ab')", "61"),
        ("struct.pack('c0', 'ab')", "6162"),
        ("struct.pack('c1', 'ab')", "61"),
        ("struct.pack('c', 1)", "31"),
        ("struct.pack('!4 b i', 1, 2)", "0100000002000000"),
        ("struct.pack('!b i', 1, 2)", "0100000002000000"),
        ("struct.pack('!2 b d', 1, 2)", "01000000000000000040"),
        (
            "struct.pack('!8 b i8 !2 i8', 1, 2, 3)",
            "010000000000000002000000000000000300000000000000",
        ),
        ("struct.pack('bxb', 1, 2)", "010002"),
        ("struct.pack('i', 2^40)", "00000000"),
        ("struct.pack('i', 1.7)", "01000000"),
        ("struct.pack('i', -1.7)", "ffffffff"),
        ("struct.pack('I', 2^31)", "00000080"),
        ("struct.pack('i8', -2)", "feffffffffffffff"),
        ("struct.pack('I8', 2^63)", "0000000000000080"),
        ("struct.pack('i', 1/0)", "00000000"),
        ("struct.pack('i', 0/0)", "00000000"),
        ("struct.pack('i', '0x10')", "10000000"),
        ("struct.pack('<I8', -1)", "ffffffffffffffff"),
        ("struct.pack('<I8', 2^64)", "0000000000000000"),
        ("struct.pack('<I8', 1/0)", "0000000000000000"),
        ("struct.pack('<I8', -1/0)", "0000000000000080"),
        ("struct.pack('<I8', 0/0)", "0000000000000080"),
        ("struct.pack('<i8', 1e19)", "0000e8890423c78a"),
        ("struct.pack('<i10', -1)", "ffffffffffffffff0000"),
        ("struct.pack('>i10', -1)", "0000ffffffffffffffff"),
        ("struct.pack('>I10', 1)", "00000000000000000001"),
        ("struct.pack('<B', 2^63 + 2^11)", "00"),
    ];
    let lua = lua();
    for (expression, expected) in cases {
        assert_eq!(hex_of(&lua, expression), expected, "{expression}");
    }
}

#[test]
fn unpack_and_size_match_redis() {
    let cases = [
        ("table.concat({struct.unpack('i', 'abcdabcd', 2)}, ' ')", "1633968994 6"),
        ("table.concat({struct.unpack('bc0', '\\3abcd')}, ' ')", "abc 5"),
        ("table.concat({struct.unpack('ss', 'ab\\0cd\\0e')}, ' ')", "ab cd 7"),
        ("table.concat({struct.unpack('i17', string.rep('\\255', 17))}, ' ')", "-1 18"),
        ("table.concat({struct.unpack('i9', '\\1\\0\\0\\0\\0\\0\\0\\0\\1')}, ' ')", "1 10"),
        ("table.concat({struct.unpack('I8', string.rep('\\255', 8))}, ' ')", "1.844674407371e+19 9"),
        ("table.concat({struct.unpack('i8', string.rep('\\255', 8))}, ' ')", "-1 9"),
        ("table.concat({struct.unpack('i3', '\\255\\255\\127')}, ' ')", "8388607 4"),
        ("table.concat({struct.unpack('i3', '\\255\\255\\255')}, ' ')", "-1 4"),
        ("table.concat({struct.unpack('', 'abc', -1)}, ' ')", "-1"),
        ("table.concat({struct.unpack('b', 'abc', 1.9)}, ' ')", "97 2"),
        ("table.concat({struct.unpack('>I10', '\\1\\2\\3\\4\\5\\6\\7\\8\\9\\10')}, ' ')", "2.1730420546654e+17 11"),
        ("table.concat({struct.unpack('<i2 !4 i', '\\1\\0\\0\\0\\2\\0\\0\\0')}, ' ')", "1 2 9"),
        ("table.concat({struct.unpack('x b', 'ab')}, ' ')", "98 3"),
        ("table.concat({struct.unpack('>f d', '\\63\\192\\0\\0\\64\\0\\0\\0\\0\\0\\0\\0')}, ' ')", "1.5 2 13"),
        // Redis returns up to 7,997 values; we stop at 7,960 (see LUA_RESULTS_MAX).
        ("select('#', struct.unpack(string.rep('b', 7960), string.rep('a', 7960)))", "7961"),
        ("struct.size('c2147483647c2147483647')", "4294967294"),
        ("struct.size('!bd')", "16"),
        ("struct.size('bxhlTfdc5i3')", "40"),
        ("struct.size('!')", "0"),
    ];
    let lua = lua();
    for (expression, expected) in cases {
        assert_eq!(
            eval(&lua, &format!("return {expression}")),
            expected,
            "{expression}"
        );
    }
}

#[test]
fn errors_match_redis() {
    let cases = [
        (
            "struct.pack('i33', 1)",
            "integral size 33 is larger than limit of 32",
        ),
        (
            "struct.pack('c3', 'ab')",
            "bad argument #2 to 'pack' (string too short)",
        ),
        (
            "struct.pack('!3 b i', 1, 2)",
            "alignment 3 is not a power of 2",
        ),
        ("struct.size('!0 i')", "alignment 0 is not a power of 2"),
        (
            "struct.pack('i', 'x')",
            "bad argument #2 to 'pack' (number expected, got string)",
        ),
        (
            "struct.pack('h', 'x')",
            "bad argument #2 to 'pack' (number expected, got string)",
        ),
        (
            "struct.pack('i')",
            "bad argument #2 to 'pack' (number expected, got no value)",
        ),
        (
            "struct.pack('=i', 1)",
            "bad argument #1 to 'pack' (invalid format option '=')",
        ),
        (
            "struct.pack()",
            "bad argument #1 to 'pack' (string expected, got no value)",
        ),
        (
            "struct.pack('c', {})",
            "bad argument #2 to 'pack' (string expected, got table)",
        ),
        (
            "struct.pack('i99999999999999999999', 1)",
            "integral size overflow",
        ),
        ("struct.pack('c2147483648', 'a')", "integral size overflow"),
        (
            "struct.size('i s')",
            "bad argument #1 to 'size' (option 's' has no fixed size)",
        ),
        (
            "struct.size('c0')",
            "bad argument #1 to 'size' (option 'c0' has no fixed size)",
        ),
        (
            "struct.unpack('i', 'abc')",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "struct.unpack('i', 'abcd', 2)",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "struct.unpack('i', 'abcd', 0)",
            "bad argument #3 to 'unpack' (offset must be 1 or greater)",
        ),
        (
            "struct.unpack('i', 'abcd', -1)",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "struct.unpack('b', 'abcd', 5)",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "struct.unpack('!4 bi', 'a')",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "struct.unpack('c3', 'ab')",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "struct.unpack('c0', 'abcd')",
            "format 'c0' needs a previous size",
        ),
        (
            "struct.unpack('c1c0', 'xbc')",
            "format 'c0' needs a previous size",
        ),
        ("struct.unpack('s', 'ab')", "unfinished string in data"),
        (
            "struct.unpack('s')",
            "bad argument #2 to 'unpack' (string expected, got no value)",
        ),
        (
            "struct.unpack('b', 'a', 'x')",
            "bad argument #3 to 'unpack' (number expected, got string)",
        ),
        (
            "struct.unpack(string.rep('b', 7961), string.rep('a', 7961))",
            "stack overflow (too many results)",
        ),
    ];
    let lua = lua();
    for (expression, expected) in cases {
        assert_eq!(
            eval(&lua, &format!("return {expression}")),
            format!("error: {expected}"),
            "{expression}"
        );
    }
}

proptest! {
    /// Integers that fit their option come back unchanged, in either byte order and alignment.
    #[test]
    fn unpack_inverts_pack(
        values in proptest::collection::vec((0usize..8, any::<i32>()), 1..12),
        big_endian in any::<bool>(),
        aligned in any::<bool>(),
    ) {
        const OPTIONS: [(&str, i64, i64); 8] = [
            ("b", -128, 127), ("B", 0, 255), ("h", -32768, 32767), ("H", 0, 65535),
            ("i", i32::MIN as i64, i32::MAX as i64), ("I", 0, u32::MAX as i64),
            ("l", i32::MIN as i64, i32::MAX as i64), ("i2", -32768, 32767),
        ];
        let mut format = String::from(if big_endian { ">" } else { "<" });
        if aligned {
            format.push('!');
        }
        let mut literals = Vec::new();
        for (option_index, seed) in &values {
            let (option, minimum, maximum) = OPTIONS[*option_index];
            let value = minimum + (*seed as i64 - i32::MIN as i64) % (maximum - minimum + 1);
            format.push_str(option);
            literals.push(value.to_string());
        }
        let list = literals.join(",");
        let script = format!(
            "local packed = struct.pack('{format}', {list}) \
             local unpacked = {{struct.unpack('{format}', packed)}} \
             local expected = {{{list}}} \
             for i, v in ipairs(expected) do if unpacked[i] ~= v then return false end end \
             return unpacked[#expected + 1] == #packed + 1 and #packed == struct.size('{format}')"
        );
        prop_assert_eq!(eval(&lua(), &script), "true");
    }
}
