//! Terraform's built-in functions as plinth evaluates them: the pure ones
//! of evaluated arguments (`function()`: strings, collections, numbers,
//! encoders, regex, CIDR), and `file()`/`templatefile()`, which read a file
//! under the root module (confined to the paths checked). Every other
//! function, and any call with an unknown argument, is unknown.
//!
//! Evaluating the call's arguments, and `fileexists()`, is in
//! `expr.rs`.

use crate::model::{Node, Object, Value};
use crate::source::{FileId, Span};
use crate::terraform::eval::Module;
use crate::terraform::expr::text;

impl Module<'_> {
    /// `file(path)`: the text of a file, relative to the root module's
    /// folder; unknown when it cannot be read or is too large, and noted
    /// (at the calling file) when it lies outside the paths checked or is
    /// not a regular file — its text never reaches a message.
    pub(super) fn read(&self, path: &str, at: Option<Span>) -> Option<String> {
        let full = self.root_dir.as_ref()?.join(path);
        match self.confinement.read(&full) {
            Ok(bytes) => crate::paths::decode(bytes).ok(),
            Err(crate::paths::Refusal::Missing) => None,
            Err(refusal) => {
                // The pipeline names the calling file from the span.
                self.confinement.note(refusal.problem(
                    &full,
                    "file read by an expression",
                    (&full, at),
                ));
                None
            }
        }
    }

    /// `templatefile(path, vars)`: the file read as a string template, with
    /// `vars` as its variables.
    pub(super) fn template_file(
        &self,
        path: &str,
        vars: &Object,
        file: FileId,
        depth: usize,
        at: Option<Span>,
    ) -> Value {
        let Some(text) = self.read(path, at) else {
            return Value::Unknown;
        };
        let Ok(template) = hcl_edit::parser::parse_template(&text) else {
            return Value::Unknown;
        };
        let bindings = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.value.clone()))
            .collect();
        // The template's own variables only: not the caller's `for` ones.
        let current = self.current.borrow().clone();
        self.in_context(current, || {
            self.binding(bindings, || self.template(&template, file, depth + 1))
        })
    }
}

