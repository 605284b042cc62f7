//! The demo account (`switchboard demo`): a manager, agents with varied cards, listings in
//! groups and templates in several languages. Seeding again creates nothing new; it only
//! mints a fresh ingest key, since stored keys cannot be shown twice.

use sqlx::PgPool;
use switchboard::app::accounts::{self as provision, hash_password, ProvisionError};
use switchboard::domain::card::AgentCard;
use switchboard::domain::channel::Channel;
use switchboard::domain::stage::Stage;
use switchboard::domain::user::Role;
use switchboard::security::token::Secret;
use switchboard::store::{self, templates::Variant, users::NewUser};

pub const SLUG: &str = "demo";
pub const MANAGER_EMAIL: &str = "manager@demo.test";
pub const MANAGER_PASSWORD: &str = "demo-manager";
pub const AGENT_PASSWORD: &str = "demo-agent";

/// What the seed leaves for the person trying the demo.
#[derive(Debug, Clone)]
pub struct DemoLogins {
    pub agent_emails: Vec<String>,
    pub api_key: String,
}

const LISTINGS: [(&str, &str, &str); 9] = [
    ("lis-alfama", "Alfama Loft", "Lisbon"),
    ("lis-chiado", "Chiado Studio", "Lisbon"),
    ("lis-belem", "Belém Riverside Flat", "Lisbon"),
    ("opo-ribeira", "Ribeira View Apartment", "Porto"),
    ("opo-foz", "Foz Beach House", "Porto"),
    ("opo-bolhao", "Bolhão Central Room", "Porto"),
    ("alg-lagos", "Lagos Cliff Villa", "Algarve"),
    ("alg-tavira", "Tavira Garden Cottage", "Algarve"),
    ("alg-sagres", "Sagres Surf Lodge", "Algarve"),
];

fn templates() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("Welcome", vec![
            ("en", "Hi {{guest_name}}, thanks for your message about {{listing}}! How can I help?"),
            ("pt", "Olá {{guest_name}}, obrigado pela sua mensagem sobre {{listing}}! Como posso ajudar?"),
            ("es", "Hola {{guest_name}}, ¡gracias por tu mensaje sobre {{listing}}! ¿En qué puedo ayudarte?"),
            ("de", "Hallo {{guest_name}}, danke für Ihre Nachricht zu {{listing}}! Wie kann ich helfen?"),
        ]),
        ("Check-in instructions", vec![
            ("en", "Hi {{guest_name}}, check-in at {{listing}} is from 15:00 on {{check_in}}. The key box code arrives the day before."),
            ("pt", "Olá {{guest_name}}, o check-in em {{listing}} é a partir das 15:00 de {{check_in}}. O código da caixa chega na véspera."),
        ]),
        ("Thanks for booking", vec![
            ("en", "Thank you for booking {{listing}}, {{guest_name}}! Reservation {{reservation_id}} is confirmed — {{agent_name}}"),
            ("es", "¡Gracias por reservar {{listing}}, {{guest_name}}! La reserva {{reservation_id}} está confirmada — {{agent_name}}"),
        ]),
        ("Late check-out", vec![
            ("en", "Hi {{guest_name}}, late check-out on {{check_out}} is possible until 13:00 for a small fee."),
            ("de", "Hallo {{guest_name}}, ein später Check-out am {{check_out}} ist bis 13:00 gegen eine kleine Gebühr möglich."),
        ]),
    ]
}

/// The card of demo agent `k` (1-based): a mix of specialists and generalists.
fn card_for(k: usize) -> AgentCard {
    let channel =
        |c: &str| Channel::parse(c).unwrap_or_else(|_| unreachable!("demo channels are valid"));
    match k % 4 {
        1 => AgentCard {
            stages: [Stage::PreBooking].into(),
            languages: ["en".into(), "pt".into()].into(),
            ..Default::default()
        },
        2 => AgentCard {
            stages: [Stage::Booked, Stage::Staying, Stage::PostStay].into(),
            ..Default::default()
        },
        3 => AgentCard {
            channels: [channel("airbnb"), channel("booking")].into(),
            languages: ["en".into(), "es".into()].into(),
            ..Default::default()
        },
        _ => AgentCard {
            max_active: Some(15),
            ..Default::default()
        },
    }
}

/// Seeds the demo account (idempotently) and mints an ingest key.
pub async fn seed(pool: &PgPool, agents: usize) -> Result<DemoLogins, ProvisionError> {
    let account_id = match store::accounts::find_by_slug(pool, SLUG).await? {
        Some(account) => account.id,
        None => match provision::create_account(
            pool,
            SLUG,
            "Demo Stays",
            MANAGER_EMAIL,
            MANAGER_PASSWORD,
        )
        .await
        {
            Ok(created) => created.account_id,
            Err(ProvisionError::SlugTaken(_)) => {
                store::accounts::find_by_slug(pool, SLUG)
                    .await?
                    .ok_or(ProvisionError::Invalid("demo account vanished".into()))?
                    .id
            }
            Err(e) => return Err(e),
        },
    };
    let hash = hash_password(AGENT_PASSWORD).await?;
    let mut tx = pool.begin().await?;
    let mut agent_emails = Vec::new();
    for k in 1..=agents {
        let email = format!("agent{k}@demo.test");
        let name = format!("Agent {k}");
        let exists: Option<switchboard::domain::ids::UserId> =
            sqlx::query_scalar("SELECT id FROM users WHERE account_id = $1 AND email = $2")
                .bind(account_id)
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            let id = store::users::insert(
                &mut *tx,
                NewUser {
                    account_id,
                    email: &email,
                    name: &name,
                    role: Role::Agent,
                    password_hash: &hash,
                },
            )
            .await?;
            if let Some(mut user) = store::users::get(&mut *tx, account_id, id).await? {
                user.card = card_for(k);
                store::users::update(&mut tx, &user).await?;
            }
        }
        agent_emails.push(email);
    }
    for (external_id, name, group) in LISTINGS {
        sqlx::query("INSERT INTO listings (account_id, external_id, name, listing_group) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(account_id)
            .bind(external_id)
            .bind(name)
            .bind(group)
            .execute(&mut *tx)
            .await?;
    }
    let existing: Vec<String> = store::templates::list(&mut *tx, account_id, None)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    for (name, variants) in templates() {
        if existing.iter().any(|e| e == name) {
            continue;
        }
        let variants: Vec<Variant> = variants
            .into_iter()
            .map(|(l, b)| Variant {
                language: l.into(),
                body: b.into(),
            })
            .collect();
        store::templates::insert(&mut tx, account_id, name, &variants).await?;
    }
    let key = Secret::generate("sbk");
    store::api_keys::insert(&mut *tx, account_id, &key.digest(), "demo", None).await?;
    tx.commit().await?;
    Ok(DemoLogins {
        agent_emails,
        api_key: key.reveal().to_string(),
    })
}

/// The logins as printed by `switchboard demo`.
pub fn describe(logins: &DemoLogins) -> String {
    let mut out = format!("account: {SLUG}\nmanager: {MANAGER_EMAIL} / {MANAGER_PASSWORD}\n");
    for email in &logins.agent_emails {
        out.push_str(&format!("agent:   {email} / {AGENT_PASSWORD}\n"));
    }
    out.push_str(&format!("ingest api key: {}\n", logins.api_key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_cards_and_templates_are_valid() {
        for k in 1..=8 {
            assert_eq!(card_for(k).validated().unwrap(), card_for(k));
        }
        for (_, variants) in templates() {
            for (_, body) in variants {
                switchboard::domain::template::placeholders(body).unwrap();
            }
        }
    }
}
