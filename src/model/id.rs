//! Azure resource ids whose parts may be unknown.
//!
//! `resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')`
//! in a template has an unknown subscription and resource group but a known
//! type and name; a Terraform reference knows exactly which resource it means
//! even when that resource's name comes from a variable. [`ArmId`] keeps all of
//! that, so the linker can resolve a reference whenever the input determines it.

use std::fmt;
use std::sync::Arc;

/// One segment of an id: known text, a symbol, or unknown.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    Known(String),
    /// Not known offline, but fixed for one deployment and named by what
    /// produced it: `[parameters('serverName')]` without a value, or
    /// `format('{0}-pe', …)` of it. Two parts with the same symbol are the
    /// same name in every deployment, so the linker ties them; a symbol is
    /// never equal or unequal to anything else (it behaves as `Unknown`
    /// everywhere but in linking). Front-ends make the key with
    /// [`Part::symbol`].
    Symbolic(Arc<str>),
    Unknown,
}

/// Starts every symbol key: no known name contains it, so a symbol never
/// collides with a literal name.
const SYMBOL_MARK: char = '\u{1}';

impl Part {
    pub fn known(&self) -> Option<&str> {
        match self {
            Part::Known(s) => Some(s),
            Part::Symbolic(_) | Part::Unknown => None,
        }
    }

    /// A symbolic part whose identity is `key` (an expression's canonical
    /// text, scoped by the front-end to one deployment).
    pub fn symbol(key: &str) -> Part {
        let mut text = String::with_capacity(key.len() + SYMBOL_MARK.len_utf8());
        text.push(SYMBOL_MARK);
        text.push_str(key);
        Part::Symbolic(Arc::from(text))
    }

    /// What the linker indexes this part by: known text lower-cased (names
    /// compare case-insensitively) or a symbol's key (which the front-end
    /// made case-insensitive where the name is); `None` when unknown.
    pub fn link_key(&self) -> Option<String> {
        match self {
            Part::Known(s) => Some(s.to_ascii_lowercase()),
            Part::Symbolic(key) => Some(key.to_string()),
            Part::Unknown => None,
        }
    }

    /// Two parts certainly name the same thing: both known and equal (ASCII
    /// case ignored), or the same symbol.
    pub fn certainly_equal(&self, other: &Part) -> bool {
        match (self, other) {
            (Part::Known(a), Part::Known(b)) => a.eq_ignore_ascii_case(b),
            (Part::Symbolic(a), Part::Symbolic(b)) => a == b,
            _ => false,
        }
    }

    /// Two parts can name the same thing unless both are known and differ.
    pub fn may_equal(&self, other: &Part) -> bool {
        match (self, other) {
            (Part::Known(a), Part::Known(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        }
    }
}

impl From<&str> for Part {
    fn from(s: &str) -> Part {
        Part::Known(s.to_string())
    }
}

/// A resource id: `/subscriptions/{sub}/resourceGroups/{rg}/providers/{type…}/{name…}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArmId {
    pub subscription: Part,
    pub resource_group: Part,
    /// The full resource type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub rtype: String,
    /// One name per type segment after the namespace: `[vnet, snet]` for a subnet.
    pub names: Vec<Part>,
    /// The front-end key (Terraform address, ARM symbolic name or index) of the
    /// resource in the same unit this id was taken from, when the front-end
    /// knows it exactly. The linker resolves by this key first.
    pub local: Option<String>,
}

impl ArmId {
    /// An id in the deployment's own (unknown) subscription and resource group.
    pub fn new(rtype: impl Into<String>, names: Vec<Part>) -> ArmId {
        ArmId {
            subscription: Part::Unknown,
            resource_group: Part::Unknown,
            rtype: rtype.into(),
            names,
            local: None,
        }
    }

    /// Parses a literal id. Returns `None` for anything that is not an id of a
    /// resource under a provider (so ordinary strings are never mistaken for ids).
    pub fn parse(text: &str) -> Option<ArmId> {
        let text = text.trim();
        if !text.starts_with('/') {
            return None;
        }
        let segments: Vec<Option<&str>> = text
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .map(Some)
            .collect();
        ArmId::from_segments(&segments)
    }

