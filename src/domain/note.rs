//! Internal notes on a ticket: their text, and whom an `@mention` in it names.
//!
//! A note is for the team only: it is never a message to the guest. Mentions name users of the
//! same account by their display name, case-insensitively:
//! - `@"First Last"` names whoever's whole name that is (spaces between words do not matter);
//! - `@First` names whoever's first name that is, and `@FirstLast` whoever's whole name that
//!   is written without spaces. Several people sharing a first name are all named; quote the
//!   whole name to name one of them.
//!
//! An `@` right after a letter or digit (an e-mail address) names nobody, and a word's
//! trailing `.`, `-` or `'` is punctuation, not part of the name.

use super::ids::UserId;

/// The longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// Why a note's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note must not be empty")]
    Empty,
    #[error("the note must have at most {} characters", MAX_NOTE_CHARS)]
    TooLong,
}

/// The note's text, trimmed: not empty, at most [`MAX_NOTE_CHARS`] characters.
pub fn note_text(raw: &str) -> Result<&str, NoteError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(NoteError::Empty);
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(NoteError::TooLong);
    }
    Ok(text)
}

/// One `@` mention as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    /// `@Ana`: a first name, or a whole name written without spaces.
    Word(String),
    /// `@"Ana Silva"`: a whole name.
    Quoted(String),
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\'')
}

/// The mentions in `text`, in order.
pub fn mentions_in(text: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    let mut previous: Option<char> = None;
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let before = rest[..at].chars().next_back().or(previous);
        let after = &rest[at + 1..];
        previous = Some('@');
        rest = after;
        if before.is_some_and(char::is_alphanumeric) {
            continue;
        }
        if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find(['"', '\n']).unwrap_or(quoted.len());
            let name = quoted[..end].trim();
            if !name.is_empty() && quoted[end..].starts_with('"') {
                out.push(Mention::Quoted(name.to_string()));
                rest = &quoted[end + 1..];
                previous = Some('"');
            }
            continue;
        }
        let end = after.find(|c: char| !word_char(c)).unwrap_or(after.len());
        let word = after[..end].trim_end_matches(['.', '-', '\'']);
        if word.chars().next().is_some_and(char::is_alphanumeric) {
            out.push(Mention::Word(word.to_string()));
        }
    }
    out
}

/// A name compared without case, with its words single-spaced.
fn folded(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Mention {
    /// Whether this mention names the person called `name`.
    pub fn names(&self, name: &str) -> bool {
        let name = folded(name);
        match self {
            Mention::Quoted(q) => folded(q) == name,
            Mention::Word(w) => {
                let w = w.to_lowercase();
                name.split(' ').next() == Some(w.as_str()) || name.replace(' ', "") == w
            }
        }
    }
}

/// The people `text` mentions, each once, in the order they are first mentioned.
pub fn mentioned(text: &str, people: &[(UserId, String)]) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for mention in mentions_in(text) {
        for (id, _) in people.iter().filter(|(_, name)| mention.names(name)) {
            if !out.contains(id) {
                out.push(*id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn team() -> Vec<(UserId, String)> {
        vec![
            (UserId(1), "Ana Silva".into()),
            (UserId(2), "Ana Costa".into()),
            (UserId(3), "Bruno".into()),
            (UserId(4), "Zoë O'Neil".into()),
        ]
    }

    #[test]
    fn mentions_are_found_as_written() {
        assert_eq!(
            mentions_in("@Bruno can you check? cc @\"Ana  Silva\", thanks @zoë."),
            vec![
                Mention::Word("Bruno".into()),
                Mention::Quoted("Ana  Silva".into()),
                Mention::Word("zoë".into()),
            ]
        );
        assert!(mentions_in("mail ana@example.com or @ alone or @\"unclosed").is_empty());
        assert_eq!(mentions_in("(@Bruno)"), vec![Mention::Word("Bruno".into())]);
    }

    #[test]
    fn names_match_by_first_name_whole_name_or_quoted_name() {
        let people = team();
        assert_eq!(mentioned("@bruno", &people), vec![UserId(3)]);
        assert_eq!(
            mentioned("@Ana please", &people),
            vec![UserId(1), UserId(2)],
            "a shared first name names all who have it"
        );
        assert_eq!(mentioned("@\"ana costa\"", &people), vec![UserId(2)]);
        assert_eq!(mentioned("@AnaSilva", &people), vec![UserId(1)]);
        assert_eq!(mentioned("@\"Zoë O'Neil\" @Zoë", &people), vec![UserId(4)]);
        assert!(mentioned("@Carla @\"Ana\"", &people).is_empty());
        assert!(mentioned("bruno@desk.test", &people).is_empty());
    }

    #[test]
    fn note_text_is_trimmed_and_bounded() {
        assert_eq!(note_text("  call the owner "), Ok("call the owner"));
        assert_eq!(note_text(" \n "), Err(NoteError::Empty));
        assert_eq!(
            note_text(&"é".repeat(MAX_NOTE_CHARS + 1)),
            Err(NoteError::TooLong)
        );
        assert!(note_text(&"é".repeat(MAX_NOTE_CHARS)).is_ok());
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-zà-öø-þ]{1,8}( [A-Za-zà-öø-þ]{1,8}){0,2}"
    }

    proptest! {
        #[test]
        fn a_quoted_whole_name_always_names_its_owner(
            names in prop::collection::vec(name(), 1..5),
            pick in 0usize..5,
            before in "[ a-z,.!?]{0,10}",
            after in "[ a-z,.!?]{0,10}",
        ) {
            let people: Vec<(UserId, String)> = names
                .into_iter()
                .enumerate()
                .map(|(i, n)| (UserId(i as i64), n))
                .collect();
            let (id, name) = &people[pick % people.len()];
            let text = format!("{before} @\"{}\"{after}", name.to_uppercase());
            let found = mentioned(&text, &people);
            prop_assert!(found.contains(id), "{text} → {found:?}");
        }

        #[test]
        fn mentions_are_people_each_named_once_and_none_without_an_at(
            text in "[ @\"a-zA-Z.]{0,40}",
            names in prop::collection::vec(name(), 0..5),
        ) {
            let people: Vec<(UserId, String)> = names
                .into_iter()
                .enumerate()
                .map(|(i, n)| (UserId(i as i64), n))
                .collect();
            let found = mentioned(&text, &people);
            let mut unique = found.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), found.len());
            prop_assert!(found.iter().all(|id| people.iter().any(|(p, _)| p == id)));
            if !text.contains('@') {
                prop_assert!(found.is_empty());
            }
        }
    }
}
