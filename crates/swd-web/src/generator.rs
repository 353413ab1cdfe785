//! The `Generator` class JavaScript sees.

use std::cell::Cell;
use std::rc::Rc;

use burn::tensor::{Device, Tensor};
use js_sys::{Array, Function, Object, Promise};
use swd_core::noise::BatchNoise;
use swd_core::{ModelFiles, Sampler, TextToImage, pixels};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::js::{self, error};
use crate::prompts::PromptCache;
use crate::{backend, options, panic};

const LOAD_KEYS: &[&str] = &["config", "tokenizer", "weights", "backend", "onProgress", "warmup"];
const GENERATE_KEYS: &[&str] = &["seed", "schedule", "cfg", "onStep"];

struct Inner {
    t2i: TextToImage,
    device: Device,
    backend: &'static str,
    reason: String,
    running: Cell<bool>,
    cancelled: Cell<bool>,
    prompts: PromptCache,
}

/// A loaded model on one device. Create with `await Generator.load({...})`.
#[wasm_bindgen]
pub struct Generator {
    inner: Rc<Inner>,
}

fn alive() -> Result<(), JsError> {
    match panic::crashed() {
        Some(msg) => Err(error(format!("the generator crashed earlier ({msg}); reload the page to start a new one"))),
        None => Ok(()),
    }
}

/// One image `[1, 3, S, S]` read back asynchronously → (side, RGBA bytes).
async fn read_rgba(x: Tensor<4>) -> Result<(usize, Vec<u8>), JsError> {
    let [_, _, h, w] = x.dims();
    let data = x.into_data_async().await.map_err(|e| error(format!("reading the image back failed: {e:?}")))?;
    let values = data.convert::<f32>().try_into_vec::<f32>().map_err(|e| error(format!("image data: {e:?}")))?;
    Ok((w.max(h), pixels::rgba(&values[..3 * h * w], h, w)))
}

/// Clears the busy flag however a generation ends.
struct Running(Rc<Inner>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.set(false);
    }
}

#[wasm_bindgen]
impl Generator {
    /// `Generator.load({ config, tokenizer, weights, backend = "auto", onProgress, warmup = true })`:
    /// `config` and `tokenizer` as JSON text or bytes, `weights` the safetensors bytes (f16 or
    /// f32). Opens the device, loads the weights and runs the model's schedule once untimed
    /// (shader compilation) unless `warmup` is false.
    pub async fn load(options: JsValue) -> Result<Generator, JsError> {
        alive()?;
        let obj = js::object(&options, "load options")?
            .ok_or_else(|| error("Generator.load needs an options object { config, tokenizer, weights }"))?;
        options::known_keys("load", js::keys(&obj).iter().map(String::as_str), LOAD_KEYS).map_err(error)?;
        let choice =
            options::backend(&js::optional_string(&obj, "backend", "load options")?.unwrap_or_else(|| "auto".into())).map_err(error)?;
        let on_progress = js::optional_function(&obj, "onProgress", "load options")?;
        let warmup = match js::get(&obj, "warmup") {
            v if v.is_undefined() => true,
            v => v.as_bool().ok_or_else(|| error(format!("load options.warmup must be a boolean, got {}", js::type_name(&v))))?,
        };
        let files = ModelFiles {
            config: js::bytes(&obj, "config", "load options")?,
            tokenizer: js::bytes(&obj, "tokenizer", "load options")?,
            weights: js::bytes(&obj, "weights", "load options")?,
        };
        let progress = |stage: &str, extra: &[(&str, JsValue)]| -> Result<(), JsError> {
            if let Some(f) = &on_progress {
                let mut pairs = vec![("stage", JsValue::from_str(stage))];
                pairs.extend(extra.iter().cloned());
                js::call(f, &js::record(&pairs).into(), "onProgress")?;
            }
            Ok(())
        };

        progress("device", &[])?;
        let opened = backend::open(choice).await.map_err(error)?;
        progress("weights", &[("backend", opened.name.into())])?;
        let t2i = TextToImage::from_files(&files, &opened.device).map_err(|e| error(format!("cannot load the model: {e}")))?;
        let inner = Rc::new(Inner {
            t2i,
            device: opened.device,
            backend: opened.name,
            reason: opened.reason,
            running: Cell::new(false),
            cancelled: Cell::new(false),
            prompts: PromptCache::default(),
        });
        if warmup {
            progress("warmup", &[])?;
            let start = js::now_ms();
            let schedule = inner.t2i.schedule(None).map_err(|e| error(e.to_string()))?;
            let empty = inner.prompts.encode(&inner.t2i, "", &inner.device).map_err(|e| error(e.to_string()))?;
            let image = Sampler::new(&inner.t2i.model, schedule, &empty, BatchNoise::new(0, 1), &inner.device).run(|_| {});
            read_rgba(image).await?;
            progress("ready", &[("warmupMs", (js::now_ms() - start).into())])?;
        } else {
            progress("ready", &[])?;
        }
        Ok(Generator { inner })
    }

