//! `plinth graph`: draws a picture of each unit's private endpoint chains as
//! Mermaid, Graphviz DOT or JSON.
//!
//! A [`Picture`] is plain text and ids: which resources and references to
//! draw is decided by the caller (`chain`), which knows Azure; this module
//! knows only nodes, edges, rule ids and how to write them safely. Labels
//! come from the checked tree and are hostile: each format escapes them by
//! its own rules, and node ids are generated here, never taken from input.
//!
//! It does not lay anything out (the viewer does) and draws nothing for a
//! unit without private endpoints.

use serde::Serialize;

use crate::report::escape::visible;
use crate::span::Span;

/// One unit's chains.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Picture {
    /// The unit's label: a template path or a module folder.
    pub unit: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// A resource in a chain, or a part that plinth cannot know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    /// Unique within its picture (`n0`, `n1`, …).
    pub id: String,
    /// What part of the chain it is: `private-endpoint`, `subnet`, …
    pub kind: String,
    /// The resource's type and name as users read them; for an unknown part,
    /// `?` and the expression as written when there is one.
    pub label: String,
    /// False when the name or the resource itself is not known before deployment.
    pub known: bool,
    /// The rules with findings about this resource, sorted, each once.
    pub rules: Vec<String>,
    /// The findings behind `rules`: each one's rule and primary span.
    #[serde(skip)]
    pub marks: Vec<(String, Span)>,
}

/// A reference from one part of a chain to the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// What the reference is: `target`, `subnet`, `zone-group`, …
    pub kind: String,
    /// False when the reference leads to an unknown part.
    pub known: bool,
    /// The rules with findings on this reference: it is broken.
    pub rules: Vec<String>,
    /// The findings behind `rules`: each one's rule and primary span.
    #[serde(skip)]
    pub marks: Vec<(String, Span)>,
}

impl Picture {
    /// Keeps the marks of the findings `reported` accepts (by rule and
    /// primary span) and rewrites each part's rule ids from them: the
    /// picture is drawn before the config, `--select`, `--ignore` and the
    /// baseline decide what is reported, and must not show more.
    pub fn keep_marks(&mut self, reported: impl Fn(&str, Span) -> bool) {
        let keep = |marks: &mut Vec<(String, Span)>, rules: &mut Vec<String>| {
            marks.retain(|(rule, at)| reported(rule, *at));
            *rules = marks.iter().map(|(rule, _)| rule.clone()).collect();
            rules.sort();
            rules.dedup();
        };
        for node in &mut self.nodes {
            keep(&mut node.marks, &mut node.rules);
        }
        for edge in &mut self.edges {
            keep(&mut edge.marks, &mut edge.rules);
        }
    }

    /// Whether a finding is marked on one of its parts.
    pub fn has_findings(&self) -> bool {
        self.nodes.iter().any(|n| !n.rules.is_empty())
            || self.edges.iter().any(|e| !e.rules.is_empty())
    }
}

/// `{"units": [picture, …]}`, pretty-printed.
pub fn json(pictures: &[Picture]) -> String {
    #[derive(Serialize)]
    struct Document<'a> {
        units: &'a [Picture],
    }
    let mut text = serde_json::to_string_pretty(&Document { units: pictures })
        .unwrap_or_else(|_| "{\"units\": []}".to_string());
    text.push('\n');
    text
}

