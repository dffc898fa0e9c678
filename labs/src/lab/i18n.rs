//! The labs' words, in Spanish (the course's language) and English, from Fluent files
//! (`labs/i18n/<lang>/*.ftl`) compiled into the binaries. Code never holds a sentence.

use std::collections::BTreeSet;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};

/// The languages of the labs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Español (the course's language, and the default).
    Es,
    /// English.
    En,
}

impl Lang {
    /// `--lang` if given, else `LC_ALL`, `LC_MESSAGES` or `LANG` (`en…` → English), else Spanish.
    pub fn detect(flag: Option<Lang>) -> Lang {
        if let Some(lang) = flag {
            return lang;
        }
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                return if value.starts_with("en") {
                    Lang::En
                } else {
                    Lang::Es
                };
            }
        }
        Lang::Es
    }

    /// `es` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }
}

/// Every translation file: (language, file name, contents).
pub const FILES: &[(Lang, &str, &str)] = &[
    (Lang::Es, "common", include_str!("../../i18n/es/common.ftl")),
    (Lang::En, "common", include_str!("../../i18n/en/common.ftl")),
    (Lang::Es, "lab01", include_str!("../../i18n/es/lab01.ftl")),
    (Lang::En, "lab01", include_str!("../../i18n/en/lab01.ftl")),
    (Lang::Es, "lab02", include_str!("../../i18n/es/lab02.ftl")),
    (Lang::En, "lab02", include_str!("../../i18n/en/lab02.ftl")),
    (Lang::Es, "lab03", include_str!("../../i18n/es/lab03.ftl")),
    (Lang::En, "lab03", include_str!("../../i18n/en/lab03.ftl")),
    (Lang::Es, "lab04", include_str!("../../i18n/es/lab04.ftl")),
    (Lang::En, "lab04", include_str!("../../i18n/en/lab04.ftl")),
    (Lang::Es, "lab05", include_str!("../../i18n/es/lab05.ftl")),
    (Lang::En, "lab05", include_str!("../../i18n/en/lab05.ftl")),
    (Lang::Es, "lab06", include_str!("../../i18n/es/lab06.ftl")),
    (Lang::En, "lab06", include_str!("../../i18n/en/lab06.ftl")),
    (Lang::Es, "lab07", include_str!("../../i18n/es/lab07.ftl")),
    (Lang::En, "lab07", include_str!("../../i18n/en/lab07.ftl")),
    (Lang::Es, "lab08", include_str!("../../i18n/es/lab08.ftl")),
    (Lang::En, "lab08", include_str!("../../i18n/en/lab08.ftl")),
    (Lang::Es, "lab09", include_str!("../../i18n/es/lab09.ftl")),
    (Lang::En, "lab09", include_str!("../../i18n/en/lab09.ftl")),
];

/// The message IDs a file defines.
pub fn message_ids(source: &str) -> BTreeSet<String> {
    let resource = match fluent_syntax::parser::parse(source.to_string()) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.clone()),
            _ => None,
        })
        .collect()
}

/// The words of one language.
pub struct Texts {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl Texts {
    /// Loads every file of `lang`. A file that does not parse is a bug caught by the tests.
    pub fn new(lang: Lang) -> Texts {
        let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new(vec![id]);
        // Plain terminal text: no Unicode isolation marks around arguments.
        bundle.set_use_isolating(false);
        for (l, _, source) in FILES {
            if *l != lang {
                continue;
            }
            let resource = match FluentResource::try_new(source.to_string()) {
                Ok(r) => r,
                Err((r, _)) => r,
            };
            let _ = bundle.add_resource(resource);
        }
        Texts { lang, bundle }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// A message without arguments (its ID if it is missing: the tests make sure it is not).
    pub fn t(&self, id: &str) -> String {
        self.t_args(id, &[])
    }

    /// A message with `{ $name }` arguments.
    pub fn t_args(&self, id: &str, args: &[(&str, String)]) -> String {
        let Some(message) = self.bundle.get_message(id) else {
            return id.to_string();
        };
        let Some(pattern) = message.value() else {
            return id.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (k, v) in args {
            fluent_args.set(*k, FluentValue::from(v.clone()));
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// Whether a message exists.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }
}
