//! Module weights ⇄ safetensors bytes, keyed by the module path (`unet.down.0.res.0.conv1.weight`).
//! Stored as f32, f16 (shipping) or per-channel int8 (see [`crate::quant`]: the int8 tensor
//! under the parameter's name, its f32 scales under `NAME:scale`, small and 1-D ones as f16);
//! loaded as f32 from any of them. Loading checks every tensor and reports what is missing,
//! mis-shaped or left over instead of panicking.

use std::collections::{BTreeMap, HashMap, HashSet};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};
use half::f16;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::quant;
use crate::{Error, Result};

/// Suffix of the tensor holding an int8 tensor's per-channel scales.
const SCALE_SUFFIX: &str = ":scale";
/// Smaller tensors stay f16 in the int8 format: they weigh little, and they include the input
/// and output convolutions, whose errors reach the image unfiltered.
const INT8_MIN_VALUES: usize = 4096;

/// On-disk precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum StoreDtype {
    #[default]
    F32,
    F16,
    /// Per-channel symmetric int8 for tensors of two or more axes and at least 4,096 values,
    /// f16 for the rest.
    Int8,
}

/// Tracks the dotted path of the parameter being visited.
#[derive(Default)]
struct PathStack(Vec<String>);

impl PathStack {
    fn enter(&mut self, name: &str) {
        self.0.push(name.to_string());
    }
    fn exit(&mut self) {
        self.0.pop();
    }
    fn path(&self) -> String {
        self.0.join(".")
    }
}

struct Collector {
    path: PathStack,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.exit();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let data = param.val().into_data().convert::<f32>();
        let shape = data.shape().to_vec();
        let values = data.try_into_vec::<f32>().expect("converted to f32");
        self.tensors.push((self.path.path(), shape, values));
    }
}

/// Every float parameter of `module` as `(path, shape, values)` (reads tensors back
/// synchronously: native only).
pub fn collect<M: Module>(module: &M) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut collector = Collector { path: PathStack::default(), tensors: Vec::new() };
    module.visit(&mut collector);
    collector.tensors
}

/// One stored tensor: its name, dtype, shape and little-endian bytes.
type Stored = (String, Dtype, Vec<usize>, Vec<u8>);

fn f16_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|&v| f16::from_f32(v).to_le_bytes()).collect()
}

/// The stored form of one parameter in `dtype` (int8 adds its scales as a second tensor).
fn encode(name: String, shape: Vec<usize>, values: Vec<f32>, dtype: StoreDtype) -> Vec<Stored> {
    match dtype {
        StoreDtype::F32 => vec![(name, Dtype::F32, shape, values.iter().flat_map(|v| v.to_le_bytes()).collect())],
        StoreDtype::F16 => vec![(name, Dtype::F16, shape, f16_bytes(&values))],
        StoreDtype::Int8 if shape.len() < 2 || values.len() < INT8_MIN_VALUES => vec![(name, Dtype::F16, shape, f16_bytes(&values))],
        StoreDtype::Int8 => {
            let (q, scales) = quant::quantize(&values, &shape);
            let scale_name = format!("{name}{SCALE_SUFFIX}");
            let scale_bytes = scales.iter().flat_map(|v| v.to_le_bytes()).collect();
            vec![(name, Dtype::I8, shape, q.iter().map(|v| *v as u8).collect()), (scale_name, Dtype::F32, vec![scales.len()], scale_bytes)]
        }
    }
}

