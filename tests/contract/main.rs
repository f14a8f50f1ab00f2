mod client;
mod properties;
mod reference;
mod snapshots;
