//! Backup instances moving from one backup policy to another, as this provider process sees them.
//!
//! Terraform orders no edge between the update of a backup instance that leaves a policy and the destroy of that
//! policy in the same apply, so the two run side by side. Terraform serves one apply walk with one provider
//! process, so a registry in the process tells a policy delete which of the instances that hold the policy are
//! on their way out (their update runs or ran in this apply), and whether moves may still be coming: a move that
//! Terraform has not started yet looks like an instance that stays until it starts, so instances that are not
//! moving are given [`SETTLE_WINDOW`] after the last sign of activity before the delete gives up on them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::arm::ids::same_id;
use crate::plugin::value::Value;
use crate::resources::backup_instance::attr;

/// How long a policy delete keeps waiting for holders that are not moving, counted from the latest of: its own
/// start, the start of a move in this process, the end of a move in this process. While a move is in flight the
/// wait goes on regardless.
pub(crate) const SETTLE_WINDOW: Duration = Duration::from_secs(15);

/// The moves of this process and a signal that fires on every change.
#[derive(Debug)]
pub(crate) struct Moves {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    moves: HashMap<u64, Move>,
    /// When a move last started or ended.
    last_activity: Option<Instant>,
}

#[derive(Debug)]
struct Move {
    instance: String,
    from: String,
    /// `None` while in flight; `Some(true)` once Azure took the new policy, `Some(false)` when the update failed.
    moved: Option<bool>,
}

impl Default for Moves {
    fn default() -> Self {
        Moves::new()
    }
}

impl Moves {
    /// An empty registry.
    pub(crate) fn new() -> Moves {
        Moves { state: Mutex::new(State::default()), changed: watch::Sender::new(0) }
    }

    /// The registry of this process.
    pub(crate) fn global() -> &'static Moves {
        static MOVES: OnceLock<Moves> = OnceLock::new();
        MOVES.get_or_init(Moves::new)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever a panicking holder did: every change is one assignment.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn touch(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Registers that backup instance `instance` (its ARM ID) starts moving from policy `from` at `now`. The move
    /// is in flight until [`MoveGuard::finish`] (or the guard's drop, which counts as a failed move).
    pub(crate) fn begin(&self, instance: &str, from: &str, now: Instant) -> MoveGuard<'_> {
        let key = {
            let mut state = self.lock();
            let key = state.next;
            state.next += 1;
            state.moves.insert(key, Move { instance: instance.to_owned(), from: from.to_owned(), moved: None });
            state.last_activity = Some(now);
            key
        };
        self.touch();
        MoveGuard { moves: self, key, finished: false }
    }

    fn finish(&self, key: u64, moved: bool, now: Instant) {
        {
            let mut state = self.lock();
            if let Some(entry) = state.moves.get_mut(&key) {
                entry.moved = Some(moved);
            }
            state.last_activity = Some(now);
        }
        self.touch();
    }

    /// A receiver that wakes on every change of the registry.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// What the registry says about policy `policy` now.
    pub(crate) fn view(&self, policy: &str) -> View {
        let state = self.lock();
        let leaving = state
            .moves
            .values()
            .filter(|m| same_id(&m.from, policy) && m.moved != Some(false))
            .map(|m| m.instance.clone())
            .collect();
        let in_flight = state.moves.values().filter(|m| m.moved.is_none()).count();
        View { leaving, in_flight, last_activity: state.last_activity }
    }
}

/// A snapshot of the registry for one policy.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// The instances whose move away from the policy runs or succeeded in this process.
    leaving: Vec<String>,
    /// How many moves (from any policy) are in flight in this process.
    in_flight: usize,
    /// When a move last started or ended in this process.
    last_activity: Option<Instant>,
}

impl View {
    /// Whether instance `instance` (its ARM ID) is leaving the policy.
    pub(crate) fn is_leaving(&self, instance: &str) -> bool {
        self.leaving.iter().any(|i| same_id(i, instance))
    }

    /// Until when instances that are not moving are waited for, by a delete that started at `started`; `None`
    /// while a move is in flight (no end yet).
    pub(crate) fn settles_at(&self, started: Instant) -> Option<Instant> {
        if self.in_flight > 0 {
            return None;
        }
        let since = self.last_activity.map_or(started, |last| last.max(started));
        Some(since + SETTLE_WINDOW)
    }
}

/// A move in flight; [`MoveGuard::finish`] ends it with its outcome, and dropping it unfinished ends it as failed.
#[derive(Debug)]
pub(crate) struct MoveGuard<'a> {
    moves: &'a Moves,
    key: u64,
    finished: bool,
}

impl MoveGuard<'_> {
    /// Ends the move: `moved` when Azure took the new policy.
    pub(crate) fn finish(mut self, moved: bool) {
        self.finished = true;
        self.moves.finish(self.key, moved, Instant::now());
    }
}

