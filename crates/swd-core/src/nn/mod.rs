//! The networks' layers, one per file.

pub mod attention;
pub mod group_norm;
pub mod layer_norm;
pub mod lora;
pub mod mlp;
pub mod resblock;
pub mod sampling;
pub mod spatial_transformer;
pub mod text_encoder;
pub mod timestep;
pub mod token_block;
pub mod unet;

pub use attention::{Attention, AttentionConfig, AttentionLora};
pub use group_norm::{GroupNorm, GroupNormConfig};
pub use lora::{Lora, LoraConfig};
pub use mlp::{Mlp, MlpConfig, MlpLora};
pub use resblock::{ResBlock, ResBlockConfig};
pub use sampling::{Downsample, DownsampleConfig, Upsample, UpsampleConfig};
pub use spatial_transformer::{SpatialTransformer, SpatialTransformerConfig};
pub use text_encoder::{TextEmbedding, TextEncoder};
pub use timestep::{TimeEmbedding, TimeEmbeddingConfig};
pub use token_block::{TokenBlock, TokenBlockConfig};
pub use unet::{UNet, UNetOutput};
