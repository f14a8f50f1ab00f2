//! placeholder
pub mod catalogue;
pub mod checks;
mod client;
pub mod date;
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
