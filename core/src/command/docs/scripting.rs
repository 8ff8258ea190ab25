//! COMMAND DOCS of the scripting commands.

use super::{doc, integer, key, oneof, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "eval",
        "scripting",
        "2.6.0",
        "Runs a Lua script on the server, passing key names and extra arguments",
        &[
            string("script"),
            integer("numkeys"),
            key("key", 0).optional().multiple(),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("Depends on the script being run"),
    doc(
        "eval_ro",
        "scripting",
        "7.0.0",
        "Runs a read-only Lua script on the server, passing key names and arguments",
        &[
            string("script"),
            integer("numkeys"),
            key("key", 0).optional().multiple(),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("Depends on the script being run"),
    doc(
        "evalsha",
        "scripting",
        "2.6.0",
        "Runs a Lua script from the script cache, identified by its SHA1 digest",
        &[
            string("sha1"),
            integer("numkeys"),
            key("key", 0).optional().multiple(),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("Depends on the script being run"),
    doc(
        "evalsha_ro",
        "scripting",
        "7.0.0",
        "Runs a cached read-only Lua script, identified by its SHA1 digest",
        &[
            string("sha1"),
            integer("numkeys"),
            key("key", 0).optional().multiple(),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("Depends on the script being run"),
    doc(
        "fcall",
        "scripting",
        "7.0.0",
        "Calls a library function, passing key names and extra arguments",
        &[
            string("function"),
            integer("numkeys"),
            key("key", 0).optional().multiple(),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("Depends on the function being called"),
    doc(
        "fcall_ro",
        "scripting",
        "7.0.0",
        "Calls a read-only library function, passing key names and extra arguments",
        &[
            string("function"),
            integer("numkeys"),
            key("key", 0).optional().multiple(),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("Depends on the function being called"),
    doc(
        "function",
        "scripting",
        "7.0.0",
        "Dispatches to subcommands that manage server-side function libraries",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "function|delete",
        "scripting",
        "7.0.0",
        "Unloads a function library together with all of its functions",
        &[string("library-name")],
    )
    .complexity("O(1)"),
    doc(
        "function|dump",
        "scripting",
        "7.0.0",
        "Packs all loaded function libraries into a binary payload",
        &[],
    )
    .complexity("O(N) where N is the number of functions"),
    doc(
        "function|flush",
        "scripting",
        "7.0.0",
        "Unloads every function library, optionally in the background",
        &[oneof("async", &[pure("async", "ASYNC"), pure("sync", "SYNC")]).optional()],
    )
    .complexity("O(N) where N is the number of functions"),
    doc(
        "function|help",
        "scripting",
        "7.0.0",
        "Describes the available FUNCTION subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "function|kill",
        "scripting",
        "7.0.0",
        "Stops a read-only function that is currently running",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "function|list",
        "scripting",
        "7.0.0",
        "Describes loaded libraries and their functions, optionally with code",
        &[
            string("library-name-pattern")
                .token("LIBRARYNAME")
                .optional(),
            pure("withcode", "WITHCODE").optional(),
        ],
    )
    .complexity("O(N) where N is the number of functions"),
    doc(
        "function|load",
        "scripting",
        "7.0.0",
        "Registers a library from source code, optionally replacing one of the same name",
        &[
            pure("replace", "REPLACE").optional(),
            string("function-code"),
        ],
    )
    .complexity("O(1), excluding the cost of compiling the code"),
    doc(
        "function|restore",
        "scripting",
        "7.0.0",
        "Loads libraries from a FUNCTION DUMP payload using a chosen conflict policy",
        &[
            string("serialized-value"),
            oneof(
                "policy",
                &[
                    pure("flush", "FLUSH"),
                    pure("append", "APPEND"),
                    pure("replace", "REPLACE"),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(N) where N is the number of functions"),
    doc(
        "function|stats",
        "scripting",
        "7.0.0",
        "Reports the currently running function and the available engines",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "script",
        "scripting",
        "2.6.0",
        "Dispatches to subcommands that manage the Lua script cache",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "script|exists",
        "scripting",
        "2.6.0",
        "Reports which of the given SHA1 digests are present in the script cache",
        &[string("sha1").multiple()],
    )
    .complexity("O(N) where N is the number of digests"),
    doc(
        "script|flush",
        "scripting",
        "2.6.0",
        "Empties the Lua script cache, optionally in the background",
        &[
            oneof("async", &[pure("async", "ASYNC"), pure("sync", "SYNC")])
                .since("6.2.0")
                .optional(),
        ],
    )
    .complexity("O(N) where N is the number of cached scripts"),
    doc(
        "script|help",
        "scripting",
        "5.0.0",
        "Describes the available SCRIPT subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "script|kill",
        "scripting",
        "2.6.0",
        "Stops a running Lua script that has not yet performed any writes",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "script|load",
        "scripting",
        "2.6.0",
        "Compiles and caches a Lua script without running it, returning its SHA1",
        &[string("script")],
    )
    .complexity("O(N) where N is the script length in bytes"),
];
