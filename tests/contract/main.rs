mod client;
mod reference;