impl Drop for MoveGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.moves.finish(self.key, false, Instant::now());
        }
    }
}

/// Registers, in this process's registry, the move of the backup instance whose update goes from `prior` to
/// `planned`, when its `backup_policy_id` changes; `None` when it stays on its policy.
pub(crate) fn begin_policy_move(prior: &Value, planned: &Value) -> Option<MoveGuard<'static>> {
    let from = prior.attr(attr::backup_policy_id).as_str()?;
    let to = planned.attr(attr::backup_policy_id).as_str()?;
    let instance = prior.attr(attr::id).as_str()?;
    if same_id(from, to) {
        return None;
    }
    tracing::debug!(instance, from, to, "backup instance moves to another backup policy");
    Some(Moves::global().begin(instance, from, Instant::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY_A: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupPolicies/a";
    const POLICY_B: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupPolicies/b";
    const BI_1: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/bi-1";
    const BI_2: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/bi-2";

    #[test]
    fn a_move_leaves_its_policy_only() {
        let moves = Moves::new();
        let now = Instant::now();
        let guard = moves.begin(BI_1, POLICY_A, now);
        let view = moves.view(&POLICY_A.to_uppercase());
        assert!(view.is_leaving(BI_1) && view.is_leaving(&BI_1.to_lowercase()), "IDs compare without case");
        assert!(!view.is_leaving(BI_2));
        assert!(!moves.view(POLICY_B).is_leaving(BI_1));
        guard.finish(true);
        assert!(moves.view(POLICY_A).is_leaving(BI_1), "a finished move has left, even if a list lags");
    }

    #[test]
    fn a_failed_or_abandoned_move_stays() {
        let moves = Moves::new();
        let now = Instant::now();
        moves.begin(BI_1, POLICY_A, now).finish(false);
        assert!(!moves.view(POLICY_A).is_leaving(BI_1));
        drop(moves.begin(BI_2, POLICY_A, now));
        assert!(!moves.view(POLICY_A).is_leaving(BI_2), "dropped unfinished: the update ended without a move");
        assert_eq!(moves.view(POLICY_A).in_flight, 0);
    }

    #[test]
    fn moves_in_flight_keep_it_unsettled() {
        let moves = Moves::new();
        let started = Instant::now();
        let guard = moves.begin(BI_1, POLICY_B, started);
        let view = moves.view(POLICY_A);
        assert_eq!(view.settles_at(started), None);
        guard.finish(true);
        let view = moves.view(POLICY_A);
        let end = view.settles_at(started).expect("nothing in flight");
        assert!(end >= started + SETTLE_WINDOW, "counted from the move's end, not before the delete started");
    }

    #[test]
    fn the_window_counts_from_the_latest_activity() {
        let moves = Moves::new();
        let t0 = Instant::now();
        // Nothing happened in the process: the delete's own start counts.
        assert_eq!(moves.view(POLICY_A).settles_at(t0), Some(t0 + SETTLE_WINDOW));
        // A move that ended before the delete started: the delete's start is later.
        moves.begin(BI_1, POLICY_B, t0).finish(true);
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(moves.view(POLICY_A).settles_at(later), Some(later + SETTLE_WINDOW));
        // A move that starts after the delete did: no end while it runs, then counted from its end.
        let t1 = Instant::now() + Duration::from_secs(5);
        let guard = moves.begin(BI_2, POLICY_B, t1);
        assert_eq!(moves.view(POLICY_A).settles_at(t0), None);
        assert_eq!(moves.view(POLICY_A).last_activity, Some(t1));
        guard.finish(true);
        let end = moves.view(POLICY_A).settles_at(t0).expect("nothing in flight");
        assert!(end > t0 + SETTLE_WINDOW, "counted from the move's end, after the delete's start");
    }

    #[tokio::test]
    async fn subscribers_wake_on_every_change() {
        let moves = Moves::new();
        let mut changes = moves.subscribe();
        changes.borrow_and_update();
        let guard = moves.begin(BI_1, POLICY_A, Instant::now());
        assert!(changes.has_changed().unwrap(), "a start wakes");
        changes.borrow_and_update();
        guard.finish(true);
        assert!(changes.has_changed().unwrap(), "an end wakes");
    }

    #[test]
    fn an_update_registers_a_move_only_when_the_policy_changes() {
        let state = |policy: &str| {
            Value::object([(attr::id, Value::from(BI_1)), (attr::backup_policy_id, Value::from(policy))])
        };
        assert!(begin_policy_move(&state(POLICY_A), &state(&POLICY_A.to_lowercase())).is_none());
        let guard = begin_policy_move(&state(POLICY_A), &state(POLICY_B)).expect("a move");
        assert!(Moves::global().view(POLICY_A).is_leaving(BI_1));
        guard.finish(true);
    }
}
