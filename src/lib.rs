//! zlbd: the provincial quality-comparison (质量比对) warehouse.
//!
//! Data flows one way: [`config`] → [`ingest`] → [`normalize`] → [`compare`] → [`warehouse`],
//! wired by [`pipeline`]; [`report`] writes feedback for submitters, [`sample`] synthetic inboxes.

pub mod cli;
pub mod cmd;
pub mod compare;
pub mod config;
pub mod domain;
pub(crate) mod failpoint;
pub(crate) mod frames;
pub mod ingest;
pub mod normalize;
pub mod pipeline;
pub mod report;
pub mod sample;
pub mod timing;
pub mod warehouse;

/// Exit codes of SPEC §9.
pub mod exit {
    /// Published, no error rejects.
    pub const OK: i32 = 0;
    /// Failed; nothing published, the previous snapshot untouched.
    pub const FAILED: i32 = 1;
    /// Bad usage or configuration.
    pub const USAGE: i32 = 2;
    /// Published, with error rejects or rejected files.
    pub const REJECTS: i32 = 3;
    /// Another run holds the warehouse lock.
    pub const LOCKED: i32 = 4;
}
