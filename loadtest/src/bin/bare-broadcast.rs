//! `bare-broadcast`: the machine's physical limit for our pushes (issue #6). A bare WebSocket
//! server (tokio-tungstenite, no database, no logic) sends the same `ticket.assigned` frames
//! Switchboard sends, one per guest message, round-robin to thousands of connected clients in
//! the same process, and measures what the harness measures: send-to-arrival latency at a
//! given rate, then the most frames per second it can deliver.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Debug)]
#[command(about = "Bare WebSocket push of Switchboard's frames: the ceiling to compare with")]
struct Args {
    /// Connected clients (agents).
    #[arg(long, default_value_t = 5000)]
    clients: usize,
    /// Frames per second in the paced phase.
    #[arg(long, default_value_t = 300.0)]
    rate: f64,
    /// Seconds of each phase (paced, then flat out).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Where to write the JSON result.
    #[arg(long, default_value = "bare-broadcast.json")]
    out: String,
}

/// What the clients observed.
struct Observed {
    latency: Mutex<Histogram<u64>>,
    delivered: AtomicU64,
    /// Frames the sender may still have in flight (the flat-out phase's window).
    window: Semaphore,
    epoch: Instant,
}

impl Observed {
    fn micros_now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

/// A `ticket.assigned` frame shaped like the server's, stamped with when it was sent.
fn frame(n: u64, sent_us: u64) -> String {
    json!({
        "type": "ticket.assigned", "seq": n, "reason": "new", "sent_us": sent_us,
        "ticket": {
            "id": (1_000_000 + n).to_string(), "thread_id": (2_000_000 + n).to_string(),
            "state": "assigned", "stage": "inquiry", "channel": "airbnb", "assignee_id": "4711",
            "unanswered": true, "created_at": "2026-11-30T18:00:00.123456Z",
            "assigned_at": "2026-11-30T18:00:00.125001Z", "opened_at": null,
            "first_response_at": null, "awaiting_reply_since": "2026-11-30T18:00:00.101000Z",
            "closed_at": null,
            "guest": {"id": (3_000_000 + n).to_string(), "name": format!("Guest {n}"), "language": "en"},
            "reservation": {"id": (4_000_000 + n).to_string(), "external_id": format!("lt-r{n}"),
                "status": "inquiry", "listing": "listing-7", "check_in": null, "check_out": null,
                "total_price": null, "currency": null, "payment_status": null}
        }
    })
    .to_string()
}

/// Accepts connections; each gets a queue that its own task writes to the socket.
async fn serve(
    listener: TcpListener,
    register: mpsc::UnboundedSender<mpsc::UnboundedSender<String>>,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        let register = register.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let (mut sink, mut source) = ws.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<String>();
            let _ = register.send(tx);
            tokio::spawn(async move { while let Some(Ok(_)) = source.next().await {} });
            while let Some(text) = rx.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// One client: parses every frame, as the harness's agents do, and records its latency.
async fn client(url: String, seen: Arc<Observed>) {
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else {
        return;
    };
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(sent) = frame["sent_us"].as_u64() {
            let took = seen.micros_now().saturating_sub(sent).max(1);
            let _ = seen
                .latency
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record(took);
            seen.delivered.fetch_add(1, Relaxed);
            seen.window.add_permits(1);
        }
    }
}

fn quantiles(h: &Histogram<u64>) -> Value {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    json!({"p50": ms(0.5), "p95": ms(0.95), "p99": ms(0.99), "max": h.max() as f64 / 1000.0})
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/", listener.local_addr()?);
    let (register, mut registered) = mpsc::unbounded_channel();
    tokio::spawn(serve(listener, register));
    let seen = Arc::new(Observed {
        latency: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3)?),
        delivered: AtomicU64::new(0),
        window: Semaphore::new(0),
        epoch: Instant::now(),
    });
    let mut queues = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        tokio::spawn(client(url.clone(), seen.clone()));
        match registered.recv().await {
            Some(tx) => queues.push(tx),
            None => anyhow::bail!("the bare server stopped"),
        }
    }
    eprintln!("{} clients connected", queues.len());

    // Paced: the scenario's rate, latency as the harness measures it.
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate.max(0.1)));
    let paced = (args.rate * args.duration as f64).round() as u64;
    for n in 0..paced {
        ticker.tick().await;
        let _ = queues[n as usize % queues.len()].send(frame(n, seen.micros_now()));
    }
    while seen.delivered.load(Relaxed) < paced {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let at_rate = quantiles(&seen.latency.lock().unwrap_or_else(|p| p.into_inner()));
    eprintln!("at {}/s: latency {at_rate}", args.rate);

    // Flat out: keep at most one frame per client in flight, for `duration` seconds. (Every
    // paced frame was delivered above, so the window starts empty.)
    seen.window.forget_permits(usize::MAX);
    seen.window.add_permits(queues.len());
    let start = Instant::now();
    let base = seen.delivered.load(Relaxed);
    let mut n = paced;
    while start.elapsed() < Duration::from_secs(args.duration) {
        let Ok(permit) = seen.window.acquire().await else {
            break;
        };
        permit.forget();
        let _ = queues[n as usize % queues.len()].send(frame(n, seen.micros_now()));
        n += 1;
    }
    let max_per_s = (seen.delivered.load(Relaxed) - base) as f64 / start.elapsed().as_secs_f64();
    let result = json!({
        "clients": queues.len(), "rate": args.rate, "latency_ms_at_rate": at_rate,
        "max_frames_per_s": (max_per_s * 10.0).round() / 10.0,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&result)?)?;
    println!("{result}");
    eprintln!(
        "flat out: {max_per_s:.0} frames/s to {} clients",
        queues.len()
    );
    Ok(())
}