    /// An id from its `/`-separated segments (after the leading `/`), each
    /// text or `None` where a piece is not known: the keywords, namespace
    /// and types must be text; a name, subscription or resource group not
    /// known is [`Part::Unknown`]. `None` for anything that is not an id of
    /// a resource under a provider, or has an empty segment.
    pub fn from_segments(segments: &[Option<&str>]) -> Option<ArmId> {
        let word = |i: usize, w: &str| {
            segments
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|s| s.eq_ignore_ascii_case(w))
        };
        let part = |i: usize| match segments.get(i)? {
            Some("") => None,
            Some(text) => Some(Part::Known((*text).to_string())),
            None => Some(Part::Unknown),
        };
        let mut i = 0;
        let (mut subscription, mut resource_group) = (Part::Unknown, Part::Unknown);
        if word(0, "subscriptions") {
            subscription = part(1)?;
            i = 2;
            if word(2, "resourceGroups") {
                resource_group = part(3)?;
                i = 4;
            }
        }
        if !word(i, "providers") {
            return None;
        }
        let namespace = (*segments.get(i + 1)?)?;
        let rest = segments.get(i + 2..)?;
        if rest.is_empty() || !rest.len().is_multiple_of(2) || !namespace.contains('.') {
            return None;
        }
        let mut rtype = namespace.to_string();
        let mut names = Vec::new();
        for (k, pair) in rest.chunks(2).enumerate() {
            let t = pair[0].filter(|t| !t.is_empty())?;
            rtype.push('/');
            rtype.push_str(t);
            names.push(part(i + 3 + 2 * k)?);
        }
        Some(ArmId {
            subscription,
            resource_group,
            rtype,
            names,
            local: None,
        })
    }

    /// The last name segment: the zone name of a private DNS zone id.
    pub fn leaf_name(&self) -> &Part {
        self.names.last().unwrap_or(&Part::Unknown)
    }

    /// The full ARM name (`vnet/snet`), when every segment is known.
    pub fn full_name(&self) -> Option<String> {
        let parts: Option<Vec<&str>> = self.names.iter().map(Part::known).collect();
        parts.map(|p| p.join("/"))
    }

    /// The name the linker indexes by: every segment known or symbolic
    /// ([`Part::link_key`]), joined; `None` when any is unknown.
    pub fn link_name(&self) -> Option<String> {
        link_name(&self.names)
    }

    pub fn is_type(&self, rtype: &str) -> bool {
        self.rtype.eq_ignore_ascii_case(rtype)
    }

    /// The parent resource's id (`…/virtualNetworks/vnet` for a subnet).
    pub fn parent(&self) -> Option<ArmId> {
        parent_of((
            &self.rtype,
            &self.names,
            &self.subscription,
            &self.resource_group,
        ))
    }

    /// The id of a child written as a path after this one: `/subnets/pe`
    /// after a VNet id. `None` unless the suffix is whole `/type/name` pairs.
    pub fn with_suffix(&self, suffix: &str) -> Option<ArmId> {
        if suffix.is_empty() {
            return Some(self.clone());
        }
        let segments: Vec<&str> = suffix
            .strip_prefix('/')?
            .trim_end_matches('/')
            .split('/')
            .collect();
        if !segments.len().is_multiple_of(2) || segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        let mut child = self.clone();
        // The local key named the parent, not this child.
        child.local = None;
        for pair in segments.chunks(2) {
            child.rtype = format!("{}/{}", child.rtype, pair[0]);
            child.names.push(Part::Known(pair[1].to_string()));
        }
        Some(child)
    }

    /// Whether two ids can name the same resource: same type and names, and no
    /// known subscription or resource group that differs.
    pub fn may_equal(&self, other: &ArmId) -> bool {
        may_be_one(self.whole(), other.whole(), Part::may_equal)
    }

    fn whole(&self) -> Whole<'_> {
        (
            &self.rtype,
            &self.names,
            &self.subscription,
            &self.resource_group,
        )
    }
}

