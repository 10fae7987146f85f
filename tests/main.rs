//! Every integration test, as modules of one test binary: each binary links polars, arrow and
//! parquet whole, so fourteen of them cost fourteen links and, with debug info, 1.2 GB of disk
//! each. Run one file's tests with `cargo test --test integration <module>::`.

mod common;

mod architecture;
mod cli;
mod compare;
mod cron;
mod dictionary;
mod inbox;
mod ingest_fixtures;
mod ingest_v2;
mod method_note;
mod pipeline;
mod publish;
mod report;
mod sample_pipelines;
mod value_parsing;
