//! placeholder
pub mod catalogue;
pub mod date;
pub mod json;
pub mod model;
pub mod oracle;
pub mod request;
pub mod row;
pub mod spec;
mod client;
pub use client::{encode_body, encode_date, encode_value, Client, ClientBuilder, ClientDate, ClientError, KeyPlacement, Outcome};
