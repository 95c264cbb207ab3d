//! `sluice plugin new`: a ready-to-build plugin project from the templates in
//! `sdk/templates/` (embedded in the binary), with the language's SDK and the
//! contract's WIT written next to the source, so the project builds on its own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use include_dir::{Dir, include_dir};

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../sdk/templates");
static PYTHON_SDK: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../sdk/python/sluice_sdk");
static JS_SDK: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../sdk/js");
static C_SDK: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../sdk/c");
static GO_SDK: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../sdk/go");
static WIT: &str = include_str!("../../../wit/sluice-plugin-0.1.0/plugin.wit");
/// The pinned toolchain versions (`scripts/sdk/versions`), named in READMEs and build scripts.
static VERSIONS: &str = include_str!("../../../scripts/sdk/versions");
/// Where the Rust SDK of this checkout is, for the Rust template's path dependency.
const RUST_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

#[derive(Args, Debug)]
pub struct NewArgs {
    /// The plugin's name: its file is NAME.wasm and manifests call it NAME
    /// (lowercase letters, digits and dashes).
    pub name: String,
    /// What the plugin does: a converter (raw bytes to typed bytes), a
    /// transform (keep, change, drop, split or fail records) or a formatter
    /// (records to an HTTP body or object contents).
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// The language to write it in.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// Where to create the project [default: ./NAME]; must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The Rust SDK crate the Rust template depends on [default: this build's sdk/].
    #[arg(long, value_name = "DIR")]
    pub rust_sdk: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Converter,
    Transform,
    Formatter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
    C,
    Go,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Converter => "converter",
            Kind::Transform => "transform",
            Kind::Formatter => "formatter",
        }
    }

    /// How `plugin test` tries the template's example.
    fn test_args(self) -> &'static str {
        match self {
            Kind::Converter => "-c numbers=true",
            Kind::Transform => "-c field=topic",
            Kind::Formatter => "-c delimiter=,",
        }
    }

    /// Where the plugin goes in a manifest.
    fn manifest(self, name: &str) -> String {
        match self {
            Kind::Converter => format!(
                "[[connectors]]\n# …\n\"value.converter\" = {{ plugin = \"{name}\", config = {{ numbers = \"true\" }} }}"
            ),
            Kind::Transform => format!(
                "[[connectors]]\n# …\ntransforms = [{{ plugin = \"{name}\", config = {{ field = \"topic\" }} }}]"
            ),
            Kind::Formatter => format!(
                "[connectors.sink]\ntype = \"http\"\n# …\nformatter = {{ plugin = \"{name}\" }}"
            ),
        }
    }
}

impl Lang {
    fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
            Lang::C => "c",
            Lang::Go => "go",
        }
    }

    /// The file the template's example source goes to.
    fn source_file(self) -> &'static str {
        match self {
            Lang::Rust => "src/lib.rs",
            Lang::Python => "app.py",
            Lang::Js => "app.js",
            Lang::C => "plugin.c",
            Lang::Go => "plugin.go",
        }
    }
}

