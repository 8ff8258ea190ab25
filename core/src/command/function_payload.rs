//! FUNCTION DUMP and RESTORE: every library's code in the payload Redis's DUMP uses (the RDB
//! function opcode before each library's code, then the RDB version and a CRC64), so that
//! libraries move between ferrodis and Redis.

use super::args::is_option;
use super::functions::{check_collisions, install, parse_metadata, run_library, NewLibrary};
use super::{subcommand_syntax, ArgCursor, CommandError, CommandResult, Ctx};
use crate::rdb;
use crate::script::{function_key, Scripts};

/// FUNCTION DUMP's payload: each library's code after the function opcode, as an RDB file
/// holds them, sealed with the RDB version and a checksum.
pub(super) fn dump(scripts: &Scripts) -> Vec<u8> {
    let mut content = Vec::new();
    for library in scripts.libraries.values() {
        content.push(rdb::OPCODE_FUNCTION2);
        rdb::encoding::write_string(&mut content, &library.code);
    }
    rdb::seal_payload(content)
}

/// What FUNCTION RESTORE does with libraries that exist already.
#[derive(PartialEq)]
enum RestorePolicy {
    /// Every library goes first.
    Flush,
    /// A library that exists fails the restore.
    Append,
    /// A library that exists is replaced.
    Replace,
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: all of the payload's libraries, or none.
pub(super) fn restore(
    ctx: &mut Ctx<'_, '_>,
    subcommand: &[u8],
    args: &mut ArgCursor<'_>,
) -> CommandResult {
    let payload = args.next_bytes()?;
    let policy = match args.rest().collect::<Vec<_>>()[..] {
        [] => RestorePolicy::Append,
        [policy] if is_option(policy, "APPEND") => RestorePolicy::Append,
        [policy] if is_option(policy, "REPLACE") => RestorePolicy::Replace,
        [policy] if is_option(policy, "FLUSH") => RestorePolicy::Flush,
        [_] => {
            return Err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND \
                 or REPLACE."
                    .into(),
            )
        }
        _ => return Err(subcommand_syntax(subcommand, "FUNCTION")),
    };
    let content = rdb::open_payload(payload).ok_or(CommandError::from(
        "ERR DUMP payload version or checksum are wrong",
    ))?;
    let mut reader = rdb::encoding::Reader::new(content);
    let mut restored: Vec<NewLibrary> = Vec::new();
    while let Some(opcode) = reader.byte() {
        if opcode != rdb::OPCODE_FUNCTION2 {
            return Err("ERR given type is not a function".into());
        }
        let code = reader
            .string()
            .ok_or(CommandError::from("ERR Failed loading library payload"))?;
        let (name, body) = parse_metadata(&code)?;
        if restored.iter().any(|library| library.name == name) {
            return Err(CommandError::owned(format!(
                "ERR Library '{name}' already exists"
            )));
        }
        let library = run_library(ctx, name, &code, &body)?;
        for function in &library.functions {
            let key = function_key(function.name.as_bytes());
            let taken = restored.iter().flat_map(|other| &other.functions);
            if taken
                .map(|other| function_key(other.name.as_bytes()))
                .any(|other| other == key)
            {
                return Err(CommandError::owned(format!(
                    "ERR Function {} already exists",
                    function.name
                )));
            }
        }
        restored.push(library);
    }
    let scripts = &mut ctx.state.scripts;
    let replaced: Vec<String> = match policy {
        RestorePolicy::Flush => scripts.libraries.keys().cloned().collect(),
        RestorePolicy::Append | RestorePolicy::Replace => {
            let mut replaced = Vec::new();
            for library in &restored {
                if scripts.libraries.contains_key(&library.name) {
                    if policy == RestorePolicy::Append {
                        return Err(CommandError::owned(format!(
                            "ERR Library {} already exists",
                            library.name
                        )));
                    }
                    replaced.push(library.name.clone());
                }
            }
            replaced
        }
    };
    for library in &restored {
        check_collisions(scripts, library, &replaced)?;
    }
    for name in &replaced {
        scripts.remove_library(name);
    }
    for library in restored {
        install(scripts, library);
    }
    ctx.reply.ok();
    Ok(())
}
