//! Embeds the page built from `web/` (its committed `web/dist`) in the binary: a table of every file
//! with its path, content type and bytes, so `cargo build` needs no npm.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("../../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    assert!(
        files.iter().any(|(path, _)| path == "index.html"),
        "{}/index.html is missing: build the page with `npm ci --prefix web && npm run build --prefix web`",
        dist.display()
    );
    files.sort();
    let mut table = String::from("pub(crate) static ASSETS: &[Asset] = &[\n");
    for (path, file) in &files {
        let content_type = content_type(path)
            .unwrap_or_else(|| panic!("{path}: the page has a file of a type the server does not serve"));
        writeln!(
            table,
            "    Asset {{ path: {path:?}, content_type: {content_type:?}, bytes: include_bytes!({:?}) }},",
            file.display()
        )
        .expect("writing to a String");
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("assets.rs"), table).expect("writing the asset table");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let entry = entry.expect("reading web/dist");
        let path = entry.path();
        if entry.file_type().expect("reading web/dist").is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under web/dist").to_str().expect("UTF-8 names").to_owned();
            let absolute = path.canonicalize().expect("web/dist files resolve");
            files.push((relative, absolute));
        }
    }
}

fn content_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1;
    Some(match extension {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}