/// Writes the project and prints what to do next.
pub fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    let name = &args.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || name.starts_with('-')
    {
        bail!(
            "{name:?} is not a plugin name: use lowercase letters, digits and dashes (it becomes {name}.wasm and the name manifests use)"
        );
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty: choose another --dir or remove it",
            dir.display()
        );
    }
    let rust_sdk = args
        .rust_sdk
        .clone()
        .unwrap_or_else(|| PathBuf::from(RUST_SDK));
    let vars = variables(&args, &rust_sdk);
    let lang = args.lang.as_str();
    let kind = args.kind.as_str();
    let common = TEMPLATES
        .get_dir(format!("{lang}/common"))
        .with_context(|| format!("no common templates for {lang} in this build"))?;
    let specific = TEMPLATES
        .get_dir(format!("{lang}/{kind}"))
        .with_context(|| format!("no {kind} template for {lang} in this build"))?;
    for file in common.files().chain(specific.files()) {
        let file_name = file
            .path()
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let target = match file_name {
            n if n.starts_with("lib.") || n.starts_with("app.") || n.starts_with("plugin.") => {
                args.lang.source_file()
            }
            n => n,
        };
        let text = file
            .contents_utf8()
            .with_context(|| format!("template {} is not UTF-8", file.path().display()))?;
        write(&dir.join(target), &fill(text, &vars))?;
    }
    match args.lang {
        Lang::Python => copy_dir(&PYTHON_SDK, &dir.join("sluice_sdk"))?,
        Lang::Js => copy_dir(&JS_SDK, &dir.join("sluice-sdk"))?,
        Lang::C => copy_dir(&C_SDK, &dir.join("sluice"))?,
        Lang::Go => copy_dir(&GO_SDK, &dir.join("sluice-sdk"))?,
        Lang::Rust => {}
    }
    if args.lang != Lang::Rust {
        write(&dir.join("wit/plugin.wit"), WIT)?;
    }
    make_executable(&dir.join("build.sh"))?;
    let shown = dir.display();
    println!("created {shown}: a {kind} in {lang}");
    println!();
    println!("  cd {shown}");
    println!("  ./build.sh                      # builds {name}.wasm");
    println!(
        "  sluice plugin test {name}.wasm -i sample.jsonl {}",
        args.kind.test_args()
    );
    println!("  cp {name}.wasm <plugin_dir>/      # then, in a manifest:");
    println!();
    for line in args.kind.manifest(name).lines() {
        println!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn variables(args: &NewArgs, rust_sdk: &Path) -> Vec<(String, String)> {
    let mut vars = vec![
        ("name".to_string(), args.name.clone()),
        ("crate".to_string(), args.name.replace('-', "_")),
        ("kind".to_string(), args.kind.as_str().to_string()),
        ("world".to_string(), args.kind.as_str().to_string()),
        ("test_args".to_string(), args.kind.test_args().to_string()),
        ("manifest".to_string(), args.kind.manifest(&args.name)),
        (
            "rust_sdk".to_string(),
            rust_sdk
                .canonicalize()
                .unwrap_or_else(|_| rust_sdk.to_path_buf())
                .display()
                .to_string(),
        ),
    ];
    for line in VERSIONS.lines() {
        if let Some((k, v)) = line.split_once('=')
            && !k.starts_with('#')
        {
            vars.push((k.trim().to_lowercase(), v.trim().to_string()));
        }
    }
    vars
}

/// The template with every `{{variable}}` replaced.
fn fill(text: &str, vars: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn copy_dir(dir: &Dir<'_>, to: &Path) -> anyhow::Result<()> {
    for file in dir.files() {
        let name = file.path().file_name().unwrap_or_default();
        if name == "__pycache__" || name.to_string_lossy().ends_with(".pyc") {
            continue;
        }
        let target = to.join(name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, file.contents())
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    for sub in dir.dirs() {
        let name = sub.path().file_name().unwrap_or_default();
        if name != "__pycache__" && name != "node_modules" {
            copy_dir(sub, &to.join(name))?;
        }
    }
    Ok(())
}

fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(path, perms)
        .with_context(|| format!("cannot chmod {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_fill_every_placeholder_of_every_template() {
        for lang in [Lang::Rust, Lang::Python, Lang::Js, Lang::C, Lang::Go] {
            for kind in [Kind::Converter, Kind::Transform, Kind::Formatter] {
                let args = NewArgs {
                    name: "my-plugin".into(),
                    kind,
                    lang,
                    dir: None,
                    rust_sdk: None,
                };
                let vars = variables(&args, Path::new(RUST_SDK));
                let dirs = [
                    format!("{}/common", lang.as_str()),
                    format!("{}/{}", lang.as_str(), kind.as_str()),
                ];
                for d in dirs {
                    let dir = TEMPLATES
                        .get_dir(&d)
                        .unwrap_or_else(|| panic!("templates {d}"));
                    for f in dir.files() {
                        let filled = fill(f.contents_utf8().unwrap(), &vars);
                        assert!(
                            !filled.contains("{{"),
                            "{} keeps a placeholder",
                            f.path().display()
                        );
                    }
                }
            }
        }
    }
}
