pub use swd_core::*;