/// A Mermaid `flowchart LR`, a subgraph per unit. Unknown parts are dashed,
/// resources with findings and broken references are marked, and rule ids
/// are written on them.
pub fn mermaid(pictures: &[Picture]) -> String {
    let mut out = String::from("flowchart LR\n");
    for (u, picture) in pictures.iter().enumerate() {
        out.push_str(&format!(
            "  subgraph u{u}[\"{}\"]\n",
            mermaid_text(&picture.unit)
        ));
        for node in &picture.nodes {
            let class = match (node.known, node.rules.is_empty()) {
                (_, false) => ":::finding",
                (false, true) => ":::unknown",
                (true, true) => "",
            };
            out.push_str(&format!(
                "    u{u}{}[\"{}\"]{class}\n",
                node.id,
                mermaid_text(&node_text(node))
            ));
        }
        for edge in &picture.edges {
            // Thick for a broken reference, dotted for one to an unknown part.
            let arrow = match (edge.known, edge.rules.is_empty()) {
                (_, false) => "==>",
                (false, true) => "-.->",
                (true, true) => "-->",
            };
            out.push_str(&format!(
                "    u{u}{} {arrow}|\"{}\"| u{u}{}\n",
                edge.from,
                mermaid_text(&edge_text(edge)),
                edge.to
            ));
        }
        out.push_str("  end\n");
    }
    out.push_str("  classDef unknown stroke-dasharray: 5 5\n");
    out.push_str("  classDef finding stroke:#d1242f,stroke-width:2px\n");
    out
}

/// `check --format mermaid`: the Mermaid flowchart of the units with a
/// finding on their chains; nothing at all when there is none.
pub fn mermaid_findings(pictures: &[Picture]) -> String {
    let marked: Vec<Picture> = pictures
        .iter()
        .filter(|p| p.has_findings())
        .cloned()
        .collect();
    if marked.is_empty() {
        String::new()
    } else {
        mermaid(&marked)
    }
}

