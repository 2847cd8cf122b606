//! The layering of ergo-core, checked on its sources: every `crate::` path names a top-level
//! module (a folder or a file of `src/`), and a module may name only modules of lower layers.
//! The layers, bottom-up, are documented in `docs/architecture.md`; a new import that goes up
//! or sideways fails here with the file and line that made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import from modules of strictly lower layers only.
const LAYERS: &[&[&str]] = &[
    &["fast_hash", "epmd"],
    &["dist"],
    &["process"],
    &["node"],
    &["event", "gen", "cron"],
    &["global", "pg"],
    &["net"],
    &["servers"],
    &["inspect"],
    &["observer"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments and string literals blanked (so a doc comment naming
/// `crate::net::X` is not an import), lines kept in place.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map(|e| e + 2).unwrap_or(rest.len());
            out.extend(rest[..end].chars().filter(|&c| c == '\n'));
            i += end;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            let end = (j + 1).min(rest.len());
            out.extend(rest[..end].chars().filter(|&c| c == '\n'));
            i += end;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The top-level modules a piece of code names through `crate::`, with their line numbers:
/// `crate::node::X`, and each first segment of a group, `crate::{node::X, process::{Y, Z}}`.
fn crate_imports(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(at) = code[search..].find("crate::") {
        let start = search + at;
        search = start + "crate::".len();
        let preceded_by_ident = code[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        if preceded_by_ident {
            continue; // e.g. `ergo_crate::`
        }
        let line = code[..start].matches('\n').count() + 1;
        let rest = &code[search..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push((line, first_segment(&item)));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.push((line, first_segment(&item)));
        } else {
            found.push((line, first_segment(rest)));
        }
    }
    found.retain(|(_, m)| !m.is_empty());
    found
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn each_module_imports_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap_or(file);
        let Some(first) = relative.components().next() else {
            continue;
        };
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" {
            continue; // the crate root re-exports every layer
        }
        let Some(own_layer) = layer_of(&module) else {
            violations.push(format!(
                "{}: module `{module}` is in no layer: add it to LAYERS and docs/architecture.md",
                relative.display()
            ));
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap_or_default();
        for (line, target) in crate_imports(&code_only(&source)) {
            if target == module || target == "self" || target == "super" {
                continue;
            }
            graph
                .entry(module.clone())
                .or_default()
                .insert(target.clone());
            match layer_of(&target) {
                Some(layer) if layer < own_layer => {}
                Some(_) => violations.push(format!(
                    "{}:{line}: `{module}` imports `crate::{target}`, which is not below it",
                    relative.display()
                )),
                None if target == "etf" => {} // the crate root's alias of ergo_etf
                None => violations.push(format!(
                    "{}:{line}: `crate::{target}` is not a module in a layer",
                    relative.display()
                )),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}\nimport graph: {graph:#?}",
        violations.join("\n")
    );
}

#[test]
fn the_import_scanner_sees_groups_and_skips_comments() {
    let code = code_only(
        "use crate::node::Node;\n// crate::net::X\nuse crate::{process::{A, B}, gen::C};\nlet s = \"crate::pg\";\nfoo::crate::x;\n",
    );
    let found: Vec<(usize, String)> = crate_imports(&code);
    assert_eq!(
        found,
        vec![
            (1, "node".to_string()),
            (3, "process".to_string()),
            (3, "gen".to_string()),
        ]
    );
}
