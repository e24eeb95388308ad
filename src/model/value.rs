//! Values in the neutral model: JSON-like trees whose nodes carry the span of
//! the source text they came from, plus two things JSON lacks — resource ids
//! whose parts may be unknown, and `Unknown` itself.

use std::sync::Arc;

use foldhash::HashMap;

use crate::model::id::ArmId;
use crate::source::Span;

/// A value with the span of the source construct that produced it: for an
/// object member, the whole member (`"key": value`, `key = value`); for an
/// array element, the element. Values synthesised by a front-end (defaults,
/// mapped attributes) carry the span of the attribute they were mapped from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(Key),
    Array(Vec<Node>),
    Object(Object),
    /// A resource id. Front-ends produce it from `resourceId()` and friends and
    /// from Terraform references; literal id strings are parsed on demand.
    /// Shared: an id is over a hundred bytes in several allocations, every
    /// value, node and object member was as large as one, and ids are
    /// copied far more often than changed (`Arc::make_mut` to change one).
    Id(Arc<ArmId>),
    /// Not knowable from the input: a parameter without a value, a function
    /// the evaluator does not implement, an attribute known only after apply.
    Unknown,
}

impl Value {
    /// Text as a value (short text is kept inline, see [`Key`]).
    pub fn string(s: impl Into<Key>) -> Value {
        Value::String(s.into())
    }

    /// A resource id as a value.
    pub fn id(id: ArmId) -> Value {
        Value::Id(Arc::new(id))
    }
}

/// An object whose keys keep their source order and compare case-insensitively
/// (ARM property names are case-insensitive).
#[derive(Clone, Debug, Default)]
pub struct Object {
    entries: Vec<(Key, Node)>,
    /// Lower-cased key → position, built once the object is large enough for
    /// a scan to matter: a 100,000-member object must not make loading
    /// quadratic. Boxed: most objects have none, and every value is as
    /// large as its largest kind.
    index: Option<Box<HashMap<String, usize>>>,
}

/// Text in the model, an object member's name or a text value: most are
/// short (`properties`, `name`, `eastus`, `2023-11-01`) and kept inline
/// (up to 24 bytes), without an allocation of their own; copying a value
/// copies them with it.
pub type Key = compact_str::CompactString;

/// Objects with more members than this are indexed.
const INDEX_FROM: usize = 16;

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.entries == other.entries
    }
}

impl Value {
    /// Whether arrays and objects nest in this value more than `max` deep;
    /// iterative, so that it cannot overflow on the value it measures.
    /// Evaluators refuse values past their depth limit with it: values that
    /// grow one variable or call at a time would otherwise be deep enough to
    /// overflow the stack when dropped or read.
    pub fn nested_deeper(&self, max: usize) -> bool {
        // Most values checked are text or numbers: no stack for them.
        if !matches!(self, Value::Array(_) | Value::Object(_)) {
            return false;
        }
        let mut pending = vec![(self, 0usize)];
        while let Some((value, depth)) = pending.pop() {
            match value {
                Value::Array(items) => {
                    if depth >= max {
                        return true;
                    }
                    pending.extend(items.iter().map(|n| (&n.value, depth + 1)));
                }
                Value::Object(object) => {
                    if depth >= max {
                        return true;
                    }
                    pending.extend(object.iter().map(|(_, n)| (&n.value, depth + 1)));
                }
                _ => {}
            }
        }
        false
    }
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    /// An empty object with room for `n` members.
    pub fn with_capacity(n: usize) -> Object {
        Object {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => super::with_lowercase(key, |lower| index.get(lower).copied()),
            None => self
                .entries
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(key)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// Sets `key`, replacing an existing entry with the same name (any case).
    pub fn insert(&mut self, key: impl Into<Key>, node: Node) {
        let key = key.into();
        if let Some(i) = self.position(&key) {
            self.entries[i].1 = node;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.as_str().to_ascii_lowercase(), self.entries.len());
        }
        self.entries.push((key, node));
        if self.index.is_none() && self.entries.len() > INDEX_FROM {
            self.index = Some(Box::new(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.as_str().to_ascii_lowercase(), i))
                    .collect(),
            ));
        }
    }

    /// Calls `f` on every member's node, in order.
    pub fn for_each_node_mut(&mut self, mut f: impl FnMut(&mut Node)) {
        for (_, node) in &mut self.entries {
            f(node);
        }
    }

    /// The members, in order.
    pub fn into_entries(self) -> Vec<(Key, Node)> {
        self.entries
    }

    /// The object at `key`, created empty when missing or not an object.
    pub fn object_mut(&mut self, key: &str, span: Option<Span>) -> &mut Object {
        let is_object = matches!(self.get(key).map(|n| &n.value), Some(Value::Object(_)));
        if !is_object {
            self.insert(key, Node::new(Value::Object(Object::new()), span));
        }
        match self.get_mut(key).map(|n| &mut n.value) {
            Some(Value::Object(object)) => object,
            _ => unreachable!("inserted an object just above"),
        }
    }

    /// The entries in order, their nodes to change (the keys stay).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Node)> {
        self.entries.iter_mut().map(|(k, n)| (k.as_str(), n))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Node {
    pub fn new(value: Value, span: Option<Span>) -> Node {
        Node { value, span }
    }

    pub fn unknown(span: Option<Span>) -> Node {
        Node::new(Value::Unknown, span)
    }

    pub fn string(s: impl Into<Key>, span: Option<Span>) -> Node {
        Node::new(Value::String(s.into()), span)
    }

    pub fn object(object: Object, span: Option<Span>) -> Node {
        Node::new(Value::Object(object), span)
    }

    /// The member at `key` when this node is an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// Follows a dotted path of object keys (`properties.network.publicNetworkAccess`).
    pub fn get_path(&self, path: &str) -> Option<&Node> {
        path.split('.')
            .filter(|s| !s.is_empty())
            .try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        self.value.as_str()
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.value, Value::Unknown)
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// This value read as a resource id: an `Id`, or a string that parses as one.
    pub fn as_id(&self) -> Option<ArmId> {
        match self {
            Value::Id(id) => Some((**id).clone()),
            Value::String(s) => ArmId::parse(s),
            _ => None,
        }
    }

    /// What building this value counts against the work budget
    /// (`limits.max_value_bytes`): `per_value` for each value in it, plus the
    /// bytes of its strings, keys and ids. Walked without recursion, so a
    /// deep value cannot overflow the stack here.
    pub fn weight<'a>(&'a self, per_value: u64) -> u64 {
        // Values with nothing inside weigh themselves; for an array or an
        // object, only members that nest further go on the stack (most
        // values weighed are text or shallow: no stack is built for them).
        let flat = |value: &Value| -> Option<u64> {
            let own = match value {
                Value::String(s) => s.len() as u64,
                Value::Id(id) => {
                    id.rtype.len() as u64
                        + id.names.len() as u64 * per_value
                        + id.local.as_ref().map_or(0, |l| l.len() as u64)
                }
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::Unknown => 0,
                Value::Array(_) | Value::Object(_) => return None,
            };
            Some(per_value.saturating_add(own))
        };
        if let Some(weight) = flat(self) {
            return weight;
        }
        let mut total: u64 = 0;
        let mut stack: Vec<&'a Value> = Vec::new();
        let mut next = Some(self);
        while let Some(value) = next.take().or_else(|| stack.pop()) {
            let mut own = per_value;
            let mut weigh = |key: usize, member: &'a Value| {
                let weight = flat(member).unwrap_or_else(|| {
                    stack.push(member);
                    0
                });
                own = own.saturating_add(key as u64).saturating_add(weight);
            };
            match value {
                Value::Array(items) => items.iter().for_each(|n| weigh(0, &n.value)),
                Value::Object(o) => o.iter().for_each(|(k, n)| weigh(k.len(), &n.value)),
                _ => {}
            }
            total = total.saturating_add(own);
        }
        total
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Array(items) => items.iter().any(|n| n.value.contains_unknown()),
            Value::Object(o) => o.iter().any(|(_, n)| n.value.contains_unknown()),
            _ => false,
        }
    }

    /// A short rendering for messages: strings bare, ids as paths, others as JSON.
    pub fn display(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            Value::String(s) => s.to_string(),
            Value::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|n| n.value.display())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Object(_) => "{…}".into(),
            Value::Id(id) => id.to_string(),
            Value::Unknown => "(unknown)".into(),
        }
    }

    /// Converts plain JSON (no spans) into a value; used for data tables and tests.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(s.as_str().into()),
            serde_json::Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| Node::new(Value::from_json(v), None))
                    .collect(),
            ),
            serde_json::Value::Object(o) => {
                let mut object = Object::new();
                for (k, v) in o {
                    object.insert(k.as_str(), Node::new(Value::from_json(v), None));
                }
                Value::Object(object)
            }
        }
    }
}

