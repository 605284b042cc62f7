//! One dispatching decision (a new ticket under the balanced strategy) among 1,000 and 10,000
//! available agents, every one of whom could take it (SPEC §7: under 10 µs).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use std::hint::black_box;
use switchboard::domain::account::Settings;
use switchboard::domain::card::{AgentCard, TicketTraits};
use switchboard::domain::channel::Channel;
use switchboard::domain::dispatch::{AgentEntry, Board};
use switchboard::domain::ids::{TicketId, UserId};
use switchboard::domain::stage::Stage;

fn board(agents: i64) -> Board {
    let mut board = Board::new(&Settings::default());
    for id in 1..=agents {
        let mut card = AgentCard::default();
        // A realistic mix: a third specialise in pre-booking, a third in two channels.
        match id % 3 {
            0 => card.stages = [Stage::PreBooking].into(),
            1 => {
                card.channels = [
                    Channel::parse("airbnb").unwrap(),
                    Channel::parse("booking").unwrap(),
                ]
                .into()
            }
            _ => {}
        }
        board.load_agent(AgentEntry {
            id: UserId(id),
            card,
            active: true,
            working: true,
            intake_paused: false,
            present: true,
        });
    }
    // Give everyone some load so the ranking is not trivially ordered by id.
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let traits = TicketTraits {
        stage: Stage::PreBooking,
        channel: Channel::parse("airbnb").unwrap(),
        language: Some("en".into()),
        listing_group: None,
        entry_point: None,
        group: None,
    };
    for t in 0..agents * 2 {
        board.ticket_created(TicketId(1_000_000 + t), traits.clone(), now, None, now);
    }
    board
}

fn one_decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("dispatch_new_ticket");
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
    let traits = TicketTraits {
        stage: Stage::Booked,
        channel: Channel::parse("vrbo").unwrap(),
        language: Some("pt".into()),
        listing_group: None,
        entry_point: None,
        group: None,
    };
    for agents in [1_000i64, 10_000] {
        let base = board(agents);
        group.bench_with_input(BenchmarkId::from_parameter(agents), &agents, |b, _| {
            b.iter_batched_ref(
                || base.clone(),
                |board| {
                    black_box(board.ticket_created(TicketId(42), traits.clone(), now, None, now))
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, one_decision);
criterion_main!(benches);
