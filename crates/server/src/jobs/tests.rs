//! The monitoring jobs against a real SQLite store, a `ManualClock` and a webhook receiver on
//! 127.0.0.1:0: each tick is a direct `run_once(now)` call, never a sleep.

mod fixture;
mod inactivity;
mod notifications;
mod receiver;
