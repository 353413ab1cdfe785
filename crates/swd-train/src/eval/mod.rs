//! Measuring generators: distribution metrics on evaluation-network features and the `eval`
//! pipeline that produces them.

pub mod bootstrap;
pub mod linalg;
pub mod metrics;
mod run;

pub use run::{EvalOptions, EvalReport, eval_records, evaluate};