/// Serialises `module` to safetensors bytes with `metadata` in the header.
pub fn to_safetensors<M: Module>(module: &M, dtype: StoreDtype, metadata: HashMap<String, String>) -> Result<Vec<u8>> {
    let stored: Vec<Stored> = collect(module).into_iter().flat_map(|(name, shape, values)| encode(name, shape, values, dtype)).collect();
    let views = stored
        .iter()
        .map(|(name, st_dtype, shape, bytes)| {
            TensorView::new(*st_dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|e| Error::Weights(format!("tensor '{name}': {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Weights(e.to_string()))
}

fn f32s(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Decodes one safetensors tensor to f32; an int8 tensor takes its scales from `file`.
fn to_f32(name: &str, view: &TensorView<'_>, file: &BTreeMap<String, TensorView<'_>>) -> Result<Vec<f32>> {
    let data = view.data();
    match view.dtype() {
        Dtype::F32 => Ok(f32s(data)),
        Dtype::F16 => Ok(data.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()).collect()),
        Dtype::BF16 => Ok(data.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect()),
        Dtype::I8 if view.shape().len() >= 2 => {
            let scale_name = format!("{name}{SCALE_SUFFIX}");
            let scales =
                file.get(&scale_name).ok_or_else(|| Error::Weights(format!("int8 tensor '{name}' has no scales ('{scale_name}')")))?;
            let channels = view.shape()[quant::channel_axis(view.shape())];
            if scales.dtype() != Dtype::F32 || scales.shape() != [channels] {
                return Err(Error::Weights(format!(
                    "'{scale_name}' must be F32 of shape [{channels}], got {:?} {:?}",
                    scales.dtype(),
                    scales.shape()
                )));
            }
            let q: Vec<i8> = data.iter().map(|b| *b as i8).collect();
            Ok(quant::dequantize(&q, &f32s(scales.data()), view.shape()))
        }
        other => Err(Error::Weights(format!(
            "tensor '{name}' has unsupported dtype {other:?} (expected F32, F16, BF16, or I8 with two or more axes)"
        ))),
    }
}

struct Loader<'a> {
    path: PathStack,
    file: BTreeMap<String, TensorView<'a>>,
    used: HashSet<String>,
    problems: Vec<String>,
}

impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.path();
        let Some(view) = self.file.get(&name) else {
            self.problems.push(format!("missing tensor '{name}'"));
            return param;
        };
        self.used.insert(name.clone());
        let expected = param.lazy_shape().to_vec();
        if view.shape() != expected.as_slice() {
            self.problems.push(format!("tensor '{name}' has shape {:?}, the model expects {expected:?}", view.shape()));
            return param;
        }
        match to_f32(&name, view, &self.file) {
            Ok(values) => {
                if view.dtype() == Dtype::I8 {
                    self.used.insert(format!("{name}{SCALE_SUFFIX}"));
                }
                let device = param.lazy_device();
                let tensor = Tensor::from_data(TensorData::new(values, expected), &device);
                let id = param.id;
                param.transform_for_load(tensor, id)
            }
            Err(e) => {
                self.problems.push(e.to_string());
                param
            }
        }
    }
}

/// Parses safetensors bytes (errors name truncation or a bad header).
pub fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    SafeTensors::deserialize(bytes).map_err(|e| Error::Weights(format!("not a valid safetensors file: {e}")))
}

/// Loads every parameter of `module` from safetensors bytes. Fails, naming the tensors, when
/// any is missing, has the wrong shape or dtype, or when the file has tensors the model lacks.
pub fn load<M: Module>(module: M, bytes: &[u8]) -> Result<M> {
    let st = parse(bytes)?;
    let file: BTreeMap<String, TensorView<'_>> = st.tensors().into_iter().collect();
    let mut loader = Loader { path: PathStack::default(), file, used: HashSet::new(), problems: Vec::new() };
    let module = module.map(&mut loader);
    let unused: Vec<&String> = loader.file.keys().filter(|k| !loader.used.contains(*k)).collect();
    let mut problems = summarise(&loader.problems);
    if !unused.is_empty() {
        let names: Vec<String> = unused.iter().map(|n| format!("'{n}'")).collect();
        problems.push(format!("unexpected tensors {}", summarise(&names).join(", ")));
    }
    if problems.is_empty() {
        return Ok(module);
    }
    Err(Error::Weights(problems.join("; ")))
}

/// The first few items, then how many more there are.
fn summarise(items: &[String]) -> Vec<String> {
    const SHOWN: usize = 4;
    let mut out: Vec<String> = items.iter().take(SHOWN).cloned().collect();
    if items.len() > SHOWN {
        out.push(format!("… {} more", items.len() - SHOWN));
    }
    out
}
