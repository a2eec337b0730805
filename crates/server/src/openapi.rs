//! The API's description, served at `/api/openapi.json` (OpenAPI 3.1).
//!
//! The document is checked against the running service by `tests/load/schemathesis.sh`: every
//! status a route can answer is listed, and every response body matches its schema. The
//! served document names the public categories of the index being served (the only values
//! `category` accepts) and takes its examples from it.

use axum::Json;
use axum::extract::State;
use kotae_core::Snapshot;
use kotae_core::content::Audience;
use kotae_core::search::MAX_LIMIT;
use serde_json::{Value, json};

use crate::state::AppState;

fn query_param(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The answers every read route may give besides its 200.
fn with_errors(ok: Value) -> Value {
    json!({
        "200": ok,
        "400": error("Invalid input"),
        "404": error("Not found"),
        "414": error("The URL is longer than 4096 bytes"),
        "429": error("Too many requests from this client; try again shortly"),
        "503": error("The service is overloaded or the request took too long; try again shortly")
    })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn nullable_string() -> Value {
    json!({ "type": ["string", "null"] })
}

/// The OpenAPI document, without anything from a particular index.
pub fn document() -> Value {
    describe(None)
}

/// The OpenAPI document for the index `snapshot` serves: `category` lists its public
/// categories, and the examples are its pages.
pub fn document_for(snapshot: &Snapshot) -> Value {
    describe(Some(snapshot))
}

fn describe(snapshot: Option<&Snapshot>) -> Value {
    let contact = json!({ "type": "array", "items": { "$ref": "#/components/schemas/ContactChannel" } });
    let mut category = json!({ "type": "string" });
    let mut article_id = json!({ "type": "string" });
    let mut feedback_id = json!({ "type": "string", "description": "The article id" });
    if let Some(snapshot) = snapshot {
        // The empty string means all categories (what the help page's form sends).
        let ids: Vec<&str> = std::iter::once("")
            .chain(snapshot.corpus.categories.iter().filter(|c| c.audience == Audience::Public).map(|c| c.id.as_str()))
            .collect();
        if ids.len() > 1 {
            category = json!({ "type": "string", "enum": ids });
        }
        if let Some(page) = snapshot.corpus.pages.iter().find(|p| p.audience == Audience::Public) {
            article_id = json!({ "type": "string", "examples": [page.id] });
            feedback_id = json!({ "type": "string", "description": "The article id", "examples": [page.id] });
        }
    }
    let q = |description: &str| query_param("q", true, description, json!({ "type": "string", "examples": ["返品したい"] }));
    let limit = query_param("limit", false, "How many hits (default 10)", json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT }));
    // Ids made up by clients are optional extras: a malformed one is ignored, not refused.
    let client_id = json!({ "type": "string" });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kotae help center API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Search the public FAQ of the help center. Internal (operator manual) pages are never returned here; agents use the same endpoints under /ops/api with authentication."
        },
        "paths": {
            "/api/search": { "get": {
                "summary": "Search public FAQs",
                "parameters": [
                    q("The question, as typed"),
                    query_param("category", false, "A public category id, or empty for all (others answer 400)", category),
                    limit,
                    query_param("s", false, "A random per-tab session id made up by the client (ignored unless it is 1 to 64 letters, digits or `-`)", client_id.clone()),
                    query_param("prev", false, "The search_id of the search this one follows (ignored unless well-formed)", client_id.clone())
                ],
                "responses": with_errors(ok("Ranked hits", "SearchResults"))
            }},
            "/api/suggest": { "get": {
                "summary": "Suggestions while typing",
                "parameters": [ q("What has been typed so far") ],
                "responses": with_errors(ok("Suggested articles", "Suggestions"))
            }},
            "/api/articles/{id}": { "get": {
                "summary": "One article",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "description": "The article id, e.g. `orders/cancel`", "schema": article_id },
                    query_param("rank", false, "Opened from a list of results: its 1-based place there, recorded as a click (ignored unless 1 to 1000)", json!({ "type": "string" })),
                    query_param("sid", false, "Opened from a list of results: that search's search_id (ignored unless well-formed)", client_id.clone()),
                    query_param("q", false, "Opened from a list of results: the question asked", json!({ "type": "string" })),
                    query_param("s", false, "A random per-tab session id made up by the client", client_id.clone())
                ],
                "responses": with_errors(ok("The article", "Article"))
            }},
            "/api/answer": { "get": {
                "summary": "The single best answer, for chatbots and other channels",
                "parameters": [ q("The customer's question") ],
                "responses": with_errors(ok("The answer, or an escalation to a human", "Answer"))
            }},
            "/api/categories": { "get": {
                "summary": "Public categories",
                "responses": {
                    "200": ok("Categories", "Categories"),
                    "429": error("Too many requests from this client; try again shortly"),
                    "503": error("The service is overloaded; try again shortly")
                }
            }},
            "/api/feedback": { "post": {
                "summary": "Was this answer helpful?",
                "description": "The vote is committed to the events database before the answer: 202 means it is stored. When it cannot be stored (for example the disk is full) the answer is 503 and the vote should be sent again later.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Feedback" } } } },
                "responses": {
                    "202": { "description": "Recorded; a 'no' comes back with the contact channels", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/FeedbackRecorded" } } } },
                    "400": error("Invalid input"),
                    "404": error("Unknown article"),
                    "413": error("Body too large"),
                    "415": error("Not JSON"),
                    "429": error("Too many requests from this client; try again shortly"),
                    "503": error("The vote could not be stored; send it again later")
                }
            }},
            "/healthz": { "get": {
                "summary": "Health",
                "responses": { "200": { "description": "Serving", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } } }
            }}
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["status", "message"], "properties": { "status": { "type": "integer" }, "message": { "type": "string" } } } } },
            "Hit": { "type": "object", "required": ["id", "title", "category", "category_name", "score", "snippet", "snippet_html", "section", "heading", "updated", "url"], "properties": {
                "id": { "type": "string" }, "title": { "type": "string" }, "category": nullable_string(),
                "category_name": nullable_string(), "score": { "type": "number" }, "snippet": { "type": "string" },
                "snippet_html": { "type": "string", "description": "Escaped text with matches in <mark>" },
                "section": nullable_string(), "heading": nullable_string(),
                "updated": { "type": ["string", "null"], "description": "YYYY-MM-DD" }, "url": { "type": "string" } } },
            "Closest": { "type": "array", "description": "When nothing answers: the pages closest in meaning, best first (「もしかして、こちらのご質問ですか？」); empty otherwise", "items": { "type": "object", "required": ["id", "title", "url"], "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "url": { "type": "string" } } } },
            "SearchResults": { "type": "object", "required": ["query", "total", "total_exact", "hits", "answered", "closest", "search_id"], "properties": {
                "answered": { "type": "boolean", "description": "False when the hits share only weak evidence with the question (an everyday verb, a fragment): show \"not covered\", `closest` and the contact channels instead of them" },
                "closest": { "$ref": "#/components/schemas/Closest" },
                "query": { "type": "string" }, "total": { "type": "integer", "minimum": 0, "description": "Matching documents: exact up to 1,000, a lower bound beyond (see total_exact)" },
                "total_exact": { "type": "boolean", "description": "False when counting stopped at 1,000 and more documents may match" },
                "hits": { "type": "array", "items": { "$ref": "#/components/schemas/Hit" } },
                "search_id": { "type": "string", "description": "This search's id: send it back as `prev` with the next search and as `search_id` with a vote" } } },
            "Suggestions": { "type": "object", "required": ["query", "suggestions"], "properties": { "query": { "type": "string" }, "suggestions": { "type": "array", "items": { "type": "object", "required": ["id", "title", "heading", "url"], "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "heading": nullable_string(), "url": { "type": "string" } } } } } },
            "Article": { "type": "object", "required": ["id", "title", "category", "category_name", "tags", "updated", "html", "text", "sections", "related", "url"], "properties": {
                "id": { "type": "string" }, "title": { "type": "string" }, "category": nullable_string(), "category_name": nullable_string(),
                "tags": { "type": "array", "items": { "type": "string" } }, "updated": { "type": ["string", "null"], "description": "YYYY-MM-DD" },
                "html": { "type": "string", "description": "Sanitized HTML" }, "text": { "type": "string" },
                "sections": { "type": "array", "items": { "type": "object", "required": ["anchor", "heading"], "properties": { "anchor": { "type": "string" }, "heading": { "type": "string" } } } },
                "related": { "type": "array", "items": { "type": "object", "required": ["id", "title", "url"], "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "url": { "type": "string" } } } },
                "url": { "type": "string" } } },
            "Answer": { "type": "object", "required": ["query", "answer", "confidence", "escalate", "search_id"], "properties": {
                "query": { "type": "string" },
                "answer": { "oneOf": [ { "type": "null" }, { "type": "object", "required": ["id", "title", "section", "text", "html", "url"], "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "section": nullable_string(), "text": { "type": "string" }, "html": { "type": "string" }, "url": { "type": "string" } } } ] },
                "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                "escalate": { "type": "boolean", "description": "True when the answer is too uncertain: hand the customer to a human" },
                "contact": contact.clone(),
                "closest": { "$ref": "#/components/schemas/Closest" },
                "search_id": { "type": "string" } } },
            "Categories": { "type": "object", "required": ["categories"], "properties": { "categories": { "type": "array", "items": { "type": "object", "required": ["id", "name", "description", "articles"], "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "description": { "type": "string" }, "articles": { "type": "integer", "minimum": 0 } } } } } },
            "ContactChannel": { "type": "object", "required": ["kind", "label"], "properties": { "kind": { "type": "string" }, "label": { "type": "string" }, "value": { "type": "string" }, "hours": { "type": "string" }, "url": nullable_string() } },
            "Feedback": { "type": "object", "required": ["id", "helpful"], "properties": {
                "id": feedback_id, "helpful": { "type": "boolean" },
                "query": { "type": ["string", "null"] }, "comment": { "type": ["string", "null"], "maxLength": 500 },
                "search_id": { "type": ["string", "null"], "description": "the search the article was opened from (search_id of /api/search)" },
                "session": { "type": ["string", "null"], "description": "a random per-tab id made up by the client" } } },
            "FeedbackRecorded": { "type": "object", "required": ["ok", "id", "helpful"], "properties": { "ok": { "type": "boolean" }, "id": { "type": "string" }, "helpful": { "type": "boolean" }, "contact": contact } },
            "Health": { "type": "object", "required": ["status", "generation", "pages", "documents"], "properties": { "status": { "type": "string" }, "generation": nullable_string(), "pages": { "type": "integer" }, "documents": { "type": "integer" }, "events": { "type": ["object", "null"], "description": "The events writer since start: written, dropped (queue full or store failing) and queued (waiting, e.g. while PostgreSQL is down)", "properties": { "written": { "type": "integer" }, "dropped": { "type": "integer" }, "queued": { "type": "integer" } } } } }
        } }
    })
}

pub async fn serve(State(state): State<AppState>) -> Json<Value> {
    Json(document_for(&state.snapshot()))
}
