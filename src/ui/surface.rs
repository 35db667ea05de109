//! How the window's surface is configured: a format egui-wgpu can draw into and a present
//! mode that does not tear.

use egui_wgpu::wgpu;

/// A configuration for a `width x height` surface with these capabilities, or `None` if it
/// offers no 8-bit RGBA/BGRA format.
///
/// - Format: `Bgra8Unorm` or `Rgba8Unorm` if offered, else an sRGB twin of one of them with
///   the plain format as its view format (egui-wgpu wants a non-sRGB target; lavapipe offers
///   `Bgra8UnormSrgb` first).
/// - Present mode: `Mailbox` if offered (no tearing, no blocking), else `Fifo` (always there).
///   Frame pacing is the window's job either way.
pub(crate) fn surface_config(
    caps: &wgpu::SurfaceCapabilities,
    width: u32,
    height: u32,
) -> Option<wgpu::SurfaceConfiguration> {
    let format = pick_format(&caps.formats)?;
    let view_format = format.remove_srgb_suffix();
    let present_mode = if caps.present_modes.contains(&wgpu::PresentMode::Mailbox) {
        wgpu::PresentMode::Mailbox
    } else {
        wgpu::PresentMode::Fifo
    };
    Some(wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        format,
        width: width.max(1),
        height: height.max(1),
        present_mode,
        desired_maximum_frame_latency: 2,
        alpha_mode: caps
            .alpha_modes
            .first()
            .copied()
            .unwrap_or(wgpu::CompositeAlphaMode::Auto),
        color_space: wgpu::SurfaceColorSpace::Auto,
        view_formats: if view_format == format {
            Vec::new()
        } else {
            vec![view_format]
        },
    })
}

/// `Bgra8Unorm` or `Rgba8Unorm` if offered, else the first format whose non-sRGB twin is one.
fn pick_format(formats: &[wgpu::TextureFormat]) -> Option<wgpu::TextureFormat> {
    use wgpu::TextureFormat as F;
    let plain = [F::Bgra8Unorm, F::Rgba8Unorm];
    formats
        .iter()
        .copied()
        .find(|f| plain.contains(f))
        .or_else(|| {
            formats
                .iter()
                .copied()
                .find(|f| plain.contains(&f.remove_srgb_suffix()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::TextureFormat as F;

    #[test]
    fn formats_prefer_plain_8_bit_and_fall_back_to_srgb_twins() {
        assert_eq!(
            pick_format(&[F::Bgra8UnormSrgb, F::Bgra8Unorm]),
            Some(F::Bgra8Unorm)
        );
        assert_eq!(pick_format(&[F::Rgba8UnormSrgb]), Some(F::Rgba8UnormSrgb));
        assert_eq!(pick_format(&[F::Rgba16Float]), None);
    }
}
