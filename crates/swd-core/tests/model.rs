//! The model: every allowed size runs, presets' sizes, weight round trips, backend parity and
//! errors on bad model files.

mod common;

use swd_core::burn::tensor::{Device, Distribution, Tensor};
use swd_core::noise::BatchNoise;
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, ModelFiles, Preset, Sampler, ScaleSchedule, TextToImage, TextTokenizer};

const CAPTIONS: [&str; 3] = ["3d emoji: red apple", "flat emoji: thumbs up, dark skin tone", "flat emoji: cat"];

fn tiny(device: &Device, seed: u64) -> TextToImage {
    let tokenizer = TextTokenizer::build(&CAPTIONS).unwrap();
    device.seed(seed);
    TextToImage::init(ModelConfig::tiny(tokenizer.vocab_size()), tokenizer, device).unwrap()
}

fn velocity(t2i: &TextToImage, x: Tensor<4>, device: &Device) -> Tensor<4> {
    let b = x.dims()[0];
    let text = t2i.encode(&vec![CAPTIONS[0]; b], device).unwrap();
    let sigma = Tensor::<1>::full([b], 0.7, device);
    t2i.model.forward(x, sigma, &text).velocity
}

#[test]
fn every_allowed_size_runs_and_exposes_features() {
    let device = common::cpu();
    let t2i = tiny(&device, 0);
    let text = t2i.encode(&["flat emoji: cat", ""], &device).unwrap();
    for size in (16..=128).step_by(8) {
        let x = Tensor::<4>::random([2, 3, size, size], Distribution::Normal(0.0, 1.0), &device);
        let out = t2i.model.forward(x, Tensor::<1>::from_floats([1.0, 0.25], &device), &text);
        assert_eq!(out.velocity.dims(), [2, 3, size, size]);
        assert_eq!(out.features.dims(), [2, 32, size / 4, size / 4]);
        assert!(out.velocity.abs().max().into_scalar::<f32>().is_finite());
    }
}

#[test]
fn preset_parameter_counts() {
    let device = common::cpu();
    let counts: Vec<usize> = [Preset::Tiny, Preset::Small, Preset::Demo]
        .into_iter()
        .map(|p| {
            let tokenizer = TextTokenizer::build(&CAPTIONS).unwrap();
            let config = ModelConfig::preset(p, 2000);
            TextToImage::init(config, tokenizer, &device).unwrap().num_params()
        })
        .collect();
    println!("parameters (vocab 2000): tiny {} small {} demo {}", counts[0], counts[1], counts[2]);
    assert!(counts[0] < 400_000, "tiny {}", counts[0]);
    assert!(counts[1] < 1_500_000, "small {}", counts[1]);
    assert!(counts[2] <= 8_000_000, "demo must stay ≤ 8 M parameters, has {}", counts[2]);
    assert!(counts[0] < counts[1] && counts[1] < counts[2]);
}

