//! Helpers shared by the CLI tests: run the binary, read its output, scratch folders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swd-native"))
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swd-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn init_tiny(dir: &Path) -> PathBuf {
    let model = dir.join("model");
    let out = run(&["init", "--preset", "tiny", "--out", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    model
}

/// An error: non-zero exit, the expected words, exactly one line, no panic.
pub fn assert_clean_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "expected failure, got success: {}", stdout(out));
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("panicked") && !err.contains("internal error"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line expected: {err}");
}

/// A bad argument caught by the parser: clap's message naming it and pointing at --help, exit
/// status 2.
pub fn assert_usage_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "expected a usage error: {err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(err.starts_with("error: ") && err.contains("--help"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("internal error"), "{err}");
}

pub fn image_dims(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    let be = |o: usize| u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
    (be(16), be(20))
}
