mod cli;
mod client;
mod generative;
mod mutants;
mod properties;
mod reference;
mod snapshots;
mod verify;