#[test]
fn save_load_round_trips() {
    let device = common::cpu();
    let t2i = tiny(&device, 1);
    let x = Tensor::<4>::random([1, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let reference = velocity(&t2i, x.clone(), &device);

    let files = t2i.to_files(StoreDtype::F32).unwrap();
    let loaded = TextToImage::from_files(&files, &device).unwrap();
    assert_eq!(loaded.config, t2i.config);
    assert_eq!(common::max_abs_diff(velocity(&loaded, x.clone(), &device), reference.clone()), 0.0);
    let params = |m: &TextToImage| swd_core::weights::collect(&m.model);
    assert_eq!(params(&loaded), params(&t2i), "f32 round trip must be bit-exact");

    let half = t2i.to_files(StoreDtype::F16).unwrap();
    assert!(half.weights.len() < files.weights.len() * 6 / 10);
    let loaded = TextToImage::from_files(&half, &device).unwrap();
    for ((name, _, a), (_, _, b)) in params(&loaded).iter().zip(params(&t2i).iter()) {
        let err = a.iter().zip(b).map(|(x, y)| (x - y).abs() / y.abs().max(1.0)).fold(0f32, f32::max);
        assert!(err < 1e-3, "{name}: f16 error {err}");
    }
    assert!(common::max_abs_diff(velocity(&loaded, x.clone(), &device), reference.clone()) < 1e-2);

    // int8: matrices and kernels per output channel within half a step, vectors as f16.
    let int8 = t2i.to_files(StoreDtype::Int8).unwrap();
    // The tiny model is mostly small tensors (kept f16); the demo model's int8 file is half its f16 one.
    assert!(int8.weights.len() < half.weights.len() * 3 / 4, "int8 {} vs f16 {} bytes", int8.weights.len(), half.weights.len());
    let loaded = TextToImage::from_files(&int8, &device).unwrap();
    for ((name, shape, a), (_, _, b)) in params(&loaded).iter().zip(params(&t2i).iter()) {
        let (max, err) = a.iter().zip(b).fold((0f32, 0f32), |(m, e), (x, y)| (m.max(y.abs()), e.max((x - y).abs())));
        // Per-channel steps are at most the tensor's largest magnitude / 127.
        let int8 = shape.len() >= 2 && shape.iter().product::<usize>() >= 4096;
        let bound = if int8 { max / 127.0 / 2.0 + 1e-7 } else { max.max(1.0) * 1e-3 };
        assert!(err <= bound, "{name} {shape:?}: int8 error {err} > {bound}");
    }
    let diff = common::max_abs_diff(velocity(&loaded, x, &device), reference);
    assert!(diff > 0.0 && diff < 0.1, "int8 velocity differs by {diff}");
}

#[test]
fn cpu_and_wgpu_agree() {
    let cpu = common::cpu();
    let gpu = common::wgpu();
    let files = tiny(&cpu, 2).to_files(StoreDtype::F32).unwrap();
    let on_cpu = TextToImage::from_files(&files, &cpu).unwrap();
    let on_gpu = TextToImage::from_files(&files, &gpu).unwrap();
    let x = Tensor::<4>::random([2, 3, 40, 40], Distribution::Normal(0.0, 1.0), &cpu);
    let a = velocity(&on_cpu, x.clone(), &cpu);
    let b = velocity(&on_gpu, x.to_device(&gpu), &gpu);
    let diff = common::max_abs_diff(a, b);
    assert!(diff < 1e-4, "forward cpu vs wgpu: {diff}");

    // Whole samplers, noise included, agree too (the noise is generated on the host).
    for schedule in ["swd4", "full4"] {
        let run = |t2i: &TextToImage, device: &Device| {
            let cond = t2i.encode(&["3d emoji: red apple"], device).unwrap();
            Sampler::new(&t2i.model, ScaleSchedule::parse(schedule, 64).unwrap(), &cond, BatchNoise::new(3, 1), device).run(|_| {})
        };
        let diff = common::max_abs_diff(run(&on_cpu, &cpu), run(&on_gpu, &gpu));
        assert!(diff < 1e-3, "{schedule} cpu vs wgpu: {diff}");
    }
}

fn load_error(files: &ModelFiles) -> String {
    TextToImage::from_files(files, &common::cpu()).unwrap_err().to_string()
}

#[test]
fn bad_model_files_give_errors_that_name_the_problem() {
    let device = common::cpu();
    let t2i = tiny(&device, 3);
    let good = t2i.to_files(StoreDtype::F32).unwrap();

    let mut truncated = good.clone();
    truncated.weights.truncate(good.weights.len() / 2);
    assert!(load_error(&truncated).contains("not a valid safetensors file"));

    let mut garbage = good.clone();
    garbage.weights = b"hello".to_vec();
    assert!(load_error(&garbage).contains("not a valid safetensors file"));

    // Weights of another architecture: shapes and names differ.
    let mut other_cfg = t2i.config.clone();
    other_cfg.unet.base_channels = 8;
    other_cfg.text.layers = 2;
    device.seed(4);
    let other = TextToImage::init(other_cfg, t2i.tokenizer.clone(), &device).unwrap();
    let mut mismatched = good.clone();
    mismatched.weights = other.to_files(StoreDtype::F32).unwrap().weights;
    let err = load_error(&mismatched);
    assert!(err.contains("unet.conv_in.weight") && err.contains("shape"), "{err}");
    assert!(err.contains("unexpected tensors") && err.contains("text_encoder.blocks.1"), "{err}");

    let mut missing = good.clone();
    let mut fewer_cfg = t2i.config.clone();
    fewer_cfg.text.layers = 2;
    missing.config = fewer_cfg.to_json().into_bytes();
    let err = load_error(&missing);
    assert!(err.contains("missing tensor 'text_encoder.blocks.1"), "{err}");

    let mut bad_config = good.clone();
    bad_config.config = b"{\"preset\": \"tiny\"}".to_vec();
    assert!(load_error(&bad_config).contains("missing field"));

    let mut small_vocab = good.clone();
    let mut cfg = t2i.config.clone();
    cfg.text.vocab_size = 4;
    small_vocab.config = cfg.to_json().into_bytes();
    assert!(load_error(&small_vocab).contains("vocab_size"));

    let mut bad_tok = good;
    bad_tok.tokenizer = b"[]".to_vec();
    assert!(load_error(&bad_tok).contains("tokenizer.json"));

    // int8 tensors need their per-channel scales, of the right length.
    let int8 = t2i.to_files(StoreDtype::Int8).unwrap();
    let without = |drop: &str, replace: Option<Vec<f32>>| {
        let st = swd_core::weights::parse(&int8.weights).unwrap();
        let owned: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = st
            .tensors()
            .into_iter()
            .filter_map(|(n, v)| match (&replace, n == drop) {
                (None, true) => None,
                (Some(values), true) => {
                    Some((n, safetensors::Dtype::F32, vec![values.len()], values.iter().flat_map(|x| x.to_le_bytes()).collect()))
                }
                _ => Some((n, v.dtype(), v.shape().to_vec(), v.data().to_vec())),
            })
            .collect();
        let views = owned.iter().map(|(n, d, s, b)| (n.clone(), safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap()));
        ModelFiles { weights: safetensors::serialize(views, None).unwrap(), ..int8.clone() }
    };
    let st = swd_core::weights::parse(&int8.weights).unwrap();
    let scale = st.names().into_iter().find(|n| n.ends_with(":scale")).expect("an int8 tensor").to_string();
    let tensor = scale.trim_end_matches(":scale");
    assert_eq!(st.tensor(tensor).unwrap().dtype(), safetensors::Dtype::I8);
    assert_eq!(st.tensor("unet.conv_in.weight").unwrap().dtype(), safetensors::Dtype::F16, "small tensors stay f16");
    let err = load_error(&without(&scale, None));
    assert!(err.contains(&format!("int8 tensor '{tensor}' has no scales")), "{err}");
    let err = load_error(&without(&scale, Some(vec![1.0; 3])));
    assert!(err.contains(&format!("'{scale}' must be F32 of shape")), "{err}");
}
