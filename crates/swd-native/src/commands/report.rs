//! `swd-native report`: the report module over `eval --json` and `bench --json` files.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Run folders (every *.json inside) or report files; an eval report X.json's samples are
    /// X.png beside it.
    #[arg(long, num_args = 1.., required = true)]
    runs: Vec<PathBuf>,
    /// The markdown table; the plot and the sample grid go beside it (OUT_plot.png,
    /// OUT_samples.png).
    #[arg(long, default_value = "report.md")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    crate::report::run(&args.runs, &args.out)
}
