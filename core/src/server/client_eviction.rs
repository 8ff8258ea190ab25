//! `maxmemory-clients`: when the clients' buffers together reach the limit, the clients
//! holding the most are closed, biggest first, until they are under it again (Redis's client
//! eviction). CLIENT NO-EVICT ON exempts a client.

use super::{Output, Server};
use crate::connection::CloseReason;
use crate::output::LogLevel;

impl Server {
    /// Closes the biggest evictable clients while the clients' memory is at or over
    /// `maxmemory-clients`.
    pub(super) fn evict_clients(&mut self) {
        let Some(limit) = self.state.config.clients_memory_limit() else {
            return;
        };
        if (self.clients.memory() as u64) < limit {
            self.clients_over_logged = false;
            return;
        }
        while self.clients.memory() as u64 >= limit {
            // Only clients holding memory are worth the walk (a closing one counts none).
            let biggest = (self.clients.evictable_memory() > 0)
                .then(|| {
                    self.clients
                        .iter()
                        .filter(|(_, connection)| {
                            connection.counted_evictable && connection.counted_memory > 0
                        })
                        .max_by_key(|(_, connection)| connection.counted_memory)
                })
                .flatten()
                .map(|(id, connection)| {
                    let name = connection
                        .name
                        .as_deref()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    let line = format!(
                        "Evicting client: id={} addr={} name={} tot-mem={}",
                        connection.client_id, connection.peer, name, connection.counted_memory
                    );
                    (id, line)
                });
            let Some((id, line)) = biggest else {
                if std::mem::replace(&mut self.clients_over_logged, true) {
                    return;
                }
                self.outputs.push_back(Output::Log {
                    level: LogLevel::Warning,
                    message: "Over client maxmemory after evicting all evictable clients"
                        .to_string(),
                });
                return;
            };
            self.outputs.push_back(Output::Log {
                level: LogLevel::Notice,
                message: line,
            });
            self.close(id, CloseReason::Evicted);
            self.state.stats.evicted_clients += 1;
        }
    }
}