/// The pure built-in functions plinth evaluates; every other one is unknown.
#[allow(clippy::too_many_lines)] // one arm per Terraform function: the table reads best whole
pub(super) fn function(name: &str, args: Vec<Value>) -> Value {
    use Value as V;
    if args.iter().any(Value::contains_unknown) && name != "coalesce" && name != "try" {
        return V::Unknown;
    }
    match (name, args.as_slice()) {
        ("lower", [V::String(s)]) => V::String(s.to_lowercase()),
        ("upper", [V::String(s)]) => V::String(s.to_uppercase()),
        ("lower" | "upper", [V::Id(id)]) => V::Id(id.clone()),
        ("trimspace", [V::String(s)]) => V::String(s.trim().into()),
        ("tostring", [V::Id(id)]) => V::Id(id.clone()),
        ("tostring", [v]) => text(v).map_or(V::Unknown, V::string),
        ("tolist" | "toset", [V::Array(items)]) => V::Array(items.clone()),
        ("length", [V::Array(items)]) => V::Number(items.len() as f64),
        ("length", [V::Object(o)]) => V::Number(o.len() as f64),
        ("length", [V::String(s)]) => V::Number(s.chars().count() as f64),
        ("join", [V::String(sep), V::Array(items)]) => {
            let parts: Option<Vec<String>> = items.iter().map(|i| text(&i.value)).collect();
            parts.map_or(V::Unknown, |p| V::String(p.join(sep).into()))
        }
        ("concat", _) if args.iter().all(|a| matches!(a, V::Array(_))) => V::Array(
            args.into_iter()
                .flat_map(|a| match a {
                    V::Array(items) => items,
                    _ => Vec::new(),
                })
                .collect(),
        ),
        ("element", [V::Array(items), V::Number(i)]) if !items.is_empty() && *i >= 0.0 => {
            items[(*i as usize) % items.len()].value.clone()
        }
        ("lookup", [V::Object(o), V::String(k), rest @ ..]) => match (o.get(k), rest) {
            (Some(n), _) => n.value.clone(),
            (None, [default]) => default.clone(),
            _ => V::Unknown,
        },
        ("coalesce", _) => {
            for a in args {
                match a {
                    V::Null => continue,
                    V::String(s) if s.is_empty() => continue,
                    other => return other,
                }
            }
            V::Unknown
        }
        ("format", [V::String(pattern), rest @ ..]) => format(pattern, rest),
        ("replace", [V::String(s), V::String(old), V::String(new)])
            if !old.is_empty() && !is_regex(old) =>
        {
            V::String(s.replace(old.as_str(), new).into())
        }
        ("split", [V::String(sep), V::String(s)]) if !sep.is_empty() => V::Array(
            s.split(sep.as_str())
                .map(|p| Node::string(p, None))
                .collect(),
        ),
        ("startswith", [V::String(s), V::String(p)]) => V::Bool(s.starts_with(p.as_str())),
        ("endswith", [V::String(s), V::String(p)]) => V::Bool(s.ends_with(p.as_str())),
        ("strcontains", [V::String(s), V::String(p)]) => V::Bool(s.contains(p.as_str())),
        ("trimprefix", [V::String(s), V::String(p)]) => {
            V::String(s.strip_prefix(p.as_str()).unwrap_or(s).into())
        }
        ("trimsuffix", [V::String(s), V::String(p)]) => {
            V::String(s.strip_suffix(p.as_str()).unwrap_or(s).into())
        }
        ("substr", [V::String(s), V::Number(offset), V::Number(length)])
            if *offset >= 0.0 && offset.fract() == 0.0 && length.fract() == 0.0 =>
        {
            let chars = s.chars().skip(*offset as usize);
            V::String(if *length < 0.0 {
                chars.collect()
            } else {
                chars.take(*length as usize).collect()
            })
        }
        ("contains", [V::Array(items), needle]) if !matches!(needle, V::Id(_)) => {
            V::Bool(items.iter().any(|i| i.value == *needle))
        }
        // Terraform orders a map's keys lexically, and values by key.
        ("keys", [V::Object(o)]) => {
            let mut keys: Vec<&str> = o.iter().map(|(k, _)| k).collect();
            keys.sort_unstable();
            V::Array(keys.into_iter().map(|k| Node::string(k, None)).collect())
        }
        ("values", [V::Object(o)]) => {
            let mut entries: Vec<(&str, &Node)> = o.iter().collect();
            entries.sort_unstable_by_key(|(k, _)| *k);
            V::Array(entries.into_iter().map(|(_, v)| v.clone()).collect())
        }
        ("one", [V::Array(items)]) => match items.as_slice() {
            [] => V::Null,
            [only] => only.value.clone(),
            _ => V::Unknown,
        },
        ("distinct", [V::Array(items)]) => {
            let mut out: Vec<Node> = Vec::new();
            for item in items {
                if !out.iter().any(|o| o.value == item.value) {
                    out.push(item.clone());
                }
            }
            V::Array(out)
        }
        ("compact", [V::Array(items)]) => V::Array(
            items
                .iter()
                .filter(|i| {
                    !matches!(&i.value, V::Null) && i.value != V::String(String::new().into())
                })
                .cloned()
                .collect(),
        ),
        ("flatten", [V::Array(items)]) => {
            fn flat(items: &[Node], out: &mut Vec<Node>) {
                for item in items {
                    match &item.value {
                        Value::Array(inner) => flat(inner, out),
                        _ => out.push(item.clone()),
                    }
                }
            }
            let mut out = Vec::new();
            flat(items, &mut out);
            V::Array(out)
        }
        ("zipmap", [V::Array(keys), V::Array(values)]) if keys.len() == values.len() => {
            let mut object = Object::new();
            for (k, v) in keys.iter().zip(values) {
                match &k.value {
                    V::String(k) => object.insert(k.clone(), v.clone()),
                    _ => return V::Unknown,
                }
            }
            V::Object(object)
        }
        ("tomap", [V::Object(o)]) => V::Object(o.clone()),
        ("range", _) => range(&args),
        ("min" | "max", [_, ..]) => {
            let numbers: Option<Vec<f64>> = args
                .iter()
                .map(|a| match a {
                    V::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let Some(numbers) = numbers else {
                return V::Unknown;
            };
            let pick = if name == "min" { f64::min } else { f64::max };
            numbers
                .into_iter()
                .reduce(pick)
                .map_or(V::Unknown, V::Number)
        }
        ("abs", [V::Number(n)]) => V::Number(n.abs()),
        ("jsondecode", [V::String(s)]) => serde_json::from_str::<serde_json::Value>(s)
            .map_or(V::Unknown, |json| V::from_json(&json)),
        ("yamldecode", [V::String(s)]) => serde_yaml::from_str::<serde_json::Value>(s)
            .map_or(V::Unknown, |json| V::from_json(&json)),
        ("jsonencode", [v]) => to_json(v).map_or(V::Unknown, |json| V::string(json.to_string())),
        ("regex", [V::String(pattern), V::String(s)]) => {
            regex_match(pattern, s, false).unwrap_or(V::Unknown)
        }
        ("regexall", [V::String(pattern), V::String(s)]) => {
            regex_match(pattern, s, true).unwrap_or(V::Unknown)
        }
        ("cidrsubnet", [V::String(prefix), V::Number(bits), V::Number(num)]) => {
            cidr::subnet(prefix, *bits, *num).map_or(V::Unknown, V::string)
        }
        ("cidrhost", [V::String(prefix), V::Number(num)]) => {
            cidr::host(prefix, *num).map_or(V::Unknown, V::string)
        }
        ("cidrnetmask", [V::String(prefix)]) => cidr::netmask(prefix).map_or(V::Unknown, V::string),
        ("cidrsubnets", [V::String(prefix), bits @ ..]) => {
            let bits: Option<Vec<f64>> = bits
                .iter()
                .map(|b| match b {
                    V::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            bits.and_then(|bits| cidr::subnets(prefix, &bits))
                .map_or(V::Unknown, |list| {
                    V::Array(list.into_iter().map(|s| Node::string(s, None)).collect())
                })
        }
        ("base64encode", [V::String(s)]) => {
            use base64::Engine as _;
            V::String(base64::engine::general_purpose::STANDARD.encode(s).into())
        }
        ("base64decode", [V::String(s)]) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or(V::Unknown, V::string)
        }
        ("formatlist", [V::String(pattern), rest @ ..]) => formatlist(pattern, rest),
        // An error and an unknown look alike here: only a known first
        // argument is certainly what `try` returns.
        ("try", [first, ..]) if !first.contains_unknown() => first.clone(),
        ("can", [value]) if !value.contains_unknown() => V::Bool(true),
        ("tonumber", [V::Number(n)]) => V::Number(*n),
        ("tonumber", [V::String(s)]) => s.trim().parse().map_or(V::Unknown, V::Number),
        ("tobool", [V::Bool(b)]) => V::Bool(*b),
        ("tobool", [V::String(s)]) => match s.as_str() {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            _ => V::Unknown,
        },
        ("coalescelist", _) => args
            .iter()
            .find(|a| matches!(a, V::Array(items) if !items.is_empty()))
            .cloned()
            .unwrap_or(V::Unknown),
        ("reverse", [V::Array(items)]) => V::Array(items.iter().rev().cloned().collect()),
        ("slice", [V::Array(items), V::Number(from), V::Number(to)])
            if *from >= 0.0 && from <= to && (*to as usize) <= items.len() =>
        {
            V::Array(items[*from as usize..*to as usize].to_vec())
        }
        ("sort", [V::Array(items)]) => {
            let texts: Option<Vec<String>> = items.iter().map(|i| text(&i.value)).collect();
            match texts {
                Some(mut texts) => {
                    texts.sort();
                    V::Array(texts.into_iter().map(|t| Node::string(t, None)).collect())
                }
                None => V::Unknown,
            }
        }
        ("merge", _) if args.iter().all(|a| matches!(a, V::Object(_))) => {
            let mut merged = Object::new();
            for a in args {
                if let V::Object(o) = a {
                    for (k, v) in o.into_entries() {
                        merged.insert(k, v);
                    }
                }
            }
            V::Object(merged)
        }
        _ => V::Unknown,
    }
}

/// A known, plain value as JSON (what `jsonencode` writes); `None` when
/// any of it is unknown or an id.
fn to_json(value: &Value) -> Option<serde_json::Value> {
    Some(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            serde_json::Value::Number((*n as i64).into())
        }
        Value::Number(n) => serde_json::Number::from_f64(*n).map(serde_json::Value::Number)?,
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| to_json(&i.value))
                .collect::<Option<_>>()?,
        ),
        Value::Object(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| Some((k.to_string(), to_json(&v.value)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// `regex` (the first match) and `regexall` (every match): the matched text
/// when the pattern has no groups, a list of the groups when they are
/// unnamed, an object when they are named. `None`: no match for `regex`
/// (an error in Terraform), or a pattern the regex crate refuses.
fn regex_match(pattern: &str, text: &str, all: bool) -> Option<Value> {
    let re = regex::Regex::new(pattern).ok()?;
    let named: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let one = |caps: regex::Captures| -> Value {
        let group = |i: usize| {
            caps.get(i)
                .map_or(Value::Null, |m| Value::String(m.as_str().into()))
        };
        if named.is_empty() {
            group(0)
        } else if named.iter().all(Option::is_some) {
            let mut object = Object::new();
            for (i, name) in named.iter().enumerate() {
                object.insert(name.unwrap_or_default(), Node::new(group(i + 1), None));
            }
            Value::Object(object)
        } else {
            Value::Array(
                (1..=named.len())
                    .map(|i| Node::new(group(i), None))
                    .collect(),
            )
        }
    };
    if all {
        Some(Value::Array(
            re.captures_iter(text)
                .take(1024)
                .map(|c| Node::new(one(c), None))
                .collect(),
        ))
    } else {
        re.captures(text).map(one)
    }
}

/// Terraform's IPv4 CIDR functions `cidrsubnet`, `cidrhost`, `cidrsubnets`
/// and `cidrnetmask` (IPv6 prefixes are left unknown), on `crate::cidr`'s
/// parsing and arithmetic.
mod cidr {
    use crate::cidr::Range;

    pub fn subnet(prefix: &str, bits: f64, num: f64) -> Option<String> {
        let range = Range::parse_ipv4(prefix)?;
        if bits < 0.0 || num < 0.0 || bits.fract() != 0.0 || num.fract() != 0.0 || bits > 32.0 {
            return None;
        }
        let new_len = range.prefix + bits as u32;
        range
            .subnet(new_len, num as u128)
            .map(|subnet| subnet.to_string())
    }

    pub fn host(prefix: &str, num: f64) -> Option<String> {
        let range = Range::parse_ipv4(prefix)?;
        let size = range.last() - range.network + 1;
        if num.fract() != 0.0 || num.abs() >= size as f64 {
            return None;
        }
        let host = if num < 0.0 {
            size - (-num) as u128
        } else {
            num as u128
        };
        Some(range.address(range.network + host))
    }

    /// `cidrsubnets(prefix, newbits...)`: consecutive subnets, each aligned
    /// to its own size, as Terraform allocates them.
    pub fn subnets(prefix: &str, bits: &[f64]) -> Option<Vec<String>> {
        let range = Range::parse_ipv4(prefix)?;
        let len = range.prefix;
        let end = range.last() + 1;
        let mut next = range.network;
        let mut out = Vec::new();
        for b in bits {
            if *b < 1.0 || b.fract() != 0.0 || f64::from(len) + b > 32.0 {
                return None;
            }
            let new_len = len + *b as u32;
            let size = 1u128 << (32 - new_len);
            let start = next.div_ceil(size) * size;
            if start + size > end {
                return None;
            }
            out.push(format!("{}/{new_len}", range.address(start)));
            next = start + size;
        }
        Some(out)
    }

    pub fn netmask(prefix: &str) -> Option<String> {
        let range = Range::parse_ipv4(prefix)?;
        Some(range.address(range.mask()))
    }
}

/// `range(end)`, `range(start, end)`, `range(start, end, step)`, at most
/// 1,024 elements (Terraform's own cap).
fn range(args: &[Value]) -> Value {
    let numbers: Option<Vec<f64>> = args
        .iter()
        .map(|a| match a {
            Value::Number(n) => Some(*n),
            _ => None,
        })
        .collect();
    let (start, end, step) = match numbers.as_deref() {
        Some([end]) => (0.0, *end, 1.0),
        Some([start, end]) => (*start, *end, if start <= end { 1.0 } else { -1.0 }),
        Some([start, end, step]) => (*start, *end, *step),
        _ => return Value::Unknown,
    };
    if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
        return Value::Unknown;
    }
    let mut out = Vec::new();
    let mut n = start;
    while (step > 0.0 && n < end) || (step < 0.0 && n > end) {
        if out.len() >= 1024 {
            return Value::Unknown;
        }
        out.push(Node::new(Value::Number(n), None));
        n += step;
    }
    Value::Array(out)
}

/// `formatlist(spec, …)`: `format` over the elements of the list arguments
/// (all of one length; other arguments repeat).
fn formatlist(pattern: &str, args: &[Value]) -> Value {
    let lengths: Vec<usize> = args
        .iter()
        .filter_map(|a| match a {
            Value::Array(items) => Some(items.len()),
            _ => None,
        })
        .collect();
    let Some(&n) = lengths.first() else {
        return Value::Unknown;
    };
    if lengths.iter().any(|l| *l != n) {
        return Value::Unknown;
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Value> = args
            .iter()
            .map(|a| match a {
                Value::Array(items) => items[i].value.clone(),
                other => other.clone(),
            })
            .collect();
        match format(pattern, &row) {
            Value::String(s) => out.push(Node::string(s, None)),
            _ => return Value::Unknown,
        }
    }
    Value::Array(out)
}

/// `format("%s-%d", …)` with the plain verbs; anything fancier is unknown.
fn format(pattern: &str, args: &[Value]) -> Value {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => match args.next().and_then(text) {
                Some(t) => out.push_str(&t),
                None => return Value::Unknown,
            },
            _ => return Value::Unknown,
        }
    }
    Value::String(out.into())
}

/// `replace` treats `/…/` as a regular expression, which plinth does not evaluate.
fn is_regex(pattern: &str) -> bool {
    pattern.len() > 1 && pattern.starts_with('/') && pattern.ends_with('/')
}

#[cfg(test)]
mod tests {
    use crate::model::Part;
    use crate::terraform::testing::load_tree;
    use crate::terraform::testing::{load, resource};

    #[test]
    fn collection_and_string_functions() {
        let loaded = load(
            r#"
locals {
  m    = { b = "2", a = "1" }
  list = [{ n = "x" }, { n = "y" }]
}
resource "azurerm_private_dns_zone" "a" { name = join(",", keys(local.m)) }
resource "azurerm_private_dns_zone" "b" { name = join(",", values(local.m)) }
resource "azurerm_private_dns_zone" "c" { name = startswith("snet-pe", "snet") ? "yes" : "no" }
resource "azurerm_private_dns_zone" "d" { name = substr("privatelink", 0, 7) }
resource "azurerm_private_dns_zone" "e" { name = join("", flatten([["a"], [["b"]], "c"])) }
resource "azurerm_private_dns_zone" "f" { name = zipmap(["k"], ["v"])["k"] }
resource "azurerm_private_dns_zone" "g" { name = join("-", range(3)) }
resource "azurerm_private_dns_zone" "h" { name = one(distinct(["x", "x"])) }
resource "azurerm_private_dns_zone" "i" { name = contains(["a"], var.unknown) ? "y" : "n" }
resource "azurerm_private_dns_zone" "j" { name = length(range(0, 100000)) }
resource "azurerm_private_dns_zone" "k" { name = join(",", local.list[*].n) }
resource "azurerm_private_dns_zone" "l" { name = join(",", local.list.*.n) }
resource "azurerm_private_dns_zone" "m" { name = try(local.list[0].n, "fallback") }
resource "azurerm_private_dns_zone" "n" { name = try(var.unknown, "fallback") }
resource "azurerm_private_dns_zone" "o" { name = join(",", sort(reverse(["b", "c", "a"]))) }
resource "azurerm_private_dns_zone" "p" { name = tostring(tonumber("42") + 1) }
"#,
        );
        let name = |key: &str| {
            resource(&loaded, &format!("azurerm_private_dns_zone.{key}"))
                .names
                .clone()
        };
        assert_eq!(name("a"), vec![Part::from("a,b")]);
        assert_eq!(name("b"), vec![Part::from("1,2")]);
        assert_eq!(name("c"), vec![Part::from("yes")]);
        assert_eq!(name("d"), vec![Part::from("private")]);
        assert_eq!(name("e"), vec![Part::from("abc")]);
        assert_eq!(name("f"), vec![Part::from("v")]);
        assert_eq!(name("g"), vec![Part::from("0-1-2")]);
        assert_eq!(name("h"), vec![Part::from("x")]);
        assert_eq!(name("i"), vec![Part::Unknown]);
        assert_eq!(name("j"), vec![Part::Unknown]);
        assert_eq!(name("k"), vec![Part::from("x,y")]);
        assert_eq!(name("l"), vec![Part::from("x,y")]);
        assert_eq!(name("m"), vec![Part::from("x")]);
        assert_eq!(name("n"), vec![Part::Unknown]);
        assert_eq!(name("o"), vec![Part::from("a,b,c")]);
        assert_eq!(name("p"), vec![Part::from("43")]);
    }

    #[test]
    fn files_decoders_regex_and_cidr_functions() {
        let (_dir, loaded) = load_tree(
            &[
                (
                    "env/main.tf",
                    r#"
locals {
  net  = yamldecode(file("${path.module}/network.yaml"))
  json = jsondecode("{\"zone\": \"privatelink.postgres.database.azure.com\"}")
}
resource "azurerm_private_dns_zone" "a" { name = local.net.zone }
resource "azurerm_private_dns_zone" "b" { name = local.json.zone }
resource "azurerm_private_dns_zone" "c" { name = cidrsubnet("10.20.0.0/16", 8, 2) }
resource "azurerm_private_dns_zone" "d" { name = cidrhost("10.20.1.0/24", 5) }
resource "azurerm_private_dns_zone" "e" { name = cidrnetmask("10.20.0.0/16") }
resource "azurerm_private_dns_zone" "f" { name = regex("^snet-(.*)$", "snet-pe")[0] }
resource "azurerm_private_dns_zone" "g" { name = regex("(?P<kind>[a-z]+)-", "pe-1").kind }
resource "azurerm_private_dns_zone" "h" { name = jsonencode({ a = 1 }) }
resource "azurerm_private_dns_zone" "i" { name = file("missing.txt") }
resource "azurerm_private_dns_zone" "j" { name = fileexists("network.yaml") ? "yes" : "no" }
resource "azurerm_private_dns_zone" "k" { name = cidrsubnet("10.20.0.0/16", 8, 256) }
resource "azurerm_private_dns_zone" "l" { name = join(",", cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)) }
resource "azurerm_private_dns_zone" "m" { name = base64decode(base64encode("zone")) }
resource "azurerm_private_dns_zone" "n" { name = join(",", formatlist("%s-%s", ["a", "b"], "x")) }
resource "azurerm_private_dns_zone" "o" { name = templatefile("zone.tftpl", { service = "postgres", parts = ["database", "azure", "com"] }) }
"#,
                ),
                (
                    "env/network.yaml",
                    "zone: privatelink.blob.core.windows.net\n",
                ),
                (
                    "env/zone.tftpl",
                    "privatelink.${service}%{ for p in parts }.${p}%{ endfor }",
                ),
            ],
            "env",
        );
        let name = |key: &str| {
            resource(&loaded, &format!("azurerm_private_dns_zone.{key}"))
                .names
                .clone()
        };
        assert_eq!(
            name("a"),
            vec![Part::from("privatelink.blob.core.windows.net")]
        );
        assert_eq!(
            name("b"),
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        assert_eq!(name("c"), vec![Part::from("10.20.2.0/24")]);
        assert_eq!(name("d"), vec![Part::from("10.20.1.5")]);
        assert_eq!(name("e"), vec![Part::from("255.255.0.0")]);
        assert_eq!(name("f"), vec![Part::from("pe")]);
        assert_eq!(name("g"), vec![Part::from("pe")]);
        assert_eq!(name("h"), vec![Part::from("{\"a\":1}")]);
        assert_eq!(name("i"), vec![Part::Unknown]);
        assert_eq!(name("j"), vec![Part::from("yes")]);
        assert_eq!(name("k"), vec![Part::Unknown]);
        assert_eq!(
            name("l"),
            vec![Part::from(
                "10.1.0.0/20,10.1.16.0/20,10.1.32.0/24,10.1.48.0/20"
            )]
        );
        assert_eq!(name("m"), vec![Part::from("zone")]);
        assert_eq!(name("n"), vec![Part::from("a-x,b-x")]);
        assert_eq!(
            name("o"),
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
    }
}
