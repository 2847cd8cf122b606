//! Real Elixir nodes running GenStage for the stage tests: GenStage 1.3.2's sources (in
//! `../shared/third_party/gen_stage`, beside the repository) compiled once per test run into a
//! temporary directory, and Elixir nodes started with it on their code path, running
//! `tests/stage/side.exs` and its driver, which applies functions the test sends.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use ergo::{Atom, Dest, Node, Term};

use crate::common::{self, ChildGuard, Collector, Output};

/// The deadline of one wait on the Elixir side.
pub const T: Duration = Duration::from_secs(30);

/// Where GenStage's sources are: `../shared/third_party/gen_stage` from the repository.
fn gen_stage_sources() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/third_party/gen_stage")
}

/// GenStage compiled into a temporary directory, once per test run; `None` (the test is
/// skipped) when elixir or the sources are missing outside CI; a panic under `CI`.
pub fn gen_stage_ebin(test: &str) -> Option<PathBuf> {
    if !common::require_elixir(test) {
        return None;
    }
    static EBIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = EBIN.get_or_init(|| {
        let sources = gen_stage_sources();
        if !sources.join("build.sh").exists() {
            return Err(format!(
                "GenStage sources not found at {}",
                sources.display()
            ));
        }
        let out = common::temp_dir("gen_stage_ebin");
        let mut cmd = Command::new("sh");
        cmd.arg(sources.join("build.sh")).arg(&out);
        let finished = common::run_within(cmd, Duration::from_secs(300), "build GenStage");
        if !finished.status.success() {
            return Err(format!(
                "build.sh failed: {}\n{}",
                finished.stdout, finished.stderr
            ));
        }
        Ok(out)
    });
    match built {
        Ok(dir) => Some(dir.clone()),
        Err(why) if std::env::var_os("CI").is_some() => panic!("{test}: {why}"),
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            None
        }
    }
}

/// An Elixir node running GenStage and the side driver; killed when dropped.
pub struct ElixirNode {
    guard: Option<ChildGuard>,
    /// Its full node name.
    pub name: String,
    output: Output,
}

impl ElixirNode {
    /// Starts `elixir --sname <prefix>_<unique>@localhost --cookie <cookie>` and waits for its
    /// driver's READY.
    pub async fn start(prefix: &str, cookie: &str, ebin: &std::path::Path) -> ElixirNode {
        common::ensure_system_epmd();
        let name = common::node_name(prefix);
        let mut child = Command::new("elixir")
            .args(["--sname", &name, "--cookie", cookie])
            .arg("-pa")
            .arg(ebin)
            .arg("-r")
            .arg(common::test_file("stage/side.exs"))
            .args(["-e", "Side.main()"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start elixir");
        let output = Output::of(&mut child, &name);
        let node = ElixirNode {
            guard: Some(ChildGuard(child)),
            name,
            output,
        };
        node.output.wait_line_async("READY", T).await;
        node
    }

    /// Kills it (SIGKILL: its connections drop without a goodbye).
    pub fn kill(&mut self) {
        self.guard.take();
    }

    /// Its name as an atom.
    pub fn atom(&self) -> Atom {
        Atom::new(&self.name)
    }

    /// `{Name, ThisNode}`.
    pub fn dest(&self, name: &str) -> Dest {
        Dest::Remote {
            name: Atom::new(name),
            node: self.atom(),
        }
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// `apply(Module, Function, Args)` on the Elixir node; its result.
    pub async fn apply(&self, node: &Node, module: &str, function: &str, args: Vec<Term>) -> Term {
        let (pid, mut rx) = Collector::new().stop_on("stop").spawn(node);
        let module = if module.starts_with(char::is_uppercase) {
            format!("Elixir.{module}")
        } else {
            module.to_string()
        };
        node.send(
            self.dest("driver"),
            Term::tuple(vec![
                Term::atom("apply"),
                Term::Pid(pid.clone()),
                Term::atom(&module),
                Term::atom(function),
                Term::List(args),
            ]),
        )
        .expect("send to the driver");
        let reply = tokio::time::timeout(T, rx.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{module}.{function}: no answer in time; elixir output:\n{}",
                    self.output()
                )
            })
            .expect("collector open");
        let _ = node.send(pid, Term::atom("stop"));
        match reply.as_tuple() {
            Some([tag, result]) if tag.is_atom("applied") => result.clone(),
            _ => panic!("unexpected driver reply {reply}"),
        }
    }

    /// Starts a GenStage `module` with `args` on the Elixir node (registered as `name` when
    /// given); its pid.
    pub async fn start_stage(
        &self,
        node: &Node,
        module: &str,
        args: Term,
        name: Option<&str>,
    ) -> Term {
        let name = name.map(Term::atom).unwrap_or_else(|| Term::atom("nil"));
        let started = self
            .apply(
                node,
                "Side",
                "start",
                vec![Term::atom(&format!("Elixir.{module}")), args, name],
            )
            .await;
        match started.as_tuple() {
            Some([ok, pid @ Term::Pid(_)]) if ok.is_atom("ok") => pid.clone(),
            _ => panic!("start {module}: {started}\n{}", self.output()),
        }
    }
}

/// A keyword list from pairs.
pub fn keyword(pairs: &[(&str, Term)]) -> Term {
    Term::List(
        pairs
            .iter()
            .map(|(k, v)| Term::tuple(vec![Term::atom(k), v.clone()]))
            .collect(),
    )
}
