//! Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
//! Chromium reads commands on its fd 3 and writes answers and events on its fd 4, each a JSON
//! text ended by a NUL byte), so a test can open a page, wait for it, and click in it as a user
//! would. Only what the observer's browser test needs: open a page, evaluate JavaScript in it.

use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::common::ChildGuard;

/// A running headless Chromium and its DevTools pipe.
pub struct Browser {
    child: ChildGuard,
    commands: UnixStream,
    answers: BufReader<UnixStream>,
    next_id: u64,
    profile: PathBuf,
}

/// One page (a target) of the browser, attached with a session.
pub struct Page {
    session: String,
}

const DEADLINE: Duration = Duration::from_secs(60);

impl Browser {
    /// Starts `program` headless with the DevTools pipe, in a profile directory of its own.
    pub fn start(program: &str) -> Browser {
        let profile = crate::common::temp_dir("chromium-devtools");
        let (commands, their_commands) = std::os::unix::net::UnixStream::pair().expect("pipe");
        let (answers, their_answers) = std::os::unix::net::UnixStream::pair().expect("pipe");
        // These may be 3 or 4 themselves (a fresh test process has few fds open): the child
        // copies them out of the way before it places them (below).
        let (fd_in, fd_out) = (their_commands.as_raw_fd(), their_answers.as_raw_fd());
        let mut cmd = std::process::Command::new(program);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        // SAFETY: between fork and exec only fcntl and dup2 run (async-signal-safe). The ends
        // are first copied above fd 10 (close-on-exec), so that one of them being 3 or 4
        // already cannot be overwritten by the other's dup2; dup2 clears close-on-exec on the
        // new descriptors, so Chromium inherits them as 3 and 4, and only them.
        unsafe {
            cmd.pre_exec(move || {
                let high_in = libc::fcntl(fd_in, libc::F_DUPFD_CLOEXEC, 10);
                let high_out = libc::fcntl(fd_out, libc::F_DUPFD_CLOEXEC, 10);
                if high_in < 0
                    || high_out < 0
                    || libc::dup2(high_in, 3) < 0
                    || libc::dup2(high_out, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        drop((their_commands, their_answers));
        commands.set_nonblocking(true).expect("nonblocking");
        answers.set_nonblocking(true).expect("nonblocking");
        Browser {
            child: ChildGuard(child),
            commands: UnixStream::from_std(commands).expect("tokio stream"),
            answers: BufReader::new(UnixStream::from_std(answers).expect("tokio stream")),
            next_id: 1,
            profile,
        }
    }

    /// Sends a command (in `session` when given) and waits for its answer's `result`; events
    /// read meanwhile are skipped.
    async fn command(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("json");
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .await
            .expect("write to chromium");
        let deadline = Instant::now() + DEADLINE;
        loop {
            let mut buf = Vec::new();
            let left = deadline.saturating_duration_since(Instant::now());
            let read = tokio::time::timeout(left, self.answers.read_until(0, &mut buf))
                .await
                .unwrap_or_else(|_| panic!("chromium did not answer {method} within {DEADLINE:?}"))
                .expect("read from chromium");
            assert!(
                read > 0,
                "chromium closed its pipe while we waited for {method}"
            );
            buf.pop();
            let answer: Value = serde_json::from_slice(&buf).expect("chromium's json");
            if answer["id"] == json!(id) {
                assert!(answer.get("error").is_none(), "{method} failed: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// Opens `url` in a new page and waits until it has loaded.
    pub async fn open(&mut self, url: &str) -> Page {
        let target = self
            .command(None, "Target.createTarget", json!({ "url": url }))
            .await;
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = self
            .command(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await;
        let page = Page {
            session: attached["sessionId"]
                .as_str()
                .expect("sessionId")
                .to_string(),
        };
        self.wait_for(
            &page,
            "document.readyState === 'complete'",
            "the page loads",
        )
        .await;
        page
    }

    /// Evaluates `expression` in `page` and returns its value.
    pub async fn evaluate(&mut self, page: &Page, expression: &str) -> Value {
        let result = self
            .command(
                Some(&page.session),
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression} threw: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Evaluates `condition` in `page` until it is true (within the deadline).
    pub async fn wait_for(&mut self, page: &Page, condition: &str, what: &str) {
        let deadline = Instant::now() + DEADLINE;
        while self.evaluate(page, condition).await != json!(true) {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium first, then the profile it was writing to.
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
