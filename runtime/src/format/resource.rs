//! What the service that logs is: the OpenTelemetry resource attributes
//! (`service.name`, `service.version`, `deployment.environment.name`, …)
//! that the OTel lines carry as their resource and the ECS lines as
//! `service.*`.

/// Resource attributes, in the order they were set; a key set again
/// replaces its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resource {
    attributes: Vec<(String, String)>,
}

impl Resource {
    /// From the standard variables, read through `var`:
    /// `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-encoded),
    /// then `OTEL_SERVICE_NAME`, which wins over a `service.name` there.
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<String>) -> Resource {
        let mut r = Resource::default();
        if let Some(list) = var("OTEL_RESOURCE_ATTRIBUTES") {
            for (k, v) in parse_list(&list) {
                r.set(&k, &v);
            }
        }
        if let Some(name) = var("OTEL_SERVICE_NAME") {
            r.set("service.name", name.trim());
        }
        r
    }

    pub(crate) fn set(&mut self, key: &str, value: &str) {
        match self.attributes.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => value.clone_into(&mut slot.1),
            None => self.attributes.push((key.to_owned(), value.to_owned())),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every attribute, in order.
    pub(crate) fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The service name, if one was set.
    pub(crate) fn service_name(&self) -> Option<&str> {
        self.get("service.name")
    }

    /// The deployment environment (`deployment.environment.name`, or the
    /// older `deployment.environment`).
    pub(crate) fn environment(&self) -> Option<&str> {
        self.get("deployment.environment.name")
            .or_else(|| self.get("deployment.environment"))
    }

    /// The attributes with a `service.name` always there: the one set, else
    /// `unknown_service:<executable>`, as OpenTelemetry SDKs name a service
    /// nobody named.
    pub(crate) fn with_default_service(&self) -> Resource {
        let mut r = self.clone();
        if r.service_name().is_none() {
            let exe = std::env::current_exe().ok();
            let name = exe
                .as_deref()
                .and_then(std::path::Path::file_stem)
                .map(|s| s.to_string_lossy().into_owned());
            let service = match name {
                Some(n) => format!("unknown_service:{n}"),
                None => "unknown_service".to_owned(),
            };
            r.attributes.insert(0, ("service.name".to_owned(), service));
        }
        r
    }
}

/// A `key=value,…` list as OpenTelemetry's variables hold them
/// (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`): keys and
/// values trimmed and percent-decoded; an entry without `=` or with an
/// empty key is skipped.
pub(crate) fn parse_list(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|entry| {
            let (k, v) = entry.split_once('=')?;
            let k = percent_decode(k.trim());
            (!k.is_empty()).then(|| (k, percent_decode(v.trim())))
        })
        .collect()
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits is kept, and
/// bytes that do not form UTF-8 are replaced.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variables_give_the_attributes_and_the_service_name_wins() {
        let env = |k: &str| {
            match k {
            "OTEL_RESOURCE_ATTRIBUTES" => Some(
                "service.name=from-attrs, service.version=1.2%2C3 ,deployment.environment=prod,bad,=x"
                    .to_owned(),
            ),
            "OTEL_SERVICE_NAME" => Some("checkout".to_owned()),
            _ => None,
        }
        };
        let r = Resource::from_env(env);
        assert_eq!(r.service_name(), Some("checkout"));
        assert_eq!(r.get("service.version"), Some("1.2,3"));
        assert_eq!(r.environment(), Some("prod"));
        assert_eq!(r.attributes().count(), 3);
        assert_eq!(percent_decode("a%zz%4"), "a%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn a_service_nobody_named_is_unknown() {
        let r = Resource::default().with_default_service();
        assert!(r.service_name().unwrap().starts_with("unknown_service"));
        let named = Resource::from_env(|k| (k == "OTEL_SERVICE_NAME").then(|| "x".into()));
        assert_eq!(named.with_default_service(), named);
    }
}
