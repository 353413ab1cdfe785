//! `swd-native data build`.

use anyhow::Result;
use swd_train::data::build::{build, BuildOptions, Style};

use crate::cli::DataCommand;

pub fn run(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Build { out, size, styles, cache, limit, no_128 } => {
            let opts = BuildOptions { out: out.clone(), cache, size, styles: Style::parse_list(&styles)?, limit, keep_128: !no_128 };
            let report = build(&opts)?;
            for (style, c) in &report.styles {
                println!(
                    "{style:>4}: {} files, {} matched emoji.json, {} unmatched, {} failed to render, {} images",
                    c.files, c.matched, c.unmatched, c.failed, c.images
                );
            }
            println!(
                "wrote {} images at {}² to {} ({} train, {} held out)",
                report.images,
                report.size,
                out.display(),
                report.train,
                report.heldout
            );
            Ok(())
        }
    }
}
