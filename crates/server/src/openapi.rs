//! The API's description, served at `/api/openapi.json` (OpenAPI 3.1).

use axum::Json;
use serde_json::{Value, json};

fn query_param(name: &str, required: bool, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": { "type": "string" } })
}

fn error_responses() -> Value {
    json!({
        "400": { "description": "Invalid input", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "404": { "description": "Not found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    })
}

fn with_errors(ok: Value) -> Value {
    let mut responses = error_responses();
    responses["200"] = ok;
    responses
}

/// The OpenAPI document.
pub fn document() -> Value {
    let contact = json!({ "type": "array", "items": { "$ref": "#/components/schemas/ContactChannel" } });
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
                    query_param("q", true, "The question, as typed"),
                    query_param("category", false, "A category id"),
                    query_param("limit", false, "1 to 100 (default 10)")
                ],
                "responses": with_errors(json!({ "description": "Ranked hits", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SearchResults" } } } }))
            }},
            "/api/suggest": { "get": {
                "summary": "Suggestions while typing",
                "parameters": [ query_param("q", true, "What has been typed so far") ],
                "responses": with_errors(json!({ "description": "Suggested articles", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Suggestions" } } } }))
            }},
            "/api/articles/{id}": { "get": {
                "summary": "One article",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "responses": with_errors(json!({ "description": "The article", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Article" } } } }))
            }},
            "/api/answer": { "get": {
                "summary": "The single best answer, for chatbots and other channels",
                "parameters": [ query_param("q", true, "The customer's question") ],
                "responses": with_errors(json!({ "description": "The answer, or an escalation to a human", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Answer" } } } }))
            }},
            "/api/categories": { "get": {
                "summary": "Public categories",
                "responses": { "200": { "description": "Categories", "content": { "application/json": { "schema": { "type": "object", "required": ["categories"], "properties": { "categories": { "type": "array", "items": { "type": "object" } } } } } } } }
            }},
            "/api/feedback": { "post": {
                "summary": "Was this answer helpful?",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Feedback" } } } },
                "responses": {
                    "202": { "description": "Recorded; a 'no' comes back with the contact channels", "content": { "application/json": { "schema": { "type": "object", "required": ["ok", "id", "helpful"], "properties": { "ok": { "type": "boolean" }, "id": { "type": "string" }, "helpful": { "type": "boolean" }, "contact": contact } } } } },
                    "400": { "description": "Invalid input", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "404": { "description": "Unknown article", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "413": { "description": "Body too large" },
                    "415": { "description": "Not JSON", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                }
            }},
            "/healthz": { "get": { "summary": "Health", "responses": { "200": { "description": "Serving", "content": { "application/json": { "schema": { "type": "object" } } } } } } }
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["status", "message"], "properties": { "status": { "type": "integer" }, "message": { "type": "string" } } } } },
            "Hit": { "type": "object", "required": ["id", "title", "score", "snippet", "snippet_html", "url"], "properties": {
                "id": { "type": "string" }, "title": { "type": "string" }, "category": { "type": ["string", "null"] },
                "category_name": { "type": ["string", "null"] }, "score": { "type": "number" }, "snippet": { "type": "string" },
                "snippet_html": { "type": "string", "description": "Escaped text with matches in <mark>" },
                "section": { "type": ["string", "null"] }, "heading": { "type": ["string", "null"] },
                "updated": { "type": ["string", "null"] }, "url": { "type": "string" } } },
            "SearchResults": { "type": "object", "required": ["query", "total", "hits"], "properties": { "query": { "type": "string" }, "total": { "type": "integer" }, "hits": { "type": "array", "items": { "$ref": "#/components/schemas/Hit" } } } },
            "Suggestions": { "type": "object", "required": ["query", "suggestions"], "properties": { "query": { "type": "string" }, "suggestions": { "type": "array", "items": { "type": "object", "required": ["id", "title", "url"], "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "heading": { "type": ["string", "null"] }, "url": { "type": "string" } } } } } },
            "Article": { "type": "object", "required": ["id", "title", "html", "text", "related", "url"], "properties": {
                "id": { "type": "string" }, "title": { "type": "string" }, "category": { "type": ["string", "null"] }, "category_name": { "type": ["string", "null"] },
                "tags": { "type": "array", "items": { "type": "string" } }, "updated": { "type": ["string", "null"] },
                "html": { "type": "string", "description": "Sanitized HTML" }, "text": { "type": "string" },
                "sections": { "type": "array", "items": { "type": "object" } },
                "related": { "type": "array", "items": { "type": "object" } }, "url": { "type": "string" } } },
            "Answer": { "type": "object", "required": ["query", "answer", "confidence", "escalate"], "properties": {
                "query": { "type": "string" },
                "answer": { "oneOf": [ { "type": "null" }, { "type": "object", "required": ["id", "title", "text", "html", "url"], "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "section": { "type": ["string", "null"] }, "text": { "type": "string" }, "html": { "type": "string" }, "url": { "type": "string" } } } ] },
                "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                "escalate": { "type": "boolean", "description": "True when the answer is too uncertain: hand the customer to a human" },
                "contact": contact } },
            "ContactChannel": { "type": "object", "required": ["kind", "label"], "properties": { "kind": { "type": "string" }, "label": { "type": "string" }, "value": { "type": "string" }, "hours": { "type": "string" }, "url": { "type": ["string", "null"] } } },
            "Feedback": { "type": "object", "required": ["id", "helpful"], "properties": { "id": { "type": "string" }, "helpful": { "type": "boolean" }, "query": { "type": "string" }, "comment": { "type": "string", "maxLength": 500 }, "search_id": { "type": "string", "description": "the search the article was opened from (search_id of /api/search)" }, "session": { "type": "string", "description": "a random per-tab id made up by the client" } } }
        } }
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
