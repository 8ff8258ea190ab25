//! Command-line flags and the redis.conf-style config file, in Redis's own shape:
//! `ferrodis-server [/path/to/ferrodis.conf] [--name value ...]`. Flags override the file.

use ferrodis_core::Config;

/// Everything the server needs to start.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub core: Config,
    /// The book's protocol listener: off when absent (the default); `Some(0)` (`--book-port 0`)
    /// asks the OS for any free port, which the log's "Ready" line then reports.
    pub book_port: Option<u16>,
    /// `busy-poll-us`: after a loop turn that found work, how long to keep polling without
    /// sleeping before blocking in the kernel. `None`: the default (see `busy_poll`).
    pub busy_poll_micros: Option<u64>,
}

/// The default busy poll: waking a sleeping thread costs its wakers (the clients' sends) more
/// than a short spin costs us, as long as the clients have cores of their own.
const BUSY_POLL_MICROS_DEFAULT: u64 = 50;
/// Longest busy poll accepted: beyond a millisecond it only burns the core.
const BUSY_POLL_MICROS_MAX: u64 = 1000;

/// Directives that matter only to the real server, not to the core.
const DRIVER_DIRECTIVES: [&str; 2] = ["book-port", "busy-poll-us"];

impl Settings {
    /// The busy poll to use: as set, else the default on a machine with more than one core,
    /// else none (a spinning server would only take the core from the clients it waits for).
    pub fn busy_poll(&self) -> std::time::Duration {
        let micros = self.busy_poll_micros.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
            if cores > 1 {
                BUSY_POLL_MICROS_DEFAULT
            } else {
                0
            }
        });
        std::time::Duration::from_micros(micros)
    }

    /// Parses the process arguments (without the program name).
    pub fn from_args(args: &[String]) -> Result<Settings, String> {
        let mut settings = Settings::default();
        let mut rest = args;
        if let Some(first) = rest.first() {
            if first == "-h" || first == "--help" {
                return Err(usage());
            }
            if !first.starts_with("--") {
                let text = std::fs::read_to_string(first)
                    .map_err(|error| format!("can't open config file '{first}': {error}"))?;
                settings.apply_file(&text)?;
                settings.core.host.config_file = first.clone();
                rest = &rest[1..];
            }
        }
        let mut index = 0;
        while index < rest.len() {
            let Some(name) = rest[index].strip_prefix("--") else {
                return Err(format!(
                    "unexpected argument '{}'\n{}",
                    rest[index],
                    usage()
                ));
            };
            // A directive's value is every argument up to the next `--name`.
            let mut end = index + 1;
            while end < rest.len() && !rest[end].starts_with("--") {
                end += 1;
            }
            let value = rest[index + 1..end].join(" ");
            settings.apply(name, &value)?;
            index = end;
        }
        Ok(settings)
    }

    /// Applies a config file: one `name value...` per line, `#` comments.
    pub fn apply_file(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            if name.eq_ignore_ascii_case("user") {
                // Its quotes belong to its rules (`"(~a +get)"`).
                self.core
                    .add_user_line(value.trim())
                    .map_err(|error| format!("config file line {}: {error}", number + 1))?;
                continue;
            }
            let value = unquote(value.trim());
            self.apply(name, &value)
                .map_err(|error| format!("config file line {}: {error}", number + 1))?;
        }
        Ok(())
    }

    fn apply(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name.to_ascii_lowercase().as_str() {
            "book-port" => {
                let port: u16 = value
                    .parse()
                    .map_err(|_| format!("'book-port': '{value}' is not a port"))?;
                self.book_port = Some(port);
                Ok(())
            }
            "busy-poll-us" => {
                let micros = value
                    .parse::<u64>()
                    .ok()
                    .filter(|micros| *micros <= BUSY_POLL_MICROS_MAX)
                    .ok_or_else(|| {
                        format!(
                            "'busy-poll-us': '{value}' is not a number of microseconds from 0 to \
                             {BUSY_POLL_MICROS_MAX}"
                        )
                    })?;
                self.busy_poll_micros = Some(micros);
                Ok(())
            }
            "user" => self.core.add_user_line(value),
            _ => self.core.set_parameter(name, value),
        }
    }
}

