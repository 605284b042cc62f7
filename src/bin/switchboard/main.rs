//! The `switchboard` command line (SPEC §5a): configuration comes from the environment.
//! `demo` and `simulate` are tools of this binary, not of the server library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use switchboard::app::accounts as provision;
use switchboard::config::Config;
use switchboard::startup::{connect_pool, Application, MIGRATOR};
use switchboard::telemetry;

mod bridge;
mod demo;
mod simulate;

/// The server allocates and frees a great deal per request and per frame (bodies, JSON, row
/// buffers, futures) across many threads: with glibc's allocator `malloc` and `free` took
/// about 15 % of the server's CPU under `target`. jemalloc used a fifth less CPU there, with
/// no more memory (README, "The server's allocator").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Realtime guest-communication desk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the database migrations.
    Migrate,
    /// Migrate, then serve HTTP, WebSocket and the browser app.
    Serve,
    /// Seed the demo account (idempotent) and print its logins and an ingest key.
    Demo {
        /// How many demo agents.
        #[arg(long, default_value_t = 6)]
        agents: usize,
    },
    /// Post realistic guest traffic to a running server.
    Simulate {
        #[arg(long)]
        url: String,
        #[arg(long)]
        api_key: String,
        /// Requests per second.
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
        /// Stop after this many seconds (default: run until stopped).
        #[arg(long)]
        duration: Option<u64>,
        /// With `--manager-email` and `--manager-password`: receive replies as webhooks on
        /// loopback (registered as a connection of this account) instead of pulling them.
        #[arg(long, requires_all = ["manager_email", "manager_password"])]
        account: Option<String>,
        #[arg(long, requires = "account")]
        manager_email: Option<String>,
        #[arg(long, requires = "account")]
        manager_password: Option<String>,
    },
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage the reports' daily rollups.
    Rollups {
        #[command(subcommand)]
        command: RollupsCommand,
    },
}

#[derive(Subcommand)]
enum RollupsCommand {
    /// Recompute an account's daily rollups from the raw rows (from a day on, or all of them);
    /// prints `{"account": ..., "days": ...}`.
    Rebuild {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The first local day to recompute (YYYY-MM-DD); all days without it.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account with its manager; prints `{"account_id": ..., "api_key": ...}`.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        manager_email: String,
        #[arg(long)]
        manager_password: String,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let cli = Cli::parse();
    if let Command::Simulate {
        url,
        api_key,
        rate,
        duration,
        account,
        manager_email,
        manager_password,
    } = &cli.command
    {
        let url = url.trim_end_matches('/');
        let manager = match (account, manager_email, manager_password) {
            (Some(account), Some(email), Some(password)) => Some(bridge::ManagerLogin {
                account: account.clone(),
                email: email.clone(),
                password: password.clone(),
            }),
            _ => None,
        };
        return simulate::run(
            url,
            api_key,
            *rate,
            duration.map(std::time::Duration::from_secs),
            manager,
        )
        .await;
    }
    let config = Config::from_env()?;
    match cli.command {
        Command::Simulate { .. } => {}
        Command::Demo { agents } => {
            let pool = connect_pool(&config)?;
            MIGRATOR.run(&pool).await.context("applying migrations")?;
            let logins = demo::seed(&pool, agents.clamp(1, 500)).await?;
            print!("{}", demo::describe(&logins));
        }
        Command::Migrate => {
            let pool = connect_pool(&config)?;
            MIGRATOR.run(&pool).await.context("applying migrations")?;
            eprintln!("migrations applied");
        }
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(bind = %config.bind, port = app.port(), "serving");
            app.run_until_stopped().await?;
        }
        Command::Rollups {
            command: RollupsCommand::Rebuild { account, from },
        } => {
            let pool = connect_pool(&config)?;
            MIGRATOR.run(&pool).await.context("applying migrations")?;
            let found = switchboard::store::accounts::find_by_slug(&pool, &account)
                .await?
                .with_context(|| format!("no account `{account}`"))?;
            let days =
                switchboard::app::rollups::rebuild(&pool, &found, from, chrono::Utc::now()).await?;
            println!("{}", serde_json::json!({"account": account, "days": days}));
        }
        Command::Account {
            command:
                AccountCommand::Create {
                    slug,
                    name,
                    manager_email,
                    manager_password,
                },
        } => {
            let pool = connect_pool(&config)?;
            MIGRATOR.run(&pool).await.context("applying migrations")?;
            let created =
                provision::create_account(&pool, &slug, &name, &manager_email, &manager_password)
                    .await?;
            println!(
                "{}",
                serde_json::json!({"account_id": created.account_id.to_string(), "api_key": created.api_key})
            );
        }
    }
    Ok(())
}
