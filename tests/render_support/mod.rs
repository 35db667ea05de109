//! Shared set-up of the render tests: one GPU context and renderer per test binary, and
//! helpers to draw a scene and read it back.
//!
//! Where no GPU adapter exists these tests fail with the message of
//! `RenderError::NoAdapter`, which says what to install; they never pass silently.

#![allow(dead_code)]

use std::sync::{Mutex, OnceLock};

use netviz::render::target::COLOR_FORMAT;
use netviz::render::{
    DETERMINISTIC_SAMPLE_COUNT, GpuContext, RgbaImage, Scene, SceneRenderer, SceneTexture,
};

/// The test binary's GPU context; panics with the install hint where there is no adapter.
pub fn ctx() -> &'static GpuContext {
    static CTX: OnceLock<Result<GpuContext, String>> = OnceLock::new();
    let init = || {
        let ctx = GpuContext::headless().map_err(|err| err.to_string())?;
        eprintln!("render tests run on {}", ctx.adapter_summary());
        Ok(ctx)
    };
    match CTX.get_or_init(init) {
        Ok(ctx) => ctx,
        Err(message) => panic!("render tests need a GPU adapter: {message}"),
    }
}

/// Draws `scene` into a fresh `width x height` target in the deterministic mode (no MSAA)
/// and reads it back.
pub fn render(scene: &Scene, width: u32, height: u32) -> RgbaImage {
    render_with_samples(scene, width, height, DETERMINISTIC_SAMPLE_COUNT)
}

/// Like [`render`] with a chosen sample count.
pub fn render_with_samples(scene: &Scene, width: u32, height: u32, samples: u32) -> RgbaImage {
    static RENDERERS: OnceLock<Mutex<Vec<SceneRenderer>>> = OnceLock::new();
    let ctx = ctx();
    let renderers = RENDERERS.get_or_init(|| Mutex::new(Vec::new()));
    let mut renderers = renderers
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !renderers.iter().any(|r| r.sample_count() == samples) {
        renderers.push(SceneRenderer::new(&ctx.device, COLOR_FORMAT, samples));
    }
    let renderer = renderers
        .iter_mut()
        .find(|r| r.sample_count() == samples)
        .expect("added above");
    let target = SceneTexture::new(&ctx.device, width, height, samples);
    renderer
        .render(&ctx.device, &ctx.queue, &target, scene)
        .expect("render");
    target.read_rgba(ctx).expect("readback")
}

/// Saves `image` under `target/render-tests/<name>.png` when `NETVIZ_SAVE_TEST_PNGS` is set,
/// for looking at what a test saw.
pub fn maybe_save(image: &RgbaImage, name: &str) {
    if std::env::var_os("NETVIZ_SAVE_TEST_PNGS").is_some() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/render-tests");
        std::fs::create_dir_all(&dir).expect("create the PNG folder");
        image
            .save_png(dir.join(format!("{name}.png")))
            .expect("save PNG");
    }
}
