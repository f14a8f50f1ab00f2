mod cli;
mod client;
mod mutants;
mod properties;
mod reference;
mod snapshots;
