//! Every WGSL file in `shaders/` is a shader the program compiles or a snippet they include;
//! every complete source (snippets included) and every snippet on its own parses and
//! validates with naga (no GPU needed), and the GPU structs have the sizes of the Rust
//! structs that mirror them.

use std::path::Path;

use netviz::render::frame::FrameUniforms;
use netviz::render::image::ImageUniforms;
use netviz::render::shaders;

fn parse_and_validate(name: &str, source: &str) -> naga::Module {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|err| panic!("{name} does not parse:\n{}", err.emit_to_string(source)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .unwrap_or_else(|err| panic!("{name} does not validate:\n{}", err.emit_to_string(source)));
    module
}

/// The byte size naga computes for the struct called `name`, if the module has one.
fn struct_size(module: &naga::Module, name: &str) -> Option<u32> {
    module.types.iter().find_map(|(_, ty)| match &ty.inner {
        naga::TypeInner::Struct { span, .. } if ty.name.as_deref() == Some(name) => Some(*span),
        _ => None,
    })
}

#[test]
fn every_shader_file_validates_and_is_used() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read shaders/") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|ext| ext == "wgsl") {
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let mut used: Vec<String> = shaders::ALL
        .iter()
        .chain(&shaders::SNIPPETS)
        .map(|(name, _)| name.to_string())
        .collect();
    used.sort();
    assert_eq!(
        names, used,
        "shaders/ and render::shaders::{{ALL, SNIPPETS}} list different files"
    );
    for (name, source) in shaders::ALL.iter().chain(&shaders::SNIPPETS) {
        parse_and_validate(name, source);
    }
    // Each primitive's file holds only its own part: the frame globals come from the snippet.
    for (name, _) in shaders::ALL {
        let own = std::fs::read_to_string(dir.join(name)).expect("read shader");
        assert!(!own.contains("struct Frame"), "{name} defines Frame again");
    }
}

#[test]
fn gpu_structs_match_their_rust_mirrors() {
    for (name, source) in shaders::ALL.iter().filter(|(name, _)| *name != "blit.wgsl") {
        let module = parse_and_validate(name, source);
        assert_eq!(
            struct_size(&module, "Frame"),
            Some(std::mem::size_of::<FrameUniforms>() as u32),
            "{name}: struct Frame vs FrameUniforms"
        );
    }
    let image = parse_and_validate("image.wgsl", shaders::IMAGE);
    assert_eq!(
        struct_size(&image, "ImageParams"),
        Some(std::mem::size_of::<ImageUniforms>() as u32)
    );
}
