//! Named values evaluated once: the cache and cycle guard the ARM and
//! Terraform evaluators put in front of parameters, variables, locals and
//! outputs. A name met again while its own value is being computed (a cycle),
//! or computed past `max_depth` names deep, is unknown.
//!
//! It does not evaluate anything, and does not decide when a value is too
//! deep or report it: the caller's `compute` does that.

use foldhash::HashMap;
use std::cell::RefCell;

use super::Value;

/// Values by name, and the names being computed now.
#[derive(Debug, Default)]
pub struct Memo {
    cache: RefCell<HashMap<String, Value>>,
    /// The names being computed, innermost last: at most `max_depth` + 1,
    /// looked through rather than hashed, and each moved in and out rather
    /// than copied (a computation ends before the one that asked for it).
    busy: RefCell<Vec<String>>,
}

impl Memo {
    /// The value of `key`: cached, or computed once by `compute` and kept;
    /// unknown when `key` is already being computed or more than
    /// `max_depth` names are.
    pub fn get_or(&self, key: String, max_depth: usize, compute: impl FnOnce() -> Value) -> Value {
        self.get_or_as(key, max_depth, compute, Value::clone)
    }

    /// [`Memo::get_or`], given to the caller as `out` makes it of the value
    /// where it is kept: `|_| ()` computes a value to read in place later
    /// without the copy `get_or` would hand back and the caller drop.
    /// `out` must not use this memo.
    pub fn get_or_as<T>(
        &self,
        key: String,
        max_depth: usize,
        compute: impl FnOnce() -> Value,
        out: fn(&Value) -> T,
    ) -> T {
        if let Some(v) = self.cache.borrow().get(&key) {
            return out(v);
        }
        {
            let mut busy = self.busy.borrow_mut();
            if busy.len() > max_depth || busy.contains(&key) {
                return out(&Value::Unknown);
            }
            busy.push(key);
        }
        let value = compute();
        // Every name `compute` asked for was taken off again before it
        // returned: the last one is this one.
        let key = self.busy.borrow_mut().pop().unwrap_or_default();
        let given = out(&value);
        self.cache.borrow_mut().insert(key, value);
        given
    }

    /// Whether `key` has been computed.
    pub fn contains(&self, key: &str) -> bool {
        self.cache.borrow().contains_key(key)
    }

    /// What `f` makes of the cached value of `key`, without cloning it.
    pub fn read<T>(&self, key: &str, f: impl FnOnce(&Value) -> T) -> Option<T> {
        self.cache.borrow().get(key).map(f)
    }

    /// Forgets every cached value (names being computed stay guarded).
    pub fn clear(&self) {
        self.cache.borrow_mut().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_once_and_breaks_cycles() {
        let memo = Memo::default();
        let calls = std::cell::Cell::new(0);
        let compute = || {
            calls.set(calls.get() + 1);
            Value::Number(1.0)
        };
        assert_eq!(memo.get_or("a".into(), 64, compute), Value::Number(1.0));
        assert_eq!(memo.get_or("a".into(), 64, compute), Value::Number(1.0));
        assert_eq!(calls.get(), 1);
        memo.get_or_as("e".into(), 64, compute, |_| ());
        assert_eq!(calls.get(), 2);
        assert_eq!(memo.read("e", Value::clone), Some(Value::Number(1.0)));
        assert!(memo.get_or_as("e".into(), 64, compute, |v| v == &Value::Number(1.0)));
        assert_eq!(calls.get(), 2);
        let cycle = memo.get_or("b".into(), 64, || memo.get_or("b".into(), 64, compute));
        assert_eq!(cycle, Value::Unknown);
        let deep = memo.get_or("c".into(), 0, || memo.get_or("d".into(), 0, compute));
        assert_eq!(deep, Value::Unknown);
        assert!(memo.contains("a") && memo.read("a", Value::clone) == Some(Value::Number(1.0)));
        memo.clear();
        assert!(!memo.contains("a"));
    }

    /// Names computed inside one another are each kept under their own
    /// name, and none stays guarded once computed.
    #[test]
    fn nested_names_are_kept_under_their_own_names() {
        let memo = Memo::default();
        let n = |x: f64| move || Value::Number(x);
        let outer = memo.get_or("x".into(), 64, || {
            let y = memo.get_or("y".into(), 64, || {
                memo.get_or("z".into(), 64, n(3.0));
                Value::Number(2.0)
            });
            assert_eq!(memo.get_or("x".into(), 64, n(9.0)), Value::Unknown);
            y
        });
        assert_eq!(outer, Value::Number(2.0));
        for (key, value) in [("x", 2.0), ("y", 2.0), ("z", 3.0)] {
            assert_eq!(memo.read(key, Value::clone), Some(Value::Number(value)));
        }
        assert!(memo.busy.borrow().is_empty());
    }
}
