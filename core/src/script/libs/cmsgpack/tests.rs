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
        (
            "cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 2^32-1, 2^32, -32, -33, -128, \
             -129, -32768, -32769, -2^31, -2^31-1, 2^53, -2^63, 2^64)",
            "01ff7fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000e0d0dfd080d1ff7fd18000\
             d2ffff7fffd280000000d3ffffffff7fffffffcf0020000000000000d38000000000000000ca5f800000",
        ),
        ("cmsgpack.pack(1.5, -0.0, 2^63, 1e300, 3.25, 0.1)",
         "ca3fc0000000ca5f000000cb7e37e43c8800759cca40500000cb3fb999999999999a"),
        ("cmsgpack.pack(1/0)", "ca7f800000"),
        ("cmsgpack.pack(-1/0)", "caff800000"),
        ("cmsgpack.pack(-0.5, 4294967296.5, 1e-300)", "cabf000000cb41f0000000080000cb01a56e1fc2f8f359"),
        ("cmsgpack.pack('', 'abc')", "a0a3616263"),
        ("cmsgpack.pack(string.rep('a', 31)):sub(1, 2)", "bf61"),
        ("cmsgpack.pack(string.rep('a', 32)):sub(1, 3)", "d92061"),
        ("cmsgpack.pack(string.rep('a', 256)):sub(1, 4)", "da010061"),
        ("cmsgpack.pack(string.rep('a', 65536)):sub(1, 6)", "db0001000061"),
        ("cmsgpack.pack(true, false, nil)", "c3c2c0"),
        ("cmsgpack.pack({}, {1,2}, {a=1}, {[1]=1,[3]=3}, {[2]=2}, {1,2,x=3})",
         "9092010281a1610182010103038102028301010202a17803"),
        ("cmsgpack.pack(function() end)", "c0"),
        ("cmsgpack.pack(cjson.null)", "c0"),
        ("cmsgpack.pack(nil)", "c0"),
        ("cmsgpack.pack({[1.5]=1})", "81ca3fc0000001"),
        ("cmsgpack.pack({[0]=1})", "810001"),
        ("cmsgpack.pack({1, nil, 3})", "8201010303"),
        ("local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)",
         "dc00100102030405060708090a0b0c0d0e0f10"),
        ("local t = {} for i = 1, 16 do t['k'..i] = i end return cmsgpack.pack(t):sub(1, 3)",
         "de0010"),
        ("local t = {} t[1] = t return cmsgpack.pack(t)", "91919191919191919191919191919191c0"),
    ];
    let lua = lua();
    for (expression, expected) in cases {
        let expression = if expression.starts_with("local") {
            format!("(function() {expression} end)()")
        } else {
            expression.to_string()
        };
        assert_eq!(hex_of(&lua, &expression), expected, "{expression}");
    }
}

