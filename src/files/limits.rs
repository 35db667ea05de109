//! Every limit the program enforces on what it reads and on the values it accepts, in one
//! place. Each is checked before anything is allocated or started, with a message that names
//! it; the README's "Limits" table is this table (a test compares them).

/// A config file (JSON), in bytes.
pub const CONFIG_BYTES: u64 = 1 << 20;
/// Layers in a config (the largest shipped config has 12).
pub const CONFIG_LAYERS: usize = 256;
/// A model file, in bytes (the default MNIST model has about 0.9 MB).
pub const MODEL_FILE_BYTES: u64 = 512 << 20;
/// Parameters of a model (what a model file of [`MODEL_FILE_BYTES`] can hold), checked
/// before any weight is allocated.
pub const MODEL_PARAMS: usize = (MODEL_FILE_BYTES / 4) as usize;
/// A saved window layout or the shell settings, in bytes.
pub const LAYOUT_BYTES: u64 = 1 << 20;
/// How much larger than the data it holds a compressed MNIST file may be (gzip adds a few
/// bytes per 32 KB block to incompressible data).
pub const GZIP_OVERHEAD_BYTES: u64 = 1 << 20;
/// Width or height of a picture (`--size` of a headless picture or a window), in pixels.
pub const IMAGE_SIDE_PX: u32 = 8192;
/// Pixels of a picture (width times height): 8K UHD fits.
pub const IMAGE_PIXELS: u64 = 40_000_000;
/// Hidden neurons of the XOR network (a headless run at this size takes about 10 s).
pub const XOR_HIDDEN: u32 = 64;
/// Hidden layers of the deeper 2-D network (`xor --text --hidden 8,8`).
pub const PLANE_LAYERS: usize = 4;
/// Neurons of each hidden layer of a 2-D network with two or more hidden layers (a single
/// hidden layer may have [`XOR_HIDDEN`]).
pub const PLANE_WIDTH: usize = 16;
/// Images per training step (`--batch-size`, `bench cnn --batch`).
pub const BATCH: u32 = 4096;
/// Worker threads (`bench cnn --threads`).
pub const THREADS: usize = 256;
/// A forest file, in bytes (100 trees grown on all of MNIST take about 130 MB).
pub const FOREST_FILE_BYTES: u64 = 1 << 30;
/// Trees of a forest (`--trees`), checked before any tree is grown or read.
pub const FOREST_TREES: usize = 100_000;
/// Features of a forest read from a file (what its importances allocate).
pub const FOREST_FEATURES: usize = 1_000_000;
/// The JSON header of a forest file, in bytes.
pub const FOREST_HEADER_BYTES: usize = 4 << 20;
/// Tokens of a transformer's vocabulary (`--vocab`; a model file's config).
pub const TRANSFORMER_VOCAB: usize = 65_536;
/// Positions of a transformer's context.
pub const TRANSFORMER_CONTEXT: usize = 4096;
/// Width of a transformer (`--width`).
pub const TRANSFORMER_WIDTH: usize = 4096;
/// Attention heads per block (`--heads`).
pub const TRANSFORMER_HEADS: usize = 64;
/// Blocks of a transformer (`--layers`).
pub const TRANSFORMER_LAYERS: usize = 64;
/// A run file (`netviz open`, File > Open run), in bytes.
pub const RUN_FILE_BYTES: u64 = 2 << 30;
/// The JSON header of a run file, in bytes.
pub const RUN_HEADER_BYTES: usize = 16 << 20;
/// One section of a run file once inflated, in bytes.
pub const RUN_SECTION_BYTES: u64 = 4 << 30;
/// Points of the render benchmark (`bench render --points`).
pub const RENDER_POINTS: usize = 5_000_000;
/// Frames of the render benchmark (`bench render --frames`).
pub const RENDER_FRAMES: usize = 100_000;

/// One row of the limits table: what is limited, the limit, and what happens beyond it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What is limited.
    pub what: &'static str,
    /// The limit, as the README prints it.
    pub value: &'static str,
}

/// The table the README's "Limits" section shows, in its order.
pub const TABLE: &[Limit] = &[
    Limit {
        what: "config file (`--config`)",
        value: "1 MiB, 256 layers",
    },
    Limit {
        what: "model file (`--model`, `--init-weights`, Load)",
        value: "512 MiB",
    },
    Limit {
        what: "model parameters (all weights and biases)",
        value: "134,217,728",
    },
    Limit {
        what: "saved layout / shell settings",
        value: "1 MiB",
    },
    Limit {
        what: "MNIST file (local or downloaded)",
        value: "its known size (plus 1 MiB when gzip-compressed)",
    },
    Limit {
        what: "tensor (any layer's weights or output)",
        value: "2^30 values",
    },
    Limit {
        what: "picture (`--size`)",
        value: "8192 px a side, 40 million pixels",
    },
    Limit {
        what: "XOR hidden neurons (`--hidden`)",
        value: "64 in one layer; 2 to 4 layers of at most 16",
    },
    Limit {
        what: "batch (`--batch-size`, `bench cnn --batch`)",
        value: "4096",
    },
    Limit {
        what: "threads (`bench cnn --threads`)",
        value: "1 to 256",
    },
    Limit {
        what: "forest file (`forest train --out`, the forest lab's Load)",
        value: "1 GiB, 100,000 trees, 1,000,000 features",
    },
    Limit {
        what: "transformer (`attention train`, a model file's config)",
        value: "vocabulary 65,536, context 4,096, width 4,096, 64 heads, 64 layers",
    },
    Limit {
        what: "run file (`netviz open`, File > Open run)",
        value: "2 GiB, 4 GiB a section once inflated, 16 MiB header",
    },
    Limit {
        what: "render benchmark (`--points`, `--frames`)",
        value: "5,000,000 points, 100,000 frames",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_states_the_constants() {
        let text: String = TABLE
            .iter()
            .map(|l| format!("{} {}\n", l.what, l.value))
            .collect();
        for needle in [
            format!("{} MiB, {CONFIG_LAYERS} layers", CONFIG_BYTES >> 20),
            format!("{} MiB", MODEL_FILE_BYTES >> 20),
            format!("biases) {}", group(MODEL_PARAMS)),
            format!("plus {} MiB", GZIP_OVERHEAD_BYTES >> 20),
            format!(
                "{IMAGE_SIDE_PX} px a side, {} million",
                IMAGE_PIXELS / 1_000_000
            ),
            format!("(`--hidden`) {XOR_HIDDEN}"),
            format!("2 to {PLANE_LAYERS} layers of at most {PLANE_WIDTH}"),
            format!("--batch`) {BATCH}"),
            format!("1 to {THREADS}"),
            format!("{} frames", group(RENDER_FRAMES)),
            format!(
                "{} GiB, {} GiB a section once inflated, {} MiB header",
                RUN_FILE_BYTES >> 30,
                RUN_SECTION_BYTES >> 30,
                RUN_HEADER_BYTES >> 20
            ),
            format!("{} points", group(RENDER_POINTS)),
            format!(
                "{} GiB, {} trees, {} features",
                FOREST_FILE_BYTES >> 30,
                group(FOREST_TREES),
                group(FOREST_FEATURES)
            ),
        ] {
            assert!(text.contains(&needle), "{needle:?} in\n{text}");
        }
        assert_eq!(LAYOUT_BYTES, 1 << 20);
    }

    /// 5000000 as "5,000,000".
    fn group(n: usize) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}
