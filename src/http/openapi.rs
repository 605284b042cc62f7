//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the whole `/api/v1` surface,
//! generated from the handlers' `#[utoipa::path]` annotations and the wire types' schemas, so
//! it changes with the code. The test below holds the route table and the document to each
//! other: a route served without an annotation, or documented without being served, fails it.
//!
//! Every error answer has one body, [`ErrorBody`], whose `code` is one of the names in
//! `wire::code`; the reusable responses (`responses`) say which statuses an endpoint can
//! answer.

use super::error::ErrorBody;
use super::responses::{
    BadRequest, Conflict, Forbidden, InvalidState, NotFound, PayloadTooLarge, RateLimited,
    Unauthorized, Unavailable,
};
use actix_web::http::Method;
use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document: every annotated handler and the schemas they name.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "Realtime guest-communication desk: ingest, dispatch, inbox, wallboard, \
                       reports. Ids are strings of digits; times are RFC 3339 UTC.",
        license(name = "MIT", identifier = "MIT")
    ),
    paths(
        get_document,
        super::ops::healthz,
        super::ops::readyz,
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::account::get,
        super::account::patch,
        super::account::api_keys,
        super::account::create_api_key,
        super::account::revoke_api_key,
        super::agents::list,
        super::agents::create,
        super::agents::get,
        super::agents::update,
        super::agents::stop_timer,
        super::agents::pause_intake,
        super::groups::list,
        super::groups::create,
        super::groups::get,
        super::groups::update,
        super::groups::delete,
        super::alerts::list,
        super::alerts::ack,
        super::ingest::messages,
        super::ingest::reservations,
        super::reviews::receive,
        super::tickets::assign,
        super::tickets::activity,
        super::notes::add,
        super::todos::mine,
        super::todos::list,
        super::todos::add,
        super::todos::update,
        super::todos::delete,
        super::todos::mood,
        super::follow_ups::set,
        super::listings::calendar,
        super::guests::panel,
        super::metrics::scrape,
        super::outbound::list,
        super::outbound::create,
        super::outbound::update,
        super::outbound::delete,
        super::outbound::test,
        super::outbound::deliveries,
        super::outbound::report,
        super::outbound::feed,
        super::outbound::retry,
        super::reports::agents,
        super::reports::team,
        super::templates::list,
        super::templates::create,
        super::templates::get,
        super::templates::update,
        super::templates::delete,
        super::templates::preview,
        super::tickets::list,
        super::tickets::counts,
        super::tickets::get,
        super::tickets::open,
        super::tickets::reply,
        super::tickets::pending,
        super::tickets::done,
        super::tickets::claim,
        super::wallboard::get,
        super::work::start_timer,
        super::work::stop_timer,
        super::work::pause_intake,
        super::work::resume_intake,
        super::ws::connect,
    ),
    // `Order` is named only by the ticket list's `sort` parameter, which refers to it.
    components(schemas(ErrorBody, crate::domain::inbox::Order), responses(
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
        InvalidState,
        RateLimited,
        Unavailable
    )),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// The names the annotations use for the three ways to authenticate.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(what))
                    .build(),
            )
        };
        components.add_security_scheme(
            "session",
            bearer("The `token` from `POST /api/v1/auth/login`."),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::identity::SESSION_COOKIE,
                "The session cookie set by `POST /api/v1/auth/login` (changes must come from \
                 the server's own origin).",
            ))),
        );
        components.add_security_scheme(
            "ingest_key",
            bearer("An account's ingest API key from `POST /api/v1/api-keys`."),
        );
    }
}

pub fn routes(r: &mut super::Routes<'_>) {
    r.add(Method::GET, "/openapi.json", get_document);
}

/// The document as served, built once.
fn document() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI 3.1 document of `/api/v1`.",
               body = Object, content_type = "application/json"))
)]
pub(super) async fn get_document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn documented() -> BTreeSet<(String, String)> {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let mut out = BTreeSet::new();
        for (path, item) in json["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_served_route_is_documented_and_every_documented_route_is_served() {
        let served: BTreeSet<(String, String)> = super::super::served_routes()
            .into_iter()
            .map(|(m, p)| (m.to_string(), p))
            .collect();
        let documented = documented();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "served without a #[utoipa::path] in ApiDoc: {undocumented:?}"
        );
        assert!(
            unserved.is_empty(),
            "documented but not served: {unserved:?}"
        );
        assert!(served.len() > 30);
    }

    #[test]
    fn the_document_is_openapi_3_1_and_its_error_codes_are_the_table() {
        let json: serde_json::Value = serde_json::from_str(document()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let codes: Vec<&str> = json["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let table: Vec<&str> = crate::wire::Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes, table);
        let ticket_id = &json["components"]["schemas"]["TicketId"];
        assert_eq!(ticket_id["type"], "string");
    }

    #[test]
    fn the_ticket_list_names_every_order() {
        let json: serde_json::Value = serde_json::from_str(document()).unwrap();
        let sort = json["paths"]["/api/v1/tickets"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "sort")
            .expect("a sort parameter");
        assert_eq!(sort["schema"]["$ref"], "#/components/schemas/Order");
        assert_eq!(
            json["components"]["schemas"]["Order"]["enum"],
            serde_json::json!(["newest", "waiting", "activity"])
        );
    }
}
