//! ACL: the parts there are today. One user, `default`, whose password is `requirepass`;
//! ACL LOG records failed authentications.

use super::args::is_subcommand;
use super::{unknown_subcommand, ArgCursor, CommandResult, Ctx};
use crate::acl_log::Field;
use crate::util::number::parse_i64;

/// ACL LOG [count | RESET] | WHOAMI | USERS | HELP
pub(crate) fn acl(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_subcommand(subcommand, "LOG") {
        let mut count = 10;
        if let Some(arg) = args.peek() {
            if arg.eq_ignore_ascii_case(b"RESET") {
                ctx.state.acl_log.reset();
                ctx.reply.ok();
                return Ok(());
            }
            let requested = parse_i64(arg).ok_or("ERR value is not an integer or out of range")?;
            count = usize::try_from(requested).unwrap_or(0);
        }
        let now = ctx.now.wall;
        let log = &ctx.state.acl_log;
        ctx.reply.array(count.min(log.len()));
        for entry in log.newest(count) {
            let fields = entry.fields(now);
            ctx.reply.map(fields.len());
            for (name, value) in fields {
                ctx.reply.bulk(name.as_bytes());
                match value {
                    Field::Integer(value) => ctx.reply.integer(value),
                    Field::Text(text) => ctx.reply.bulk(text),
                    Field::Double(value) => ctx.reply.double(value),
                }
            }
        }
    } else if is_subcommand(subcommand, "WHOAMI") {
        ctx.reply.bulk(b"default");
    } else if is_subcommand(subcommand, "USERS") {
        ctx.reply.array(1);
        ctx.reply.bulk(b"default");
    } else if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(&[
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
            "HELP",
            "    Print this help.",
        ]);
    } else {
        return Err(unknown_subcommand(subcommand, "ACL"));
    }
    Ok(())
}
