//! A node killed while the traffic runs (`--kill-at`, for several nodes behind a balancer):
//! the harness picks the node that holds the account's dispatcher lease (each node's
//! `switchboard_dispatcher_leases` gauge on `GET /api/v1/metrics`), runs the kill command, and
//! measures how long until a surviving node's gauge shows the lease (polled every 100 ms). How
//! long until the killed node's agents are connected again, `Stats` measures as they connect.

use crate::stats::Stats;
use anyhow::{bail, Context};
use futures_util::future::join_all;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The gauge a node holding dispatcher leases reports.
pub const LEASE_GAUGE: &str = "switchboard_dispatcher_leases";

/// How long a surviving node may take to show the lease before the run gives up on it.
const TAKEOVER_LIMIT: Duration = Duration::from_secs(60);

/// One node's own URL (not the balancer's), by the name it goes by (`SWITCHBOARD_NODE_ID`).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub url: String,
}

/// Parses `--nodes`: `NAME=URL` pairs separated by commas.
pub fn parse_nodes(list: &str) -> anyhow::Result<Vec<Node>> {
    let mut nodes = Vec::new();
    for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, url)) = pair.split_once('=') else {
            bail!("--nodes takes NAME=URL pairs, not {pair:?}");
        };
        nodes.push(Node {
            name: name.trim().to_string(),
            url: url.trim().trim_end_matches('/').to_string(),
        });
    }
    Ok(nodes)
}

/// The sum of the lease gauge's samples in a Prometheus text page; `None` when the page has no
/// such sample.
pub fn leases_in(page: &str) -> Option<f64> {
    let mut found = None;
    for line in page.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(LEASE_GAUGE) else {
            continue;
        };
        // `name value`, or `name{labels} value`; not a longer name that starts alike.
        let rest = match rest.chars().next() {
            Some(' ') => rest,
            Some('{') => rest.split_once('}').map_or("", |(_, v)| v),
            _ => continue,
        };
        if let Some(value) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        {
            found = Some(found.unwrap_or(0.0) + value);
        }
    }
    found
}

/// What the kill needs.
pub struct Plan {
    pub nodes: Vec<Node>,
    /// A shell command; `{node}` in it becomes the node's name.
    pub command: String,
    pub metrics_token: Option<String>,
    pub client: reqwest::Client,
}

impl Plan {
    /// Each node's lease count, `None` where the node did not answer or has no such gauge.
    async fn leases(&self, nodes: &[&Node]) -> Vec<Option<f64>> {
        join_all(nodes.iter().map(|node| async move {
            let mut req = self
                .client
                .get(format!("{}/api/v1/metrics", node.url))
                .timeout(Duration::from_millis(900));
            if let Some(token) = &self.metrics_token {
                req = req.bearer_auth(token);
            }
            let res = req.send().await.ok()?;
            if !res.status().is_success() {
                return None;
            }
            leases_in(&res.text().await.ok()?)
        }))
        .await
    }

    /// Kills one node now (`at_s` into the traffic): the one holding the most dispatcher
    /// leases, or, when no node reports the gauge, the one serving the most sockets. Then
    /// waits (at most a minute) until a survivor shows the lease.
    pub async fn run(self, stats: Arc<Stats>, at_s: f64) -> anyhow::Result<()> {
        let all: Vec<&Node> = self.nodes.iter().collect();
        let before = self.leases(&all).await;
        let measured = before.iter().any(Option::is_some);
        let target = if measured {
            before
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.unwrap_or(-1.0).total_cmp(&b.1.unwrap_or(-1.0)))
                .map_or(0, |(i, _)| i)
        } else {
            let sockets = stats.sockets_per_node();
            (0..all.len())
                .max_by_key(|&i| sockets.get(&all[i].name).copied().unwrap_or(0))
                .unwrap_or(0)
        };
        let node = all[target];
        let held = before[target];
        let on_node = stats.node_killed(&node.name, at_s, held);
        let command = self.command.replace("{node}", &node.name);
        let fired = Instant::now();
        let killed = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .status()
            .await
            .with_context(|| format!("running {command:?}"))?;
        let lease = match held {
            Some(n) => format!("it held {n} dispatcher lease(s)"),
            None => "no node reported switchboard_dispatcher_leases".to_string(),
        };
        eprintln!(
            "killed {} at {at_s:.1} s ({lease}); {on_node} agents had their socket on it",
            node.name
        );
        if !killed.success() {
            bail!("the kill command {command:?} failed: {killed}");
        }
        if !held.is_some_and(|n| n > 0.0) {
            return Ok(());
        }
        let survivors: Vec<&Node> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != target)
            .map(|(_, n)| *n)
            .collect();
        let had: Vec<f64> = (0..all.len())
            .filter(|i| *i != target)
            .map(|i| before[i].unwrap_or(0.0))
            .collect();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while fired.elapsed() < TAKEOVER_LIMIT {
            tick.tick().await;
            let now = self.leases(&survivors).await;
            let elapsed = fired.elapsed();
            if let Some(i) = (0..survivors.len()).find(|&i| now[i].unwrap_or(0.0) > had[i]) {
                let ms = elapsed.as_secs_f64() * 1000.0;
                eprintln!(
                    "lease taken over by {} {ms:.0} ms after the kill",
                    survivors[i].name
                );
                stats.took_over(&survivors[i].name, ms);
                return Ok(());
            }
        }
        eprintln!(
            "no surviving node showed the lease within {} s",
            TAKEOVER_LIMIT.as_secs()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_is_read_with_or_without_labels_and_absent_is_none() {
        let page = "# HELP switchboard_dispatcher_leases Leases.\n\
                    # TYPE switchboard_dispatcher_leases gauge\n\
                    switchboard_dispatcher_leases 1\n\
                    switchboard_dispatcher_leases_total 7\n";
        assert_eq!(leases_in(page), Some(1.0));
        let labelled = "switchboard_dispatcher_leases{kind=\"account\"} 2\n\
                        switchboard_dispatcher_leases{kind=\"other\"} 1\n";
        assert_eq!(leases_in(labelled), Some(3.0));
        assert_eq!(leases_in("switchboard_ws_connections 3\n"), None);
        assert_eq!(
            leases_in("switchboard_dispatcher_leases 0\n# EOF\n"),
            Some(0.0)
        );
    }

    #[test]
    fn nodes_are_name_url_pairs() {
        let nodes =
            parse_nodes("node-1=http://127.0.0.1:8081/, node-2=http://127.0.0.1:8082").unwrap();
        assert_eq!(
            nodes,
            vec![
                Node {
                    name: "node-1".into(),
                    url: "http://127.0.0.1:8081".into()
                },
                Node {
                    name: "node-2".into(),
                    url: "http://127.0.0.1:8082".into()
                },
            ]
        );
        assert!(parse_nodes("http://127.0.0.1:8081").is_err());
    }
}
