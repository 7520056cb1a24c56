//! Loss-free ingest: scheduled Fetch Event runs that pass the cursor back,
//! against graph-sim's delta query. Whatever happens to the folder between
//! runs (a message moved in with an older receivedDateTime, moved out and
//! back, deleted, many in one second, a run stopped at its cap, a delta
//! token Graph no longer knows), every message that came into the folder is
//! delivered once, and none twice.

use std::collections::HashSet;

use o365_tests::graph_sim::{Fault, FaultKind, MailboxSpec};
use o365_tests::{Fixture, json};
use serde_json::Value;

const ALEX: &str = "alex.wilber@contoso.example";
const WATCHED: &str = "Watched";

/// A platform's scheduler: runs Fetch Event on one folder with the cursor
/// of the previous run, and remembers every Unique Event Key delivered.
struct Scheduler<'a> {
    f: &'a Fixture,
    app: Value,
    cap: u32,
    cursor: Option<Value>,
    delivered: Vec<String>,
}

/// One run: the subjects delivered, in order, and the context data.
struct Run {
    subjects: Vec<String>,
    context: Value,
}

impl<'a> Scheduler<'a> {
    fn new(f: &'a Fixture, cap: u32) -> Self {
        Scheduler {
            f,
            app: f.demo("demo-app"),
            cap,
            cursor: None,
            delivered: Vec::new(),
        }
    }

    fn input(&self) -> Value {
        let mut input = json!({"Email Address": ALEX, "Mail Folders": [WATCHED], "Start Time": "2025-10-01 00:00", "End Time": "2026-01-01 00:00", "Number of Event(s) Fetched": self.cap, "Use Immutable IDs": true});
        if let Some(c) = &self.cursor {
            input["Cursor"] = c.clone();
        }
        input
    }

    /// A run whose result the platform keeps (events and cursor).
    async fn run(&mut self) -> Run {
        let out = self.f.run(&self.app, "fetch-event", self.input()).await;
        assert_eq!(out.status(), "successful", "{:#}", out.result);
        let events = out.result["events"].as_array().cloned().unwrap_or_default();
        self.delivered.extend(
            events
                .iter()
                .map(|e| e["Unique Event Key"].as_str().unwrap().to_string()),
        );
        self.cursor = Some(out.result["context-data"]["cursor"].clone());
        Run {
            subjects: events
                .iter()
                .map(|e| e["Email subject"].as_str().unwrap().to_string())
                .collect(),
            context: out.result["context-data"].clone(),
        }
    }

    /// Runs until a run delivers nothing; the subjects of all of them.
    async fn drain(&mut self) -> Vec<String> {
        let mut all = Vec::new();
        for _ in 0..50 {
            let run = self.run().await;
            if run.subjects.is_empty() {
                return all;
            }
            all.extend(run.subjects);
        }
        panic!("the cursor must come to an end");
    }

    fn assert_none_twice(&self) {
        let unique: HashSet<&String> = self.delivered.iter().collect();
        assert_eq!(unique.len(), self.delivered.len(), "a message came twice");
    }
}

fn add(f: &Fixture, folder: &str, subject: &str, received: &str) -> String {
    f.sim
        .insert_message(
            ALEX,
            folder,
            json!({"subject": subject, "receivedDateTime": received}),
        )
        .unwrap()
}

/// The watched folder with `n` messages received a minute apart from 2025-10-01T00:00Z.
fn watched_folder(f: &Fixture, n: usize) {
    let spec = MailboxSpec {
        messages: n,
        folders: vec![WATCHED.into()],
        start: 1_759_276_800,
        spacing_secs: 60,
        attachment_every: 0,
        seed: 7,
        ..MailboxSpec::default()
    };
    f.sim.generate_messages(ALEX, &spec).unwrap();
}

