//! Schemas: the attributes of a resource or data source, their Terraform flags, and the plan
//! behaviour of Cloudflare's v5 provider (defaults, `RequiresReplace`, `UseStateForUnknown`).

use crate::proto::tfplugin6 as pb;
use crate::value::{Ty, Value};

/// How a nested attribute nests its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

/// An attribute's type: a plain cty type or nested attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Plain(Ty),
    Nested(Nesting, Vec<Attr>),
}

/// One attribute of a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub description: &'static str,
    /// The value planned when the configuration leaves the attribute out.
    pub default: Option<Value>,
    /// A change replaces the resource.
    pub requires_replace: bool,
    /// `UseStateForUnknown`: a computed value stays as it is on update.
    pub keep_on_update: bool,
    /// Part of the v5 schema but not implemented by gatehouse: a configured value is refused.
    pub unsupported: Option<&'static str>,
}

impl Attr {
    fn new(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Attr {
            name,
            kind,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            description,
            default: None,
            requires_replace: false,
            keep_on_update: false,
            unsupported: None,
        }
    }

    pub fn required(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Attr { required: true, ..Attr::new(name, Kind::Plain(ty), description) }
    }

    pub fn optional(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Attr { optional: true, ..Attr::new(name, Kind::Plain(ty), description) }
    }

    pub fn computed(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Attr { computed: true, ..Attr::new(name, Kind::Plain(ty), description) }
    }

    pub fn optional_computed(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Attr { optional: true, computed: true, ..Attr::new(name, Kind::Plain(ty), description) }
    }

    pub fn nested(name: &'static str, nesting: Nesting, attrs: Vec<Attr>, description: &'static str) -> Self {
        Attr::new(name, Kind::Nested(nesting, attrs), description)
    }

    pub fn with_required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn with_optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn with_computed(mut self) -> Self {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    pub fn keep_on_update(mut self) -> Self {
        self.keep_on_update = true;
        self
    }

    pub fn unsupported(mut self, why: &'static str) -> Self {
        self.unsupported = Some(why);
        self
    }

    /// The cty type of the attribute's value.
    pub fn ty(&self) -> Ty {
        match &self.kind {
            Kind::Plain(ty) => ty.clone(),
            Kind::Nested(nesting, attrs) => {
                let object = object_type(attrs);
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => Ty::List(Box::new(object)),
                    Nesting::Set => Ty::Set(Box::new(object)),
                }
            }
        }
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        let (r#type, nested_type) = match &self.kind {
            Kind::Plain(ty) => (ty.to_json().to_string().into_bytes(), None),
            Kind::Nested(nesting, attrs) => {
                let nesting = match nesting {
                    Nesting::Single => pb::schema::object::NestingMode::Single,
                    Nesting::List => pb::schema::object::NestingMode::List,
                    Nesting::Set => pb::schema::object::NestingMode::Set,
                };
                let object = pb::schema::Object {
                    attributes: attrs.iter().map(Attr::to_proto).collect(),
                    nesting: nesting as i32,
                    ..Default::default()
                };
                (Vec::new(), Some(object))
            }
        };
        let description = match self.unsupported {
            Some(why) => format!("{} Not supported by gatehouse: {why}", self.description),
            None => self.description.to_string(),
        };
        pb::schema::Attribute {
            name: self.name.to_string(),
            r#type,
            nested_type,
            description,
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Plain as i32,
            deprecated: false,
        }
    }
}

/// The object type of a set of attributes.
pub fn object_type(attrs: &[Attr]) -> Ty {
    Ty::Object(attrs.iter().map(|a| (a.name.to_string(), a.ty())).collect())
}

/// A resource's or data source's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub description: &'static str,
    pub attrs: Vec<Attr>,
}

impl Schema {
    pub fn ty(&self) -> Ty {
        object_type(&self.attrs)
    }

    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                attributes: self.attrs.iter().map(Attr::to_proto).collect(),
                block_types: Vec::new(),
                description: self.description.to_string(),
                description_kind: pb::StringKind::Plain as i32,
                deprecated: false,
            }),
        }
    }

    /// The names of unsupported attributes set in `config` (at any depth), as
    /// `(path, reason)` pairs.
    pub fn unsupported_in(&self, config: &Value) -> Vec<(String, &'static str)> {
        let mut found = Vec::new();
        unsupported_in(&self.attrs, config, "", &mut found);
        found
    }

    /// Plans a change the way the v5 provider (terraform-plugin-framework) does:
    /// `proposed` is Terraform's proposed new state (configuration merged with prior state);
    /// defaults fill optional+computed attributes left out of the configuration; on create every
    /// other computed value is unknown; on update computed values are unknown unless the attribute
    /// keeps its state (`UseStateForUnknown`) or nothing changed. Returns the planned state and
    /// the attributes whose change forces a replacement.
    pub fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> (Value, Vec<&'static str>) {
        let mut planned = proposed.clone();
        let creating = prior.is_null();
        for attr in &self.attrs {
            let configured = !config.get(attr.name).is_null();
            if configured || !attr.computed {
                continue;
            }
            if let Some(default) = &attr.default {
                planned.set(attr.name, default.clone());
            } else if creating {
                planned.set(attr.name, Value::Unknown);
            }
        }
        if creating {
            return (planned, Vec::new());
        }
        let changed =
            self.attrs.iter().any(|a| (a.optional || a.required) && planned.get(a.name) != prior.get(a.name));
        if changed {
            for attr in &self.attrs {
                let configured = !config.get(attr.name).is_null();
                if attr.computed && !configured && attr.default.is_none() && !attr.keep_on_update {
                    planned.set(attr.name, Value::Unknown);
                }
            }
        }
        let replace = self
            .attrs
            .iter()
            .filter(|a| a.requires_replace && planned.get(a.name) != prior.get(a.name))
            .map(|a| a.name)
            .collect();
        (planned, replace)
    }
}

fn unsupported_in(attrs: &[Attr], value: &Value, prefix: &str, found: &mut Vec<(String, &'static str)>) {
    for attr in attrs {
        let inner = value.get(attr.name);
        if inner.is_null() {
            continue;
        }
        let path = if prefix.is_empty() { attr.name.to_string() } else { format!("{prefix}.{}", attr.name) };
        if let Some(why) = attr.unsupported {
            found.push((path, why));
            continue;
        }
        if let Kind::Nested(nesting, nested) = &attr.kind {
            match (nesting, inner) {
                (Nesting::Single, object) => unsupported_in(nested, object, &path, found),
                (_, Value::List(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        unsupported_in(nested, item, &format!("{path}[{i}]"), found);
                    }
                }
                _ => {}
            }
        }
    }
}
