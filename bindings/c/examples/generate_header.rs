//! Writes `include/helix_engage.h` from this crate's source with cbindgen (used as a library,
//! so nothing needs `cargo install`). `scripts/test.sh` runs it and fails when the committed
//! header differs from the regenerated one.
//!
//! ```sh
//! cargo run -p helix-engage-c --example generate_header            # writes the header
//! cargo run -p helix-engage-c --example generate_header -- OUT.h   # writes elsewhere
//! ```

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir.join("../../include/helix_engage.h"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cannot read cbindgen.toml: {e}"));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen cannot generate the header: {e}"));
    bindings.write_to_file(&out);
    println!("wrote {}", out.display());
}
