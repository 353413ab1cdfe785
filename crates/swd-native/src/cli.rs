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
    /// Copy a model folder with its weights stored as f16 (for shipping) or f32.
    Export {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// f16 or f32.
        #[arg(long, default_value = "f16")]
        dtype: String,
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