    /// "webgpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend.to_string()
    }

    /// Why this backend was chosen (the adapter, or why WebGPU was not used).
    #[wasm_bindgen(getter, js_name = backendReason)]
    pub fn backend_reason(&self) -> String {
        self.inner.reason.clone()
    }

    /// The model's config.json as an object (resolution, default schedule, …).
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.inner.t2i.config).map_err(|e| error(e.to_string()))
    }

    /// The schedules to offer for this model: swd-core's presets, then the model's default when
    /// it is not one of them; each `{ name, scales, about, default }`. (Any other form that
    /// `generate` accepts, `euler:N` or `swd:…`, works too.)
    #[wasm_bindgen(getter)]
    pub fn schedules(&self) -> Result<JsValue, JsError> {
        let default = self.inner.t2i.schedule(None).map_err(|e| error(e.to_string()))?;
        let entry = |name: String, scales: &[usize], about: &str| {
            let scales: Array = scales.iter().map(|&s| JsValue::from(s)).collect();
            js::record(&[
                ("default", (name == default.name()).into()),
                ("name", name.into()),
                ("scales", scales.into()),
                ("about", about.into()),
            ])
        };
        let list: Array = swd_core::PRESETS.iter().map(|p| entry(p.name.to_string(), p.scales, p.about)).collect();
        if !swd_core::PRESETS.iter().any(|p| p.name == default.name()) {
            list.push(&entry(default.name(), &default.scales, "the model's default"));
        }
        Ok(list.into())
    }

    /// True while a generation runs.
    #[wasm_bindgen(getter)]
    pub fn busy(&self) -> bool {
        self.inner.running.get()
    }

    /// Stops the running generation after its current step; its promise rejects with
    /// "generation cancelled". The generator stays usable.
    pub fn cancel(&self) {
        if self.inner.running.get() {
            self.inner.cancelled.set(true);
        }
    }

    /// `generate(prompt, { seed = 0, schedule = model's, cfg, onStep })` → Promise of
    /// `{ width, height, data: Uint8ClampedArray (RGBA), timings: [{ step, scale, ms }], textMs,
    /// totalMs, backend, schedule, seed }`. `onStep` receives each step's preview
    /// `{ step, steps, scale, ms, width, height, data }` as soon as it is read back; without it
    /// only the last step is read back, so on WebGPU an earlier step's `ms` is the time to issue
    /// its work (the CPU backend computes eagerly: there the two are the same).
    pub fn generate(&self, prompt: JsValue, options: JsValue) -> Promise {
        // Checked and claimed here, synchronously: the work itself starts on a later microtask.
        if self.inner.running.get() {
            return Promise::reject(&error("a generation is already running; wait for it or call cancel()").into());
        }
        self.inner.running.set(true);
        self.inner.cancelled.set(false);
        let running = Running(self.inner.clone());
        let inner = self.inner.clone();
        future_to_promise(async move {
            let _running = running;
            run(inner, prompt, options).await.map(JsValue::from).map_err(JsValue::from)
        })
    }
}

async fn run(inner: Rc<Inner>, prompt: JsValue, options: JsValue) -> Result<Object, JsError> {
    alive()?;
    let prompt = prompt.as_string().ok_or_else(|| error(format!("prompt must be a string, got {}", js::type_name(&prompt))))?;
    options::prompt(&prompt).map_err(error)?;
    let obj = js::object(&options, "generate options")?.unwrap_or_default();
    options::known_keys("generate", js::keys(&obj).iter().map(String::as_str), GENERATE_KEYS).map_err(error)?;
    let seed = options::seed(js::optional_number(&obj, "seed", "generate options")?.unwrap_or(0.0)).map_err(error)?;
    let spec =
        js::optional_string(&obj, "schedule", "generate options")?.map(|name| options::schedule(&name)).transpose().map_err(error)?;
    let schedule = inner.t2i.schedule(spec.as_ref()).map_err(|e| error(e.to_string()))?;
    let cfg = match js::optional_number(&obj, "cfg", "generate options")? {
        Some(v) => options::cfg(v).map_err(error)?,
        None => inner.t2i.default_guidance(&schedule),
    };
    let on_step: Option<Function> = js::optional_function(&obj, "onStep", "generate options")?;

    let start = js::now_ms();
    let encode = |p: &str| inner.prompts.encode(&inner.t2i, p, &inner.device).map_err(|e| error(e.to_string()));
    let cond = encode(&prompt)?;
    // Few-step students run unguided (cfg 1): no empty-prompt pass at all.
    let uncond = if cfg != 1.0 { Some(encode("")?) } else { None };
    let text_ms = js::now_ms() - start;
    let mut sampler = Sampler::new(&inner.t2i.model, schedule.clone(), &cond, BatchNoise::new(seed, 1), &inner.device);
    if let Some(uncond) = &uncond {
        sampler = sampler.with_guidance(uncond, cfg);
    }
    let steps = schedule.steps();
    let timings = Array::new();
    let mut last = js::now_ms();
    let mut image = None;
    while let Some(step) = sampler.next_step() {
        // Each read-back waits for the device: intermediate steps only when a preview is wanted.
        let pixels = if on_step.is_some() || step.index + 1 == steps { Some(read_rgba(step.x0).await?) } else { None };
        let now = js::now_ms();
        let ms = now - last;
        last = now;
        timings.push(&js::record(&[("step", step.index.into()), ("scale", step.scale.into()), ("ms", ms.into())]).into());
        if let (Some(f), Some((side, rgba))) = (&on_step, &pixels) {
            let preview = js::image(*side, *side, rgba);
            for (k, v) in [("step", JsValue::from(step.index)), ("steps", steps.into()), ("scale", step.scale.into()), ("ms", ms.into())] {
                let _ = js_sys::Reflect::set(&preview, &k.into(), &v);
            }
            js::call(f, &preview.into(), "onStep")?;
        }
        if inner.cancelled.get() {
            return Err(error("generation cancelled"));
        }
        image = pixels;
    }
    let (side, rgba) = image.ok_or_else(|| error("the schedule has no steps"))?;
    let out = js::image(side, side, &rgba);
    for (k, v) in [
        ("timings", JsValue::from(timings)),
        ("textMs", text_ms.into()),
        ("totalMs", (js::now_ms() - start).into()),
        ("backend", inner.backend.into()),
        ("schedule", schedule.name().into()),
        ("seed", (seed as f64).into()),
    ] {
        let _ = js_sys::Reflect::set(&out, &k.into(), &v);
    }
    Ok(out)
}