/// A resource's type, names, subscription and resource group.
pub type Whole<'a> = (&'a str, &'a [Part], &'a Part, &'a Part);

/// The id of the parent of the resource `whole` is: its type and names
/// less the last, in the same scope; `None` for a top-level resource.
pub fn parent_of((rtype, names, subscription, resource_group): Whole<'_>) -> Option<ArmId> {
    let [parent_names @ .., _] = names else {
        return None;
    };
    if parent_names.is_empty() {
        return None;
    }
    let (rtype, _) = rtype.rsplit_once('/')?;
    Some(ArmId {
        subscription: subscription.clone(),
        resource_group: resource_group.clone(),
        rtype: rtype.to_string(),
        names: parent_names.to_vec(),
        local: None,
    })
}

/// Whether `a` and `b` can be one resource: of one type, each pair of names
/// agreeing by `names_agree`, and no known subscription or resource group
/// that differs.
pub fn may_be_one(a: Whole<'_>, b: Whole<'_>, names_agree: fn(&Part, &Part) -> bool) -> bool {
    a.0.eq_ignore_ascii_case(b.0)
        && a.1.len() == b.1.len()
        && a.1.iter().zip(b.1).all(|(x, y)| names_agree(x, y))
        && a.2.may_equal(b.2)
        && a.3.may_equal(b.3)
}

/// See [`ArmId::link_name`].
pub fn link_name(names: &[Part]) -> Option<String> {
    // Each part's [`Part::link_key`], written into one string.
    let mut out = String::new();
    for (i, part) in names.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        match part {
            Part::Known(s) => {
                let start = out.len();
                out.push_str(s);
                out[start..].make_ascii_lowercase();
            }
            Part::Symbolic(key) => out.push_str(key),
            Part::Unknown => return None,
        }
    }
    Some(out)
}

impl fmt::Display for ArmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |p: &Part| p.known().unwrap_or("{unknown}").to_string();
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/",
            part(&self.subscription),
            part(&self.resource_group)
        )?;
        let mut types = self.rtype.split('/');
        write!(f, "{}", types.next().unwrap_or(""))?;
        for (t, n) in types.zip(&self.names) {
            write!(f, "/{}/{}", t, part(n))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_subnet_id() {
        let id = ArmId::parse(
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/pe",
        )
        .unwrap();
        assert_eq!(id.rtype, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(id.full_name().as_deref(), Some("vnet1/pe"));
        assert_eq!(id.resource_group, Part::Known("rg".into()));
        let vnet = id.parent().unwrap();
        assert!(vnet.is_type("microsoft.network/virtualnetworks"));
        assert_eq!(vnet.full_name().as_deref(), Some("vnet1"));
    }

    #[test]
    fn a_link_name_is_each_parts_link_key_joined() {
        let names = vec![
            Part::Known("VNet-Hub".into()),
            Part::symbol("parameters('subnet')"),
            Part::Known("PE".into()),
        ];
        let keys: Vec<String> = names.iter().filter_map(Part::link_key).collect();
        assert_eq!(link_name(&names), Some(keys.join("/")));
        assert!(link_name(&names).is_some_and(|n| n.starts_with("vnet-hub/")));
        assert_eq!(link_name(&[Part::Known("a".into()), Part::Unknown]), None);
        assert_eq!(link_name(&[]), Some(String::new()));
    }

    #[test]
    fn ordinary_strings_are_not_ids() {
        assert!(ArmId::parse("privatelink.postgres.database.azure.com").is_none());
        assert!(ArmId::parse("/tmp/file").is_none());
        assert!(ArmId::parse("/subscriptions/x/resourceGroups/rg").is_none());
    }

    #[test]
    fn unknown_resource_group_may_equal_a_known_one() {
        let a = ArmId::new("Microsoft.Network/privateDnsZones", vec!["z.com".into()]);
        let mut b = a.clone();
        b.resource_group = Part::Known("rg".into());
        assert!(a.may_equal(&b));
        let mut c = a.clone();
        c.resource_group = Part::Known("other".into());
        assert!(!b.may_equal(&c));
    }
}