#[tokio::test]
async fn a_message_moved_in_with_an_older_received_time_is_delivered() {
    let f = Fixture::new().await;
    watched_folder(&f, 5);
    let old = add(&f, "inbox", "filed later", "2025-06-01T08:00:00Z");
    let mut s = Scheduler::new(&f, 50);
    let first = s.run().await;
    assert_eq!(first.subjects.len(), 5, "the first run is the window");
    assert_eq!(first.context["folders"][0]["cursor-mode"], "window");
    assert!(s.run().await.subjects.is_empty());

    // An analyst files an older message into the watched folder.
    f.sim.move_message(ALEX, &old, WATCHED).unwrap();
    let run = s.run().await;
    assert_eq!(run.subjects, ["filed later"]);
    assert_eq!(run.context["folders"][0]["cursor-mode"], "delta");
    assert!(s.run().await.subjects.is_empty());
    s.assert_none_twice();

    // The first round starts at the window's End Time and asks for created
    // messages; every round asks for pages with Prefer: odata.maxpagesize.
    let queries = f.queries_to("/messages/delta");
    assert!(queries[0].contains("changeType=created"), "{}", queries[0]);
    assert!(
        queries[0].contains("$filter=receivedDateTime ge 2026-01-01T00:00:00Z"),
        "{}",
        queries[0]
    );
    assert!(
        queries[1..].iter().all(|q| q.starts_with("$deltatoken=")),
        "{queries:?}"
    );
    let delta = f.sim.requests();
    assert!(
        delta
            .iter()
            .filter(|r| r.path.ends_with("/messages/delta"))
            .all(|r| r
                .header("prefer")
                .unwrap()
                .contains("odata.maxpagesize=100"))
    );
}

#[tokio::test]
async fn moved_out_and_back_comes_once_and_what_was_swapped_in_comes() {
    let f = Fixture::new().await;
    watched_folder(&f, 3);
    let junk = add(&f, "junkemail", "was junk", "2025-09-15T12:00:00Z");
    let mut s = Scheduler::new(&f, 50);
    assert_eq!(s.run().await.subjects.len(), 3);
    let first_key = s.delivered[0].clone();

    // The analyst swaps: a delivered message goes to Junk, the junk one comes in.
    f.sim.move_message(ALEX, &first_key, "junkemail").unwrap();
    f.sim.move_message(ALEX, &junk, WATCHED).unwrap();
    assert_eq!(s.run().await.subjects, ["was junk"]);
    // ...and back: the delivered message is not delivered again.
    f.sim.move_message(ALEX, &first_key, WATCHED).unwrap();
    assert!(s.run().await.subjects.is_empty());
    s.assert_none_twice();
    assert_eq!(s.delivered.len(), 4);
}

/// Graph may send `@removed` entries in any round; they are no events.
fn add_removed_entry(v: &mut Value) {
    if let Some(items) = v["value"].as_array_mut() {
        items.push(json!({"@odata.type": "#microsoft.graph.message", "id": "AAMkRemovedByTheServer==", "@removed": {"reason": "deleted"}}));
    }
}

#[tokio::test]
async fn deleted_messages_and_late_arrivals() {
    let f = Fixture::new().await;
    watched_folder(&f, 4);
    let mut s = Scheduler::new(&f, 50);
    assert_eq!(s.run().await.subjects.len(), 4);
    assert!(s.run().await.subjects.is_empty());

    // One delivered message is deleted, one purged; one arrives and is
    // purged before the next run; one arrives late, stamped before the
    // newest delivered.
    f.sim.delete_message(ALEX, &s.delivered[0]).unwrap();
    f.sim.purge_message(ALEX, &s.delivered[1]).unwrap();
    let gone = add(&f, WATCHED, "gone before the run", "2025-10-02T00:00:00Z");
    f.sim.purge_message(ALEX, &gone).unwrap();
    add(&f, WATCHED, "late arrival", "2025-10-01T00:01:30Z");
    f.sim.inject(
        Fault::new("/messages/delta", FaultKind::Rewrite(add_removed_entry))
            .method("GET")
            .times(1),
    );
    let run = s.run().await;
    assert_eq!(run.subjects, ["late arrival"]);
    assert!(s.run().await.subjects.is_empty());
    s.assert_none_twice();
}

