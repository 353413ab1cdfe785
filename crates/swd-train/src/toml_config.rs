//! Run configs as TOML files (`configs/*.toml`): read, overridden key by key (`--set
//! key=value`), validated, and saved into every run folder as the resolved config.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A run config: one TOML table of plain keys (`steps` among them), checked by `validate`.
pub trait RunConfig: Serialize + DeserializeOwned + PartialEq + Clone {
    /// Checks the values serde cannot; the message names the key.
    fn validate(&self) -> Result<()>;
}

/// One `--set KEY=VALUE`: the value is TOML (`8`, `1e-4`, `true`, `[16, 32]`, `"swd6"`), or else
/// taken as a string, so `--set schedule=swd6` needs no quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub key: String,
    pub value: toml::Value,
}

impl Override {
    /// `steps = n`.
    pub fn steps(n: usize) -> Self {
        Self { key: "steps".into(), value: toml::Value::Integer(n as i64) }
    }
}

impl std::str::FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (key, value) = s.split_once('=').ok_or_else(|| format!("expected KEY=VALUE, got '{s}'"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("expected KEY=VALUE, got '{s}'"));
        }
        let value = value.trim();
        let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_string()));
        Ok(Self { key: key.to_string(), value })
    }
}

/// Reads `path`, applies `overrides` in order and validates the result. Errors name the file,
/// or the overridden key (unknown keys list the known ones).
pub fn load<T: RunConfig>(path: &Path, overrides: &[Override]) -> Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
    parse(&text, overrides).with_context(|| format!("invalid config {}", path.display()))
}

/// A config from TOML text, with `overrides` applied in order, validated.
pub fn parse<T: RunConfig>(text: &str, overrides: &[Override]) -> Result<T> {
    let config: T = apply(toml::from_str(text)?, overrides)?;
    config.validate().context("with the --set overrides")?;
    Ok(config)
}

/// `config` with `overrides` applied, each checked against the config's keys and types.
pub fn apply<T: RunConfig>(config: T, overrides: &[Override]) -> Result<T> {
    let mut table = to_table(&config);
    for o in overrides {
        let Some(slot) = table.get_mut(&o.key) else {
            let keys: Vec<&str> = table.keys().map(String::as_str).collect();
            bail!("--set {}: unknown key (the config's keys: {})", o.key, keys.join(", "));
        };
        *slot = o.value.clone();
        toml::Value::Table(table.clone()).try_into::<T>().map_err(|e| anyhow::anyhow!("--set {}={}: {}", o.key, o.value, e.message()))?;
    }
    Ok(toml::Value::Table(table).try_into().expect("every override was checked"))
}

pub fn to_toml<T: Serialize>(config: &T) -> String {
    toml::to_string_pretty(config).expect("config serialises")
}

/// Whether two configs are the same run: equal in every key but `steps` (which `--resume` may
/// change to extend a run).
pub fn same_run<T: Serialize>(a: &T, b: &T) -> bool {
    let without_steps = |c: &T| {
        let mut t = to_table(c);
        t.remove("steps");
        t
    };
    without_steps(a) == without_steps(b)
}

fn to_table<T: Serialize>(config: &T) -> toml::Table {
    toml::Table::try_from(config).expect("a run config is a TOML table")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        steps: usize,
        lr: f64,
        name: String,
        scales: Vec<usize>,
    }

    impl RunConfig for Demo {
        fn validate(&self) -> Result<()> {
            if self.steps == 0 {
                bail!("steps must be > 0");
            }
            Ok(())
        }
    }

    fn demo() -> Demo {
        Demo { steps: 10, lr: 1e-3, name: "swd4".into(), scales: vec![16, 32] }
    }

    fn set(s: &str) -> Override {
        s.parse().unwrap()
    }

    #[test]
    fn overrides_change_only_their_key() {
        let c = apply(demo(), &[set("steps=3"), set("lr=2e-4"), set("name=swd6"), set("scales=[24]")]).unwrap();
        assert_eq!(c, Demo { steps: 3, lr: 2e-4, name: "swd6".into(), scales: vec![24] });
        // A quoted string is a string too, and the last override of a key wins.
        assert_eq!(apply(demo(), &[set("name=\"a b\""), set("name=c")]).unwrap().name, "c");
    }

    #[test]
    fn bad_overrides_name_the_key() {
        let err = apply(demo(), &[set("step=3")]).unwrap_err().to_string();
        assert!(err.contains("--set step: unknown key") && err.contains("lr, name, scales, steps"), "{err}");
        let err = apply(demo(), &[set("steps=many")]).unwrap_err().to_string();
        assert!(err.starts_with("--set steps=\"many\":") && err.contains("invalid type"), "{err}");
        let err = apply(demo(), &[set("lr=[1]")]).unwrap_err().to_string();
        assert!(err.starts_with("--set lr=[1]:"), "{err}");
        assert!("steps".parse::<Override>().unwrap_err().contains("KEY=VALUE"));
        assert!("=3".parse::<Override>().unwrap_err().contains("KEY=VALUE"));
    }

    #[test]
    fn load_validates_after_the_overrides() {
        let path = std::env::temp_dir().join(format!("swd-toml-config-{}.toml", std::process::id()));
        std::fs::write(&path, to_toml(&demo())).unwrap();
        assert_eq!(load::<Demo>(&path, &[set("steps=4")]).unwrap().steps, 4);
        let err = format!("{:#}", load::<Demo>(&path, &[set("steps=0")]).unwrap_err());
        assert!(err.contains("with the --set overrides") && err.contains("steps must be > 0"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn same_run_ignores_only_steps() {
        assert!(same_run(&demo(), &Demo { steps: 99, ..demo() }));
        assert!(!same_run(&demo(), &Demo { lr: 1.0, ..demo() }));
    }
}
