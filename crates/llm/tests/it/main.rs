//! soc-llm against wire-level mocks: one `wiremock` server per test speaks the documented
//! Anthropic Messages and OpenAI Chat Completions formats, serving the contract fixtures
//! in `tests/fixtures/` (see the README there). Each test checks the request (path,
//! headers, body) and the call count, then the mapping of the answer or of the error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

mod anthropic;
mod openai;
mod support;