/// Three-valued truth: a condition over an unknown value is `Unknown`, and an
/// unknown never raises a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    pub fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    pub fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    /// Kleene conjunction: false wins over unknown.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene disjunction: true wins over unknown.
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    pub fn is_true(self) -> bool {
        self == Truth::True
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value weighs `per_value` for itself and for each value inside it,
    /// plus the bytes of its strings and keys, however deep they are.
    #[test]
    fn weight_counts_every_value_and_its_bytes() {
        let text = |s: &str| Node::new(Value::string(s), None);
        let mut inner = Object::new();
        inner.insert("ab", text("xyz"));
        inner.insert("c", Node::new(Value::Number(1.0), None));
        let mut outer = Object::new();
        outer.insert("deep", Node::object(inner, None));
        outer.insert(
            "list",
            Node::new(Value::Array(vec![text("12"), text("")]), None),
        );
        let value = Value::Object(outer);
        // outer, inner, "xyz", 1, list, "12", "": 7 values; keys 4+2+1+4,
        // strings 3+2.
        assert_eq!(value.weight(10), 7 * 10 + 11 + 5);
        assert_eq!(Value::String("abc".into()).weight(10), 13);
        assert_eq!(Value::Array(Vec::new()).weight(10), 10);
    }

    /// Every value, node and object member is as large as the largest kind
    /// of value: an id or an object's index inline made them 120, 136 and
    /// 160 bytes, and evaluation moves and copies them by the million.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn values_stay_small() {
        assert!(std::mem::size_of::<Value>() <= 32);
        assert!(std::mem::size_of::<Node>() <= 48);
        assert!(std::mem::size_of::<(String, Node)>() <= 72);
    }

    #[test]
    fn kleene_logic() {
        assert_eq!(Truth::Unknown.and(Truth::False), Truth::False);
        assert_eq!(Truth::Unknown.and(Truth::True), Truth::Unknown);
        assert_eq!(Truth::Unknown.or(Truth::True), Truth::True);
        assert_eq!(Truth::Unknown.or(Truth::False), Truth::Unknown);
        assert_eq!(Truth::Unknown.negate(), Truth::Unknown);
    }

    #[test]
    fn object_keys_compare_case_insensitively() {
        let mut o = Object::new();
        o.insert("publicNetworkAccess", Node::string("Enabled", None));
        o.insert("PublicNetworkAccess", Node::string("Disabled", None));
        assert_eq!(o.len(), 1);
        assert_eq!(
            o.get("PUBLICNETWORKACCESS").and_then(Node::as_str),
            Some("Disabled")
        );
    }
}
