//! Container names: Docker's rule for names a user gives, and its generator of
//! `adjective_surname` names for containers that get none (`pkg/namesgenerator`).

use crate::digest::Digest;

/// Docker's rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// A few of the adjectives of Docker's name generator (`pkg/namesgenerator`).
const ADJECTIVES: &[&str] = &[
    "admiring",
    "adoring",
    "affectionate",
    "agitated",
    "amazing",
    "angry",
    "awesome",
    "blissful",
    "bold",
    "boring",
    "brave",
    "busy",
    "charming",
    "clever",
    "compassionate",
    "competent",
    "confident",
    "cool",
    "cranky",
    "dazzling",
    "determined",
    "distracted",
    "dreamy",
    "eager",
    "ecstatic",
    "elastic",
    "elated",
    "elegant",
    "eloquent",
    "epic",
    "exciting",
    "fervent",
    "festive",
    "focused",
    "friendly",
    "frosty",
    "funny",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "great",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "inspiring",
    "intelligent",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "relaxed",
    "romantic",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "sweet",
    "tender",
    "trusting",
    "upbeat",
    "vibrant",
    "vigilant",
    "wizardly",
    "wonderful",
    "youthful",
    "zealous",
    "zen",
];

/// A few of the scientists and hackers of Docker's name generator.
const SURNAMES: &[&str] = &[
    "albattani",
    "allen",
    "archimedes",
    "babbage",
    "banach",
    "bardeen",
    "bartik",
    "bell",
    "bhabha",
    "blackwell",
    "bohr",
    "booth",
    "bose",
    "brahmagupta",
    "brattain",
    "burnell",
    "cannon",
    "carson",
    "chandrasekhar",
    "clarke",
    "curie",
    "darwin",
    "diffie",
    "dijkstra",
    "easley",
    "einstein",
    "elion",
    "engelbart",
    "euclid",
    "euler",
    "faraday",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "galileo",
    "goldberg",
    "goldwasser",
    "goodall",
    "hamilton",
    "hawking",
    "heisenberg",
    "hodgkin",
    "hopper",
    "hypatia",
    "jackson",
    "jennings",
    "johnson",
    "kalam",
    "keller",
    "kepler",
    "khorana",
    "knuth",
    "kowalevski",
    "lamarr",
    "lamport",
    "leakey",
    "leavitt",
    "liskov",
    "lovelace",
    "lumiere",
    "mayer",
    "mccarthy",
    "mcclintock",
    "meitner",
    "mirzakhani",
    "montalcini",
    "moore",
    "napier",
    "nash",
    "neumann",
    "newton",
    "nightingale",
    "noether",
    "noyce",
    "panini",
    "pasteur",
    "payne",
    "perlman",
    "pike",
    "poincare",
    "ptolemy",
    "raman",
    "ramanujan",
    "ride",
    "ritchie",
    "rubin",
    "shannon",
    "shaw",
    "shockley",
    "sinoussi",
    "swartz",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "wiles",
    "williams",
    "wilson",
    "wing",
    "wozniak",
    "wright",
    "yalow",
    "yonath",
];

/// A Docker-style name (`adjective_surname`), chosen from `seed`, so the same store history
/// gives the same names. Docker skips one combination, and so does capas.
pub(super) fn generated_name(seed: &Digest) -> String {
    let hex = seed.hex();
    let pick = |range: std::ops::Range<usize>, len: usize| {
        usize::from_str_radix(&hex[range], 16).map_or(0, |n| n % len)
    };
    let mut name = format!(
        "{}_{}",
        ADJECTIVES[pick(0..8, ADJECTIVES.len())],
        SURNAMES[pick(8..16, SURNAMES.len())]
    );
    if name == "boring_wozniak" {
        // "Steve Wozniak is not boring" (Docker's namesgenerator).
        name = "amazing_wozniak".to_string();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rules() {
        assert!(valid_name("web-1"));
        assert!(valid_name("a.b_c"));
        assert!(!valid_name("a"));
        assert!(!valid_name("-web"));
        assert!(!valid_name("web server"));
        let name = generated_name(&Digest::of_bytes(b"seed"));
        let (adjective, surname) = name.split_once('_').expect("adjective_surname");
        assert!(
            ADJECTIVES.contains(&adjective) && SURNAMES.contains(&surname),
            "{name}"
        );
        assert_eq!(name, generated_name(&Digest::of_bytes(b"seed")));
    }
}