#[test]
fn unpack_matches_redis() {
    let cases = [
        (
            "(function() local t = {cmsgpack.unpack('\\192\\194\\195\\204\\200\\205\\1\\0\\206\\0\\0\\1\\0\
             \\207\\0\\0\\0\\1\\0\\0\\0\\0\\208\\128\\209\\128\\0\\210\\128\\0\\0\\0\
             \\211\\128\\0\\0\\0\\0\\0\\0\\0\\224\\255')} \
             return tostring(t[1]) .. ' ' .. tostring(t[2]) .. ' ' .. tostring(t[3]) .. ' ' \
             .. table.concat(t, ' ', 4, 13) end)()",
            "nil false true 200 256 256 4294967296 -128 -32768 -2147483648 -9.2233720368548e+18 -32 -1",
        ),
        ("select('#', cmsgpack.unpack('\\192'))", "1"),
        ("table.concat({cmsgpack.unpack('\\202\\63\\192\\0\\0\\203\\63\\248\\0\\0\\0\\0\\0\\0')}, ' ')", "1.5 1.5"),
        ("table.concat({cmsgpack.unpack('\\217\\1e\\218\\0\\1f\\219\\0\\0\\0\\1g\\161h')}, ' ')", "e f g h"),
        ("table.concat(cmsgpack.unpack('\\146\\1\\2'), ' ')", "1 2"),
        ("cmsgpack.unpack('\\130\\161a\\1\\2\\3').a", "1"),
        ("cmsgpack.unpack('\\130\\161a\\1\\2\\3')[2]", "3"),
        ("#cmsgpack.unpack('\\145\\192')", "0"),
        ("cmsgpack.unpack('\\220\\0\\1\\5')[1]", "5"),
        ("cmsgpack.unpack('\\221\\0\\0\\0\\1\\6')[1]", "6"),
        ("cmsgpack.unpack('\\222\\0\\1\\1\\2')[1]", "2"),
        ("cmsgpack.unpack('\\223\\0\\0\\0\\1\\3\\4')[3]", "4"),
        ("select('#', cmsgpack.unpack(''))", "0"),
        ("table.concat({cmsgpack.unpack('\\1\\2\\3')}, ' ')", "1 2 3"),
        ("table.concat({cmsgpack.unpack(12)}, ' ')", "49 50"),
        ("table.concat({cmsgpack.unpack('\\1', 2)}, ' ')", "1"),
        ("table.concat({cmsgpack.unpack_one('\\1\\2\\3')}, ' ')", "1 1"),
        ("table.concat({cmsgpack.unpack_one('\\1\\2\\3', 1)}, ' ')", "2 2"),
        ("table.concat({cmsgpack.unpack_one('\\1\\2\\3', 2)}, ' ')", "-1 3"),
        ("table.concat({cmsgpack.unpack_one('\\1\\2\\3', 3)}, ' ')", "-1"),
        ("table.concat({cmsgpack.unpack_one('')}, ' ')", "-1"),
        ("table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 2)}, ' ')", "2 1 2"),
        ("table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 2, 1)}, ' ')", "-1 2 3"),
        ("table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 0)}, ' ')", "1 2 3"),
        ("table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 5)}, ' ')", "-1 1 2 3"),
        (
            "(function() local t = cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1') \
             local depth = 0 while type(t) == 'table' do depth = depth + 1 t = t[1] end \
             return depth end)()",
            "3999",
        ),
        (
            "type(cmsgpack.unpack(string.rep('\\129\\1', 3999) .. '\\1'))",
            "table",
        ),
        ("cmsgpack._NAME .. ' ' .. cmsgpack._VERSION", "cmsgpack lua-cmsgpack 0.4.0"),
        ("cmsgpack._COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"),
        ("cmsgpack._DESCRIPTION", "MessagePack C implementation for Lua"),
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
        ("cmsgpack.pack()", "bad argument #0 to 'pack' (MessagePack pack needs input.)"),
        ("cmsgpack.unpack()", "bad argument #1 to 'unpack' (string expected, got no value)"),
        ("cmsgpack.unpack({})", "bad argument #1 to 'unpack' (string expected, got table)"),
        ("cmsgpack.unpack('\\193')", "Bad data format in input."),
        ("cmsgpack.unpack('\\196\\2ab')", "Bad data format in input."),
        ("cmsgpack.unpack('\\197\\0\\1c')", "Bad data format in input."),
        ("cmsgpack.unpack('\\198\\0\\0\\0\\1d')", "Bad data format in input."),
        ("cmsgpack.unpack('\\212\\1\\2')", "Bad data format in input."),
        ("cmsgpack.unpack('\\199\\1\\1\\2')", "Bad data format in input."),
        ("cmsgpack.unpack('\\205\\1')", "Missing bytes in input."),
        ("cmsgpack.unpack('\\146\\1')", "Missing bytes in input."),
        ("cmsgpack.unpack('\\219\\255\\255\\255\\255')", "Missing bytes in input."),
        ("cmsgpack.unpack('\\221\\255\\255\\255\\255')", "Missing bytes in input."),
        ("cmsgpack.unpack('\\129\\192\\1')", "table index is nil"),
        ("cmsgpack.unpack('\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')", "table index is NaN"),
        ("cmsgpack.unpack_one('\\1\\2\\3', 4)", "Start offset 4 greater than input length 3."),
        ("cmsgpack.unpack_one('\\1\\2\\3', -1)", "Invalid request to unpack with offset of -1 and limit of 3."),
        ("cmsgpack.unpack_limit('\\1\\2\\3', -1)", "Invalid request to unpack with offset of 0 and limit of 3."),
        ("cmsgpack.unpack_limit('\\1\\2\\3')", "bad argument #2 to 'unpack_limit' (number expected, got no value)"),
        ("cmsgpack.unpack_one('\\1', 'x')", "bad argument #2 to 'unpack_one' (number expected, got string)"),
        (
            "cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1')",
            "stack overflow (in function mp_decode_to_lua_array)",
        ),
        (
            "cmsgpack.unpack(string.rep('\\129\\1', 4000) .. '\\1')",
            "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
        ),
        // Redis returns up to 7,999 values; we stop after 7,960 (see LUA_RESULTS_MAX).
        (
            "cmsgpack.unpack(string.rep('\\1', 7961))",
            "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
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
    assert_eq!(
        eval(
            &lua,
            "return select('#', cmsgpack.unpack(string.rep('\\1', 7960)))"
        ),
        "7960"
    );
}

/// Lua values that MessagePack keeps exactly: strings, booleans, numbers (integers and
/// doubles), arrays and maps of them.
fn msgpack_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(|flag| flag.to_string()),
        any::<i64>().prop_map(|integer| format!("{integer}")),
        any::<f64>()
            .prop_filter("NaN never equals itself", |float| !float.is_nan())
            .prop_map(|float| format!("{float:e}").replace("inf", "math.huge")),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| {
            let escaped: String = bytes.iter().map(|byte| format!("\\{byte}")).collect();
            format!("'{escaped}'")
        }),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("{{{}}}", items.join(","))),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 1..6).prop_map(|members| {
                let fields: Vec<String> = members
                    .into_iter()
                    .map(|(key, value)| format!("['{key}']={value}"))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

const DEEP_EQUAL: &str = "local function equal(a, b) \
     if type(a) ~= type(b) then return false end \
     if type(a) ~= 'table' then return a == b end \
     for k, v in pairs(a) do if not equal(v, b[k]) then return false end end \
     for k in pairs(b) do if a[k] == nil then return false end end \
     return true end";

proptest! {
    #[test]
    fn unpack_inverts_pack(values in proptest::collection::vec(msgpack_value(), 1..4)) {
        let list = values.join(",");
        let script = format!(
            "{DEEP_EQUAL} local v = {{{list}}} local u = {{cmsgpack.unpack(cmsgpack.pack(unpack(v)))}} \
             return #u == #v and equal(v, u)"
        );
        prop_assert_eq!(eval(&lua(), &script), "true");
    }

    #[test]
    fn unpack_never_fails_other_than_with_a_message(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let escaped: String = bytes.iter().map(|byte| format!("\\{byte}")).collect();
        let script = format!(
            // The unpacked values are counted inside the protected function: Lua 5.1's own
            // `pcall` pushes its status past the stack it checked when a function returns
            // more than about 20 values (scripts get our `pcall`, which does not).
            "local ok, result = pcall(function() return select('#', cmsgpack.unpack('{escaped}')) end) \
             return ok or type(result) == 'string'"
        );
        prop_assert_eq!(eval(&lua(), &script), "true");
    }
}
