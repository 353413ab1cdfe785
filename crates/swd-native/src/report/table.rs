//! The report's markdown: quality × speed per evaluated (model, schedule), then the speed
//! table of every bench run.

use super::runs::{model_label, Runs};

fn num(x: Option<f64>, digits: usize) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "—".to_string(), |v| format!("{v:.digits$}"))
}

fn ratio(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "—".to_string(), |v| format!("{v:.2}×"))
}

pub fn markdown(runs: &Runs, plot: Option<&str>, grid: Option<&str>) -> String {
    let mut md = String::from("# swd report\n\n");
    if !runs.evals.is_empty() {
        let speed = runs.benches.first();
        md += &format!(
            "## Quality and speed\n\nLatency from {} (batch 1, median); \"—\" where no bench run timed the schedule. FID, precision and recall (k = 3) on the evaluation network's features against the real images of the same prompts; prompt top-1 is the evaluation network's accuracy on the prompted emoji.\n\n",
            speed.map_or("no bench run".to_string(), |b| format!("`{}`", b.device))
        );
        md += "| model | schedule | steps | NFE | ms/image | vs full4 | vs teacher | FID ↓ | precision ↑ | recall ↑ | prompt top-1 ↑ | diversity | n |\n";
        md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        for e in &runs.evals {
            let row = speed.and_then(|b| b.row(&e.schedule));
            md += &format!(
                "| {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.3} | {:.3} | {:.1}% | {} | {} |\n",
                model_label(&e.model), e.schedule, e.steps, e.nfe,
                num(row.map(|r| r.ms_per_image), 1), ratio(row.and_then(|r| r.speedup_vs_full4)), ratio(row.and_then(|r| r.speedup_vs_teacher)),
                e.fid, e.precision, e.recall, 100.0 * e.prompt.top1, num(e.diversity, 3), e.n
            );
        }
        md += "\n";
    }
    for b in &runs.benches {
        md += &format!("## Speed on `{}`\n\nModel `{}`; batch-1 latency (median) and batch-{} throughput, one run on one device.\n\n", b.device, b.model, b.batch);
        md += &format!("| schedule | steps | NFE | ms/image | images/s (batch {}) | vs full4 | vs teacher |\n|---|---|---|---|---|---|---|\n", b.batch);
        for r in &b.rows {
            md += &format!("| {} | {} | {} | {:.1} | {:.2} | {} | {} |\n", r.schedule, r.steps, r.nfe, r.ms_per_image, r.images_per_s, ratio(r.speedup_vs_full4), ratio(r.speedup_vs_teacher));
        }
        md += "\n";
    }
    if let Some(p) = plot {
        md += &format!("## Quality vs latency\n\n![FID vs ms/image]({p})\n\n");
    }
    if let Some(g) = grid {
        md += &format!("## Samples (same prompts and seeds in every column)\n\n![samples]({g})\n");
    }
    md
}
