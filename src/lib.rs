//! Contract tests, a reference server and fuzzers for Sleuth's Custom Metric Impact
//! registration endpoint, `POST /api/1/impact/{IMPACT_ID}/register_impact`.
//!
//! The contract is `shared/CONTRACT.md`, a reading of the vendor's page. The crate is
//! built around one idea: an **oracle** says, for any request, which answers the
//! contract allows (often a set: the page gives no precedence between faults and
//! leaves edge cases open), and everything else is checked against it.
//!
//! - [`model`] and [`catalogue`]: the input model (a [`model::Spec`] renders to the exact
//!   bytes of a [`request::Request`]) and 225 named cases, one or more per CONTRACT.md
//!   row ([`row::Row`]), each declaring by hand which statuses the contract allows.
//! - [`strategy`]: proptest strategies (`valid_case()`, `invalid_case()`, `any_case()`,
//!   per-field strategies that ask for NaN, infinities, `-0.0`, subnormals on purpose).
//! - [`oracle`]: `Oracle::expect(&request, window) -> Expectation`, pure and total.
//! - [`reference`]: a conformant server whose core is a pure function of (request,
//!   state, now), with an injectable [`reference::Clock`], configurable choices where
//!   the contract is silent, and 39 deliberate [`reference::Fault`]s for mutation tests.
//! - [`Client`]: the reference client, the correct way to call the endpoint.
//! - [`transport`], [`checks`], [`runner`], [`report`]: `probe`, which plans the
//!   catalogue against any target within a registration budget and reports text,
//!   JSON or JUnit.
//! - [`verify`]: client verification against the reference server's journal.
//! - [`fuzzing`]: the invariants behind the cargo-fuzz targets in `fuzz/`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sleuth_contract::oracle::{Oracle, Window};
//! use sleuth_contract::{catalogue::catalogue, model::Facts, Client, Outcome, ReferenceServer};
//!
//! let facts = Facts::example();
//! let oracle = Oracle::new(facts.impact_ids.clone(), [facts.api_key.clone()]);
//! for case in catalogue(&facts) {
//!     println!("{} -> {}", case.id, oracle.expect(&case.request, Window::Closed).summary());
//! }
//!
//! let server = ReferenceServer::builder().impact_id(42).api_key("k").start().await?;
//! let client = Client::builder(server.url(), "k", 42).build()?;
//! assert_eq!(client.register(1.5, None).await?, Outcome::Registered);
//! # Ok(()) }
//! ```
pub mod catalogue;
pub mod checks;
mod client;
pub mod date;
pub mod fuzzing;
pub mod json;
pub mod model;
pub mod oracle;
pub mod reference;
pub mod report;
pub mod request;
pub mod row;
pub mod runner;
pub mod spec;
pub mod strategy;
pub mod transport;
pub mod verify;
pub use client::{
    check_date, encode_body, encode_date, encode_value, Client, ClientBuilder, ClientDate, ClientError, KeyPlacement, Outcome,
};
pub use reference::ReferenceServer;
