//! `switchboard simulate`: realistic guest traffic so a demo is alive — new inquiries,
//! follow-ups on open threads, confirmations, in-stay questions and post-stay notes.
//! What to send next is a pure function of a seeded generator and the open threads.

use crate::bridge::{self, ManagerLogin};
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const NAMES: [(&str, &str); 10] = [
    ("Ana Silva", "pt"),
    ("John Carter", "en"),
    ("Lucía Gómez", "es"),
    ("Jonas Weber", "de"),
    ("Emma Brown", "en"),
    ("Pedro Santos", "pt"),
    ("Sofia Rossi", "it"),
    ("Liam Murphy", "en"),
    ("Marta López", "es"),
    ("Chloé Martin", "fr"),
];
const CHANNELS: [&str; 4] = ["airbnb", "booking", "vrbo", "direct"];
const LISTINGS: [&str; 9] = [
    "lis-alfama",
    "lis-chiado",
    "lis-belem",
    "opo-ribeira",
    "opo-foz",
    "opo-bolhao",
    "alg-lagos",
    "alg-tavira",
    "alg-sagres",
];
const QUESTIONS: [&str; 6] = [
    "Hi! Is the place available next weekend?",
    "Do you allow pets?",
    "What time can we check in?",
    "Is there parking nearby?",
    "The wifi is not working, can you help?",
    "Thanks for the stay, we left the keys in the box.",
];

/// A thread the simulator has started.
#[derive(Debug, Clone)]
pub struct SimThread {
    pub n: u64,
    pub channel: &'static str,
    pub guest: (&'static str, &'static str),
    pub listing: &'static str,
    pub confirmed: bool,
}

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Message(Value),
    Reservation(Value),
}

/// The traffic generator's state.
pub struct Traffic {
    rng: StdRng,
    threads: Vec<SimThread>,
    next_thread: u64,
    next_message: u64,
    run: String,
}

impl Traffic {
    /// A generator whose run id keeps external ids unique across runs.
    pub fn new(seed: u64, run: &str) -> Traffic {
        Traffic {
            rng: StdRng::seed_from_u64(seed),
            threads: Vec::new(),
            next_thread: 1,
            next_message: 1,
            run: run.to_string(),
        }
    }

    fn message(&mut self, t: &SimThread, body: &str) -> Request {
        let id = self.next_message;
        self.next_message += 1;
        let status = if t.confirmed { "confirmed" } else { "inquiry" };
        let check_in = (Utc::now() + Duration::days((t.n % 20) as i64 - 5)).date_naive();
        Request::Message(json!({
            "channel": t.channel,
            "thread_external_id": format!("{}-t{}", self.run, t.n),
            "message_external_id": format!("{}-m{id}", self.run),
            "body": body,
            "sent_at": Utc::now().to_rfc3339(),
            "guest": {"external_id": format!("{}-g{}", self.run, t.n), "name": t.guest.0, "language": t.guest.1},
            "reservation": {
                "external_id": format!("{}-r{}", self.run, t.n), "status": status, "listing_external_id": t.listing,
                "check_in": check_in.to_string(), "check_out": (check_in + Duration::days(3)).to_string(),
                "total_price": 120 + (t.n % 10) * 35, "currency": "EUR"
            }
        }))
    }

    /// The next request: mostly new inquiries and follow-ups, sometimes a confirmation.
    pub fn next_request(&mut self) -> Request {
        let roll: f64 = self.rng.gen();
        if self.threads.is_empty() || roll < 0.45 {
            let n = self.next_thread;
            self.next_thread += 1;
            let thread = SimThread {
                n,
                channel: CHANNELS[self.rng.gen_range(0..CHANNELS.len())],
                guest: NAMES[self.rng.gen_range(0..NAMES.len())],
                listing: LISTINGS[self.rng.gen_range(0..LISTINGS.len())],
                confirmed: self.rng.gen_bool(0.3),
            };
            self.threads.push(thread.clone());
            if self.threads.len() > 500 {
                self.threads.remove(0);
            }
            let question = QUESTIONS[self.rng.gen_range(0..QUESTIONS.len())];
            return self.message(&thread, question);
        }
        let i = self.rng.gen_range(0..self.threads.len());
        if roll < 0.6 && !self.threads[i].confirmed {
            self.threads[i].confirmed = true;
            let t = &self.threads[i];
            return Request::Reservation(json!({
                "channel": t.channel, "external_id": format!("{}-r{}", self.run, t.n), "status": "confirmed",
                "listing_external_id": t.listing, "total_price": 120 + (t.n % 10) * 35, "currency": "EUR",
                "payment_status": "paid", "guest": {"external_id": format!("{}-g{}", self.run, t.n), "name": t.guest.0}
            }));
        }
        let t = self.threads[i].clone();
        let question = QUESTIONS[self.rng.gen_range(0..QUESTIONS.len())];
        self.message(&t, question)
    }
}

/// Sends traffic at `rate` requests per second until `duration` (or forever) passes, and
/// acts as the channel bridge the replies come back to (`bridge.rs`).
pub async fn run(
    url: &str,
    api_key: &str,
    rate: f64,
    duration: Option<std::time::Duration>,
    manager: Option<ManagerLogin>,
) -> anyhow::Result<()> {
    let bridge = bridge::start(url, api_key, manager).await?;
    let client = reqwest::Client::new();
    let run_id = format!("sim{}", Utc::now().timestamp());
    let mut traffic = Traffic::new(rand::random(), &run_id);
    let period = std::time::Duration::from_secs_f64(1.0 / rate.max(0.01));
    let started = std::time::Instant::now();
    let mut ticker = tokio::time::interval(period);
    let (mut sent, mut failed) = (0u64, 0u64);
    let mut last_report = std::time::Instant::now();
    loop {
        ticker.tick().await;
        if duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let (path, body) = match traffic.next_request() {
            Request::Message(b) => ("/api/v1/ingest/messages", b),
            Request::Reservation(b) => ("/api/v1/ingest/reservations", b),
        };
        match client
            .post(format!("{url}{path}"))
            .bearer_auth(api_key)
            .json(&body)
            .send()
            .await
        {
            Ok(res) if res.status().is_success() => sent += 1,
            Ok(res) => {
                failed += 1;
                eprintln!("{path}: {}", res.status());
            }
            Err(e) => {
                failed += 1;
                eprintln!("{path}: {e}");
            }
        }
        if last_report.elapsed().as_secs() >= 1 {
            println!("simulate: {sent} sent, {failed} failed; {}", bridge.line());
            last_report = std::time::Instant::now();
        }
    }
    println!(
        "simulate: done, {sent} sent, {failed} failed; {}",
        bridge.line()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_is_a_realistic_mix_with_unique_message_ids() {
        let mut t = Traffic::new(7, "run");
        let mut ids = std::collections::HashSet::new();
        let (mut messages, mut confirmations, mut follow_ups) = (0, 0, 0);
        let mut threads = std::collections::HashSet::new();
        for _ in 0..500 {
            match t.next_request() {
                Request::Message(m) => {
                    messages += 1;
                    assert!(
                        ids.insert(m["message_external_id"].as_str().unwrap().to_string()),
                        "duplicate message id"
                    );
                    if !threads.insert(m["thread_external_id"].as_str().unwrap().to_string()) {
                        follow_ups += 1;
                    }
                }
                Request::Reservation(r) => {
                    confirmations += 1;
                    assert_eq!(r["status"], "confirmed");
                }
            }
        }
        assert!(
            messages > 300 && confirmations > 20 && follow_ups > 50,
            "{messages} {confirmations} {follow_ups}"
        );
    }
}
