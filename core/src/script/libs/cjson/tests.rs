//! Expected values taken from Redis 7.0.15 running the same scripts.

use proptest::prelude::*;

use crate::script::libs::test_support::{eval, lua};

fn check_all(cases: &[(&str, &str)]) {
    let lua = lua();
    for (script, expected) in cases {
        assert_eq!(&eval(&lua, script), expected, "{script}");
    }
}

#[test]
fn encodes_values_as_redis() {
    check_all(&[
        ("return cjson.encode({1,2,3})", "[1,2,3]"),
        (
            "return cjson.encode({1,2,3,a=1})",
            r#"{"1":1,"2":2,"3":3,"a":1}"#,
        ),
        (
            "return cjson.encode({[1]=1,[2]=2,[5]=5})",
            "[1,2,null,null,5]",
        ),
        ("return cjson.encode({1,2,nil,4})", "[1,2,null,4]"),
        (
            "return cjson.encode({[10]=2})",
            "[null,null,null,null,null,null,null,null,null,2]",
        ),
        ("return cjson.encode({})", "{}"),
        ("return cjson.encode(nil)", "null"),
        ("return cjson.encode(true)", "true"),
        ("return cjson.encode(-0)", "-0"),
        ("return cjson.encode(1/3)", "0.33333333333333"),
        ("return cjson.encode(0.1)", "0.1"),
        ("return cjson.encode(-1.5e-7)", "-1.5e-07"),
        ("return cjson.encode(2^53)", "9.007199254741e+15"),
        ("return cjson.encode(-2^63)", "-9.2233720368548e+18"),
        ("return cjson.encode(cjson.null)", "null"),
        ("return cjson.encode({[1.5]=1})", r#"{"1.5":1}"#),
        ("return cjson.encode({[0]=1})", r#"{"0":1}"#),
        (
            "return cjson.encode({[1/3]='x'})",
            r#"{"0.33333333333333":"x"}"#,
        ),
        ("return cjson.encode({[1e20]='x'})", r#"{"1e+20":"x"}"#),
        ("return cjson.encode({[2^31]='x'})", r#"{"2147483648":"x"}"#),
        (
            "return cjson.encode({[2^53]='x'})",
            r#"{"9.007199254741e+15":"x"}"#,
        ),
        ("return cjson.encode({['a/b']='\\\\'})", r#"{"a\/b":"\\"}"#),
        (
            "return cjson.encode('a\"\\\\/\\n\\r\\t\\b\\f\\1\\127')",
            r#""a\"\\\/\n\r\t\b\f\u0001\u007f""#,
        ),
        (
            "return cjson.encode(string.char(0,31,32,126,128,255)) == \
             '\"\\\\u0000\\\\u001f ~' .. string.char(128,255) .. '\"'",
            "true",
        ),
        (
            "return cjson.encode(cjson.decode('[null,1,2.5,true,\"x\",{\"a\":null}]'))",
            r#"[null,1,2.5,true,"x",{"a":null}]"#,
        ),
    ]);
}

#[test]
fn encode_errors_match_redis() {
    check_all(&[
        (
            "return cjson.encode(function() end)",
            "error: Cannot serialise function: type not supported",
        ),
        (
            "return cjson.encode(0/0)",
            "error: Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.encode({[1/0]=1})",
            "error: Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.encode({[true]=1})",
            "error: Cannot serialise boolean: table key must be a number or string",
        ),
        (
            "return cjson.encode({[{}]='x'})",
            "error: Cannot serialise table: table key must be a number or string",
        ),
        (
            "return cjson.encode({[1]=1,[11]=2})",
            "error: Cannot serialise table: excessively sparse array",
        ),
        (
            "return cjson.encode({[11]=2})",
            "error: Cannot serialise table: excessively sparse array",
        ),
        (
            "return cjson.encode({[2^31-1]='x'})",
            "error: Cannot serialise table: excessively sparse array",
        ),
        (
            "local t = {} t[1] = t return cjson.encode(t)",
            "error: Cannot serialise, excessive nesting (1001)",
        ),
        (
            "return cjson.encode()",
            "error: bad argument #1 to 'encode' (expected 1 argument)",
        ),
        (
            "return cjson.encode(1, 2)",
            "error: bad argument #1 to 'encode' (expected 1 argument)",
        ),
    ]);
}

#[test]
fn encode_depth_counts_nested_tables() {
    check_all(&[
        (
            "local t = {} local cur = t for i = 1, 999 do cur[1] = {} cur = cur[1] end \
             return #cjson.encode(t)",
            "2000",
        ),
        (
            "local c = cjson.new() c.encode_max_depth(2) \
             return c.encode({{1}}) .. ' ' .. select(2, pcall(c.encode, {{{1}}}))",
            "[[1]] Cannot serialise, excessive nesting (3)",
        ),
    ]);
}

#[test]
fn settings_match_redis() {
    check_all(&[
        (
            "local c = cjson.new() return table.concat({c.encode_max_depth(), c.decode_max_depth(), \
             c.encode_number_precision(), tostring(c.encode_keep_buffer()), \
             tostring(c.encode_invalid_numbers()), tostring(c.decode_invalid_numbers())}, ' ')",
            "1000 1000 14 true false true",
        ),
        (
            "local c = cjson.new() local a, b, d = c.encode_sparse_array() \
             return tostring(a) .. ' ' .. b .. ' ' .. d",
            "false 2 10",
        ),
        (
            "local c = cjson.new() c.encode_invalid_numbers(true) \
             return table.concat({c.encode(1/0), c.encode(-1/0), c.encode(0/0), c.encode(-(0/0))}, ' ')",
            "inf -inf nan nan",
        ),
        (
            "local c = cjson.new() return c.encode_invalid_numbers('null') .. c.encode({0/0})",
            "null[null]",
        ),
        (
            "local c = cjson.new() c.encode_number_precision(3) \
             return table.concat({c.encode(math.pi), c.encode(123456), c.encode({[1/3]=1})}, ' ')",
            r#"3.14 1.23e+05 {"0.333":1}"#,
        ),
        ("return cjson.new().encode_number_precision(14.5)", "14"),
        ("return cjson.new().encode_number_precision('5')", "5"),
        ("return cjson.new().encode_max_depth(2147483647)", "2147483647"),
        ("return tostring(cjson.new().encode_keep_buffer('off'))", "false"),
        ("return tostring(cjson.new().encode_keep_buffer(nil))", "true"),
        (
            "local c = cjson.new() c.encode_sparse_array(true) return c.encode({[11]=2, [1]=3})",
            r#"{"11":2,"1":3}"#,
        ),
        (
            "local c = cjson.new() c.encode_sparse_array(false, 0) return #c.encode({[100]=2})",
            "498",
        ),
        (
            "local c = cjson.new() c.encode_sparse_array(false, 1, 0) \
             return c.encode({[1]=2}) .. select(2, pcall(c.encode, {[2]=2}))",
            "[2]Cannot serialise table: excessively sparse array",
        ),
        (
            "local c = cjson.new() return tostring(c.encode_sparse_array(nil, 0, 0))",
            "false",
        ),
        ("return cjson.new().encode_invalid_numbers('x')", "error: bad argument #1 to 'encode_invalid_numbers' (invalid option 'x')"),
        ("return cjson.new().encode_invalid_numbers(1)", "error: bad argument #1 to 'encode_invalid_numbers' (invalid option '1')"),
        ("return cjson.new().encode_number_precision(0)", "error: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"),
        ("return cjson.new().encode_number_precision(15)", "error: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"),
        ("return cjson.new().encode_max_depth(0)", "error: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"),
        ("return cjson.new().encode_max_depth(2147483648)", "error: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"),
        ("return cjson.new().encode_keep_buffer(1)", "error: bad argument #1 to 'encode_keep_buffer' (invalid option '1')"),
        ("return cjson.new().encode_keep_buffer(true, 2)", "error: bad argument #2 to 'encode_keep_buffer' (found too many arguments)"),
        ("return cjson.new().encode_sparse_array(true, -1)", "error: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"),
        ("return cjson.new().encode_sparse_array(true, 1, -1)", "error: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"),
    ]);
}

#[test]
fn module_fields_match_redis() {
    check_all(&[
        ("return cjson._NAME .. ' ' .. cjson._VERSION", "cjson 2.1.0"),
        ("return type(cjson.null)", "userdata"),
        ("return tostring(cjson.null)", "userdata: (nil)"),
        ("return type(cjson.decode('null'))", "userdata"),
        (
            "return tostring(cjson.decode('[null]')[1] == cjson.null)",
            "true",
        ),
    ]);
}

#[test]
fn decodes_values_as_redis() {
    check_all(&[
        ("return cjson.decode(' [ 1 , 2 ] ')[2]", "2"),
        (
            "return cjson.decode('\"\\\\ud83d\\\\ude00\"') == '\\240\\159\\152\\128'",
            "true",
        ),
        (
            "return cjson.decode('\"\\\\u00e9\\\\u20AC\"') == '\\195\\169\\226\\130\\172'",
            "true",
        ),
        (
            "return cjson.decode('\"\\\\/\\\\b\\\\f\"') == '/\\b\\f'",
            "true",
        ),
        ("return cjson.decode('\"\\\\u0000\"') == '\\0'", "true"),
        ("return cjson.decode('\"a\\tb\"')", "a\tb"),
        ("return cjson.decode('0x1f')", "31"),
        ("return cjson.decode('01')", "1"),
        ("return cjson.decode('+1')", "1"),
        ("return cjson.decode('-0x10')", "-16"),
        ("return cjson.decode('1.')", "1"),
        ("return cjson.decode('1e5')", "100000"),
        ("return cjson.decode('infinity')", "inf"),
        ("return cjson.decode('Inf')", "inf"),
        ("return cjson.decode('-1e400')", "-inf"),
        ("return cjson.decode('1e-400')", "0"),
        ("return cjson.decode('-0')", "-0"),
        ("return cjson.decode('-nan')", "-nan"),
        ("return cjson.decode('nan(123)')", "nan"),
        ("return cjson.decode('0x1p4')", "16"),
        ("return cjson.decode('0x1.8')", "1.5"),
        ("return cjson.decode('123')", "123"),
        ("return cjson.decode(123)", "123"),
        ("return cjson.decode('[1]\\0')[1]", "1"),
        ("return next(cjson.decode('{}'))", "nil"),
        ("return next(cjson.decode('[ ]'))", "nil"),
        ("return cjson.decode('{\"a\":1,\"a\":2}').a", "2"),
        ("return cjson.decode('{\"1\":2}')['1']", "2"),
        (
            "return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))",
            "1",
        ),
        (
            "local c = cjson.new() c.decode_max_depth(2) return c.decode('[[1]]')[1][1]",
            "1",
        ),
        ("return cjson.decode('[true,false]')[2]", "false"),
    ]);
}

#[test]
fn decode_errors_match_redis() {
    let cases: &[(&str, &str)] = &[
        ("x", "Expected value but found invalid token at character 1"),
        (
            "[1,2",
            "Expected comma or array end but found T_END at character 5",
        ),
        (
            "{1:2}",
            "Expected object key string but found T_NUMBER at character 2",
        ),
        (
            "{\"a\" 2}",
            "Expected colon but found T_NUMBER at character 6",
        ),
        (
            "{\"a\":2 3}",
            "Expected comma or object end but found T_NUMBER at character 8",
        ),
        (
            "[1 2]",
            "Expected comma or array end but found T_NUMBER at character 4",
        ),
        (
            "[1] x",
            "Expected the end but found invalid token at character 5",
        ),
        ("", "Expected value but found T_END at character 1"),
        (
            "\"abc",
            "Expected value but found unexpected end of string at character 5",
        ),
        (
            " \"ab",
            "Expected value but found unexpected end of string at character 5",
        ),
        (
            "\"\\x\"",
            "Expected value but found invalid escape code at character 2",
        ),
        (
            " \"ab\\x\"",
            "Expected value but found invalid escape code at character 5",
        ),
        (
            "\"\\u12\"",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            " \"ab\\u12\"",
            "Expected value but found invalid unicode escape code at character 5",
        ),
        (
            "\"\\ud800\"",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            "\"\\ud800\\u0041\"",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            "\"\\udc00\"",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            "\"\\uZZZZ\"",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            "-",
            "Expected value but found invalid number at character 1",
        ),
        (
            "[1e]",
            "Expected comma or array end but found invalid token at character 3",
        ),
        ("1-2", "Expected the end but found T_NUMBER at character 2"),
        (
            ".5",
            "Expected value but found invalid token at character 1",
        ),
        (
            "Infx",
            "Expected the end but found invalid token at character 4",
        ),
        (
            "In",
            "Expected value but found invalid token at character 1",
        ),
        (
            "+",
            "Expected value but found invalid number at character 1",
        ),
        (
            "--1",
            "Expected value but found invalid number at character 1",
        ),
        (
            "-0x",
            "Expected the end but found invalid token at character 3",
        ),
        (
            "0xg",
            "Expected the end but found invalid token at character 2",
        ),
        (
            "nan(abc",
            "Expected the end but found invalid token at character 4",
        ),
        (
            "tru",
            "Expected value but found invalid token at character 1",
        ),
        (
            "truex",
            "Expected the end but found invalid token at character 5",
        ),
        (
            "true false",
            "Expected the end but found T_BOOLEAN at character 6",
        ),
        (
            "[true",
            "Expected comma or array end but found T_END at character 6",
        ),
        ("[,]", "Expected value but found T_COMMA at character 2"),
        ("[1,]", "Expected value but found T_ARR_END at character 4"),
        (
            "{\"a\":1,}",
            "Expected object key string but found T_OBJ_END at character 8",
        ),
        ("]", "Expected value but found T_ARR_END at character 1"),
        ("}", "Expected value but found T_OBJ_END at character 1"),
        (":", "Expected value but found T_COLON at character 1"),
        ("[", "Expected value but found T_END at character 2"),
        (
            "{",
            "Expected object key string but found T_END at character 2",
        ),
        (
            "{\"a\":}",
            "Expected value but found T_OBJ_END at character 6",
        ),
        ("{\"a\"", "Expected colon but found T_END at character 5"),
        (
            "{\"a\":[1,{\"b\":2}]",
            "Expected comma or object end but found T_END at character 17",
        ),
        (
            "\u{b}[1]",
            "Expected value but found invalid token at character 1",
        ),
        (
            "\"a\0b\"",
            "Expected value but found unexpected end of string at character 3",
        ),
    ];
    let lua = lua();
    for (text, expected) in cases {
        let text_literal: String = text.bytes().map(|byte| format!("\\{byte}")).collect();
        let script = format!("return cjson.decode('{text_literal}')");
        assert_eq!(
            eval(&lua, &script),
            format!("error: {expected}"),
            "{text:?}"
        );
    }
}

#[test]
fn decode_depth_and_argument_errors_match_redis() {
    check_all(&[
        (
            "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
            "error: Found too many nested data structures (1001) at character 1001",
        ),
        (
            "return cjson.decode(string.rep('{\"a\":', 1001))",
            "error: Found too many nested data structures (1001) at character 5001",
        ),
        (
            "local c = cjson.new() c.decode_max_depth(2) return c.decode('[[[1]]]')",
            "error: Found too many nested data structures (3) at character 3",
        ),
        (
            "return cjson.decode()",
            "error: bad argument #1 to 'decode' (expected 1 argument)",
        ),
        (
            "return cjson.decode(1, 2)",
            "error: bad argument #1 to 'decode' (expected 1 argument)",
        ),
        (
            "return cjson.decode({})",
            "error: bad argument #1 to 'decode' (string expected, got table)",
        ),
        (
            "return cjson.decode(nil)",
            "error: bad argument #1 to 'decode' (string expected, got nil)",
        ),
    ]);
}

#[test]
fn refused_invalid_numbers_match_redis() {
    let cases: &[(&str, &str)] = &[
        (
            "+1",
            "error: Expected value but found invalid token at character 1",
        ),
        (
            "01",
            "error: Expected value but found invalid number at character 1",
        ),
        (
            "0x1f",
            "error: Expected value but found invalid number at character 1",
        ),
        (
            "inf",
            "error: Expected value but found invalid token at character 1",
        ),
        (
            "nan",
            "error: Expected value but found invalid token at character 1",
        ),
        (
            "-inf",
            "error: Expected value but found invalid number at character 1",
        ),
        (
            "-01",
            "error: Expected value but found invalid number at character 1",
        ),
        (
            "00",
            "error: Expected value but found invalid number at character 1",
        ),
        (
            "[01]",
            "error: Expected value but found invalid number at character 2",
        ),
        ("1.", "1"),
        ("-0", "-0"),
        ("1e5", "100000"),
        ("0", "0"),
        ("1.5", "1.5"),
    ];
    let lua = lua();
    for (text, expected) in cases {
        let script = format!(
            "local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('{text}')"
        );
        assert_eq!(&eval(&lua, &script), expected, "{text}");
    }
}

/// Lua values with an exact JSON form: strings, booleans, numbers that `%.14g` keeps, and
/// arrays and string-keyed objects of them.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(|flag| flag.to_string()),
        (-1_000_000_000_i64..1_000_000_000).prop_map(|integer| integer.to_string()),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(|bytes| lua_string_literal(&bytes)),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..6)
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

fn lua_string_literal(bytes: &[u8]) -> String {
    let escaped: String = bytes.iter().map(|byte| format!("\\{byte}")).collect();
    format!("'{escaped}'")
}

/// A Lua function comparing two values deeply.
const DEEP_EQUAL: &str = "local function equal(a, b) \
     if type(a) ~= type(b) then return false end \
     if type(a) ~= 'table' then return a == b end \
     for k, v in pairs(a) do if not equal(v, b[k]) then return false end end \
     for k in pairs(b) do if a[k] == nil then return false end end \
     return true end";

proptest! {
    #[test]
    fn decode_inverts_encode(value in json_value()) {
        let lua = lua();
        let script = format!(
            "{DEEP_EQUAL} local v = {value} return equal(v, cjson.decode(cjson.encode(v)))"
        );
        prop_assert_eq!(eval(&lua, &script), "true");
    }

    #[test]
    fn decode_never_fails_other_than_with_a_message(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let lua = lua();
        let script = format!(
            "local ok, result = pcall(cjson.decode, {}) \
             return ok or type(result) == 'string'",
            lua_string_literal(&bytes)
        );
        prop_assert_eq!(eval(&lua, &script), "true");
    }
}