/// Strips one pair of surrounding quotes (`save ""`, `requirepass "secret"`).
fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return value[1..value.len() - 1].to_string();
        }
    }
    value.to_string()
}

pub fn usage() -> String {
    let mut names: Vec<&str> = Config::parameter_names().collect();
    names.extend(DRIVER_DIRECTIVES);
    // A user and its ACL rules; it may come more than once.
    names.push("user");
    names.sort_unstable();
    format!(
        "Usage: ferrodis-server [/path/to/ferrodis.conf] [--name value ...]\n\
         With no arguments it listens on 127.0.0.1:6379.\n\
         Directives (in the file as `name value`, on the command line as `--name value`):\n  {}",
        names.join("\n  ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split(' ').map(String::from).collect()
    }

    #[test]
    fn user_lines_keep_their_quotes_and_are_checked() {
        let mut settings = Settings::default();
        settings
            .apply_file("user worker on >pw \"(~a* +get)\" ~job:* +@list\nport 7001\n")
            .unwrap();
        assert_eq!(
            settings.core.users,
            vec!["worker on >pw \"(~a* +get)\" ~job:* +@list".to_string()]
        );
        let refused = settings.apply_file("user worker off\n").unwrap_err();
        assert!(refused.contains("Duplicate user"), "{refused}");
        let refused = Settings::from_args(&args("--user x +nosuchcommand")).unwrap_err();
        assert!(refused.contains("Unknown command"), "{refused}");
        let settings = Settings::from_args(&args("--user y on nopass ~* +@all")).unwrap();
        assert_eq!(
            settings.core.users,
            vec!["y on nopass ~* +@all".to_string()]
        );
    }

    #[test]
    fn defaults_need_nothing() {
        let settings = Settings::from_args(&[]).unwrap();
        assert_eq!(settings.core.port, 6379);
        assert_eq!(settings.core.bind, "127.0.0.1");
        assert_eq!(settings.book_port, None);
    }

    #[test]
    fn flags_set_parameters() {
        let settings = Settings::from_args(&args(
            "--port 7000 --timeout 5 --requirepass pw --book-port 1234",
        ))
        .unwrap();
        assert_eq!(settings.core.port, 7000);
        assert_eq!(settings.core.idle_timeout_secs, 5);
        assert_eq!(settings.core.requirepass.as_deref(), Some(&b"pw"[..]));
        assert_eq!(settings.book_port, Some(1234));
    }

    #[test]
    fn busy_poll_is_bounded_and_can_be_turned_off() {
        let settings = Settings::from_args(&args("--busy-poll-us 0")).unwrap();
        assert_eq!(settings.busy_poll(), std::time::Duration::ZERO);
        let settings = Settings::from_args(&args("--busy-poll-us 200")).unwrap();
        assert_eq!(settings.busy_poll(), std::time::Duration::from_micros(200));
        assert!(Settings::from_args(&args("--busy-poll-us 1001")).is_err());
        assert!(Settings::from_args(&args("--busy-poll-us -1")).is_err());
        assert!(Settings::default().busy_poll() <= std::time::Duration::from_micros(50));
    }

    #[test]
    fn book_port_zero_means_any_free_port() {
        let settings = Settings::from_args(&args("--book-port 0")).unwrap();
        assert_eq!(settings.book_port, Some(0));
        let mut settings = Settings::default();
        settings.apply_file("book-port 4321\n").unwrap();
        assert_eq!(settings.book_port, Some(4321));
        assert!(Settings::from_args(&args("--book-port 70000")).is_err());
    }

    #[test]
    fn file_lines_and_errors() {
        let mut settings = Settings::default();
        settings
            .apply_file("# comment\nport 7001\nsave \"\"\nmaxclients 10\n")
            .unwrap();
        assert_eq!(settings.core.port, 7001);
        assert_eq!(settings.core.clients_max, 10);
        let error = settings.apply_file("nosuchthing 1\n").unwrap_err();
        assert!(error.contains("line 1"), "{error}");
        assert!(Settings::from_args(&args("--port notaport")).is_err());
    }
}
