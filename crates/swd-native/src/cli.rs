//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "swd-native", version, about = "Scale-wise distillation of diffusion models: create, inspect and sample models")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Preset {
    Tiny,
    Small,
    Demo,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DeviceArg {
    /// burn's flex backend on the CPU.
    Cpu,
    /// burn's wgpu backend (Vulkan natively; Mesa lavapipe when there is no GPU).
    Wgpu,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a randomly initialised model folder (config.json, tokenizer.json, model.safetensors).
    Init {
        #[arg(long, value_enum, default_value = "tiny")]
        preset: Preset,
        /// Output model folder (created; must not exist unless --force).
        #[arg(long)]
        out: PathBuf,
        /// Text file with one caption per line to build the vocabulary from
        /// (default: a few built-in emoji captions).
        #[arg(long)]
        captions: Option<PathBuf>,
        /// Seed of the random initialisation.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Store weights as f16 (half the size) instead of f32.
        #[arg(long)]
        f16: bool,
        /// Replace an existing folder's files.
        #[arg(long)]
        force: bool,
    },
    /// Generate images from a prompt (or a file of prompts) and write them as one PNG grid.
    Generate {
        /// Model folder (default: the shipped model in models/default).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, required_unless_present = "prompts", conflicts_with = "prompts")]
        prompt: Option<String>,
        /// Text file with one prompt per line: one grid cell per prompt (times --count).
        #[arg(long)]
        prompts: Option<PathBuf>,
        /// swd4, swd6, full4, euler:N[@SIZE] or swd:SCALES@SIGMAS (default: the model's own).
        #[arg(long)]
        schedule: Option<String>,
        /// Classifier-free guidance scale (default: the model's for euler schedules, 1 = off
        /// for few-step schedules, whose students absorbed the guidance).
        #[arg(long)]
        cfg: Option<f32>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Images per prompt; image i of the grid uses seed + i.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// How x0 is upsampled between scales: bicubic, bilinear or nearest.
        #[arg(long, default_value = "bicubic")]
        upsample: String,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// Run the schedule once untimed first (shader compilation, allocations), so the printed
        /// step times are steady-state.
        #[arg(long)]
        warmup: bool,
        /// Output PNG file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Build the emoji dataset (images, captions, split, tokenizer).
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Train a rectified-flow teacher on a built dataset.
    TrainTeacher {
        /// TOML config (configs/teacher-tiny.toml, -small, -demo).
        #[arg(long)]
        config: PathBuf,
        /// Dataset folder from `data build`.
        #[arg(long)]
        data: PathBuf,
        /// Run folder: config.toml, log.jsonl, samples/, checkpoint/, model/.
        #[arg(long)]
        out: PathBuf,
        /// Continue the run in --out from its last checkpoint.
        #[arg(long)]
        resume: bool,
        /// Start a new run from an existing model folder's weights (same tokenizer as --data).
        #[arg(long, conflicts_with = "resume")]
        init: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// Override the config's step count (e.g. to extend a run).
        #[arg(long)]
        steps: Option<usize>,
    },
    /// Distil a teacher into a few-step student: SwD (swd4, swd6) or the full-resolution DMD2
    /// baseline (full4), same loop and losses.
    Distill {
        /// Teacher model folder (e.g. models/default).
        #[arg(long)]
        teacher: PathBuf,
        /// Dataset folder from `data build` (real images for the inputs and the critic).
        #[arg(long)]
        data: PathBuf,
        /// TOML config (configs/distill-tiny.toml, -demo).
        #[arg(long)]
        config: PathBuf,
        /// Student schedule: swd4, swd6, full4 or swd:SCALES@SIGMAS (default: the config's).
        #[arg(long)]
        schedule: Option<String>,
        /// Run folder: config.toml, log.jsonl, samples/, checkpoint/, model/.
        #[arg(long)]
        out: PathBuf,
        /// Continue the run in --out from its last checkpoint.
        #[arg(long)]
        resume: bool,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// Override the config's step count (e.g. to extend a run).
        #[arg(long)]
        steps: Option<usize>,
    },
    /// Train the evaluation network (emoji classifier whose features FID and precision/recall
    /// use) on a dataset's training split; reports held-out accuracy; writes OUT/evalnet.
    TrainEvalnet {
        /// Dataset folder from `data build`.
        #[arg(long)]
        data: PathBuf,
        /// Run folder: train_config.json, log.jsonl, checkpoint/, evalnet/.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2000)]
        steps: usize,
        #[arg(long, default_value_t = 64)]
        batch: usize,
        /// Peak learning rate (AdamW, warm-up then cosine).
        #[arg(long, default_value_t = 2e-3)]
        lr: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Continue the run in --out from its last checkpoint.
        #[arg(long)]
        resume: bool,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
    },
    /// Measure a model under one schedule: FID and precision/recall on the evaluation network's
    /// features against the real images of the same prompts, prompt accuracy and per-prompt
    /// diversity, each with a 95% bootstrap interval.
    Eval {
        /// Model folder (default: models/default).
        #[arg(long)]
        model: Option<PathBuf>,
        /// swd4, swd6, full4, euler:N, … (default: the model's own).
        #[arg(long)]
        schedule: Option<String>,
        /// Guidance scale (default: the model's for euler schedules, 1 for few-step ones).
        #[arg(long)]
        cfg: Option<f32>,
        /// Dataset folder from `data build` (real images; their statistics are cached there).
        #[arg(long)]
        data: PathBuf,
        /// Evaluation network folder.
        #[arg(long, default_value = "models/evalnet")]
        evalnet: PathBuf,
        /// Images generated and compared (held-out prompts first, then training prompts).
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// Image i uses noise seed seed + i.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 16)]
        batch: usize,
        /// Neighbours of precision/recall's k-NN balls (smaller k: tighter manifolds, less
        /// saturation).
        #[arg(long, default_value_t = 3)]
        k: usize,
        /// Bootstrap resamples of the 95% intervals (over prompts; 0: no intervals).
        #[arg(long, default_value_t = 200)]
        bootstrap: usize,
        /// Write the report as JSON (read by `report`).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the first 16 evaluation images as a PNG grid (same prompts and seeds every run;
        /// default: beside --json, named like it).
        #[arg(long)]
        samples: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
    },
    /// Copy a model folder with its weights stored as f16 (for shipping), int8 (per-channel,
    /// dequantised on load) or f32.
    Export {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// f16, int8 or f32 (swd format only).
        #[arg(long, default_value = "f16")]
        dtype: String,
        /// swd (a model folder) or safetensors-pytorch (one .safetensors file in PyTorch's
        /// layout, for tools/reference).
        #[arg(long, default_value = "swd")]
        format: String,
    },
    /// Build a model folder from PyTorch weights (.pt/.pth state dict or .safetensors) with the
    /// reference's parameter names; never executes pickled code.
    Import {
        /// PyTorch weights.
        #[arg(long)]
        from: PathBuf,
        /// The model's config.json.
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        tokenizer: PathBuf,
        /// Output model folder.
        #[arg(long)]
        out: PathBuf,
        /// Keep tensors the file lacks (or whose shape differs) at random init instead of failing.
        #[arg(long)]
        allow_partial: bool,
        /// f32, f16 or int8 weights in the model folder.
        #[arg(long, default_value = "f32")]
        dtype: String,
    },
    /// Time generation per schedule after warm-up (batch-1 latency, batch-N throughput) next to
    /// the teacher's euler:32 with guidance; one table, optionally JSON.
    Bench {
        /// Model folder to time (default: models/default).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Teacher folder for the euler:32 + CFG row (default: --model itself).
        #[arg(long)]
        teacher: Option<PathBuf>,
        /// Leave out the teacher row (it costs 16× a student image; e.g. on slow devices).
        #[arg(long, conflicts_with = "teacher")]
        skip_teacher: bool,
        /// Comma-separated schedules to time with --model.
        #[arg(long, default_value = "full4,swd4,swd6")]
        schedules: String,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// Batch-1 timings per schedule (the median is reported).
        #[arg(long, default_value_t = 10)]
        repeats: usize,
        /// Batch size of the throughput column.
        #[arg(long, default_value_t = 16)]
        batch: usize,
        /// Also write the table as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also time training steps: one SwD (swd4) distillation step vs one full-resolution
        /// DMD2 (full4) step at --batch, and one full-resolution teacher step (runs the real
        /// loops for a few steps in a scratch folder; needs --data).
        #[arg(long)]
        train: bool,
        /// Dataset folder for --train.
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value = "configs/distill-demo.toml")]
        distill_config: PathBuf,
        #[arg(long, default_value = "configs/teacher-demo.toml")]
        teacher_config: PathBuf,
        /// Timed schedule cycles of each distillation run (4 steps a cycle).
        #[arg(long, default_value_t = 1)]
        cycles: usize,
    },
    /// Assemble `eval --json` and `bench --json` reports into one markdown table (model, steps,
    /// ms/image, speed-ups, FID, precision, recall, prompt top-1), a quality-vs-latency plot
    /// (OUT_plot.png) and a side-by-side grid of the runs' samples (OUT_samples.png; an eval
    /// report X.json's samples are X.png beside it).
    Report {
        /// Run folders (every *.json inside) or report files.
        #[arg(long, num_args = 1.., required = true)]
        runs: Vec<PathBuf>,
        #[arg(long, default_value = "report.md")]
        out: PathBuf,
    },
    /// Print a model folder's config, parameter count and size.
    Info {
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Fetch the sources (npm pack, cached) and write DIR/images.safetensors, captions.jsonl,
    /// manifest.json and tokenizer.json.
    Build {
        #[arg(long)]
        out: PathBuf,
        /// Image side (must divide 256).
        #[arg(long, default_value_t = 64)]
        size: usize,
        /// Comma-separated styles: 3d (Fluent Emoji 3D) and/or flat (Twemoji).
        #[arg(long, default_value = "3d,flat")]
        styles: String,
        /// Folder for the npm tarballs (or unpacked packages).
        #[arg(long, default_value = "data/cache")]
        cache: PathBuf,
        /// At most N images per style.
        #[arg(long)]
        limit: Option<usize>,
        /// Do not write the 128x128 copy.
        #[arg(long)]
        no_128: bool,
    },
}