/// A Graphviz `digraph`, a cluster per unit.
pub fn dot(pictures: &[Picture]) -> String {
    let mut out = String::from("digraph plinth {\n  rankdir=LR;\n  node [shape=box];\n");
    for (u, picture) in pictures.iter().enumerate() {
        out.push_str(&format!(
            "  subgraph cluster_{u} {{\n    label=\"{}\";\n",
            dot_text(&picture.unit)
        ));
        for node in &picture.nodes {
            let mut attributes = format!("label=\"{}\"", dot_text(&node_text(node)));
            if !node.known {
                attributes.push_str(", style=dashed");
            }
            if !node.rules.is_empty() {
                attributes.push_str(", color=red");
            }
            out.push_str(&format!("    u{u}{} [{attributes}];\n", node.id));
        }
        for edge in &picture.edges {
            let mut attributes = format!("label=\"{}\"", dot_text(&edge_text(edge)));
            if !edge.known {
                attributes.push_str(", style=dashed");
            }
            if !edge.rules.is_empty() {
                attributes.push_str(", color=red, penwidth=2");
            }
            out.push_str(&format!(
                "    u{u}{} -> u{u}{} [{attributes}];\n",
                edge.from, edge.to
            ));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// A node's label with its rule ids: `privateEndpoints pe-db [PE001]`.
fn node_text(node: &Node) -> String {
    with_rules(&node.label, &node.rules)
}

fn edge_text(edge: &Edge) -> String {
    with_rules(&edge.kind, &edge.rules)
}

fn with_rules(text: &str, rules: &[String]) -> String {
    if rules.is_empty() {
        text.to_string()
    } else {
        format!("{text} [{}]", rules.join(", "))
    }
}

/// Text inside a quoted Mermaid label. Control characters become visible
/// escapes first (a newline would end the statement); then every character
/// Mermaid or the HTML it renders to gives meaning to is written as a
/// Mermaid entity (`#quot;`, `#lt;`, …), and `#` itself so that input cannot
/// write an entity of its own.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            // A backtick would start a Markdown string; `|` ends an edge label.
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a quoted DOT string: control characters as visible escapes,
/// then `\` and `"` escaped so that neither the string nor a DOT label
/// escape (`\l`, `\N`) can be written by input.
fn dot_text(text: &str) -> String {
    visible(text).replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, kind: &str, label: &str, known: bool, rules: &[&str]) -> Node {
        Node {
            id: id.into(),
            kind: kind.into(),
            label: label.into(),
            known,
            rules: rules.iter().map(|r| r.to_string()).collect(),
            marks: Vec::new(),
        }
    }

    fn edge(from: &str, to: &str, kind: &str, known: bool, rules: &[&str]) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
            known,
            rules: rules.iter().map(|r| r.to_string()).collect(),
            marks: Vec::new(),
        }
    }

    /// An endpoint on a subnet with a finding, and a target whose name is
    /// hostile text.
    fn small() -> Vec<Picture> {
        vec![Picture {
            unit: "main.json".into(),
            nodes: vec![
                node("n0", "private-endpoint", "privateEndpoints pe", true, &[]),
                node("n1", "subnet", "subnets vnet/snet", true, &[]),
                node("n2", "target", "? \"]\nx[<b>#quot;`|", false, &["PE003"]),
            ],
            edges: vec![
                edge("n0", "n1", "subnet", true, &["PE001"]),
                edge("n0", "n2", "target", false, &[]),
            ],
        }]
    }

    #[test]
    fn mermaid_escapes_labels_and_marks_broken_and_unknown_parts() {
        assert_eq!(
            mermaid(&small()),
            "flowchart LR\n  subgraph u0[\"main.json\"]\n    u0n0[\"privateEndpoints pe\"]\n    \
             u0n1[\"subnets vnet/snet\"]\n    \
             u0n2[\"? #quot;]\\nx[#lt;b#gt;#35;quot;#96;#124; [PE003]\"]:::finding\n    \
             u0n0 ==>|\"subnet [PE001]\"| u0n1\n    u0n0 -.->|\"target\"| u0n2\n  end\n  \
             classDef unknown stroke-dasharray: 5 5\n  \
             classDef finding stroke:#d1242f,stroke-width:2px\n"
        );
    }

    #[test]
    fn only_reported_findings_stay_marked() {
        let at = |start| Span {
            file: crate::span::FileId(0),
            start,
            end: start + 1,
        };
        let mut pictures = small();
        let picture = &mut pictures[0];
        picture.nodes[2].marks = vec![("PE003".into(), at(1))];
        // Two findings of one rule on one edge: one is left out (a baseline).
        picture.edges[0].marks = vec![("PE001".into(), at(2)), ("PE001".into(), at(3))];
        picture.keep_marks(|rule, span| rule == "PE001" && span == at(3));
        assert_eq!(picture.edges[0].rules, ["PE001"]);
        assert_eq!(picture.edges[0].marks, [("PE001".to_string(), at(3))]);
        assert!(picture.nodes[2].rules.is_empty());
        assert!(picture.has_findings());
        assert!(mermaid_findings(&pictures).contains("==>|\"subnet [PE001]\"|"));

        pictures[0].keep_marks(|_, _| false);
        assert!(!pictures[0].has_findings());
        assert_eq!(mermaid_findings(&pictures), "");
    }

    #[test]
    fn dot_escapes_quotes_backslashes_and_newlines() {
        let text = dot(&small());
        assert!(text.starts_with("digraph plinth {\n  rankdir=LR;\n"));
        assert!(text.contains(
            "    u0n2 [label=\"? \\\"]\\\\nx[<b>#quot;`| [PE003]\", style=dashed, color=red];\n"
        ));
        assert!(
            text.contains("    u0n0 -> u0n1 [label=\"subnet [PE001]\", color=red, penwidth=2];\n")
        );
        assert!(text.contains("    u0n0 -> u0n2 [label=\"target\", style=dashed];\n"));
        assert!(text.ends_with("  }\n}\n"));
    }

    #[test]
    fn json_has_nodes_and_edges_with_ids_kinds_and_rules() {
        let value: serde_json::Value = serde_json::from_str(&json(&small())).unwrap();
        let unit = &value["units"][0];
        assert_eq!(unit["unit"], "main.json");
        assert_eq!(unit["nodes"][2]["label"], "? \"]\nx[<b>#quot;`|");
        assert_eq!(unit["nodes"][2]["known"], false);
        assert_eq!(unit["nodes"][2]["rules"][0], "PE003");
        assert_eq!(unit["edges"][0]["kind"], "subnet");
        assert_eq!(unit["edges"][0]["rules"][0], "PE001");
        assert_eq!(json(&[]), "{\n  \"units\": []\n}\n");
    }
}
