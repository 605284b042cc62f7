//! Cross-site request refusal. A browser sends the session cookie with any request to us,
//! whichever site made it; so a request authenticated by the cookie that changes something
//! (any method but GET/HEAD/OPTIONS), or that opens the socket, must come from our own origin
//! or one the operator allowed. Browsers always say where a request comes from (`Origin`, or
//! `Sec-Fetch-Site`); clients that send neither are not browsers and are not at risk.

use super::error::ApiError;
use crate::wire::Code;
use actix_web::http::{header, Method};
use actix_web::HttpRequest;

/// Which origins may act with the session cookie.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    /// Besides the server's own origin.
    pub allowed: Vec<String>,
}

/// Whether the request changes something or opens the socket.
pub fn needs_same_origin(req: &HttpRequest) -> bool {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    upgrade || !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

impl OriginPolicy {
    /// Refuses a request that a browser sent from another site.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        let fetch_site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok());
        let same_site = match (origin, fetch_site) {
            (Some(origin), _) => {
                let origin = origin.trim_end_matches('/').to_ascii_lowercase();
                let info = req.connection_info();
                let own = format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase();
                origin == own || self.allowed.contains(&origin)
            }
            (None, Some(site)) => matches!(site, "same-origin" | "none"),
            (None, None) => true,
        };
        if same_site {
            Ok(())
        } else {
            Err(ApiError::new(
                Code::Forbidden,
                "a request from another site cannot use this session",
            ))
        }
    }
}
