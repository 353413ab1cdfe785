//! The three npm packages the data comes from, fetched with `npm pack` into a cache folder and
//! read straight from their tarballs (or from an unpacked `package/` folder, as test fixtures).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// An npm package at a pinned version.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    pub name: &'static str,
    pub version: &'static str,
    pub licence: &'static str,
    pub attribution: &'static str,
}

pub const FLUENT_3D: Package = Package {
    name: "@lobehub/fluent-emoji-3d",
    version: "1.1.0",
    licence: "MIT",
    attribution: "Fluent Emoji 3D by Microsoft (MIT), packaged by LobeHub",
};
pub const TWEMOJI: Package = Package {
    name: "@twemoji/svg",
    version: "15.0.0",
    licence: "CC-BY 4.0",
    attribution: "Twemoji graphics by Twitter, Inc. and other contributors, CC-BY 4.0",
};
pub const DATASOURCE: Package = Package {
    name: "emoji-datasource",
    version: "16.0.0",
    licence: "MIT",
    attribution: "emoji-datasource by Cal Henderson / iamcal (MIT): names, categories, skin tones",
};

impl Package {
    /// `npm pack`'s file name: `@scope/name@v` → `scope-name-v.tgz`.
    pub fn tarball(&self) -> String {
        format!("{}-{}.tgz", self.name.trim_start_matches('@').replace('/', "-"), self.version)
    }

    /// Folder name for an unpacked copy.
    pub fn folder(&self) -> String {
        self.name.trim_start_matches('@').replace('/', "-")
    }
}

/// The files of one package whose name ends in one of the wanted extensions, keyed by their
/// path inside the package (without the leading `package/`).
pub type PackageFiles = BTreeMap<String, Vec<u8>>;

/// Makes sure `package` is in `cache` (running `npm pack` when it is not) and reads its files.
pub fn load(package: &Package, cache: &Path, extensions: &[&str]) -> Result<PackageFiles> {
    let dir = cache.join(package.folder()).join("package");
    if dir.is_dir() {
        return read_dir(&dir, extensions);
    }
    let tarball = cache.join(package.tarball());
    if !tarball.is_file() {
        fetch(package, cache)?;
    }
    read_tarball(&tarball, extensions).with_context(|| format!("cannot read {}", tarball.display()))
}

fn fetch(package: &Package, cache: &Path) -> Result<()> {
    std::fs::create_dir_all(cache).with_context(|| format!("cannot create cache folder {}", cache.display()))?;
    let spec = format!("{}@{}", package.name, package.version);
    eprintln!("fetching {spec} with npm pack into {}", cache.display());
    let out = Command::new("npm")
        .args(["pack", &spec, "--silent"])
        .current_dir(cache)
        .output()
        .with_context(|| format!("cannot run npm to fetch {spec}: is Node.js/npm installed?"))?;
    if !out.status.success() || !cache.join(package.tarball()).is_file() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("npm pack {spec} failed (is the npm registry reachable?): {}", err.lines().last().unwrap_or("").trim());
    }
    Ok(())
}

fn wanted(path: &str, extensions: &[&str]) -> bool {
    extensions.iter().any(|e| path.ends_with(e))
}

fn read_tarball(path: &Path, extensions: &[&str]) -> Result<PackageFiles> {
    let file = std::fs::File::open(path)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = PackageFiles::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some(rel) = name.strip_prefix("package/") else { continue };
        if wanted(rel, extensions) {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            files.insert(rel.to_string(), bytes);
        }
    }
    Ok(files)
}

fn read_dir(dir: &Path, extensions: &[&str]) -> Result<PackageFiles> {
    let mut files = PackageFiles::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
            if wanted(&rel, extensions) {
                files.insert(rel, std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}