#[tokio::test]
async fn many_messages_in_one_second_across_capped_runs() {
    let f = Fixture::new().await;
    // 2,100 messages received in the same second, 1,000 a run.
    let spec = MailboxSpec {
        messages: 2_100,
        folders: vec![WATCHED.into()],
        start: 1_759_400_000,
        spacing_secs: 0,
        attachment_every: 0,
        seed: 11,
        ..MailboxSpec::default()
    };
    f.sim.generate_messages(ALEX, &spec).unwrap();
    let mut s = Scheduler::new(&f, 1_000);
    let all = s.drain().await;
    assert_eq!(all.len(), 2_100);
    s.assert_none_twice();
}

#[tokio::test]
async fn a_run_stopped_at_its_cap_resumes_where_it_stopped() {
    let f = Fixture::new().await;
    watched_folder(&f, 2);
    let mut s = Scheduler::new(&f, 3);
    assert_eq!(s.run().await.subjects.len(), 2);
    for i in 0..7 {
        add(
            &f,
            WATCHED,
            &format!("new {i}"),
            &format!("2025-11-0{}T10:00:00Z", i + 1),
        );
    }
    let old = add(&f, "inbox", "moved in", "2025-01-01T00:00:00Z");
    f.sim.move_message(ALEX, &old, WATCHED).unwrap();

    let first = s.run().await;
    assert_eq!(first.subjects, ["new 0", "new 1", "new 2"]);
    assert_eq!(first.context["folders"][0]["more"], true);
    // The process dies before the platform keeps the next result: the
    // same cursor runs again and delivers the same messages, none lost.
    let kept = s.cursor.clone();
    let lost = s.run().await;
    s.cursor = kept;
    s.delivered
        .truncate(s.delivered.len() - lost.subjects.len());
    let again = s.run().await;
    assert_eq!(again.subjects, lost.subjects);
    assert_eq!(again.subjects, ["new 3", "new 4", "new 5"]);
    assert_eq!(s.run().await.subjects, ["new 6", "moved in"]);
    assert!(s.run().await.subjects.is_empty());
    s.assert_none_twice();
    assert_eq!(s.delivered.len(), 10);
}

#[tokio::test]
async fn an_expired_delta_token_restarts_the_sync_without_duplicates() {
    let f = Fixture::new().await;
    watched_folder(&f, 5);
    let mut s = Scheduler::new(&f, 50);
    assert_eq!(s.run().await.subjects.len(), 5);
    assert!(s.run().await.subjects.is_empty());
    add(&f, WATCHED, "during the gap", "2025-12-01T09:00:00Z");
    let old = add(
        &f,
        "inbox",
        "moved in during the gap",
        "2025-10-01T00:00:30Z",
    );
    f.sim.move_message(ALEX, &old, WATCHED).unwrap();

    // Graph forgets the sync state: the next request with it answers 410.
    f.sim.expire_delta_tokens();
    let run = s.run().await;
    let mut subjects = run.subjects.clone();
    subjects.sort();
    assert_eq!(subjects, ["during the gap", "moved in during the gap"]);
    assert_eq!(run.context["folders"][0]["restarted"], true);
    let statuses: Vec<u16> = f
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages/delta"))
        .map(|r| r.status)
        .collect();
    assert!(statuses.contains(&410), "{statuses:?}");
    assert!(s.run().await.subjects.is_empty());
    s.assert_none_twice();
}

#[tokio::test]
async fn filter_and_search_keep_the_received_time_cursor() {
    let f = Fixture::new().await;
    watched_folder(&f, 3);
    let app = f.demo("demo-app");
    let out = f
        .run(
            &app,
            "fetch-event",
            json!({"Email Address": ALEX, "Mail Folders": [WATCHED], "Start Time": "2025-10-01 00:00", "End Time": "2026-01-01 00:00", "Filter": "hasAttachments eq false"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let cursor = &out.result["context-data"]["cursor"];
    assert_eq!(cursor["version"], 2);
    assert_eq!(
        cursor["folders"][WATCHED]["receivedDateTime"],
        "2025-10-01T00:02:00Z"
    );
    assert_eq!(f.requests_to("/messages/delta"), 0);
}
